//! Accuracy and cost of the siamese classifier against the MLP classifier on the same
//! O_3d data, at 10^4 and 10^5 training points, and predicting 10^6 points.
//!
//!     cargo run --release -p surrogate-siamese --example siamese_vs_mlp
//!
//! Training points are uniform in the O_3d box (about 1 % in target); the held-out set is
//! 20 000 other uniform points. Both models use positive weight 10; "fit" is a full
//! training, "update" a warm-started one on the same data (one scan iteration).

use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_mlp::{ClassWeight, LrSchedule, MlpClassifier, MlpParams};
use surrogate_siamese::SiameseClassifier;

const PI10: f64 = 10.0 * std::f64::consts::PI;

fn sample(n: usize, seed: u64) -> (Array2<f64>, Array1<bool>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 3), |_| PI10 * (2.0 * rng.random::<f64>() - 1.0));
    let y = x
        .rows()
        .into_iter()
        .map(|r| {
            let o = (2.0 + (r[0] / 7.0).cos() * (r[1] / 7.0).cos() * (r[2] / 7.0).cos()).powi(5);
            (-0.5 * ((o - 150.0) / 5.0).powi(2)).exp() > 0.5
        })
        .collect();
    (x, y)
}

fn score(pred: &Array1<bool>, truth: &Array1<bool>) -> (f64, f64, f64) {
    let acc = pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64;
    let tp = pred.iter().zip(truth).filter(|(p, t)| **p && **t).count() as f64;
    let precision = tp / pred.iter().filter(|p| **p).count().max(1) as f64;
    let recall = tp / truth.iter().filter(|t| **t).count() as f64;
    (acc, precision, recall)
}

fn main() {
    let bounds = vec![(-PI10, PI10); 3];
    let (xt, yt) = sample(20_000, 2);
    let (xp, _) = sample(1_000_000, 3);
    println!(
        "{:<10} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>10}",
        "model", "n_train", "fit s", "update s", "accuracy", "precision", "recall", "predict 1e6 s"
    );
    for n in [10_000usize, 100_000] {
        let (x, y) = sample(n, 1);
        let mlp = MlpClassifier::params(bounds.clone())
            .network(
                MlpParams::default()
                    .epochs(60)
                    .update_epochs(15)
                    .batch_size(1024)
                    .learning_rate(3e-3)
                    .schedule(LrSchedule::Cosine { final_factor: 0.05 })
                    .seed(4),
            )
            .class_weight(ClassWeight::Positive(10.0));
        let t = Instant::now();
        let (mut m, _) = mlp.fit(x.view(), y.view()).unwrap();
        let fit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        m.update(x.view(), y.view()).unwrap();
        let update = t.elapsed().as_secs_f64();
        let (a, p, r) = score(&m.predict(xt.view()).unwrap(), &yt);
        let t = Instant::now();
        m.predict_proba(xp.view()).unwrap();
        let predict = t.elapsed().as_secs_f64();
        println!(
            "{:<10} {n:>8} {fit:>8.2} {update:>9.2} {a:>9.4} {p:>9.3} {r:>8.3} {predict:>10.2}",
            "mlp"
        );

        let siamese = SiameseClassifier::params(bounds.clone())
            .class_weight(ClassWeight::Positive(10.0))
            .batch_size(1024)
            .learning_rate(2e-3)
            .seed(4);
        let t = Instant::now();
        let (mut s, _) = siamese.fit(x.view(), y.view()).unwrap();
        let fit = t.elapsed().as_secs_f64();
        let t = Instant::now();
        s.update(x.view(), y.view()).unwrap();
        let update = t.elapsed().as_secs_f64();
        let (a, p, r) = score(&s.predict(xt.view()).unwrap(), &yt);
        let t = Instant::now();
        s.predict_proba(xp.view()).unwrap();
        let predict = t.elapsed().as_secs_f64();
        println!(
            "{:<10} {n:>8} {fit:>8.2} {update:>9.2} {a:>9.4} {p:>9.3} {r:>8.3} {predict:>10.2}",
            "siamese"
        );
    }
}
