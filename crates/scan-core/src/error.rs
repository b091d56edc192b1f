//! The scanner's error type.

use std::path::PathBuf;

/// Everything that can stop a scan (as opposed to a failing point, which is recorded).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The run's settings are inconsistent.
    #[error("{0}")]
    Config(String),
    /// The oracle could not be created or does not fit the run.
    #[error("oracle: {0}")]
    Oracle(String),
    /// Reading or writing a run file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A run file is malformed.
    #[error("{path}: {message}")]
    Journal { path: PathBuf, message: String },
}

impl ScanError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ScanError {
        let path = path.into();
        move |source| ScanError::Io { path, source }
    }
}
