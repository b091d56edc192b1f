//! Balance a rare class with SMOTE, Borderline-SMOTE and ADASYN and show where each puts
//! its synthetic points.
//!
//!     cargo run --release -p smote --example balance

use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use smote::{Adasyn, BorderlineKind, BorderlineSmote, Oversample, Smote};

fn main() {
    // 60 minority points on a ring of radius 1, 1000 majority points in the square [-2, 2]².
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for i in 0..60 {
        let t = i as f64 / 60.0 * std::f64::consts::TAU;
        let r = 1.0 + 0.1 * (rng.random::<f64>() - 0.5);
        rows.extend([r * t.cos(), r * t.sin()]);
        labels.push(1usize);
    }
    for _ in 0..1000 {
        rows.extend([4.0 * rng.random::<f64>() - 2.0, 4.0 * rng.random::<f64>() - 2.0]);
    }
    labels.resize(1060, 0);
    let x = Array2::from_shape_vec((1060, 2), rows).unwrap();
    let y = Array1::from(labels);

    let samplers: Vec<(&str, Box<dyn Oversample>)> = vec![
        (
            "SMOTE",
            Box::new(Smote::params().k_neighbors(3).seed(1).check().unwrap()),
        ),
        (
            "Borderline-SMOTE 1",
            Box::new(BorderlineSmote::params().seed(1).check().unwrap()),
        ),
        (
            "Borderline-SMOTE 2",
            Box::new(
                BorderlineSmote::params()
                    .kind(BorderlineKind::Two)
                    .seed(1)
                    .check()
                    .unwrap(),
            ),
        ),
        ("ADASYN", Box::new(Adasyn::params().seed(1).check().unwrap())),
    ];
    println!(
        "{:<20} {:>9} {:>14} {:>14}",
        "sampler", "synthetic", "mean radius", "radius spread"
    );
    for (name, sampler) in samplers {
        let s = sampler.resample(x.view(), y.view()).unwrap();
        let radii: Vec<f64> = s.x.rows().into_iter().map(|p| p[0].hypot(p[1])).collect();
        let mean = radii.iter().sum::<f64>() / radii.len().max(1) as f64;
        let spread = (radii.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / radii.len().max(1) as f64).sqrt();
        println!("{name:<20} {:>9} {mean:>14.3} {spread:>14.3}", s.len());
    }
}
