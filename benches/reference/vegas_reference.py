"""Time Python vegas on the work of the vegas-map criterion benches (run by hand):

    python -m venv /tmp/ref && /tmp/ref/bin/pip install numpy vegas==6.4.1
    /tmp/ref/bin/python benches/reference/vegas_reference.py

adapt_to_samples: 10^4 points in 5-D, f = exp(-20 |x - c|^2), AdaptiveMap([[0,1]]*5,
ninc=100), nitn=5, alpha=1 (the bench `adapt_to_samples/5d_ninc100_nitn5/10000`).
sampling: 10^6 points through the trained map: uniform y, then map(y) with its Jacobian
(the bench `sample_5d/*/1000000`), into fresh arrays and into arrays allocated once.
numpy asks for transparent huge pages on large arrays, which makes its fresh arrays
cheaper to fault in than Rust's on kernels in `madvise` mode.
"""
import time

import numpy as np
import vegas


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


rng = np.random.default_rng(11)
for n in (1_000, 10_000, 100_000):
    x = rng.uniform(0.0, 1.0, size=(n, 5))
    c = np.linspace(0.2, 0.8, 5)
    f = np.exp(-20.0 * ((x - c) ** 2).sum(axis=1))

    def train():
        m = vegas.AdaptiveMap([[0.0, 1.0]] * 5, ninc=100)
        m.adapt_to_samples(x, f, nitn=5, alpha=1.0)
        return m

    best, median = best_of(train, 30 if n <= 10_000 else 5)
    print(f"adapt_to_samples n={n:>7} 5-D: best {best * 1e3:8.2f} ms, median {median * 1e3:8.2f} ms")

x = rng.uniform(0.0, 1.0, size=(10_000, 5))
f = np.exp(-20.0 * ((x - np.linspace(0.2, 0.8, 5)) ** 2).sum(axis=1))
m = vegas.AdaptiveMap([[0.0, 1.0]] * 5, ninc=100)
m.adapt_to_samples(x, f, nitn=5, alpha=1.0)
for n in (10_000, 100_000, 1_000_000):
    def draw():
        y = rng.uniform(0.0, 1.0, size=(n, 5))
        xs = np.empty_like(y)
        jac = np.empty(n)
        m.map(y, xs, jac)
        return xs, jac

    best, median = best_of(draw, 20)
    print(f"sample n={n:>8} 5-D: best {best * 1e3:8.2f} ms, median {median * 1e3:8.2f} ms")

    # Into arrays allocated once (the benches `sample_5d/*_reused_buffer/*`).
    y = np.empty((n, 5))
    xs = np.empty_like(y)
    jac = np.empty(n)

    def draw_into():
        rng.random(out=y)
        m.map(y, xs, jac)

    best, median = best_of(draw_into, 20)
    print(f"sample into buffers n={n:>8} 5-D: best {best * 1e3:8.2f} ms, median {median * 1e3:8.2f} ms")
