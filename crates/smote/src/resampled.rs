//! What an oversampler returns, and the interpolation that makes synthetic points.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, concatenate};

use crate::error::SmoteError;

/// Where a synthetic point comes from: `base + step · (neighbour − base)`, with `base` and
/// `neighbour` row indices of the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Provenance {
    pub base: usize,
    pub neighbour: usize,
    pub step: f64,
}

/// The synthetic points of one resampling (the input rows are not repeated here).
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    /// Synthetic points, one per row.
    pub x: Array2<f64>,
    /// Their labels.
    pub y: Array1<usize>,
    /// How each was made.
    pub provenance: Vec<Provenance>,
}

impl Resampled {
    /// Number of synthetic points.
    pub fn len(&self) -> usize {
        self.provenance.len()
    }

    /// Whether no synthetic point was made.
    pub fn is_empty(&self) -> bool {
        self.provenance.is_empty()
    }

    /// The input followed by the synthetic points.
    pub fn augment(&self, x: ArrayView2<f64>, y: ArrayView1<usize>) -> (Array2<f64>, Array1<usize>) {
        (
            concatenate(Axis(0), &[x.view(), self.x.view()]).expect("same number of columns"),
            concatenate(Axis(0), &[y.view(), self.y.view()]).expect("one-dimensional"),
        )
    }
}

/// An algorithm that makes synthetic points for the minority classes of a labelled set.
pub trait Oversample {
    /// The synthetic points for `x` (one point per row) labelled `y`.
    fn resample(&self, x: ArrayView2<f64>, y: ArrayView1<usize>) -> Result<Resampled, SmoteError>;

    /// The input followed by its synthetic points.
    fn resample_augmented(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<usize>,
    ) -> Result<(Array2<f64>, Array1<usize>), SmoteError> {
        Ok(self.resample(x, y)?.augment(x, y))
    }
}

/// Accumulates synthetic points across classes.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    values: Vec<f64>,
    labels: Vec<usize>,
    provenance: Vec<Provenance>,
}

impl Builder {
    /// Add `base + step · (neighbour − base)` (rows of `x`) labelled `label`.
    pub fn push(&mut self, x: ArrayView2<f64>, label: usize, p: Provenance) {
        let (a, b) = (x.row(p.base), x.row(p.neighbour));
        self.values
            .extend(a.iter().zip(b.iter()).map(|(a, b)| a + p.step * (b - a)));
        self.labels.push(label);
        self.provenance.push(p);
    }

    pub fn finish(self, n_features: usize) -> Resampled {
        let n = self.labels.len();
        Resampled {
            x: Array2::from_shape_vec((n, n_features), self.values).expect("rows of n_features values"),
            y: Array1::from(self.labels),
            provenance: self.provenance,
        }
    }
}
