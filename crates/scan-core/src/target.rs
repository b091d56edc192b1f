//! The target: which oracle outputs make a point "in target".
//!
//! A target combines ranges on outputs (all must hold), χ² sums of Gaussian terms with
//! optional correlations (each a cut, a likelihood factor exp(−χ²/2), or both), and an
//! optional likelihood: a product of Gaussian terms on outputs, of outputs that already are
//! likelihoods and of exp(−χ/2) for outputs that are χ² values, in target when it exceeds
//! a threshold. A point whose oracle call failed is never in target.

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
    /// Outputs that are χ² values (from HiggsSignals, say): each contributes exp(−χ²/2).
    #[serde(default)]
    pub chi2_outputs: Vec<String>,
    /// In target iff the product exceeds this.
    pub threshold: f64,
}

/// A χ² of Gaussian terms, χ² = rᵀ C⁻¹ r with r = output − mean and C = D R D (D the
/// sigmas on the diagonal, R the correlation matrix, the identity when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chi2 {
    pub terms: Vec<GaussianTerm>,
    /// Correlation coefficients between the terms, in their order (symmetric, unit
    /// diagonal, positive definite).
    pub correlation: Option<Vec<Vec<f64>>>,
    /// In target only if χ² < max.
    pub max: Option<f64>,
    /// Whether exp(−χ²/2) is a factor of the target's likelihood.
    pub likelihood: bool,
}

/// What makes a point interesting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Target {
    pub ranges: Vec<RangeCondition>,
    #[serde(default)]
    pub chi2: Vec<Chi2>,
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
    chi2: Vec<BoundChi2>,
    gaussians: Vec<(usize, f64, f64)>,
    likelihood_outputs: Vec<usize>,
    chi2_outputs: Vec<usize>,
    threshold: Option<f64>,
}

/// A χ² with its outputs resolved and its covariance inverted.
#[derive(Debug, Clone)]
struct BoundChi2 {
    outputs: Vec<usize>,
    means: Vec<f64>,
    /// C⁻¹, row-major.
    inverse: Vec<f64>,
    max: f64,
    likelihood: bool,
}

impl BoundChi2 {
    fn value(&self, out: &[f64]) -> f64 {
        let n = self.outputs.len();
        let r: Vec<f64> = self.outputs.iter().zip(&self.means).map(|(&i, m)| out[i] - m).collect();
        (0..n)
            .map(|a| r[a] * (0..n).map(|b| self.inverse[a * n + b] * r[b]).sum::<f64>())
            .sum()
    }
}

/// The inverse of the symmetric positive definite `n`×`n` matrix `m` (row-major), through
/// its Cholesky factor; `None` if it is not positive definite.
fn inverse_spd(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = m[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if i == j {
                // Not positive definite (or NaN).
                if s.is_nan() || s <= 1e-12 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // Columns of L⁻¹ by forward substitution, then M⁻¹ = L⁻ᵀ L⁻¹.
    let mut li = vec![0.0; n * n];
    for c in 0..n {
        for i in c..n {
            let rhs = if i == c { 1.0 } else { 0.0 };
            let s: f64 = (c..i).map(|k| l[i * n + k] * li[k * n + c]).sum();
            li[i * n + c] = (rhs - s) / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            inv[a * n + b] = (a.max(b)..n).map(|k| li[k * n + a] * li[k * n + b]).sum();
        }
    }
    Some(inv)
}

impl Chi2 {
    /// Check the terms and the correlation matrix, and that the χ² is used: as a cut
    /// (`max`), a likelihood factor, or both.
    pub fn check(&self) -> Result<(), ScanError> {
        let key = || {
            let names: Vec<&str> = self.terms.iter().map(|t| t.output.as_str()).collect();
            format!("target chi2 over {}", names.join(", "))
        };
        if self.terms.is_empty() {
            return Err(ScanError::setting("target chi2", "give at least one term"));
        }
        if let Some(t) = self
            .terms
            .iter()
            .find(|t| !(t.sigma.is_finite() && t.sigma > 0.0 && t.mean.is_finite()))
        {
            return Err(ScanError::setting(
                key(),
                format!("the term on `{}` needs a finite mean and a positive sigma", t.output),
            ));
        }
        if self.max.is_none() && !self.likelihood {
            return Err(ScanError::setting(
                key(),
                "give `max` (a cut), `likelihood = true`, or both",
            ));
        }
        if let Some(max) = self.max
            && (max.is_nan() || max <= 0.0)
        {
            return Err(ScanError::setting(key(), format!("max = {max} must be positive")));
        }
        if let Some(r) = &self.correlation {
            let n = self.terms.len();
            if r.len() != n || r.iter().any(|row| row.len() != n) {
                return Err(ScanError::setting(
                    key(),
                    format!("correlation must be {n}×{n}, one row per term"),
                ));
            }
            if (0..n).any(|a| r[a][a] != 1.0) {
                return Err(ScanError::setting(key(), "correlation must have ones on its diagonal"));
            }
            let well_formed = |a: usize, b: usize| r[a][b] == r[b][a] && r[a][b].abs() <= 1.0;
            if !(0..n).all(|a| (0..n).all(|b| well_formed(a, b))) {
                return Err(ScanError::setting(
                    key(),
                    "correlation must be symmetric with coefficients in [-1, 1]",
                ));
            }
            if self.covariance().is_none() {
                return Err(ScanError::setting(key(), "correlation must be positive definite"));
            }
        }
        Ok(())
    }

    /// C⁻¹, row-major; `None` if C is not positive definite.
    fn covariance(&self) -> Option<Vec<f64>> {
        let n = self.terms.len();
        let mut c = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                let r = match &self.correlation {
                    Some(r) => r[a][b],
                    None => f64::from(u8::from(a == b)),
                };
                c[a * n + b] = r * self.terms[a].sigma * self.terms[b].sigma;
            }
        }
        inverse_spd(&c, n)
    }
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
        self.check_factors(false)
    }

    /// [`Likelihood::check`], where `from_chi2` says whether `[[target.chi2]]` tables
    /// contribute factors (then this table may have none of its own).
    pub fn check_factors(&self, from_chi2: bool) -> Result<(), ScanError> {
        if !from_chi2 && self.gaussians.is_empty() && self.outputs.is_empty() && self.chi2_outputs.is_empty() {
            return Err(ScanError::setting(
                "target likelihood",
                "give `outputs`, `chi2_outputs` or at least one gaussian term (or a [[target.chi2]] with likelihood = true)",
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
        if self.ranges.is_empty() && self.likelihood.is_none() && self.chi2.is_empty() {
            return Err(ScanError::setting(
                "target",
                "no condition: give a range, a chi2 or a likelihood",
            ));
        }
        self.ranges.iter().try_for_each(RangeCondition::check)?;
        self.chi2.iter().try_for_each(Chi2::check)?;
        let chi2_factors = self.chi2.iter().any(|c| c.likelihood);
        match &self.likelihood {
            None if chi2_factors => Err(ScanError::setting(
                "target chi2",
                "likelihood = true makes exp(-chi2/2) a factor of the likelihood: add [target.likelihood] with its threshold",
            )),
            None => Ok(()),
            Some(l) => l.check_factors(chi2_factors),
        }
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
        let mut chi2 = Vec::new();
        for c in &self.chi2 {
            chi2.push(BoundChi2 {
                outputs: c
                    .terms
                    .iter()
                    .map(|t| index(&t.output, "chi2"))
                    .collect::<Result<_, _>>()?,
                means: c.terms.iter().map(|t| t.mean).collect(),
                inverse: c.covariance().expect("checked positive definite"),
                max: c.max.unwrap_or(f64::INFINITY),
                likelihood: c.likelihood,
            });
        }
        let (mut gaussians, mut likelihood_outputs, mut chi2_outputs, mut threshold) =
            (Vec::new(), Vec::new(), Vec::new(), None);
        if let Some(l) = &self.likelihood {
            for g in &l.gaussians {
                gaussians.push((index(&g.output, "gaussian")?, g.mean, g.sigma));
            }
            for o in &l.outputs {
                likelihood_outputs.push(index(o, "likelihood")?);
            }
            for o in &l.chi2_outputs {
                chi2_outputs.push(index(o, "likelihood chi2_outputs")?);
            }
            threshold = Some(l.threshold);
        }
        Ok(BoundTarget {
            ranges,
            chi2,
            gaussians,
            likelihood_outputs,
            chi2_outputs,
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
            .chain(self.chi2.iter().flat_map(|c| c.outputs.iter().copied()))
            .chain(self.gaussians.iter().map(|g| g.0))
            .chain(self.likelihood_outputs.iter().copied())
            .chain(self.chi2_outputs.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether every range condition and χ² cut holds for `out`.
    pub fn ranges_hold(&self, out: &[f64]) -> bool {
        self.ranges.iter().all(|&(i, lo, hi)| out[i] > lo && out[i] < hi)
            && self.chi2.iter().all(|c| c.value(out) < c.max)
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
        // A χ² cut missed by Δ counts like a range missed by Δ/max of its width.
        let chi2: f64 = self
            .chi2
            .iter()
            .filter(|c| c.max.is_finite())
            .map(|c| {
                let miss = (c.value(out) - c.max).max(0.0) / c.max;
                if miss.is_nan() { 0.0 } else { (-0.5 * miss * miss).exp() }
            })
            .product();
        chi2 * self
            .ranges
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
            .product::<f64>()
    }

    pub fn judge(&self, outputs: Option<&[f64]>) -> Verdict {
        let Some(out) = outputs else {
            return Verdict {
                in_target: false,
                likelihood: self.threshold.map(|_| 0.0),
            };
        };
        let chi2: Vec<f64> = self.chi2.iter().map(|c| c.value(out)).collect();
        let in_ranges = self.ranges.iter().all(|&(i, lo, hi)| out[i] > lo && out[i] < hi)
            && self.chi2.iter().zip(&chi2).all(|(c, &v)| v < c.max);
        let likelihood = self.threshold.map(|_| {
            let g: f64 = self
                .gaussians
                .iter()
                .map(|&(i, mean, sigma)| (-0.5 * ((out[i] - mean) / sigma).powi(2)).exp())
                .product();
            let from_chi2: f64 = self
                .chi2
                .iter()
                .zip(&chi2)
                .filter(|(c, _)| c.likelihood)
                .map(|(_, &v)| (-0.5 * v).exp())
                .product();
            let chi2_outputs: f64 = self.chi2_outputs.iter().map(|&i| (-0.5 * out[i]).exp()).product();
            g * from_chi2 * chi2_outputs * self.likelihood_outputs.iter().map(|&i| out[i]).product::<f64>()
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
            chi2: vec![],
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
            chi2: vec![],
            likelihood: Some(Likelihood {
                gaussians: vec![GaussianTerm {
                    output: "O".into(),
                    mean: 150.0,
                    sigma: 5.0,
                }],
                outputs: vec![],
                chi2_outputs: vec![],
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

    fn chi2(max: Option<f64>, likelihood: bool, correlation: Option<Vec<Vec<f64>>>) -> Chi2 {
        Chi2 {
            terms: vec![
                GaussianTerm {
                    output: "a".into(),
                    mean: 0.0,
                    sigma: 1.0,
                },
                GaussianTerm {
                    output: "b".into(),
                    mean: 1.0,
                    sigma: 2.0,
                },
            ],
            correlation,
            max,
            likelihood,
        }
    }

    #[test]
    fn a_correlated_chi2_is_a_cut_and_a_likelihood_factor() {
        // r = (1, 2), sigmas (1, 2), correlation 0.5: C = [[1, 1], [1, 4]],
        // C⁻¹ = [[4, -1], [-1, 1]] / 3, so chi2 = (4 - 2 - 2 + 4) / 3 = 4/3.
        let rho = Some(vec![vec![1.0, 0.5], vec![0.5, 1.0]]);
        let out = [1.0, 3.0];
        let cut = |max| {
            Target {
                ranges: vec![],
                chi2: vec![chi2(Some(max), false, rho.clone())],
                likelihood: None,
            }
            .bind(&names(&["a", "b"]))
            .unwrap()
        };
        assert!(cut(4.0 / 3.0 + 1e-9).judge(Some(&out)).in_target);
        assert!(!cut(4.0 / 3.0 - 1e-9).judge(Some(&out)).in_target);
        // Uncorrelated: 1 + 1 = 2.
        let plain = Target {
            ranges: vec![],
            chi2: vec![chi2(Some(2.0 + 1e-9), false, None)],
            likelihood: None,
        }
        .bind(&names(&["a", "b"]))
        .unwrap();
        assert!(plain.judge(Some(&out)).in_target);
        // As a likelihood factor, beside an output that is a chi2 itself (here b = 3).
        let factor = Target {
            ranges: vec![],
            chi2: vec![chi2(None, true, rho.clone())],
            likelihood: Some(Likelihood {
                gaussians: vec![],
                outputs: vec![],
                chi2_outputs: vec!["b".into()],
                threshold: 0.01,
            }),
        }
        .bind(&names(&["a", "b"]))
        .unwrap();
        let l = factor.judge(Some(&out)).likelihood.unwrap();
        assert!((l - (-0.5 * (4.0 / 3.0 + 3.0_f64)).exp()).abs() < 1e-15, "{l}");
        assert!(factor.judge(Some(&out)).in_target);
    }

    #[test]
    fn a_chi2_must_be_used_and_its_correlation_well_formed() {
        let bind = |c: Chi2, likelihood: Option<Likelihood>| {
            Target {
                ranges: vec![],
                chi2: vec![c],
                likelihood,
            }
            .bind(&names(&["a", "b"]))
            .map(|_| ())
            .unwrap_err()
            .to_string()
        };
        assert!(bind(chi2(None, false, None), None).contains("give `max`"));
        assert!(bind(chi2(None, true, None), None).contains("add [target.likelihood]"));
        let e = bind(chi2(Some(1.0), false, Some(vec![vec![1.0, 1.0], vec![1.0, 1.0]])), None);
        assert!(e.contains("positive definite") && e.contains("a, b"), "{e}");
        let e = bind(chi2(Some(1.0), false, Some(vec![vec![1.0, 0.2], vec![0.3, 1.0]])), None);
        assert!(e.contains("symmetric"), "{e}");
        let e = bind(chi2(Some(1.0), false, Some(vec![vec![1.0]])), None);
        assert!(e.contains("2×2"), "{e}");
    }

    #[test]
    fn inverse_of_a_positive_definite_matrix() {
        let m = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let inv = inverse_spd(&m, 3).unwrap();
        for a in 0..3 {
            for b in 0..3 {
                let p: f64 = (0..3).map(|k| m[a * 3 + k] * inv[k * 3 + b]).sum();
                assert!((p - f64::from(u8::from(a == b))).abs() < 1e-12);
            }
        }
        assert!(inverse_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn binding_errors_name_the_output() {
        let t = Target {
            ranges: vec![RangeCondition {
                output: "mh".into(),
                min: Some(1.0),
                max: Some(2.0),
            }],
            chi2: vec![],
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
            chi2: vec![],
            likelihood: None,
        };
        assert!(bad.bind(&names(&["m_h"])).is_err());
        assert!(Target::default().bind(&names(&["m_h"])).is_err());
    }
}
