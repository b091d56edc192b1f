//! Properties that hold for every map, trained or not.

use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use vegas_map::{AdaptiveMap, TrainingParams, VegasError};

/// A map of a random box, trained on a random peaked function.
fn trained_map(dim: usize, lo: f64, width: f64, centre: f64, sharpness: f64, seed: u64) -> AdaptiveMap {
    let bounds = vec![(lo, lo + width); dim];
    let mut map = AdaptiveMap::uniform(&bounds, 50).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = map.sample(400, &mut rng).x;
    let f: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|p| (-sharpness * p.iter().map(|v| ((v - lo) / width - centre).powi(2)).sum::<f64>()).exp())
        .collect();
    let params = TrainingParams {
        maxinc_axis: 60,
        ..Default::default()
    };
    map.adapt_to_samples(x.view(), f.view(), &params).unwrap();
    map
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn edges_strictly_increase_and_keep_the_box(dim in 1usize..4, lo in -100.0..100.0f64, width in 0.01..1000.0f64,
                                               centre in 0.0..1.0f64, sharpness in 0.0..400.0f64, seed in 0u64..1000) {
        let map = trained_map(dim, lo, width, centre, sharpness, seed);
        for d in 0..dim {
            let e = map.edges(d);
            prop_assert!(e.windows(2).all(|w| w[0] < w[1]), "edges not increasing");
            prop_assert_eq!(e[0], lo);
            prop_assert_eq!(*e.last().unwrap(), lo + width);
            prop_assert!(map.widths(d).iter().all(|w| *w > 0.0));
        }
    }

    #[test]
    fn map_then_invmap_is_the_identity(dim in 1usize..4, centre in 0.0..1.0f64, sharpness in 0.0..400.0f64,
                                       seed in 0u64..1000, y in prop::collection::vec(0.0..1.0f64, 3)) {
        let map = trained_map(dim, -3.0, 7.0, centre, sharpness, seed);
        let y = &y[..dim];
        let mut x = vec![0.0; dim];
        let jac = map.map_point(y, &mut x);
        let mut back = vec![0.0; dim];
        let jac_back = map.invmap_point(&x, &mut back);
        for d in 0..dim {
            // x carries a rounding error of a few ulps of |x|; inside an increment the inverse
            // divides it by the local slope dx/dy, which a sharp peak makes small.
            let n = map.ninc(d);
            let slope = map.widths(d)[((y[d] * n as f64) as usize).min(n - 1)] * n as f64;
            let tol = 1e-13 + 8.0 * f64::EPSILON * x[d].abs().max(1.0) / slope;
            prop_assert!((back[d] - y[d]).abs() <= tol, "y {} -> x {} -> y {} (tolerance {})", y[d], x[d], back[d], tol);
        }
        prop_assert!((jac - jac_back).abs() <= 1e-9 * jac.abs());
    }

    #[test]
    fn jacobian_is_the_derivative(centre in 0.0..1.0f64, sharpness in 0.0..400.0f64, seed in 0u64..1000, y in 0.001..0.999f64) {
        let map = trained_map(1, 2.0, 5.0, centre, sharpness, seed);
        let (mut x0, mut x1, mut xm) = ([0.0], [0.0], [0.0]);
        let jac = map.map_point(&[y], &mut xm);
        // The map is linear inside an increment: a step that stays inside it gives the exact
        // slope; take one well inside.
        let n = map.ninc(0) as f64;
        let i = (y * n).floor();
        let (a, b) = ((i + 0.25) / n, (i + 0.75) / n);
        map.map_point(&[a], &mut x0);
        map.map_point(&[b], &mut x1);
        let slope = (x1[0] - x0[0]) / (b - a);
        prop_assert!((slope - jac).abs() <= 1e-6 * jac.abs(), "slope {} jac {}", slope, jac);
    }

    #[test]
    fn untrained_map_is_the_scaling_of_the_box(lo in -50.0..50.0f64, width in 0.1..100.0f64, ninc in 1usize..200,
                                               y in 0.0..=1.0f64) {
        let map = AdaptiveMap::uniform(&[(lo, lo + width)], ninc).unwrap();
        let mut x = [0.0];
        let jac = map.map_point(&[y], &mut x);
        prop_assert!((x[0] - (lo + width * y)).abs() <= 1e-12 * (lo.abs() + width));
        prop_assert!((jac - width).abs() <= 1e-9 * width);
    }
}

#[test]
fn sampling_is_deterministic_and_thread_count_free() {
    let map = trained_map(3, 0.0, 1.0, 0.3, 50.0, 9);
    let a = map.sample(1000, &mut Xoshiro256PlusPlus::seed_from_u64(5));
    let b = map.sample(1000, &mut Xoshiro256PlusPlus::seed_from_u64(5));
    assert_eq!(a, b);
    let n = 3 * vegas_map::SAMPLE_BLOCK + 17;
    let draw = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| map.sample_parallel(n, &mut Xoshiro256PlusPlus::seed_from_u64(5)))
    };
    let (one, four) = (draw(1), draw(4));
    assert_eq!(one, four);
    assert_eq!(one.x.nrows(), n);
    // The Jacobian returned is the map's at the drawn point.
    for (row, j) in one.x.rows().into_iter().zip(&one.jac).take(100) {
        let mut y = [0.0; 3];
        let jj = map.invmap_point(row.as_slice().unwrap(), &mut y);
        assert!((jj - j).abs() <= 1e-9 * j);
    }
}

#[test]
fn every_sampling_path_draws_inside_the_box_with_the_maps_jacobian() {
    // Dimensions 1–8 have unrolled loops (even and odd rows share draws), larger ones a
    // generic loop, and grids over 2^20 increments a float path: all must agree with the
    // map. An odd number of rows leaves an unpaired last row.
    let large_grid = {
        let edges: Vec<f64> = (0..=(1 << 20) + 5).map(|i| (i as f64).powf(1.5)).collect();
        AdaptiveMap::new(vec![edges.clone(), edges]).unwrap()
    };
    let maps = [1usize, 2, 3, 4, 5, 6, 7, 8, 9, 12]
        .map(|dim| trained_map(dim, -2.0, 5.0, 0.3, 60.0, dim as u64))
        .into_iter()
        .chain([large_grid]);
    for map in maps {
        let dim = map.dim();
        let s = map.sample(1001, &mut Xoshiro256PlusPlus::seed_from_u64(7));
        assert_eq!(s.x.dim(), (1001, dim));
        let mut y = vec![0.0; dim];
        for (row, &j) in s.x.rows().into_iter().zip(&s.jac) {
            for d in 0..dim {
                let (lo, hi) = map.bounds(d);
                assert!(row[d] >= lo && row[d] <= hi, "dim {dim}: {row}");
            }
            let jj = map.invmap_point(row.as_slice().unwrap(), &mut y);
            assert!((jj - j).abs() <= 1e-9 * j, "dim {dim}: {jj} vs {j}");
        }
        // Distinct rows: no coordinate stream is reused.
        let mut firsts: Vec<u64> = s.x.column(dim - 1).iter().map(|v| v.to_bits()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        assert_eq!(firsts.len(), 1001, "dim {dim}");
    }
}

#[test]
fn trained_sampling_has_density_one_over_jacobian() {
    // Importance sampling with the trained map integrates exactly: E[f·J] = ∫ f.
    let map = trained_map(2, 0.0, 1.0, 0.4, 80.0, 1);
    let s = map.sample(200_000, &mut Xoshiro256PlusPlus::seed_from_u64(2));
    let f = |p: ndarray::ArrayView1<f64>| (-80.0 * ((p[0] - 0.4).powi(2) + (p[1] - 0.4).powi(2))).exp();
    let estimates: Vec<f64> = s.x.rows().into_iter().zip(&s.jac).map(|(p, j)| f(p) * j).collect();
    let mean = estimates.iter().sum::<f64>() / estimates.len() as f64;
    let exact =
        std::f64::consts::PI / 80.0 * (statrs_erf(0.6 * 80f64.sqrt()) + statrs_erf(0.4 * 80f64.sqrt())).powi(2) / 4.0;
    assert!((mean - exact).abs() < 2e-3 * exact, "{mean} vs {exact}");
    // and with much less variance than uniform sampling.
    let var_map = estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / estimates.len() as f64;
    let uniform = AdaptiveMap::uniform(&[(0.0, 1.0); 2], 1)
        .unwrap()
        .sample(200_000, &mut Xoshiro256PlusPlus::seed_from_u64(2));
    let plain: Vec<f64> = uniform.x.rows().into_iter().map(f).collect();
    let m = plain.iter().sum::<f64>() / plain.len() as f64;
    let var_uniform = plain.iter().map(|e| (e - m).powi(2)).sum::<f64>() / plain.len() as f64;
    assert!(
        var_map < var_uniform / 10.0,
        "variance {var_map} vs uniform {var_uniform}"
    );
}

/// erf by Abramowitz–Stegun 7.1.26 is too coarse here; use the series/continued fraction
/// through the complementary function for |x| ≤ 6 with 1e-12 accuracy.
fn statrs_erf(x: f64) -> f64 {
    // Taylor series converges fast enough for the arguments used (≤ 5.4).
    let mut sum = x;
    let mut term = x;
    let mut k = 0.0;
    loop {
        k += 1.0;
        term *= -x * x / k;
        let add = term / (2.0 * k + 1.0);
        sum += add;
        if add.abs() < 1e-17 {
            break;
        }
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

#[test]
fn serde_round_trip_keeps_the_map() {
    let mut map = trained_map(2, -1.0, 2.0, 0.7, 30.0, 4);
    let y = Array2::from_shape_vec((3, 2), vec![0.1, 0.2, 0.5, 0.5, 0.9, 0.3]).unwrap();
    map.add_training_data(y.view(), Array1::from(vec![1.0, 2.0, 3.0]).view())
        .unwrap();
    let text = serde_json::to_string(&map).unwrap();
    let back: AdaptiveMap = serde_json::from_str(&text).unwrap();
    assert_eq!(back, map);
    let bad = text.replace("-1.0", "5.0");
    assert!(
        serde_json::from_str::<AdaptiveMap>(&bad).is_err(),
        "non-increasing edges are refused on load"
    );
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(AdaptiveMap::new(vec![]).unwrap_err(), VegasError::NoDirections);
    assert!(matches!(
        AdaptiveMap::new(vec![vec![0.0]]),
        Err(VegasError::TooFewEdges { .. })
    ));
    assert!(matches!(
        AdaptiveMap::new(vec![vec![0.0, 1.0, 0.5]]),
        Err(VegasError::BadEdges { dim: 0 })
    ));
    assert!(matches!(
        AdaptiveMap::new(vec![vec![0.0, f64::NAN]]),
        Err(VegasError::BadEdges { dim: 0 })
    ));
    assert_eq!(
        AdaptiveMap::uniform(&[(0.0, 1.0)], 0).unwrap_err(),
        VegasError::ZeroIncrements
    );
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0); 2], 4).unwrap();
    let x = Array2::<f64>::zeros((10, 2));
    let f = Array1::<f64>::zeros(10);
    assert!(matches!(
        map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default()),
        Err(VegasError::NotEnoughSamples { n: 10, .. })
    ));
    assert!(matches!(
        map.adapt_to_samples(x.view(), Array1::zeros(9).view(), &TrainingParams::default()),
        Err(VegasError::Shape(_))
    ));
    let x3 = Array2::<f64>::zeros((30, 3));
    assert!(matches!(
        map.adapt_to_samples(x3.view(), Array1::zeros(30).view(), &TrainingParams::default()),
        Err(VegasError::Shape(_))
    ));
    let mut fnan = Array1::<f64>::zeros(30);
    fnan[3] = f64::NAN;
    assert!(matches!(
        map.adapt_to_samples(Array2::zeros((30, 2)).view(), fnan.view(), &TrainingParams::default()),
        Err(VegasError::NonFinite("f"))
    ));
    assert!(matches!(
        map.adapt(1.0, Some(&[3, 3, 3])),
        Err(VegasError::NincLength { expected: 2, got: 3 })
    ));
    assert_eq!(map.adapt(1.0, Some(&[0])).unwrap_err(), VegasError::ZeroIncrements);
}
