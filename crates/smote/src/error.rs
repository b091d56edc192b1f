//! Errors of the oversamplers.

/// Why an oversampler refused its input or settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmoteError {
    #[error("invalid setting: {0}")]
    InvalidParams(String),
    #[error("{rows} rows of x but {labels} labels")]
    LengthMismatch { rows: usize, labels: usize },
    #[error("the input is empty")]
    Empty,
    #[error("x has no columns")]
    NoFeatures,
    #[error("x holds a non-finite value at row {row}, column {column}")]
    NonFinite { row: usize, column: usize },
    #[error("only one class (label {0}) is present: nothing to balance")]
    SingleClass(usize),
    #[error("class {class} has {n} points; {needed} are needed (k_neighbors = {k} neighbours plus the point itself)")]
    TooFewSamples {
        class: usize,
        n: usize,
        k: usize,
        needed: usize,
    },
    #[error("ADASYN: no neighbour of class {class} belongs to another class, so it has no hard points to oversample")]
    NoHardPoints { class: usize },
    #[error("nearest-neighbour search failed: {0}")]
    Neighbours(String),
}
