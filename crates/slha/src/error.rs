//! What can go wrong reading or editing a document.

/// What can go wrong reading or editing a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlhaError {
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("no block {0}")]
    NoBlock(String),
    #[error("block {block} has no entry {index:?}")]
    NoEntry { block: String, index: Vec<i64> },
    #[error("block {block} entry {index:?} is not a number: {text:?}")]
    NotANumber {
        block: String,
        index: Vec<i64>,
        text: String,
    },
}
