//! Input and target scaling, stored with the model so predictions use the training's.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::SurrogateError;

/// Maps the parameter box to the unit cube, column by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxScaler {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

impl BoxScaler {
    /// The scaler of the box `bounds` (finite lo < hi in every dimension).
    pub fn new(bounds: &[(f64, f64)]) -> Result<Self, SurrogateError> {
        if bounds.is_empty() {
            return Err(SurrogateError::InvalidParams(
                "the parameter box has no dimension".into(),
            ));
        }
        for (d, &(lo, hi)) in bounds.iter().enumerate() {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(SurrogateError::InvalidParams(format!(
                    "box dimension {d}: need finite lo < hi, got [{lo}, {hi}]"
                )));
            }
        }
        Ok(BoxScaler {
            lower: bounds.iter().map(|b| b.0).collect(),
            upper: bounds.iter().map(|b| b.1).collect(),
        })
    }

    /// Number of inputs.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// Check `x` and return its rows scaled to the unit cube as f32, row-major.
    pub fn scale(&self, x: ArrayView2<f64>) -> Result<Vec<f32>, SurrogateError> {
        if x.ncols() != self.dim() {
            return Err(SurrogateError::Dimension {
                expected: self.dim(),
                got: x.ncols(),
            });
        }
        let mut out = Vec::with_capacity(x.len());
        for (row, r) in x.rows().into_iter().enumerate() {
            for ((v, lo), hi) in r.iter().zip(&self.lower).zip(&self.upper) {
                if !v.is_finite() {
                    return Err(SurrogateError::NonFinite { what: "x", row });
                }
                out.push(((v - lo) / (hi - lo)) as f32);
            }
        }
        Ok(out)
    }
}

/// How regression targets are transformed before standardisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetTransform {
    #[default]
    Identity,
    /// Natural logarithm: for positive targets spanning decades.
    Log,
}

/// Standardises (transformed) regression targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetScaler {
    pub transform: TargetTransform,
    pub mean: f64,
    pub std: f64,
}

impl TargetScaler {
    pub(crate) fn fit(y: ArrayView1<f64>, transform: TargetTransform) -> Result<Self, SurrogateError> {
        let t = Self::transformed(y, transform)?;
        let n = t.len() as f64;
        let mean = t.iter().sum::<f64>() / n;
        let var = t.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Ok(TargetScaler {
            transform,
            mean,
            std: if var > 0.0 { var.sqrt() } else { 1.0 },
        })
    }

    fn transformed(y: ArrayView1<f64>, transform: TargetTransform) -> Result<Vec<f64>, SurrogateError> {
        y.iter()
            .enumerate()
            .map(|(row, &v)| {
                if !v.is_finite() {
                    return Err(SurrogateError::NonFinite { what: "y", row });
                }
                match transform {
                    TargetTransform::Identity => Ok(v),
                    TargetTransform::Log if v > 0.0 => Ok(v.ln()),
                    TargetTransform::Log => Err(SurrogateError::NotPositive { row, value: v }),
                }
            })
            .collect()
    }

    /// Targets as the network sees them (f32).
    pub(crate) fn scale(&self, y: ArrayView1<f64>) -> Result<Vec<f32>, SurrogateError> {
        Ok(Self::transformed(y, self.transform)?
            .into_iter()
            .map(|v| ((v - self.mean) / self.std) as f32)
            .collect())
    }

    /// Back from network output to target units.
    pub(crate) fn unscale(&self, v: f32) -> f64 {
        let t = v as f64 * self.std + self.mean;
        match self.transform {
            TargetTransform::Identity => t,
            TargetTransform::Log => t.exp(),
        }
    }
}
