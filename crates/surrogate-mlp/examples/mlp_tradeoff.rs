//! The cost and quality of training regimes on a scan-sized O_3d problem: DLScanner's
//! (batch 32, many epochs, fixed rate) against larger batches with a cosine schedule, early
//! stopping and warm starts, for the classifier (in/out labels) and for the regressor (the
//! observable O, classified afterwards by the target's cut).
//!
//!     cargo run --release -p surrogate-mlp --example mlp_tradeoff
//!
//! Training set: 24 000 points, as at DLScanner's 24th iteration of K = 1000, half uniform
//! and half near the 13 target shells (as a guided scan accumulates them), labelled by
//! O_3d's likelihood > 0.5. Held-out: 20 000 points from the same mixture. Half the points
//! lie within about 1 % of the box of a shell only 0.2 % thick, so this is much harder than
//! uniform points (where predicting "out" everywhere scores 99 %).

use std::time::Instant;

use ndarray::{Array1, Array2, s};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_mlp::{ClassWeight, EarlyStopping, LrSchedule, MlpClassifier, MlpParams, MlpRegressor};

const PI10: f64 = 10.0 * std::f64::consts::PI;

fn observable(r: &[f64]) -> f64 {
    (2.0 + (r[0] / 7.0).cos() * (r[1] / 7.0).cos() * (r[2] / 7.0).cos()).powi(5)
}

fn in_target_value(o: f64) -> bool {
    (-0.5 * ((o - 150.0) / 5.0).powi(2)).exp() > 0.5
}

fn in_target(r: &[f64]) -> bool {
    in_target_value(observable(r))
}

/// Half uniform, half Gaussian perturbations (σ = 1 % of the box) of in-target points.
fn sample(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
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
    let o = rows.iter().map(|r| observable(r)).collect();
    (Array2::from_shape_vec((n, 3), rows.concat()).unwrap(), o)
}

/// Accuracy, precision and recall of predicted labels.
fn score(pred: &Array1<bool>, truth: &Array1<bool>) -> (f64, f64, f64) {
    let acc = pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64;
    let tp = pred.iter().zip(truth).filter(|(a, b)| **a && **b).count() as f64;
    let precision = tp / pred.iter().filter(|v| **v).count().max(1) as f64;
    let recall = tp / truth.iter().filter(|v| **v).count().max(1) as f64;
    (acc, precision, recall)
}

fn main() {
    let bounds = vec![(-PI10, PI10); 3];
    let (x, o) = sample(24_000, 1);
    let (xt, ot) = sample(20_000, 2);
    let y: Array1<bool> = o.mapv(in_target_value);
    let yt: Array1<bool> = ot.mapv(in_target_value);
    let positives = |v: &Array1<bool>| 100.0 * v.iter().filter(|b| **b).count() as f64 / v.len() as f64;
    println!(
        "training positives: {:.1} %, held-out positives: {:.1} % (all-negative accuracy {:.3})",
        positives(&y),
        positives(&yt),
        1.0 - positives(&yt) / 100.0
    );
    let cosine = LrSchedule::Cosine { final_factor: 0.05 };
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
                .schedule(cosine),
        ),
        (
            "batch 1024, 60 epochs, cosine 3e-3",
            MlpParams::default()
                .batch_size(1024)
                .epochs(60)
                .learning_rate(3e-3)
                .schedule(cosine),
        ),
        (
            "batch 1024, 30 epochs, cosine 3e-3",
            MlpParams::default()
                .batch_size(1024)
                .epochs(30)
                .learning_rate(3e-3)
                .schedule(cosine),
        ),
        (
            "batch 1024, <=300 epochs, early stop 10",
            MlpParams::default()
                .batch_size(1024)
                .epochs(300)
                .learning_rate(3e-3)
                .early_stopping(Some(EarlyStopping {
                    validation_fraction: 0.1,
                    patience: 10,
                })),
        ),
    ];
    println!(
        "{:<42} | {:>30} | {:>36}",
        "", "classifier (BCE, balanced) ", "regressor (MSE on O, then the cut)"
    );
    println!(
        "{:<42} | {:>7} {:>6} {:>7} {:>6} | {:>7} {:>6} {:>6} {:>7} {:>6}",
        "regime (fit from scratch)", "seconds", "acc", "precis", "recall", "seconds", "RMSE", "acc", "precis", "recall"
    );
    let report = |name: &str, clf: &MlpClassifier, clf_s: f64, reg: &MlpRegressor, reg_s: f64| {
        let (a, p, r) = score(&clf.predict(xt.view()).unwrap(), &yt);
        let op = reg.predict(xt.view()).unwrap();
        let rmse = ((&op - &ot).mapv(|e| e * e).mean().unwrap()).sqrt();
        let (ra, rp, rr) = score(&op.mapv(in_target_value), &yt);
        println!(
            "{name:<42} | {clf_s:>7.2} {a:>6.3} {p:>7.3} {r:>6.3} | {reg_s:>7.2} {rmse:>6.2} {ra:>6.3} {rp:>7.3} {rr:>6.3}"
        );
    };
    for (name, p) in regimes {
        let started = Instant::now();
        let (clf, _) = MlpClassifier::params(bounds.clone())
            .network(p.clone().seed(3))
            .class_weight(ClassWeight::Balanced)
            .fit(x.view(), y.view())
            .unwrap();
        let clf_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let (reg, _) = MlpRegressor::params(bounds.clone())
            .network(p.seed(3))
            .fit(x.view(), o.view())
            .unwrap();
        let reg_s = started.elapsed().as_secs_f64();
        report(name, &clf, clf_s, &reg, reg_s);
    }
    // Warm start: models fitted on the first 20 000 points, updated on all 24 000, at the
    // full rate and at 0.3 × the rate (`update_learning_rate`).
    for (label, update_rate) in [("full rate", None), ("0.3 x rate", Some(9e-4))] {
        let base = MlpParams::default()
            .batch_size(1024)
            .epochs(60)
            .update_epochs(10)
            .learning_rate(3e-3)
            .update_learning_rate(update_rate)
            .schedule(cosine)
            .seed(3);
        let (mut clf, _) = MlpClassifier::params(bounds.clone())
            .network(base.clone())
            .class_weight(ClassWeight::Balanced)
            .fit(x.slice(s![..20_000, ..]), y.slice(s![..20_000]))
            .unwrap();
        let (mut reg, _) = MlpRegressor::params(bounds.clone())
            .network(base)
            .fit(x.slice(s![..20_000, ..]), o.slice(s![..20_000]))
            .unwrap();
        if update_rate.is_none() {
            report("batch 1024, 60 epochs, on the first 20 000", &clf, 0.0, &reg, 0.0);
        }
        let started = Instant::now();
        clf.update(x.view(), y.view()).unwrap();
        let clf_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        reg.update(x.view(), o.view()).unwrap();
        let reg_s = started.elapsed().as_secs_f64();
        report(
            &format!("then update on all, 10 epochs, {label}"),
            &clf,
            clf_s,
            &reg,
            reg_s,
        );
    }
}
