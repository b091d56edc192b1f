"""Reference numbers for the smote crate, from imbalanced-learn 0.14.2 (run by hand):

    python -m venv /tmp/ref && /tmp/ref/bin/pip install numpy imbalanced-learn==0.14.2
    /tmp/ref/bin/python benches/reference/smote_reference.py fixture crates/smote/tests/fixtures/imblearn_reference.json
    /tmp/ref/bin/python benches/reference/smote_reference.py bench

`fixture` writes a fixed two-class data set (5-D: 300 minority points on a curved band,
1500 majority points around it, overlapping) and, for SMOTE, Borderline-SMOTE 1 and 2 and
ADASYN, the mean and covariance of the synthetic points each makes (20 000 of them for
SMOTE and Borderline-SMOTE, pooled over 10 seeds), so a test can compare the
class-conditional statistics of its own synthetic points.

`bench` times SMOTE on the sizes of the crate's criterion benches: 200 -> 5 000 minority
points in 5-D and 10^4 -> 10^5 in 10-D (k = 5).
"""
import json
import sys
import time

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE


def dataset():
    rng = np.random.default_rng(2024)
    t = rng.uniform(0.0, np.pi, 300)
    minority = np.column_stack(
        [np.cos(t), np.sin(t), 0.3 * t, rng.normal(0, 0.2, 300), rng.normal(0, 0.5, 300)]
    ) + rng.normal(0, 0.08, (300, 5))
    majority = rng.normal(0.0, 0.9, (1500, 5)) + np.array([0.0, 0.4, 0.5, 0.0, 0.0])
    x = np.vstack([minority, majority])
    y = np.concatenate([np.ones(300, dtype=int), np.zeros(1500, dtype=int)])
    return x, y


def synthetic_stats(make, x, y, seeds):
    chunks = []
    for seed in seeds:
        xs, ys = make(seed).fit_resample(x, y)
        chunks.append(xs[len(x):])
    s = np.vstack(chunks)
    return {"n": int(len(s)), "mean": s.mean(axis=0).tolist(), "cov": np.cov(s, rowvar=False).tolist()}


def fixture(path):
    x, y = dataset()
    extra = 2000
    target = {1: 300 + extra}
    seeds = range(10)
    out = {
        "source": "imbalanced-learn 0.14.2 (benches/reference/smote_reference.py)",
        "x": x.tolist(),
        "y": y.tolist(),
        "minority_label": 1,
        "synthetic_per_seed": extra,
        "seeds": len(seeds),
        "smote_k5": synthetic_stats(lambda s: SMOTE(sampling_strategy=target, k_neighbors=5, random_state=s), x, y, seeds),
        "smote_k3": synthetic_stats(lambda s: SMOTE(sampling_strategy=target, k_neighbors=3, random_state=s), x, y, seeds),
        "borderline1": synthetic_stats(
            lambda s: BorderlineSMOTE(sampling_strategy=target, k_neighbors=5, m_neighbors=10, kind="borderline-1", random_state=s), x, y, seeds),
        "borderline2": synthetic_stats(
            lambda s: BorderlineSMOTE(sampling_strategy=target, k_neighbors=5, m_neighbors=10, kind="borderline-2", random_state=s), x, y, seeds),
        "adasyn": synthetic_stats(lambda s: ADASYN(sampling_strategy=target, n_neighbors=5, random_state=s), x, y, seeds),
        "minority_mean": x[y == 1].mean(axis=0).tolist(),
        "minority_cov": np.cov(x[y == 1], rowvar=False).tolist(),
    }
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"wrote {path}")


def bench():
    rng = np.random.default_rng(5)
    for n_min, n_out, dim, reps in [(200, 5000, 5, 20), (10_000, 100_000, 10, 3)]:
        x = np.vstack([rng.normal(0, 1, (n_min, dim)), rng.normal(2, 1, (n_out, dim))])
        y = np.concatenate([np.ones(n_min, dtype=int), np.zeros(n_out, dtype=int)])
        sm = SMOTE(sampling_strategy={1: n_out}, k_neighbors=5, random_state=0)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            sm.fit_resample(x, y)
            times.append(time.perf_counter() - t0)
        print(f"SMOTE {n_min} -> {n_out} minority points in {dim}-D: best {min(times) * 1e3:.1f} ms, median {np.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        fixture(sys.argv[2])
    else:
        bench()
