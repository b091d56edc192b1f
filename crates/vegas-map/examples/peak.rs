//! Importance-sample a sharply peaked 2-D function with a trained VEGAS map and compare
//! the variance of the integral estimate with plain uniform sampling.
//!
//!     cargo run --release -p vegas-map --example peak

use ndarray::{Array1, ArrayView1};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use vegas_map::{AdaptiveMap, TrainingParams};

fn f(p: ArrayView1<f64>) -> f64 {
    (-200.0 * ((p[0] - 0.3).powi(2) + (p[1] - 0.7).powi(2))).exp()
}

/// Mean and standard error of the estimates f(x)·J(x).
fn estimate(map: &AdaptiveMap, n: usize, rng: &mut Xoshiro256PlusPlus) -> (f64, f64) {
    let s = map.sample(n, rng);
    let values: Vec<f64> = s.x.rows().into_iter().zip(&s.jac).map(|(p, j)| f(p) * j).collect();
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, (var / n as f64).sqrt())
}

fn main() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let exact = std::f64::consts::PI / 200.0; // the peak lies well inside the unit square
    let uniform = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 1).unwrap();
    let (plain, plain_err) = estimate(&uniform, 100_000, &mut rng);

    // Train on 20 000 uniform points weighted by f.
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 100).unwrap();
    let x = uniform.sample(20_000, &mut rng).x;
    let fx: Array1<f64> = x.rows().into_iter().map(f).collect();
    map.adapt_to_samples(x.view(), fx.view(), &TrainingParams::default())
        .unwrap();
    let (vegas, vegas_err) = estimate(&map, 100_000, &mut rng);

    println!("exact integral        {exact:.6}");
    println!("uniform sampling      {plain:.6} ± {plain_err:.6}");
    println!("VEGAS-map sampling    {vegas:.6} ± {vegas_err:.6}");
    println!("variance reduction    {:.0}×", (plain_err / vegas_err).powi(2));
}
