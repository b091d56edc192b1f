//! What the scan-core integration tests share: a ring-shaped target in the square.

use std::sync::Arc;

use oracle_api::{FnOracle, Oracle, OracleError};
use scan_core::{GaussianTerm, Likelihood, OracleFactory, Parameter, Space, Target};

/// A ring of radius 0.6 in [-1, 1]², its width set by the Gaussian's `sigma` (0.02 gives
/// a width of ~0.05, about 4.5 % of the square).
pub fn ring(sigma: f64) -> (Space, Target, Arc<dyn OracleFactory>) {
    let space = Space::new(vec![
        Parameter::linear("x", -1.0, 1.0),
        Parameter::linear("y", -1.0, 1.0),
    ])
    .unwrap();
    let target = Target {
        ranges: vec![],
        chi2: vec![],
        likelihood: Some(Likelihood {
            gaussians: vec![GaussianTerm {
                output: "r".into(),
                mean: 0.6,
                sigma,
            }],
            outputs: vec![],
            chi2_outputs: vec![],
            threshold: 0.5,
        }),
    };
    let factory = Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(FnOracle::new(2, ["r"], |x: &[f64], out: &mut [f64]| {
            out[0] = (x[0] * x[0] + x[1] * x[1]).sqrt();
            Ok(())
        })))
    });
    (space, target, factory)
}
