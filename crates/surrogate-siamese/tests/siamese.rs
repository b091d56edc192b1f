//! The siamese classifier learns the O_3d target, its embeddings separate the classes, and
//! it keeps what it learnt through save/load.

use ndarray::{Array1, Array2, ArrayView1};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_siamese::{ClassWeight, DeviceChoice, Distance, SiameseClassifier, SurrogateError};

const PI10: f64 = 10.0 * std::f64::consts::PI;

fn uniform(n: usize, dim: usize, half_width: f64, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, dim), |_| half_width * (2.0 * rng.random::<f64>() - 1.0))
}

fn o_3d_in_target(x: &Array2<f64>) -> Array1<bool> {
    x.rows()
        .into_iter()
        .map(|r| {
            let o = (2.0 + (r[0] / 7.0).cos() * (r[1] / 7.0).cos() * (r[2] / 7.0).cos()).powi(5);
            (-0.5 * ((o - 150.0) / 5.0).powi(2)).exp() > 0.5
        })
        .collect()
}

fn accuracy(pred: ArrayView1<bool>, truth: ArrayView1<bool>) -> (f64, f64) {
    let acc = pred.iter().zip(truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64;
    let tp = pred.iter().zip(truth).filter(|(p, t)| **p && **t).count() as f64;
    (acc, tp / truth.iter().filter(|t| **t).count() as f64)
}

#[test]
fn learns_o_3d_and_separates_the_classes_in_embedding_space() {
    let (x, xt) = (uniform(80_000, 3, PI10, 11), uniform(20_000, 3, PI10, 12));
    let (y, yt) = (o_3d_in_target(&x), o_3d_in_target(&xt));
    let params = SiameseClassifier::params(vec![(-PI10, PI10); 3])
        .class_weight(ClassWeight::Positive(10.0))
        .batch_size(1024)
        .learning_rate(2e-3)
        .seed(4);
    let (model, report) = params.fit(x.view(), y.view()).unwrap();
    assert_eq!(report.encoder_epochs, 20);
    assert!(report.encoder_loss.is_finite());
    let (acc, recall) = accuracy(model.predict(xt.view()).unwrap().view(), yt.view());
    assert!(acc >= 0.95, "held-out accuracy {acc}");
    assert!(recall >= 0.7, "held-out recall {recall}");

    // Same-class pairs of held-out points lie closer than different-class pairs.
    let pos: Vec<usize> = (0..yt.len()).filter(|&i| yt[i]).take(100).collect();
    let neg: Vec<usize> = (0..yt.len()).filter(|&i| !yt[i]).take(100).collect();
    let e = model.embed(xt.view()).unwrap();
    let dist = |a: usize, b: usize| {
        e.row(a)
            .iter()
            .zip(e.row(b).iter())
            .map(|(u, v)| (u - v).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let mean = |pairs: Vec<(usize, usize)>| pairs.iter().map(|&(a, b)| dist(a, b)).sum::<f64>() / pairs.len() as f64;
    let same = mean(pos.iter().zip(pos.iter().skip(1)).map(|(a, b)| (*a, *b)).collect());
    let different = mean(pos.iter().zip(&neg).map(|(a, b)| (*a, *b)).collect());
    assert!(
        same < 0.5 * different,
        "mean distance same-class {same}, different-class {different}"
    );
}

#[test]
fn updates_warm_start_and_save_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let x = uniform(3000, 2, 1.0, 21);
    let y: Array1<bool> = x.rows().into_iter().map(|r| r[0] * r[0] + r[1] * r[1] < 0.3).collect();
    let params = SiameseClassifier::params(vec![(-1.0, 1.0); 2])
        .latent(32)
        .encoder_epochs(3)
        .head_epochs(3)
        .update_encoder_epochs(2)
        .update_head_epochs(2)
        .distance(Distance::Cosine);
    let (mut model, _) = params.fit(x.view(), y.view()).unwrap();
    let r = model.update(x.view(), y.view()).unwrap();
    assert_eq!((r.encoder_epochs, r.head.epochs_run), (2, 2));
    model.save(dir.path()).unwrap();
    let back = SiameseClassifier::load(dir.path(), DeviceChoice::Cpu).unwrap();
    assert_eq!(
        model.predict_proba(x.view()).unwrap(),
        back.predict_proba(x.view()).unwrap()
    );
    assert_eq!(back.settings(), model.settings());
}

#[test]
fn one_class_trains_the_head_only_and_bad_input_is_refused() {
    let x = uniform(200, 2, 1.0, 31);
    let params = SiameseClassifier::params(vec![(-1.0, 1.0); 2])
        .latent(8)
        .encoder_epochs(2)
        .head_epochs(2);
    let (_, report) = params.fit(x.view(), Array1::from_elem(200, false).view()).unwrap();
    assert_eq!(report.encoder_epochs, 0);
    assert!(report.encoder_loss.is_nan());

    let y = Array1::from_elem(200, true);
    let wrong = uniform(200, 3, 1.0, 1);
    assert!(matches!(
        params.fit(wrong.view(), y.view()),
        Err(SurrogateError::Dimension { expected: 2, got: 3 })
    ));
    assert!(matches!(
        params.fit(x.view(), y.slice(ndarray::s![..10])),
        Err(SurrogateError::LengthMismatch { .. })
    ));
    let mut nan = x.clone();
    nan[[3, 0]] = f64::NAN;
    assert!(matches!(
        params.fit(nan.view(), y.view()),
        Err(SurrogateError::NonFinite { what: "x", row: 3 })
    ));
    for bad in [
        params.clone().margin(0.0),
        params.clone().latent(0),
        params.clone().batch_size(0),
        params.clone().learning_rate(-1.0),
    ] {
        assert!(matches!(bad.check(), Err(SurrogateError::InvalidParams(_))));
    }
    assert!(SiameseClassifier::load(std::path::Path::new("/nonexistent"), DeviceChoice::Cpu).is_err());
}

/// Mean Euclidean distance between corresponding rows.
fn mean_shift(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    let sq = (a - b).mapv(|v| v * v);
    sq.rows().into_iter().map(|r| r.sum().sqrt()).sum::<f64>() / a.nrows() as f64
}

#[test]
fn a_warm_update_continues_the_encoders_optimiser_state() {
    // After a converged fit, an update that continues Adam's state moves the embedding
    // far less than the same update from a fresh optimiser (a copy loaded without the
    // saved optimiser state: same weights, same seeds), whose first step moves every
    // weight by the full learning rate. One pair batch per epoch makes the update that
    // first step. (A fresh encoder optimiser in every update gives both the same shift.)
    // A copy loaded with its optimiser state updates exactly like the original.
    let dir = tempfile::tempdir().unwrap();
    let (x, xt) = (uniform(3000, 2, 1.0, 41), uniform(1000, 2, 1.0, 42));
    let circle =
        |x: &Array2<f64>| -> Array1<bool> { x.rows().into_iter().map(|r| r[0] * r[0] + r[1] * r[1] < 0.4).collect() };
    let params = SiameseClassifier::params(vec![(-1.0, 1.0); 2])
        .encoder_hidden(&[32, 32])
        .latent(16)
        .head_hidden(16)
        .anchors_per_epoch(Some(128))
        .learning_rate(2e-3)
        .encoder_epochs(500)
        .head_epochs(20)
        .update_encoder_epochs(1)
        .update_head_epochs(1)
        .seed(7);
    let (mut warm, _) = params.fit(x.view(), circle(&x).view()).unwrap();
    warm.save(dir.path()).unwrap();
    let mut resumed = SiameseClassifier::load(dir.path(), DeviceChoice::Cpu).unwrap();
    for net in ["encoder", "head"] {
        std::fs::remove_file(dir.path().join(format!("{net}.adam.safetensors"))).unwrap();
    }
    let mut cold = SiameseClassifier::load(dir.path(), DeviceChoice::Cpu).unwrap();
    let before = warm.embed(xt.view()).unwrap();
    let (acc_before, _) = accuracy(warm.predict(xt.view()).unwrap().view(), circle(&xt).view());
    warm.update(x.view(), circle(&x).view()).unwrap();
    resumed.update(x.view(), circle(&x).view()).unwrap();
    cold.update(x.view(), circle(&x).view()).unwrap();
    assert_eq!(
        warm.embed(xt.view()).unwrap(),
        resumed.embed(xt.view()).unwrap(),
        "a save and load changes nothing about the next update"
    );
    let (warm_shift, cold_shift) = (
        mean_shift(&warm.embed(xt.view()).unwrap(), &before),
        mean_shift(&cold.embed(xt.view()).unwrap(), &before),
    );
    let (acc_after, _) = accuracy(warm.predict(xt.view()).unwrap().view(), circle(&xt).view());
    assert!(
        warm_shift < 0.5 * cold_shift,
        "embedding shift: warm {warm_shift}, cold {cold_shift}"
    );
    assert!(
        acc_before > 0.95 && acc_after > acc_before - 0.02,
        "held-out accuracy {acc_before} before, {acc_after} after"
    );
}

#[test]
fn chunked_embedding_for_the_head_matches_one_chunk() {
    // The head trains on the embeddings of the training points, computed on the device in
    // chunks of `predict_chunk` rows: the chunk size must not change what it learns.
    let x = uniform(500, 2, 1.0, 51);
    let y: Array1<bool> = x.rows().into_iter().map(|r| r[0] > r[1]).collect();
    let params = SiameseClassifier::params(vec![(-1.0, 1.0); 2])
        .latent(8)
        .encoder_epochs(2)
        .head_epochs(2)
        .seed(9);
    let (one, _) = params.fit(x.view(), y.view()).unwrap();
    let (many, _) = params.clone().predict_chunk(7).fit(x.view(), y.view()).unwrap();
    let (p1, p2) = (
        one.predict_proba(x.view()).unwrap(),
        many.predict_proba(x.view()).unwrap(),
    );
    let (e1, e2) = (one.embed(x.view()).unwrap(), many.embed(x.view()).unwrap());
    assert!(
        mean_shift(&e1, &e2) < 1e-6,
        "embeddings differ by {}",
        mean_shift(&e1, &e2)
    );
    assert!(
        p1.iter().zip(&p2).all(|(a, b)| (a - b).abs() < 1e-6),
        "same seed and data, chunking must not matter"
    );
}
