//! Input checks and class bookkeeping shared by the oversamplers.

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::SmoteError;
use crate::strategy::SamplingStrategy;

/// Validated input: rows grouped by class.
#[derive(Debug)]
pub(crate) struct Classes {
    /// Row indices of each class, by label (ascending).
    pub by_label: BTreeMap<usize, Vec<usize>>,
}

impl Classes {
    pub(crate) fn new(x: ArrayView2<f64>, y: ArrayView1<usize>) -> Result<Classes, SmoteError> {
        if x.nrows() != y.len() {
            return Err(SmoteError::LengthMismatch {
                rows: x.nrows(),
                labels: y.len(),
            });
        }
        if x.nrows() == 0 {
            return Err(SmoteError::Empty);
        }
        if x.ncols() == 0 {
            return Err(SmoteError::NoFeatures);
        }
        if let Some(((row, column), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(SmoteError::NonFinite { row, column });
        }
        let mut by_label: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, &label) in y.iter().enumerate() {
            by_label.entry(label).or_default().push(i);
        }
        if by_label.len() == 1 {
            return Err(SmoteError::SingleClass(y[0]));
        }
        Ok(Classes { by_label })
    }

    /// Synthetic points to make per class, by the strategy (classes needing none omitted).
    pub(crate) fn targets(&self, strategy: &SamplingStrategy) -> Vec<(usize, usize)> {
        let majority = self
            .by_label
            .values()
            .map(Vec::len)
            .max()
            .expect("at least two classes");
        // Ties for the majority go to the smallest label, which is not oversampled.
        let majority_label = *self
            .by_label
            .iter()
            .find(|(_, rows)| rows.len() == majority)
            .expect("exists")
            .0;
        self.by_label
            .iter()
            .filter(|(label, _)| **label != majority_label)
            .map(|(&label, rows)| (label, strategy.synthetic_count(rows.len(), majority)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// The rows `rows` of `x`, as a new contiguous array.
pub(crate) fn select_rows(x: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
    x.select(ndarray::Axis(0), rows)
}
