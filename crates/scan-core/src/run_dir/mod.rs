//! The run directory: `points.csv`, `in_target.csv`, `iterations.csv`, `summary.json` and
//! `checkpoint/`. Creating one gives the observers that keep its files; reopening one
//! replays what it holds so the run can continue.

mod atomic;
mod checkpoint;
mod files;
mod lock;

use std::path::{Path, PathBuf};

pub use atomic::write_atomically;
pub(crate) use checkpoint::{Checkpoint, CheckpointState, Checkpointer, PendingBatch};
use files::{IterationsTable, PointFiles, SummaryFile};

use crate::error::ScanError;
use crate::history::PointRecord;
use crate::journal::{self, Journal};
use crate::scanner::{IterationRecord, Observer};

/// The files and folders a run keeps in its directory (besides its lock).
pub const RUN_FILES: [&str; 5] = [
    "points.csv",
    "in_target.csv",
    "iterations.csv",
    "summary.json",
    "checkpoint",
];

/// The columns of the run's point files.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub header: Vec<String>,
    pub dim: usize,
    pub n_outputs: usize,
    pub with_likelihood: bool,
}

/// What keeps a run directory's files: observers in the order they must see each event
/// (points are durable before the tables that count them), and the checkpointer.
pub(crate) struct RunFiles {
    pub observers: Vec<Box<dyn Observer>>,
    pub checkpointer: Checkpointer,
    /// Held for as long as the run uses the directory.
    _lock: lock::RunLock,
}

/// What a run directory holds when it is reopened.
#[derive(Debug)]
pub(crate) struct Replay {
    /// Every recorded point, sorted by id.
    pub points: Vec<PointRecord>,
    pub iterations: Vec<IterationRecord>,
    pub checkpoint: Option<Checkpoint>,
}

fn observers(dir: &Path, points: PointFiles, table: IterationsTable) -> Vec<Box<dyn Observer>> {
    vec![
        Box::new(points),
        Box::new(table),
        Box::new(SummaryFile {
            path: dir.join("summary.json"),
        }),
    ]
}

/// Start a run in `dir` (created if needed; it must not hold a run already).
pub(crate) fn create(dir: &Path, layout: &Layout, fingerprint: Option<String>) -> Result<RunFiles, ScanError> {
    std::fs::create_dir_all(dir).map_err(ScanError::io(dir))?;
    let lock = lock::RunLock::acquire(dir)?;
    // Check every file before creating any, so a refused directory is left as it was; a
    // dangling symlink counts, so nothing is written through it.
    for name in RUN_FILES {
        if dir.join(name).symlink_metadata().is_ok() {
            return Err(ScanError::RunDir {
                path: dir.to_path_buf(),
                message: format!("already holds a run ({name} exists); choose another directory or remove it"),
            });
        }
    }
    let points = dir.join("points.csv");
    let files = PointFiles {
        points: Journal::create(&points, &layout.header, layout.with_likelihood)?,
        in_target: Journal::create(&dir.join("in_target.csv"), &layout.header, layout.with_likelihood)?,
    };
    let table = IterationsTable::create(&dir.join("iterations.csv"))?;
    Ok(RunFiles {
        observers: observers(dir, files, table),
        checkpointer: Checkpointer::new(dir, fingerprint),
        _lock: lock,
    })
}

/// Reopen the run in `dir`: replay `points.csv` (dropping a torn last line), read the
/// iterations table and the checkpoint, rebuild `in_target.csv` from `points.csv`, and
/// return the observers that append to the files.
pub(crate) fn reopen(
    dir: &Path,
    layout: &Layout,
    fingerprint: Option<String>,
) -> Result<(RunFiles, Replay), ScanError> {
    let points_path = dir.join("points.csv");
    if !points_path.is_file() {
        return Err(ScanError::RunDir {
            path: dir.to_path_buf(),
            message: "holds no points.csv: not a run directory".into(),
        });
    }
    let lock = lock::RunLock::acquire(dir)?;
    journal::truncate_torn_tail(&points_path)?;
    let mut points = journal::read_records(
        &points_path,
        &layout.header,
        layout.dim,
        layout.n_outputs,
        layout.with_likelihood,
    )?;
    points.sort_by_key(|r| r.id);
    if points.windows(2).any(|w| w[0].id == w[1].id) {
        return Err(ScanError::Journal {
            path: points_path,
            message: "a point id appears twice".into(),
        });
    }
    let checkpointer = Checkpointer::new(dir, fingerprint);
    let checkpoint = checkpointer.load()?;
    let in_target = rebuild_in_target(dir, layout, &points)?;
    let iterations_path = dir.join("iterations.csv");
    let iterations = IterationsTable::read(&iterations_path)?;
    let files = PointFiles {
        points: Journal::reopen(&points_path, layout.with_likelihood)?,
        in_target: Journal::reopen(&in_target, layout.with_likelihood)?,
    };
    let table = IterationsTable::append_to(&iterations_path, iterations.len())?;
    let run = RunFiles {
        observers: observers(dir, files, table),
        checkpointer,
        _lock: lock,
    };
    Ok((
        run,
        Replay {
            points,
            iterations,
            checkpoint,
        },
    ))
}

/// `in_target.csv` is derived from `points.csv`: rewrite it so both agree.
fn rebuild_in_target(dir: &Path, layout: &Layout, points: &[PointRecord]) -> Result<PathBuf, ScanError> {
    let in_target = dir.join("in_target.csv");
    let rebuilt = dir.join("in_target.csv.tmp");
    if rebuilt.exists() {
        std::fs::remove_file(&rebuilt).map_err(ScanError::io(&rebuilt))?;
    }
    let mut j = Journal::create(&rebuilt, &layout.header, layout.with_likelihood)?;
    for r in points.iter().filter(|r| r.in_target) {
        j.append(r)?;
    }
    j.sync()?;
    drop(j);
    std::fs::rename(&rebuilt, &in_target).map_err(ScanError::io(&in_target))?;
    atomic::sync_dir(dir)?;
    Ok(in_target)
}
