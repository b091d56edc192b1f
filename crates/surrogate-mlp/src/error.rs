//! Errors of the surrogate models.

/// Why a model could not be built, trained, used, saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum SurrogateError {
    #[error("invalid setting: {0}")]
    InvalidParams(String),
    #[error("expected {expected} input columns (the parameter box), got {got}")]
    Dimension { expected: usize, got: usize },
    #[error("{rows} rows of x but {targets} targets")]
    LengthMismatch { rows: usize, targets: usize },
    #[error("the training set is empty")]
    Empty,
    #[error("non-finite value in {what} at row {row}")]
    NonFinite { what: &'static str, row: usize },
    #[error("target {value} at row {row} cannot be log-transformed (must be positive)")]
    NotPositive { row: usize, value: f64 },
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("{path}: {message}")]
    Io { path: std::path::PathBuf, message: String },
}
