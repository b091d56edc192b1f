//! Checks of settings shared by the models built on this crate, and the libtorch thread
//! setting.

use crate::error::SurrogateError;

fn invalid(message: String) -> SurrogateError {
    SurrogateError::InvalidParams(message)
}

/// `value` (the setting `name`) must be finite and positive.
pub fn check_positive(name: &str, value: f64) -> Result<(), SurrogateError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(format!("{name} {value} must be positive")))
    }
}

/// Each of these counts (setting name, value) must be at least 1.
pub fn check_counts(counts: &[(&str, usize)]) -> Result<(), SurrogateError> {
    match counts.iter().find(|(_, n)| *n == 0) {
        Some((name, _)) => Err(invalid(format!("{name} must be at least 1"))),
        None => Ok(()),
    }
}

/// A thread count, when given, must be at least 1.
pub fn check_threads(threads: Option<usize>) -> Result<(), SurrogateError> {
    check_counts(&[("threads", threads.unwrap_or(1))])
}

/// libtorch's intra-op threads for work started on the calling thread.
pub fn threads() -> usize {
    tch::get_num_threads().max(1) as usize
}

/// Set libtorch's intra-op threads when a count is given. With libtorch's OpenMP backend
/// the count holds for the calling thread (and is where threads started later begin):
/// call it on each thread that trains or predicts.
pub fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        tch::set_num_threads(n as i32);
    }
}
