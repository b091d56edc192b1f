"""Time a Keras MLP on the work of crates/surrogate-mlp/examples/mlp_bench.rs (run by hand):

    python -m venv /tmp/ref && /tmp/ref/bin/pip install numpy tensorflow-cpu
    /tmp/ref/bin/python benches/reference/keras_mlp.py

The network is DLScanner's classifier: 4 x 100 ReLU, sigmoid output, Adam 1e-3, binary
cross-entropy, on 5-D inputs in [0, 1]. One epoch (mean of 3) on 10^4 and 10^5 points at
batch 32, 256 and 1024, then predicting 10^5 and 10^6 points.
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def model():
    m = tf.keras.Sequential(
        [tf.keras.Input(shape=(5,))]
        + [tf.keras.layers.Dense(100, activation="relu") for _ in range(4)]
        + [tf.keras.layers.Dense(1, activation="sigmoid")]
    )
    m.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return m


rng = np.random.default_rng(1)


def data(n):
    x = rng.uniform(0, 1, (n, 5)).astype("float32")
    y = (((x - 0.5) ** 2).sum(axis=1) < 0.1).astype("float32")
    return x, y


print(f"tensorflow {tf.__version__}, threads inter={tf.config.threading.get_inter_op_parallelism_threads()} intra={tf.config.threading.get_intra_op_parallelism_threads()}")
for n in (10_000, 100_000):
    x, y = data(n)
    for batch in (32, 256, 1024):
        m = model()
        m.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # graph building and warm-up
        t0 = time.perf_counter()
        m.fit(x, y, batch_size=batch, epochs=3, verbose=0)
        print(f"train n={n:>7} batch={batch:>5}: {(time.perf_counter() - t0) / 3:8.3f} s/epoch")

m = model()
x, y = data(10_000)
m.fit(x, y, batch_size=256, epochs=1, verbose=0)
for n in (100_000, 1_000_000):
    xp, _ = data(n)
    m.predict(xp, batch_size=100_000, verbose=0)
    t0 = time.perf_counter()
    m.predict(xp, batch_size=100_000, verbose=0)
    t_big = time.perf_counter() - t0
    t0 = time.perf_counter()
    m.predict(xp, verbose=0)  # Keras' default batch of 32, as DLScanner calls it
    t_default = time.perf_counter() - t0
    print(f"predict n={n:>8}: {t_big:8.3f} s (batch 100 000), {t_default:8.3f} s (default batch 32)")
