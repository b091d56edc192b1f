//! The run directory: `points.csv`, `in_target.csv`, `iterations.csv`, `summary.json` and
//! `checkpoint/`. Creating one gives the observers that keep its files; reopening one
//! replays what it holds so the run can continue.

mod atomic;
mod checkpoint;
mod files;
mod lock;

use std::path::Path;

pub use atomic::write_atomically;
pub(crate) use checkpoint::{Checkpoint, CheckpointState, Checkpointer, PendingBatch};
use files::{IterationsTable, PointFiles, SummaryFile};

use crate::error::ScanError;
use crate::history::PointRecord;
use crate::journal::{self, Journal};
use crate::scanner::{IterationRecord, Observer};

/// The files and folders a run keeps in its directory (besides its lock).
pub const RUN_FILES: [&str; 6] = [
    "points.csv",
    "in_target.csv",
    "iterations.csv",
    "summary.json",
    "checkpoint",
    "files",
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
    /// One past the largest recorded id and iteration.
    pub next_id: u64,
    pub next_iteration: u32,
    pub iterations: Vec<IterationRecord>,
    pub checkpoint: Option<Checkpoint>,
    /// The recorded points of the checkpoint's pending batch, in id order.
    pub pending_done: Vec<PointRecord>,
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

/// Reopen the run in `dir`: stream `points.csv` once (dropping a torn last line), handing
/// each point to `on_point` in id order and rewriting `in_target.csv` from it on the way;
/// read the iterations table and the checkpoint; return the observers that append to the
/// files.
pub(crate) fn reopen(
    dir: &Path,
    layout: &Layout,
    fingerprint: Option<String>,
    mut on_point: impl FnMut(&PointRecord),
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
    let checkpointer = Checkpointer::new(dir, fingerprint);
    let checkpoint = checkpointer.load()?;
    let pending_from = checkpoint
        .as_ref()
        .and_then(|c| c.pending.as_ref())
        .map_or(u64::MAX, |p| p.first_id);

    let in_target = dir.join("in_target.csv");
    let rebuilt = dir.join("in_target.csv.tmp");
    if rebuilt.exists() {
        std::fs::remove_file(&rebuilt).map_err(ScanError::io(&rebuilt))?;
    }
    let mut in_target_rows = Journal::create(&rebuilt, &layout.header, layout.with_likelihood)?;
    let (mut next_id, mut next_iteration) = (0, 0);
    let mut pending_done = Vec::new();
    let mut in_order = IdOrder::default();
    let mut emit = |r: PointRecord| -> Result<(), ScanError> {
        on_point(&r);
        if r.in_target {
            in_target_rows.append(&r)?;
        }
        next_id = next_id.max(r.id + 1);
        next_iteration = next_iteration.max(r.iteration + 1);
        if r.id >= pending_from {
            pending_done.push(r);
        }
        Ok(())
    };
    let duplicate = || ScanError::Journal {
        path: points_path.clone(),
        message: "a point id appears twice".into(),
    };
    journal::for_each_record(
        &points_path,
        &layout.header,
        layout.dim,
        layout.n_outputs,
        layout.with_likelihood,
        |r| in_order.push(r, &mut emit).ok_or_else(duplicate)?,
    )?;
    in_order.finish(&mut emit)?;
    in_target_rows.sync()?;
    drop(in_target_rows);
    std::fs::rename(&rebuilt, &in_target).map_err(ScanError::io(&in_target))?;
    atomic::sync_dir(dir)?;

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
            next_id,
            next_iteration,
            iterations,
            checkpoint,
            pending_done,
        },
    ))
}

/// Puts rows written slightly out of id order (points of one batch are recorded as they
/// finish) back in order while streaming: a row waits only until the ids before it have
/// come, so memory stays within about one batch.
#[derive(Default)]
struct IdOrder {
    next: u64,
    waiting: std::collections::BTreeMap<u64, PointRecord>,
}

impl IdOrder {
    /// Take `r`, emitting every row now in order; `None` if its id was seen before.
    fn push(
        &mut self,
        r: PointRecord,
        emit: &mut impl FnMut(PointRecord) -> Result<(), ScanError>,
    ) -> Option<Result<(), ScanError>> {
        if r.id < self.next || self.waiting.contains_key(&r.id) {
            return None;
        }
        self.waiting.insert(r.id, r);
        while let Some(entry) = self.waiting.first_entry() {
            if *entry.key() != self.next {
                break;
            }
            self.next += 1;
            if let Err(e) = emit(entry.remove()) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }

    /// Emit the rows still waiting (behind ids never recorded: an interrupted batch).
    fn finish(self, emit: &mut impl FnMut(PointRecord) -> Result<(), ScanError>) -> Result<(), ScanError> {
        self.waiting.into_values().try_for_each(emit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluator::Status;
    use crate::strategy::Origin;

    fn record(id: u64) -> PointRecord {
        PointRecord {
            id,
            iteration: 0,
            origin: Origin::Initial,
            x: vec![id as f64],
            outputs: vec![],
            likelihood: None,
            status: Status::Ok,
            in_target: false,
            message: None,
        }
    }

    fn order(ids: &[u64]) -> Result<Vec<u64>, u64> {
        let mut in_order = IdOrder::default();
        let mut out = Vec::new();
        let mut emit = |r: PointRecord| {
            out.push(r.id);
            Ok(())
        };
        for &id in ids {
            if in_order.push(record(id), &mut emit).is_none() {
                return Err(id);
            }
        }
        in_order.finish(&mut emit).unwrap();
        Ok(out)
    }

    #[test]
    fn rows_come_out_in_id_order_holding_back_only_those_behind_a_gap() {
        assert_eq!(order(&[0, 2, 1, 3, 5, 4]), Ok(vec![0, 1, 2, 3, 4, 5]));
        // An interrupted batch leaves gaps: what follows them still comes out, sorted.
        assert_eq!(order(&[0, 1, 4, 2, 6]), Ok(vec![0, 1, 2, 4, 6]));
        // Emitted as soon as the ids before have come: only rows behind a gap wait.
        let mut in_order = IdOrder::default();
        let mut seen = 0;
        let mut emit = |_: PointRecord| {
            seen += 1;
            Ok(())
        };
        for id in [0, 1, 3] {
            in_order.push(record(id), &mut emit).unwrap().unwrap();
        }
        assert_eq!(in_order.waiting.len(), 1);
        in_order.push(record(2), &mut emit).unwrap().unwrap();
        assert!(in_order.waiting.is_empty());
        assert_eq!(seen, 4);
    }

    #[test]
    fn a_repeated_id_is_refused_whether_emitted_or_waiting() {
        assert_eq!(order(&[0, 1, 1]), Err(1));
        assert_eq!(order(&[0, 3, 2, 3]), Err(3));
    }
}
