//! Errors from building or training a map.

/// Errors from building or training a map.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VegasError {
    #[error("a map needs at least one direction")]
    NoDirections,
    #[error("direction {dim}: needs at least 2 edges, got {got}")]
    TooFewEdges { dim: usize, got: usize },
    #[error("direction {dim}: edges must be finite and strictly increasing")]
    BadEdges { dim: usize },
    #[error("the number of increments must be at least 1")]
    ZeroIncrements,
    #[error("expected {expected} values of ninc (one, or one per direction), got {got}")]
    NincLength { expected: usize, got: usize },
    #[error("shape mismatch: {0}")]
    Shape(String),
    #[error("not enough samples to train: {n} points give {ninc} increments (need n >= 20)")]
    NotEnoughSamples { n: usize, ninc: usize },
    #[error("non-finite value in {0}")]
    NonFinite(&'static str),
}
