//! The surrogate models behind one interface, so strategies can swap them by
//! configuration. Every model sees unit-cube coordinates (the parameter box, log scales
//! included, is the scanner's business). The neural models live behind the `mlp` and
//! `siamese` features; the trait is always there for surrogates of one's own.

use std::path::Path;

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::ScanError;
use crate::relevance::Relevance;

#[cfg(feature = "mlp")]
mod classifier;
#[cfg(feature = "mlp")]
mod regressor;

#[cfg(feature = "mlp")]
pub use classifier::{ClassifierModel, ClassifierSurrogate};
#[cfg(feature = "mlp")]
pub use regressor::RegressorSurrogate;

/// Training data as the surrogates see it.
#[derive(Debug, Clone, Copy)]
pub struct TrainingSet<'a> {
    /// Points in the unit cube (rows).
    pub unit: ArrayView2<'a, f64>,
    /// In-target flag of each point.
    pub in_target: ArrayView1<'a, bool>,
    /// Oracle outputs (rows; NaN where unavailable).
    pub outputs: ArrayView2<'a, f64>,
    /// Whether each point's oracle call succeeded (its outputs are usable).
    pub ok: ArrayView1<'a, bool>,
}

/// What a training call reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrainInfo {
    pub loss: Option<f64>,
    pub validation_metric: Option<f64>,
}

/// A model that learns from the evaluated points and scores candidates: higher is more
/// promising; scores above the strategy's threshold count as "predicted in target".
pub trait Surrogate: Send {
    fn name(&self) -> &str;
    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError>;
    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError>;
    /// Whether the scores mean nothing until some point is in target (a classifier of the
    /// in-target flag, which has then seen one class only); until then the strategy
    /// spreads its picks over the box instead of following them.
    fn needs_hits(&self) -> bool {
        false
    }
    /// What the oracle has shown about which inputs each output ignores, told before each
    /// training: a model of outputs may then read only the inputs each depends on. Others
    /// ignore it.
    fn use_inputs(&mut self, relevance: &Relevance) {
        let _ = relevance;
    }
    /// Whether [`Surrogate::use_inputs`] changes anything: the strategy spends no probes
    /// on a model that ignores them.
    fn selects_inputs(&self) -> bool {
        false
    }
    /// Save the trained model(s) into `dir` (nothing when untrained).
    fn save(&self, dir: &Path) -> Result<(), ScanError>;
    /// Load what `save` wrote; a missing directory means "untrained".
    fn load(&mut self, dir: &Path) -> Result<(), ScanError>;
}
