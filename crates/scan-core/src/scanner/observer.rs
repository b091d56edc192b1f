//! Observers: what watches a run (journals, tables, progress displays) without being part
//! of the loop. Each event may fail (a full disk); the error stops the run.

use super::records::{IterationRecord, Summary};
use crate::error::ScanError;
use crate::history::PointRecord;

/// How far the current batch has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchProgress {
    /// Points of the batch evaluated so far, and the batch's size.
    pub done: usize,
    pub batch: usize,
    /// Oracle calls and in-target points of the run so far.
    pub total_calls: u64,
    pub total_in_target: u64,
}

/// Events of a run, in order: for each iteration a start, points as they are evaluated,
/// an end; then one finish.
pub trait Observer: Send {
    /// An iteration starts; `batch` points will be proposed and evaluated.
    fn on_iteration_start(&mut self, _iteration: u32, _batch: usize) -> Result<(), ScanError> {
        Ok(())
    }
    /// A chunk of the batch has been evaluated; `points` are its records, in id order.
    fn on_points(&mut self, _points: &[PointRecord], _progress: BatchProgress) -> Result<(), ScanError> {
        Ok(())
    }
    /// The iteration ended; `summary` holds the run's totals after it.
    fn on_iteration_end(&mut self, _record: &IterationRecord, _summary: &Summary) -> Result<(), ScanError> {
        Ok(())
    }
    /// The run stopped.
    fn on_finish(&mut self, _summary: &Summary) -> Result<(), ScanError> {
        Ok(())
    }
}
