//! How many synthetic points each class gets.

use crate::error::SmoteError;

/// Which classes to oversample and by how much. The majority class (the largest; ties go to
/// the smallest label) is never oversampled.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SamplingStrategy {
    /// Every other class grows to the majority's size (imbalanced-learn's `"auto"`).
    #[default]
    Balance,
    /// Every other class grows to `ratio` × the majority's size, 0 < ratio ≤ 1; a class
    /// already that large gets nothing.
    Ratio(f64),
    /// Every other class gets this many synthetic points.
    Count(usize),
}

impl SamplingStrategy {
    pub(crate) fn check(&self) -> Result<(), SmoteError> {
        match *self {
            SamplingStrategy::Ratio(r) if !(r > 0.0 && r <= 1.0) => Err(SmoteError::InvalidParams(format!(
                "sampling ratio {r} must lie in (0, 1]"
            ))),
            _ => Ok(()),
        }
    }

    /// Synthetic points for a class of `n` points when the majority has `majority`.
    pub(crate) fn synthetic_count(&self, n: usize, majority: usize) -> usize {
        match *self {
            SamplingStrategy::Balance => majority.saturating_sub(n),
            SamplingStrategy::Ratio(r) => ((r * majority as f64) as usize).saturating_sub(n),
            SamplingStrategy::Count(c) => c,
        }
    }
}
