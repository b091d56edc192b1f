//! Agreement with Python vegas 6.4.1 (`tests/fixtures/vegas-fixture.json`, made by vegas
//! itself; `case_5d_x.f64` holds that case's input points, regenerated with numpy).

use ndarray::{Array1, Array2};
use serde_json::Value;
use vegas_map::{AdaptiveMap, TrainingParams};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/vegas-fixture.json")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

fn array2(v: &Value) -> Array2<f64> {
    let rows = matrix(v);
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

/// |a − b| ≤ 1e-10 · max(|a|, |b|), with an absolute floor for values near zero.
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-10 * g.abs().max(w.abs()).max(1e-300);
        assert!((g - w).abs() <= tol, "{what}[{i}]: got {g:e}, want {w:e}");
    }
}

fn assert_grid(what: &str, map: &AdaptiveMap, want: &[Vec<f64>]) {
    assert_eq!(map.dim(), want.len(), "{what}: directions");
    for (d, w) in want.iter().enumerate() {
        assert_close(&format!("{what} dir {d}"), map.edges(d), w);
    }
}

#[test]
fn case_2d_adapt_to_samples_matches_vegas() {
    let fx = fixture();
    let c = &fx["case_2d"];
    let x = array2(&c["x"]);
    let f = Array1::from(floats(&c["f"]));
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 10).unwrap();
    map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default())
        .unwrap();
    assert_eq!(map.ninc(0), c["final_ninc"].as_u64().unwrap() as usize);
    assert_grid("case_2d final grid", &map, &matrix(&c["grid"]));

    // map, jac, jac1d at fixed y (one coordinate exactly 1), invmap at fixed x.
    let y = array2(&c["y_points"]);
    let mut xs = Array2::zeros(y.dim());
    let mut jac = Array1::zeros(y.nrows());
    map.map(y.view(), xs.view_mut(), jac.view_mut()).unwrap();
    assert_close("map", xs.as_slice().unwrap(), &matrix(&c["x_of_y"]).concat());
    assert_close("jac", jac.as_slice().unwrap(), &floats(&c["jac_of_y"]));
    let j1 = map.jac1d(y.view()).unwrap();
    assert_close("jac1d", j1.as_slice().unwrap(), &matrix(&c["jac1d_of_y"]).concat());
    let xp = array2(&c["x_points_for_invmap"]);
    let mut yi = Array2::zeros(xp.dim());
    let mut ji = Array1::zeros(xp.nrows());
    map.invmap(xp.view(), yi.view_mut(), ji.view_mut()).unwrap();
    assert_close("invmap y", yi.as_slice().unwrap(), &matrix(&c["invmap_y"]).concat());
    assert_close("invmap jac", ji.as_slice().unwrap(), &floats(&c["invmap_jac"]));
}

#[test]
fn case_2d_step_by_step_matches_every_iteration() {
    let fx = fixture();
    let c = &fx["case_2d"];
    let x = array2(&c["x"]);
    let f = Array1::from(floats(&c["f"]));
    let n_train = c["training_ninc"].as_u64().unwrap() as usize;
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 10).unwrap();
    map.adapt(0.0, Some(&[n_train])).unwrap();
    assert_grid("pre-regrid", &map, &matrix(&c["grid_after_pre_regrid"]));
    for (k, it) in c["iterations"].as_array().unwrap().iter().enumerate() {
        let mut y = Array2::zeros(x.dim());
        let mut jac = Array1::zeros(x.nrows());
        map.invmap(x.view(), y.view_mut(), jac.view_mut()).unwrap();
        let w: Array1<f64> = jac.iter().zip(&f).map(|(j, f)| (j * f) * (j * f)).collect();
        map.add_training_data(y.view(), w.view()).unwrap();
        let means = map.training_means().unwrap();
        for (d, want) in matrix(&it["bin_avg"]).iter().enumerate() {
            assert_close(&format!("iteration {k} bin means dir {d}"), &means[d], want);
        }
        map.adapt(1.0, Some(&[n_train])).unwrap();
        assert_grid(&format!("iteration {k} grid"), &map, &matrix(&it["grid"]));
    }
}

#[test]
fn case_5d_matches_vegas() {
    let fx = fixture();
    let c = &fx["case_5d"];
    let raw = include_bytes!("fixtures/case_5d_x.f64");
    let values: Vec<f64> = raw
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let x = Array2::from_shape_vec((10_000, 5), values).unwrap();
    assert_close(
        "regenerated x",
        x.slice(ndarray::s![0..3, ..]).to_owned().as_slice().unwrap(),
        &matrix(&c["x_first_rows"]).concat(),
    );
    let centre = [0.2, 0.35, 0.5, 0.65, 0.8];
    let f: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|p| (-20.0 * p.iter().zip(&centre).map(|(v, c)| (v - c).powi(2)).sum::<f64>()).exp())
        .collect();
    assert_close("f first", &f.as_slice().unwrap()[..3], &floats(&c["f_first"]));
    let total: f64 = f.iter().sum();
    assert!((total - c["f_sum"].as_f64().unwrap()).abs() < 1e-9);
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0); 5], 100).unwrap();
    map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default())
        .unwrap();
    assert_grid("case_5d grid", &map, &matrix(&c["grid"]));
}

#[test]
fn case_adapt_unit_all_alphas() {
    let fx = fixture();
    let c = &fx["case_adapt_unit"];
    let y = Array2::from_shape_vec((16, 1), floats(&c["y"])).unwrap();
    let w = Array1::from(floats(&c["w"]));
    let n0 = c["initial_ninc"].as_u64().unwrap() as usize;
    for r in c["results"].as_array().unwrap() {
        let (alpha, ninc) = (r["alpha"].as_f64().unwrap(), r["ninc"].as_u64().unwrap() as usize);
        let mut map = AdaptiveMap::uniform(&[(0.0, 1.0)], n0).unwrap();
        map.add_training_data(y.view(), w.view()).unwrap();
        map.adapt(alpha, Some(&[ninc])).unwrap();
        assert_close(&format!("alpha {alpha} ninc {ninc}"), map.edges(0), &floats(&r["grid"]));
    }
}

#[test]
fn zero_and_partially_zero_weights() {
    let fx = fixture();
    let c = &fx["case_zero_weights"];
    let x = array2(&fx["case_2d"]["x"]);
    let f = Array1::zeros(x.nrows());
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 10).unwrap();
    map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default())
        .unwrap();
    assert_grid("zero weights", &map, &matrix(&c["grid"]));
    assert!(map.edges(0).iter().all(|e| e.is_finite()));

    let c = &fx["case_partial_zero"];
    let y = Array2::from_shape_vec((10, 1), (0..10).map(|i| (i as f64 + 0.5) / 10.0).collect()).unwrap();
    let w = Array1::from(vec![0.0, 0.0, 0.0, 1.0, 4.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0)], 10).unwrap();
    map.add_training_data(y.view(), w.view()).unwrap();
    map.adapt(1.0, None).unwrap();
    assert_close("partial zero", map.edges(0), &floats(&c["grid"]));
}
