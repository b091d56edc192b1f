//! The target: which oracle outputs make a point "in target".
//!
//! A target combines ranges on outputs (all must hold) with an optional likelihood: a
//! product of Gaussian terms on outputs and of outputs that already are likelihoods, in
//! target when it exceeds a threshold. A point whose oracle call failed is never in target.

use serde::{Deserialize, Serialize};

use crate::error::ScanError;

/// `min < output < max` (either bound may be omitted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCondition {
    pub output: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A Gaussian likelihood factor exp(-½((output − mean)/sigma)²).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianTerm {
    pub output: String,
    pub mean: f64,
    pub sigma: f64,
}

/// The likelihood part of a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Likelihood {
    /// Gaussian factors on outputs.
    pub gaussians: Vec<GaussianTerm>,
    /// Outputs that are likelihood factors themselves (multiplied in as they are).
    pub outputs: Vec<String>,
    /// In target iff the product exceeds this.
    pub threshold: f64,
}

/// What makes a point interesting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Target {
    pub ranges: Vec<RangeCondition>,
    pub likelihood: Option<Likelihood>,
}

/// The verdict on one evaluated point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub in_target: bool,
    /// The likelihood, when the target defines one.
    pub likelihood: Option<f64>,
}

/// A target whose output names are resolved to column indices of one oracle's outputs.
#[derive(Debug, Clone)]
pub struct BoundTarget {
    ranges: Vec<(usize, f64, f64)>,
    gaussians: Vec<(usize, f64, f64)>,
    likelihood_outputs: Vec<usize>,
    threshold: Option<f64>,
}

impl RangeCondition {
    /// Check the bounds: at least one given, min < max, no NaN.
    pub fn check(&self) -> Result<(), ScanError> {
        let key = || format!("target range on `{}`", self.output);
        if self.min.is_none() && self.max.is_none() {
            return Err(ScanError::setting(key(), "give min, max or both"));
        }
        let (lo, hi) = (self.min.unwrap_or(f64::NEG_INFINITY), self.max.unwrap_or(f64::INFINITY));
        if lo.is_nan() || hi.is_nan() || lo >= hi {
            return Err(ScanError::setting(
                key(),
                format!("min ({lo}) must be smaller than max ({hi})"),
            ));
        }
        Ok(())
    }
}

impl Likelihood {
    /// Check the terms: at least one, finite means, positive sigmas, a non-negative
    /// threshold.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.gaussians.is_empty() && self.outputs.is_empty() {
            return Err(ScanError::setting(
                "target likelihood",
                "give `outputs` or at least one gaussian term",
            ));
        }
        if let Some(g) = self
            .gaussians
            .iter()
            .find(|g| !(g.sigma.is_finite() && g.sigma > 0.0 && g.mean.is_finite()))
        {
            return Err(ScanError::setting(
                format!("target gaussian on `{}`", g.output),
                "needs a finite mean and a positive sigma",
            ));
        }
        if !(self.threshold.is_finite() && self.threshold >= 0.0) {
            return Err(ScanError::setting(
                "target likelihood threshold",
                format!("{} must be a non-negative number", self.threshold),
            ));
        }
        Ok(())
    }
}

impl Target {
    /// Check the conditions without an oracle: at least one, each well-formed.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.ranges.is_empty() && self.likelihood.is_none() {
            return Err(ScanError::setting(
                "target",
                "no condition: give a range or a likelihood",
            ));
        }
        self.ranges.iter().try_for_each(RangeCondition::check)?;
        self.likelihood.as_ref().map_or(Ok(()), Likelihood::check)
    }

    /// Check the conditions and resolve output names against the oracle's outputs.
    pub fn bind(&self, output_names: &[String]) -> Result<BoundTarget, ScanError> {
        self.check()?;
        let index = |name: &str, key: &str| {
            output_names.iter().position(|n| n == name).ok_or_else(|| {
                ScanError::OracleMismatch(format!(
                    "target {key}: the oracle has no output `{name}` (its outputs: {})",
                    output_names.join(", ")
                ))
            })
        };
        let mut ranges = Vec::new();
        for r in &self.ranges {
            let (lo, hi) = (r.min.unwrap_or(f64::NEG_INFINITY), r.max.unwrap_or(f64::INFINITY));
            ranges.push((index(&r.output, "range")?, lo, hi));
        }
        let (mut gaussians, mut likelihood_outputs, mut threshold) = (Vec::new(), Vec::new(), None);
        if let Some(l) = &self.likelihood {
            for g in &l.gaussians {
                gaussians.push((index(&g.output, "gaussian")?, g.mean, g.sigma));
            }
            for o in &l.outputs {
                likelihood_outputs.push(index(o, "likelihood")?);
            }
            threshold = Some(l.threshold);
        }
        Ok(BoundTarget {
            ranges,
            gaussians,
            likelihood_outputs,
            threshold,
        })
    }
}

impl BoundTarget {
    /// Indices of the outputs the target reads.
    pub fn outputs_read(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .ranges
            .iter()
            .map(|r| r.0)
            .chain(self.gaussians.iter().map(|g| g.0))
            .chain(self.likelihood_outputs.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether every range condition holds for `out`.
    pub fn ranges_hold(&self, out: &[f64]) -> bool {
        self.ranges.iter().all(|&(i, lo, hi)| out[i] > lo && out[i] < hi)
    }

    /// Whether the target defines a likelihood.
    pub fn has_likelihood(&self) -> bool {
        self.threshold.is_some()
    }

    /// Judge one point's outputs; `None` outputs mean the oracle failed.
    /// How close `out` comes to meeting the range conditions: 1 inside them all, else the
    /// product over missed ranges of exp(-½ (miss / width)²), the width being the range's
    /// (a tenth of the bound's magnitude for a one-sided range). Ranks near misses.
    pub fn closeness(&self, out: &[f64]) -> f64 {
        self.ranges
            .iter()
            .map(|&(i, lo, hi)| {
                let v = out[i];
                let miss = if v <= lo {
                    lo - v
                } else if v >= hi {
                    v - hi
                } else {
                    return 1.0;
                };
                let width = if (hi - lo).is_finite() {
                    hi - lo
                } else {
                    let bound = if lo.is_finite() { lo } else { hi };
                    (0.1 * bound.abs()).max(f64::MIN_POSITIVE)
                };
                if miss.is_nan() {
                    0.0
                } else {
                    (-0.5 * (miss / width).powi(2)).exp()
                }
            })
            .product()
    }

    pub fn judge(&self, outputs: Option<&[f64]>) -> Verdict {
        let Some(out) = outputs else {
            return Verdict {
                in_target: false,
                likelihood: self.threshold.map(|_| 0.0),
            };
        };
        let in_ranges = self.ranges.iter().all(|&(i, lo, hi)| out[i] > lo && out[i] < hi);
        let likelihood = self.threshold.map(|_| {
            let g: f64 = self
                .gaussians
                .iter()
                .map(|&(i, mean, sigma)| (-0.5 * ((out[i] - mean) / sigma).powi(2)).exp())
                .product();
            g * self.likelihood_outputs.iter().map(|&i| out[i]).product::<f64>()
        });
        let in_likelihood = match (likelihood, self.threshold) {
            (Some(l), Some(t)) => l > t,
            _ => true,
        };
        Verdict {
            in_target: in_ranges && in_likelihood,
            likelihood,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ranges_are_open_intervals_and_all_must_hold() {
        let t = Target {
            ranges: vec![
                RangeCondition {
                    output: "m_h".into(),
                    min: Some(124.0),
                    max: Some(126.0),
                },
                RangeCondition {
                    output: "omega".into(),
                    min: None,
                    max: Some(0.12),
                },
            ],
            likelihood: None,
        }
        .bind(&names(&["omega", "m_h"]))
        .unwrap();
        assert!(t.judge(Some(&[0.1, 125.0])).in_target);
        assert!(!t.judge(Some(&[0.1, 126.0])).in_target);
        assert!(!t.judge(Some(&[0.2, 125.0])).in_target);
        assert!(!t.judge(None).in_target);
        assert_eq!(t.judge(Some(&[0.1, 125.0])).likelihood, None);
    }

    #[test]
    fn gaussian_likelihood_threshold() {
        let t = Target {
            ranges: vec![],
            likelihood: Some(Likelihood {
                gaussians: vec![GaussianTerm {
                    output: "O".into(),
                    mean: 150.0,
                    sigma: 5.0,
                }],
                outputs: vec![],
                threshold: 0.5,
            }),
        }
        .bind(&names(&["O"]))
        .unwrap();
        let edge = 5.0 * (2.0 * 2f64.ln()).sqrt();
        assert!(t.judge(Some(&[150.0 + edge - 1e-9])).in_target);
        assert!(!t.judge(Some(&[150.0 + edge + 1e-9])).in_target);
        assert!((t.judge(Some(&[150.0])).likelihood.unwrap() - 1.0).abs() < 1e-15);
        // NaN outputs are never in target.
        assert!(!t.judge(Some(&[f64::NAN])).in_target);
    }

    #[test]
    fn binding_errors_name_the_output() {
        let t = Target {
            ranges: vec![RangeCondition {
                output: "mh".into(),
                min: Some(1.0),
                max: Some(2.0),
            }],
            likelihood: None,
        };
        let err = t.bind(&names(&["m_h"])).unwrap_err().to_string();
        assert!(err.contains("`mh`") && err.contains("m_h"), "{err}");
        let bad = Target {
            ranges: vec![RangeCondition {
                output: "m_h".into(),
                min: Some(3.0),
                max: Some(2.0),
            }],
            likelihood: None,
        };
        assert!(bad.bind(&names(&["m_h"])).is_err());
        assert!(Target::default().bind(&names(&["m_h"])).is_err());
    }
}
