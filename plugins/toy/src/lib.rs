//! Toy oracles for testing and benchmarking scans, exported as the `toy` dlscan plugin.
//!
//! Configuration (TOML, every key optional):
//! ```toml
//! function = "O_3d"   # F_2d | O_3d | O_nd | shells
//! dim = 10            # O_nd: total dimension (3 ..= 40)
//! cost_ms = 0.0       # artificial sleep per point, to test parallelism and timeouts
//! centres = [[-5.0, -5.0, 0.0], [5.0, 5.0, 0.0], [0.0, 0.0, 5.0]]  # shells (any dimension 2..=40)
//! radii = [3.0, 3.0, 3.0]                                          # shells
//! [faults]            # deterministic per point, to test failure handling
//! nan = 0.0           # fraction of points returning NaN
//! error = 0.0         # fraction of points reporting a failure
//! panic = 0.0         # fraction of points panicking
//! region = [[-40.0, 0.0], [-40.0, 40.0], [-40.0, 40.0]]  # every point in this box fails,
//!                     # like a spectrum generator rejecting a corner of parameter space
//! ```
//!
//! | function | inputs | outputs | usual box and target |
//! |---|---|---|---|
//! | `F_2d` | 2 | `F` = (2 + cos(x1/5)·cos(x2/7))^5 | [0, 10π]², 95 < F < 105 |
//! | `O_3d` | 3 | `O` = (2 + cos(x1/7)·cos(x2/7)·cos(x3/7))^5, `likelihood` = exp(-½((O-150)/5)²) | [-10π, 10π]³, likelihood > 0.5 |
//! | `O_nd` | dim | `O`, `likelihood` of the first three inputs, `r` = norm of the others | first three as O_3d, others in [-5, 5], likelihood > 0.5 and 7 < r < 8 (dim 10) |
//! | `shells` | that of `centres` (3) | `O` = 100·d/R for the nearest shell (d = distance to its centre, R its radius) | [-10, 10]³, 80 < O < 120 |

use std::time::Duration;

use oracle_api::{FromConfig, Oracle, PointFailure, PointResult, Shape};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Function {
    #[serde(rename = "F_2d")]
    F2d,
    #[serde(rename = "O_3d")]
    O3d,
    #[serde(rename = "O_nd")]
    Ond,
    #[serde(rename = "shells")]
    Shells,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Faults {
    #[serde(default)]
    nan: f64,
    #[serde(default)]
    error: f64,
    #[serde(default)]
    panic: f64,
    /// A box (min, max per input) where every point fails.
    region: Option<Vec<[f64; 2]>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "default_function")]
    function: Function,
    dim: Option<usize>,
    #[serde(default)]
    cost_ms: f64,
    centres: Option<Vec<Vec<f64>>>,
    radii: Option<Vec<f64>>,
    #[serde(default)]
    faults: Faults,
}

fn default_function() -> Function {
    Function::O3d
}

/// F_2d = (2 + cos(x1/5)·cos(x2/7))^5.
pub fn f_2d(x: &[f64]) -> f64 {
    (2.0 + (x[0] / 5.0).cos() * (x[1] / 7.0).cos()).powi(5)
}

/// O_3d = (2 + cos(x1/7)·cos(x2/7)·cos(x3/7))^5.
pub fn o_3d(x: &[f64]) -> f64 {
    (2.0 + (x[0] / 7.0).cos() * (x[1] / 7.0).cos() * (x[2] / 7.0).cos()).powi(5)
}

/// The Gaussian likelihood of O_3d: exp(-½((O-150)/5)²).
pub fn o_3d_likelihood(o: f64) -> f64 {
    (-0.5 * ((o - 150.0) / 5.0).powi(2)).exp()
}

/// The toy oracle.
#[derive(Debug)]
pub struct Toy {
    function: Function,
    shape: Shape,
    cost: Option<Duration>,
    centres: Vec<Vec<f64>>,
    radii: Vec<f64>,
    faults: Faults,
}

impl FromConfig for Toy {
    fn from_config(config: &str) -> Result<Self, String> {
        let c: Config = toml::from_str(config).map_err(|e| format!("toy configuration: {e}"))?;
        if c.function != Function::Ond && c.dim.is_some() {
            return Err("toy configuration: `dim` applies only to function = \"O_nd\"".into());
        }
        if c.function != Function::Shells && (c.centres.is_some() || c.radii.is_some()) {
            return Err("toy configuration: `centres` and `radii` apply only to function = \"shells\"".into());
        }
        let centres = c
            .centres
            .unwrap_or_else(|| vec![vec![-5.0, -5.0, 0.0], vec![5.0, 5.0, 0.0], vec![0.0, 0.0, 5.0]]);
        let radii = c.radii.unwrap_or_else(|| vec![3.0; centres.len()]);
        if centres.len() != radii.len() || centres.is_empty() {
            return Err("toy configuration: `centres` and `radii` must be non-empty and of equal length".into());
        }
        let shells_dim = centres[0].len();
        if !(2..=40).contains(&shells_dim) || centres.iter().any(|c| c.len() != shells_dim) {
            return Err(format!(
                "toy configuration: every centre needs the same number of coordinates, 2 to 40 (the first has {shells_dim})"
            ));
        }
        if radii.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return Err("toy configuration: every radius must be positive".into());
        }
        let (n_inputs, names): (usize, &[&str]) = match c.function {
            Function::F2d => (2, &["F"]),
            Function::O3d => (3, &["O", "likelihood"]),
            Function::Ond => {
                let dim = c.dim.unwrap_or(10);
                if !(3..=40).contains(&dim) {
                    return Err(format!("toy configuration: `dim` = {dim} must lie in 3..=40"));
                }
                (dim, &["O", "likelihood", "r"])
            }
            Function::Shells => (shells_dim, &["O"]),
        };
        if !(c.cost_ms.is_finite() && c.cost_ms >= 0.0) {
            return Err(format!(
                "toy configuration: `cost_ms` = {} must be a non-negative number",
                c.cost_ms
            ));
        }
        for (key, fraction) in [
            ("nan", c.faults.nan),
            ("error", c.faults.error),
            ("panic", c.faults.panic),
        ] {
            if !(0.0..=1.0).contains(&fraction) {
                return Err(format!(
                    "toy configuration: `faults.{key}` = {fraction} must lie in [0, 1]"
                ));
            }
        }
        if let Some(region) = &c.faults.region
            && region.len() != n_inputs
        {
            return Err(format!(
                "toy configuration: `faults.region` gives {} ranges for {n_inputs} inputs",
                region.len()
            ));
        }
        Ok(Toy {
            function: c.function,
            shape: Shape::new(n_inputs, names.iter().copied()),
            cost: (c.cost_ms > 0.0).then(|| Duration::from_secs_f64(c.cost_ms / 1000.0)),
            centres,
            radii,
            faults: c.faults,
        })
    }
}

/// A number in [0, 1) fixed by the point's coordinates (splitmix64 of their bits), so that
/// injected faults hit the same points whatever the batching or thread.
fn point_hash(x: &[f64]) -> f64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for v in x {
        h ^= v.to_bits();
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}

impl Oracle for Toy {
    fn shape(&self) -> &Shape {
        &self.shape
    }

    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        if let Some(cost) = self.cost {
            std::thread::sleep(cost);
        }
        let f = &self.faults;
        if let Some(region) = &f.region
            && x.iter().zip(region).all(|(v, [lo, hi])| v >= lo && v <= hi)
        {
            return Err(PointFailure::Failed("the point lies in the failing region".into()));
        }
        if f.nan + f.error + f.panic > 0.0 {
            let u = point_hash(x);
            if u < f.nan {
                out.fill(f64::NAN);
                return Ok(());
            } else if u < f.nan + f.error {
                return Err(PointFailure::Failed(format!("injected failure at u = {u:.4}")));
            } else if u < f.nan + f.error + f.panic {
                panic!("injected panic at u = {u:.4}");
            }
        }
        match self.function {
            Function::F2d => out[0] = f_2d(x),
            Function::O3d => {
                out[0] = o_3d(x);
                out[1] = o_3d_likelihood(out[0]);
            }
            Function::Ond => {
                out[0] = o_3d(x);
                out[1] = o_3d_likelihood(out[0]);
                out[2] = x[3..].iter().map(|v| v * v).sum::<f64>().sqrt();
            }
            Function::Shells => {
                out[0] = self
                    .centres
                    .iter()
                    .zip(&self.radii)
                    .map(|(c, r)| {
                        let d = c.iter().zip(x).map(|(ci, xi)| (xi - ci).powi(2)).sum::<f64>().sqrt();
                        100.0 * d / r
                    })
                    .min_by(|a, b| (a - 100.0).abs().total_cmp(&(b - 100.0).abs()))
                    .expect("at least one shell");
            }
        }
        Ok(())
    }
}

oracle_api::export_oracle!(Toy, name = "toy", version = env!("CARGO_PKG_VERSION"));

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(config: &str) -> Toy {
        Toy::from_config(config).unwrap()
    }

    #[test]
    fn o_3d_peaks_and_likelihood() {
        let mut t = toy("");
        let mut out = [0.0; 2];
        t.evaluate(&[0.0, 0.0, 0.0], &mut out).unwrap();
        assert_eq!(out[0], 243.0);
        // At 7π on two axes cos·cos = 1 again; O = 3^5.
        t.evaluate(&[7.0 * std::f64::consts::PI, 7.0 * std::f64::consts::PI, 0.0], &mut out)
            .unwrap();
        assert!((out[0] - 243.0).abs() < 1e-9);
        assert!((o_3d_likelihood(150.0) - 1.0).abs() < 1e-15);
        let edge = 150.0 + 5.0 * (2.0 * 2f64.ln()).sqrt();
        assert!((o_3d_likelihood(edge) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn f_2d_values() {
        let mut t = toy("function = \"F_2d\"");
        let mut out = [0.0];
        t.evaluate(&[0.0, 0.0], &mut out).unwrap();
        assert_eq!(out[0], 243.0);
        t.evaluate(&[5.0 * std::f64::consts::PI, 0.0], &mut out).unwrap();
        assert!((out[0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn o_nd_radius_of_rest() {
        let mut t = toy("function = \"O_nd\"\ndim = 5");
        assert_eq!(t.shape().n_inputs, 5);
        let mut out = [0.0; 3];
        t.evaluate(&[0.0, 0.0, 0.0, 3.0, 4.0], &mut out).unwrap();
        assert_eq!(out[2], 5.0);
    }

    #[test]
    fn shells_nearest_shell() {
        let mut t = toy("function = \"shells\"\ncentres = [[0.0,0.0,0.0],[10.0,0.0,0.0]]\nradii = [2.0, 4.0]");
        let mut out = [0.0];
        t.evaluate(&[2.0, 0.0, 0.0], &mut out).unwrap();
        assert!((out[0] - 100.0).abs() < 1e-12);
        t.evaluate(&[7.0, 0.0, 0.0], &mut out).unwrap();
        assert!((out[0] - 75.0).abs() < 1e-12);
    }

    #[test]
    fn shells_take_the_dimension_of_their_centres() {
        let mut t =
            toy("function = \"shells\"\ncentres = [[0.0, 0.0, 0.0, 0.0], [5.0, 5.0, 5.0, 5.0]]\nradii = [1.0, 2.0]");
        assert_eq!(t.shape().n_inputs, 4);
        let mut out = [0.0];
        t.evaluate(&[5.0, 5.0, 5.0, 6.0], &mut out).unwrap();
        assert!((out[0] - 50.0).abs() < 1e-12);
        t.evaluate(&[0.0, 0.0, 0.5, 0.0], &mut out).unwrap();
        assert!((out[0] - 50.0).abs() < 1e-12);
        assert_eq!(toy("function = \"shells\"\ncentres = [[1.0, 2.0]]").shape().n_inputs, 2);
    }

    #[test]
    fn bad_configs_are_refused() {
        for bad in [
            "function = \"nope\"",
            "dim = 5",
            "function = \"O_nd\"\ndim = 41",
            "cost_ms = -1",
            "[faults]\nnan = 2.0",
            "unknown = 1",
            "function = \"shells\"\nradii = [1.0]\ncentres = [[0.0,0.0,0.0],[1.0,1.0,1.0]]",
            "function = \"shells\"\ncentres = [[0.0,0.0,0.0],[1.0,1.0]]",
            "function = \"shells\"\ncentres = [[0.0],[1.0]]",
        ] {
            assert!(Toy::from_config(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn points_in_the_failing_region_fail() {
        let mut t = toy("function = \"F_2d\"\n[faults]\nregion = [[0.0, 10.0], [0.0, 40.0]]");
        let mut out = [0.0];
        assert!(t.evaluate(&[5.0, 20.0], &mut out).is_err());
        assert!(t.evaluate(&[15.0, 20.0], &mut out).is_ok());
        assert!(Toy::from_config("[faults]\nregion = [[0.0, 1.0]]").is_err());
    }

    #[test]
    fn faults_are_deterministic_and_near_their_fraction() {
        let mut t = toy("[faults]\nnan = 0.2\nerror = 0.1");
        let (mut nan, mut err) = (0, 0);
        let n = 20_000;
        for i in 0..n {
            let x = [i as f64 * 0.001, 1.0, 2.0];
            let mut out = [0.0; 2];
            let first = t.evaluate(&x, &mut out);
            let first_nan = out[0].is_nan();
            let mut again = [0.0; 2];
            let second = t.evaluate(&x, &mut again);
            assert_eq!(first.is_err(), second.is_err(), "same point, same fate");
            assert_eq!(first_nan, again[0].is_nan(), "same point, same fate");
            match first {
                Ok(()) if first_nan => nan += 1,
                Ok(()) => {}
                Err(_) => err += 1,
            }
        }
        let (fnan, ferr) = (nan as f64 / n as f64, err as f64 / n as f64);
        assert!((fnan - 0.2).abs() < 0.02, "nan fraction {fnan}");
        assert!((ferr - 0.1).abs() < 0.02, "error fraction {ferr}");
    }
}
