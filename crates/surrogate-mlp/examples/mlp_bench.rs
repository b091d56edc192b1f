//! Training and prediction cost of the MLP surrogates, at the sizes of the Keras reference
//! (`benches/reference/keras_mlp.py` at the workspace root measures the same work).
//!
//!     cargo run --release -p surrogate-mlp --example mlp_bench [cpu|cuda]
//!
//! One epoch of the default 4 × 100 ReLU classifier on 10^4 and 10^5 points in 5-D at
//! batch 32, 256 and 1024 (mean of a 3-epoch fit), and predicting 10^6 points.

use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_mlp::{DeviceChoice, MlpClassifier, MlpParams};

fn main() {
    let device = match std::env::args().nth(1).as_deref() {
        Some("cuda") => DeviceChoice::Cuda(0),
        _ => DeviceChoice::Cpu,
    };
    println!("device {device:?}, libtorch threads {}", tch::get_num_threads());
    let bounds = vec![(0.0, 1.0); 5];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut data = |n: usize| {
        let x = Array2::from_shape_fn((n, 5), |_| rng.random::<f64>());
        let y: Array1<bool> = x
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| (v - 0.5).powi(2)).sum::<f64>() < 0.1)
            .collect();
        (x, y)
    };
    for n in [10_000usize, 100_000] {
        let (x, y) = data(n);
        for batch in [32usize, 256, 1024] {
            let epochs = 3;
            let params = MlpClassifier::params(bounds.clone())
                .network(MlpParams::default().epochs(epochs).batch_size(batch).device(device));
            let started = Instant::now();
            let (_, report) = params.fit(x.view(), y.view()).expect("fit");
            let per_epoch = started.elapsed().as_secs_f64() / epochs as f64;
            println!(
                "train n={n:>7} batch={batch:>5}: {per_epoch:8.3} s/epoch (loss {:.4})",
                report.train_loss
            );
        }
    }
    let (x, y) = data(10_000);
    let (model, _) = MlpClassifier::params(bounds.clone())
        .network(MlpParams::default().epochs(1).device(device))
        .fit(x.view(), y.view())
        .expect("fit");
    for n in [100_000usize, 1_000_000] {
        let (xp, _) = data(n);
        let _ = model.predict_proba(xp.view()).expect("warm-up");
        let started = Instant::now();
        let p = model.predict_proba(xp.view()).expect("predict");
        println!(
            "predict n={n:>8}: {:8.3} s ({} outputs)",
            started.elapsed().as_secs_f64(),
            p.len()
        );
    }
}
