//! What the oversamplers promise: points on segments between real neighbours, the counts the
//! strategy asks for, determinism, clear errors, and statistics that agree with
//! imbalanced-learn 0.14.2 (`tests/fixtures/imblearn_reference.json`, made by
//! `benches/reference/smote_reference.py` at the workspace root).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use proptest::prelude::*;
use serde_json::Value;
use smote::{Adasyn, BorderlineKind, BorderlineSmote, Oversample, Resampled, SamplingStrategy, Smote, SmoteError};

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/imblearn_reference.json")).unwrap()
}

fn reference_data(r: &Value) -> (Array2<f64>, Array1<usize>) {
    let rows: Vec<Vec<f64>> = r["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect();
    let x = Array2::from_shape_vec((rows.len(), rows[0].len()), rows.concat()).unwrap();
    let y = r["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    (x, y)
}

/// The k nearest points of `rows` (indices into x) to point `of`, by brute force.
fn brute_neighbours(x: ArrayView2<f64>, rows: &[usize], of: usize, k: usize) -> Vec<usize> {
    let mut d: Vec<(f64, usize)> = rows
        .iter()
        .filter(|&&r| r != of)
        .map(|&r| {
            (
                x.row(r)
                    .iter()
                    .zip(x.row(of).iter())
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>(),
                r,
            )
        })
        .collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0));
    d.into_iter().take(k).map(|(_, r)| r).collect()
}

/// Whether `candidate` is among the k nearest of `rows` to `of` (ties at the k-th distance
/// count as among them).
fn among_k_nearest(x: ArrayView2<f64>, rows: &[usize], of: usize, k: usize, candidate: usize) -> bool {
    let dist = |r: usize| {
        x.row(r)
            .iter()
            .zip(x.row(of).iter())
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
    };
    let kth = brute_neighbours(x, rows, of, k).last().map(|&r| dist(r)).unwrap();
    candidate != of && rows.contains(&candidate) && dist(candidate) <= kth
}

/// Every synthetic point is exactly base + step·(neighbour − base), with step in range.
fn assert_on_segments(x: ArrayView2<f64>, r: &Resampled, max_step: f64) {
    for (i, p) in r.provenance.iter().enumerate() {
        assert!((0.0..max_step).contains(&p.step), "step {}", p.step);
        for c in 0..x.ncols() {
            let (a, b) = (x[[p.base, c]], x[[p.neighbour, c]]);
            assert_eq!(r.x[[i, c]], a + p.step * (b - a), "synthetic point {i} column {c}");
        }
    }
}

fn two_blobs(n_min: usize, n_maj: usize) -> (Array2<f64>, Array1<usize>) {
    let x = Array2::from_shape_fn((n_min + n_maj, 3), |(i, c)| {
        let t = i as f64 * 0.618_033_988_7 + c as f64 * 0.414;
        let u = t - t.floor();
        if i < n_min { u } else { 0.7 + 2.0 * u }
    });
    let y = Array1::from_shape_fn(n_min + n_maj, |i| usize::from(i < n_min));
    (x, y)
}

#[test]
fn smote_points_lie_between_a_point_and_one_of_its_k_nearest_minority_neighbours() {
    let (x, y) = two_blobs(60, 400);
    let minority: Vec<usize> = (0..60).collect();
    for k in [1, 3, 5] {
        let r = Smote::params()
            .k_neighbors(k)
            .seed(3)
            .check()
            .unwrap()
            .resample(x.view(), y.view())
            .unwrap();
        assert_eq!(r.len(), 340);
        assert!(r.y.iter().all(|&c| c == 1));
        assert_on_segments(x.view(), &r, 1.0);
        for p in &r.provenance {
            assert!(p.base < 60 && p.neighbour < 60);
            assert!(
                among_k_nearest(x.view(), &minority, p.base, k, p.neighbour),
                "not among the {k} nearest"
            );
        }
    }
}

#[test]
fn strategies_give_the_requested_counts() {
    let (x, y) = two_blobs(50, 400);
    let count = |s| {
        Smote::params()
            .strategy(s)
            .check()
            .unwrap()
            .resample(x.view(), y.view())
            .unwrap()
            .len()
    };
    assert_eq!(count(SamplingStrategy::Balance), 350);
    assert_eq!(count(SamplingStrategy::Ratio(0.5)), 150);
    assert_eq!(count(SamplingStrategy::Ratio(0.1)), 0, "already above the ratio");
    assert_eq!(count(SamplingStrategy::Count(1234)), 1234);
    let (xa, ya) = Smote::params()
        .check()
        .unwrap()
        .resample_augmented(x.view(), y.view())
        .unwrap();
    assert_eq!(xa.nrows(), 800);
    assert_eq!(xa.slice(ndarray::s![..450, ..]), x);
    assert_eq!(ya.iter().filter(|&&c| c == 1).count(), 400);
}

#[test]
fn several_minority_classes_are_each_balanced() {
    let (x, mut y) = two_blobs(90, 300);
    for i in 0..30 {
        y[i] = 2;
    }
    let r = Smote::params()
        .k_neighbors(3)
        .check()
        .unwrap()
        .resample(x.view(), y.view())
        .unwrap();
    assert_eq!(r.y.iter().filter(|&&c| c == 1).count(), 240);
    assert_eq!(r.y.iter().filter(|&&c| c == 2).count(), 270);
    for (p, &label) in r.provenance.iter().zip(&r.y) {
        assert_eq!(y[p.base], label);
        assert_eq!(y[p.neighbour], label, "neighbours come from the same class");
    }
}

#[test]
fn same_seed_same_points_other_seed_other_points() {
    let (x, y) = two_blobs(40, 200);
    let run = |seed| {
        Smote::params()
            .seed(seed)
            .check()
            .unwrap()
            .resample(x.view(), y.view())
            .unwrap()
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9).x, run(10).x);
    let b = |seed| {
        BorderlineSmote::params()
            .kind(BorderlineKind::Two)
            .seed(seed)
            .check()
            .unwrap()
            .resample(x.view(), y.view())
            .unwrap()
    };
    assert_eq!(b(4), b(4));
    let (xr, yr) = reference_data(&reference());
    let a = |seed| {
        Adasyn::params()
            .seed(seed)
            .check()
            .unwrap()
            .resample(xr.view(), yr.view())
            .unwrap()
    };
    assert_eq!(a(4), a(4));
    assert_ne!(a(4).x, a(5).x);
}

#[test]
fn borderline_uses_only_points_in_danger() {
    let r = reference();
    let (x, y) = reference_data(&r);
    let minority: Vec<usize> = (0..x.nrows()).filter(|&i| y[i] == 1).collect();
    let all: Vec<usize> = (0..x.nrows()).collect();
    let one = BorderlineSmote::params()
        .check()
        .unwrap()
        .resample(x.view(), y.view())
        .unwrap();
    assert_eq!(one.len(), 1200);
    assert_on_segments(x.view(), &one, 1.0);
    for p in one.provenance.iter().take(300) {
        let foreign = brute_neighbours(x.view(), &all, p.base, 10)
            .iter()
            .filter(|&&j| y[j] != 1)
            .count();
        assert!(
            (5..10).contains(&foreign),
            "base point with {foreign} foreign neighbours of 10 is not in danger"
        );
        assert!(among_k_nearest(x.view(), &minority, p.base, 5, p.neighbour));
    }
    let two = BorderlineSmote::params()
        .kind(BorderlineKind::Two)
        .check()
        .unwrap()
        .resample(x.view(), y.view())
        .unwrap();
    assert_eq!(two.len(), 1200);
    let towards_majority: Vec<_> = two.provenance.iter().filter(|p| y[p.neighbour] == 0).collect();
    assert!(!towards_majority.is_empty() && towards_majority.len() < 1200);
    assert!(
        towards_majority.iter().all(|p| p.step < 0.5),
        "steps towards the majority stay below 1/2"
    );
    assert_on_segments(x.view(), &two, 1.0);
}

#[test]
fn adasyn_favours_hard_points() {
    let r = reference();
    let (x, y) = reference_data(&r);
    let out = Adasyn::params().check().unwrap().resample(x.view(), y.view()).unwrap();
    assert!((out.len() as i64 - 1200).abs() < 40, "{}", out.len());
    assert_on_segments(x.view(), &out, 1.0);
    let all: Vec<usize> = (0..x.nrows()).collect();
    let mut per_base = std::collections::HashMap::new();
    for p in &out.provenance {
        *per_base.entry(p.base).or_insert(0usize) += 1;
    }
    // A point with no foreign neighbour gets nothing; the hardest get the most.
    for (&base, &n) in per_base.iter().take(100) {
        let foreign = brute_neighbours(x.view(), &all, base, 5)
            .iter()
            .filter(|&&j| y[j] != 1)
            .count();
        assert!(foreign > 0, "point {base} ({n} synthetic) has no foreign neighbour");
    }
}

fn mean_cov(x: &Array2<f64>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mean = x.mean_axis(Axis(0)).unwrap();
    let centred = x - &mean;
    let cov = centred.t().dot(&centred) / (x.nrows() - 1) as f64;
    (mean.to_vec(), cov.rows().into_iter().map(|r| r.to_vec()).collect())
}

fn stats_of(v: &Value) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mean = v["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let cov = v["cov"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect();
    (mean, cov)
}

/// Pool the synthetic points of 10 seeds, as the reference did, and compare the class
/// statistics. The tolerance is far below the differences between the algorithms
/// (0.05–0.3 in the means), so a wrong algorithm fails.
fn compare(name: &str, make: impl Fn(u64) -> Box<dyn Oversample>) {
    let r = reference();
    let (x, y) = reference_data(&r);
    let chunks: Vec<Array2<f64>> = (0..10)
        .map(|s| make(100 + s).resample(x.view(), y.view()).unwrap().x)
        .collect();
    let views: Vec<_> = chunks.iter().map(|c| c.view()).collect();
    let pooled = ndarray::concatenate(Axis(0), &views).unwrap();
    let (mean, cov) = mean_cov(&pooled);
    let (want_mean, want_cov) = stats_of(&r[name]);
    for d in 0..mean.len() {
        assert!(
            (mean[d] - want_mean[d]).abs() < 0.025,
            "{name}: mean[{d}] {} vs imblearn {}",
            mean[d],
            want_mean[d]
        );
        for e in 0..mean.len() {
            assert!(
                (cov[d][e] - want_cov[d][e]).abs() < 0.025,
                "{name}: cov[{d}][{e}] {} vs imblearn {}",
                cov[d][e],
                want_cov[d][e]
            );
        }
    }
}

#[test]
fn statistics_agree_with_imbalanced_learn() {
    let count = SamplingStrategy::Count(2000);
    compare("smote_k5", |s| {
        Box::new(Smote::params().strategy(count).seed(s).check().unwrap())
    });
    compare("smote_k3", |s| {
        Box::new(Smote::params().k_neighbors(3).strategy(count).seed(s).check().unwrap())
    });
    compare("borderline1", |s| {
        Box::new(BorderlineSmote::params().strategy(count).seed(s).check().unwrap())
    });
    compare("borderline2", |s| {
        Box::new(
            BorderlineSmote::params()
                .kind(BorderlineKind::Two)
                .strategy(count)
                .seed(s)
                .check()
                .unwrap(),
        )
    });
    compare("adasyn", |s| {
        Box::new(Adasyn::params().strategy(count).seed(s).check().unwrap())
    });
}

#[test]
fn bad_input_gives_clear_errors() {
    let (x, y) = two_blobs(4, 20);
    let smote = Smote::params().check().unwrap();
    assert_eq!(
        smote.resample(x.view(), y.view()).unwrap_err(),
        SmoteError::TooFewSamples {
            class: 1,
            n: 4,
            k: 5,
            needed: 6
        }
    );
    assert!(
        smote
            .resample(x.view(), y.view())
            .unwrap_err()
            .to_string()
            .contains("class 1 has 4 points; 6 are needed")
    );
    let y_short = y.slice(ndarray::s![..10]).to_owned();
    assert_eq!(
        smote.resample(x.view(), y_short.view()).unwrap_err(),
        SmoteError::LengthMismatch { rows: 24, labels: 10 }
    );
    let ones = Array1::from_elem(24, 3usize);
    assert_eq!(
        smote.resample(x.view(), ones.view()).unwrap_err(),
        SmoteError::SingleClass(3)
    );
    let mut bad = x.clone();
    bad[[7, 2]] = f64::NAN;
    assert_eq!(
        smote.resample(bad.view(), y.view()).unwrap_err(),
        SmoteError::NonFinite { row: 7, column: 2 }
    );
    let empty = Array2::<f64>::zeros((0, 3));
    assert_eq!(
        smote.resample(empty.view(), Array1::zeros(0).view()).unwrap_err(),
        SmoteError::Empty
    );
    assert!(matches!(
        Smote::params().k_neighbors(0).check(),
        Err(SmoteError::InvalidParams(_))
    ));
    assert!(matches!(
        Smote::params().strategy(SamplingStrategy::Ratio(1.5)).check(),
        Err(SmoteError::InvalidParams(_))
    ));
    assert!(matches!(
        BorderlineSmote::params().m_neighbors(0).check(),
        Err(SmoteError::InvalidParams(_))
    ));
    // ADASYN with perfectly separated classes has nothing hard to oversample.
    let far = Array2::from_shape_fn((40, 2), |(i, c)| {
        if i < 10 {
            (i + c) as f64 * 0.01
        } else {
            100.0 + (i * c) as f64
        }
    });
    let labels = Array1::from_shape_fn(40, |i| usize::from(i < 10));
    assert_eq!(
        Adasyn::params()
            .check()
            .unwrap()
            .resample(far.view(), labels.view())
            .unwrap_err(),
        SmoteError::NoHardPoints { class: 1 }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_data_any_k(n_min in 4usize..40, n_maj in 40usize..120, k in 1usize..4, seed in 0u64..100, dup in any::<bool>()) {
        let (mut x, y) = two_blobs(n_min, n_maj);
        if dup {
            // Exact duplicates must not break the neighbour search.
            let first = x.row(0).to_owned();
            x.row_mut(1).assign(&first);
        }
        let r = Smote::params().k_neighbors(k).seed(seed).check().unwrap().resample(x.view(), y.view()).unwrap();
        prop_assert_eq!(r.len(), n_maj - n_min);
        for (i, p) in r.provenance.iter().enumerate() {
            prop_assert!(p.base != p.neighbour || dup);
            prop_assert_eq!(y[p.base], 1);
            prop_assert_eq!(y[p.neighbour], 1);
            for c in 0..3 {
                let (a, b) = (x[[p.base, c]], x[[p.neighbour, c]]);
                prop_assert_eq!(r.x[[i, c]], a + p.step * (b - a));
            }
        }
    }
}
