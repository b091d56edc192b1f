//! The cost and quality of training regimes on a scan-sized O_3d problem: DLScanner's
//! (batch 32, many epochs, fixed rate) against larger batches with a cosine schedule and
//! warm starts.
//!
//!     cargo run --release -p surrogate-mlp --example mlp_tradeoff
//!
//! Training set: 24 000 points, as at DLScanner's 24th iteration of K = 1000, half uniform
//! and half near the 13 target shells (as a guided scan accumulates them), labelled by
//! O_3d's likelihood > 0.5. Held-out: 20 000 points from the same mixture.

use std::time::Instant;

use ndarray::{Array1, Array2, s};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_mlp::{ClassWeight, LrSchedule, MlpClassifier, MlpParams};

const PI10: f64 = 10.0 * std::f64::consts::PI;

fn in_target(r: &[f64]) -> bool {
    let o = (2.0 + (r[0] / 7.0).cos() * (r[1] / 7.0).cos() * (r[2] / 7.0).cos()).powi(5);
    (-0.5 * ((o - 150.0) / 5.0).powi(2)).exp() > 0.5
}

/// Half uniform, half Gaussian perturbations (σ = 1 % of the box) of in-target points.
fn sample(n: usize, seed: u64) -> (Array2<f64>, Array1<bool>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut u = || rng.random::<f64>();
    let mut rows: Vec<[f64; 3]> = Vec::with_capacity(n);
    let mut hits: Vec<[f64; 3]> = Vec::new();
    while rows.len() < n / 2 {
        let p = [
            PI10 * (2.0 * u() - 1.0),
            PI10 * (2.0 * u() - 1.0),
            PI10 * (2.0 * u() - 1.0),
        ];
        if in_target(&p) {
            hits.push(p);
        }
        rows.push(p);
    }
    while hits.len() < 200 {
        let p = [
            PI10 * (2.0 * u() - 1.0),
            PI10 * (2.0 * u() - 1.0),
            PI10 * (2.0 * u() - 1.0),
        ];
        if in_target(&p) {
            hits.push(p);
        }
    }
    let sigma = 0.01 * 2.0 * PI10;
    while rows.len() < n {
        let h = hits[(u() * hits.len() as f64) as usize];
        let mut g = || (0..12).map(|_| u()).sum::<f64>() - 6.0;
        rows.push([
            (h[0] + sigma * g()).clamp(-PI10, PI10),
            (h[1] + sigma * g()).clamp(-PI10, PI10),
            (h[2] + sigma * g()).clamp(-PI10, PI10),
        ]);
    }
    let y = rows.iter().map(|r| in_target(r)).collect();
    (Array2::from_shape_vec((n, 3), rows.concat()).unwrap(), y)
}

fn main() {
    let bounds = vec![(-PI10, PI10); 3];
    let (x, y) = sample(24_000, 1);
    let (xt, yt) = sample(20_000, 2);
    println!(
        "training positives: {:.1} %",
        100.0 * y.iter().filter(|b| **b).count() as f64 / y.len() as f64
    );
    let score = |m: &MlpClassifier| {
        let p = m.predict(xt.view()).unwrap();
        let acc = p.iter().zip(&yt).filter(|(a, b)| a == b).count() as f64 / yt.len() as f64;
        let tp = p.iter().zip(&yt).filter(|(a, b)| **a && **b).count() as f64;
        let precision = tp / p.iter().filter(|v| **v).count().max(1) as f64;
        let recall = tp / yt.iter().filter(|v| **v).count() as f64;
        (acc, precision, recall)
    };
    let regimes: Vec<(&str, MlpParams)> = vec![
        (
            "batch 32, 50 epochs, lr 1e-3 (DLScanner)",
            MlpParams::default().batch_size(32).epochs(50),
        ),
        (
            "batch 256, 30 epochs, cosine 2e-3",
            MlpParams::default()
                .batch_size(256)
                .epochs(30)
                .learning_rate(2e-3)
                .schedule(LrSchedule::Cosine { final_factor: 0.05 }),
        ),
        (
            "batch 1024, 60 epochs, cosine 3e-3",
            MlpParams::default()
                .batch_size(1024)
                .epochs(60)
                .learning_rate(3e-3)
                .schedule(LrSchedule::Cosine { final_factor: 0.05 }),
        ),
        (
            "batch 1024, 30 epochs, cosine 3e-3",
            MlpParams::default()
                .batch_size(1024)
                .epochs(30)
                .learning_rate(3e-3)
                .schedule(LrSchedule::Cosine { final_factor: 0.05 }),
        ),
    ];
    println!(
        "{:<44} {:>8} {:>9} {:>9} {:>8}",
        "regime (fit from scratch)", "seconds", "accuracy", "precision", "recall"
    );
    for (name, p) in regimes {
        let started = Instant::now();
        let (m, _) = MlpClassifier::params(bounds.clone())
            .network(p.seed(3))
            .class_weight(ClassWeight::Balanced)
            .fit(x.view(), y.view())
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        let (a, pr, r) = score(&m);
        println!("{name:<44} {secs:>8.2} {a:>9.4} {pr:>9.3} {r:>8.3}");
    }
    // Warm start: a model fitted on the first 20 000 points, updated on all 24 000.
    let base = MlpParams::default()
        .batch_size(1024)
        .epochs(60)
        .update_epochs(10)
        .learning_rate(3e-3)
        .schedule(LrSchedule::Cosine { final_factor: 0.05 })
        .seed(3);
    let (mut m, _) = MlpClassifier::params(bounds.clone())
        .network(base)
        .class_weight(ClassWeight::Balanced)
        .fit(x.slice(s![..20_000, ..]), y.slice(s![..20_000]))
        .unwrap();
    let started = Instant::now();
    m.update(x.view(), y.view()).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let (a, pr, r) = score(&m);
    println!(
        "{:<44} {secs:>8.2} {a:>9.4} {pr:>9.3} {r:>8.3}",
        "warm update: batch 1024, 10 epochs"
    );
}
