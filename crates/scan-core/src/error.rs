//! The scanner's error type.

use std::path::PathBuf;

/// Everything that can stop a scan (as opposed to a failing point, which is recorded).
///
/// Errors of the crates the scanner composes keep their type as the `source`, so a CUDA
/// out-of-memory error or a diverging fit never reads as a configuration mistake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// A setting is out of range or inconsistent with another; `key` names it.
    #[error("{key}: {message}")]
    Setting { key: String, message: String },
    /// A key that the chosen strategy does not use.
    #[error("`{key}` is not used by the `{strategy}` strategy; remove it")]
    UnusedKey { key: String, strategy: &'static str },
    /// A strategy this build was compiled without.
    #[error("the `{strategy}` strategy needs scan-core's `{feature}` feature, which this build lacks")]
    MissingFeature {
        strategy: &'static str,
        feature: &'static str,
    },
    /// The oracle does not fit the run: wrong number of inputs, unknown output names.
    #[error("{0}")]
    OracleMismatch(String),
    /// An oracle instance could not be created.
    #[error("oracle")]
    Oracle(#[from] oracle_api::OracleError),
    /// A worker thread could not be started or died.
    #[error("oracle worker: {0}")]
    Worker(String),
    /// A strategy broke its contract (wrong number of proposed values).
    #[error(
        "strategy `{strategy}` proposed {values} values and {origins} origins for {points} points of dimension {dim}"
    )]
    BadProposal {
        strategy: String,
        values: usize,
        origins: usize,
        points: usize,
        dim: usize,
    },
    /// A surrogate cannot be trained on what the history holds.
    #[error("surrogate: {0}")]
    Training(String),
    /// A surrogate model failed (libtorch, shapes, save/load).
    #[cfg(feature = "mlp")]
    #[error("surrogate model")]
    Surrogate(#[from] surrogate_mlp::SurrogateError),
    /// The VEGAS map could not be adapted or sampled.
    #[error("VEGAS map")]
    Vegas(#[from] vegas_map::VegasError),
    /// SMOTE could not balance a training set.
    #[cfg(feature = "mlp")]
    #[error("SMOTE")]
    Smote(#[from] smote::SmoteError),
    /// The neighbour index of the found points failed.
    #[error("neighbour index: {0}")]
    NeighbourIndex(String),
    /// Reading or writing a run file failed.
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A run file is malformed.
    #[error("{path}: {message}")]
    Journal { path: PathBuf, message: String },
    /// A run directory cannot be used as asked (holds a run already, is no run, belongs to
    /// another configuration).
    #[error("{path}: {message}")]
    RunDir { path: PathBuf, message: String },
}

impl ScanError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ScanError {
        let path = path.into();
        move |source| ScanError::Io { path, source }
    }

    /// A [`ScanError::Setting`] for `key`.
    pub fn setting(key: impl Into<String>, message: impl Into<String>) -> ScanError {
        ScanError::Setting {
            key: key.into(),
            message: message.into(),
        }
    }
}
