//! The cluster of a build without the `mpi` feature: there is none. [`join`] never finds
//! one and `Cluster` has no values, so the code that would use one compiles unchanged and
//! cannot run.

use std::ops::Range;
use std::path::Path;

use anyhow::Result;

pub enum Cluster {}

/// Without MPI a process is always on its own.
pub fn join() -> Result<Option<Cluster>> {
    Ok(None)
}

impl Cluster {
    pub fn rank(&self) -> i32 {
        match *self {}
    }

    pub fn evaluating_ranks(&self) -> Range<i32> {
        match *self {}
    }

    pub fn serve(&self, _make: impl FnOnce(&Path, &Path, String) -> Result<scan_core::Evaluator>) -> Result<()> {
        match *self {}
    }

    pub fn start_workers(&self, _config_path: &Path, _base_dir: &Path, _text: &str) -> Result<scan_core::Evaluator> {
        match *self {}
    }

    pub fn release(&self) {
        match *self {}
    }
}
