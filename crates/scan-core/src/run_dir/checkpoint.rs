//! `checkpoint/`: everything beyond `points.csv` needed to continue a run — the counters,
//! the wall time and the strategy's learnt state — replaced atomically twice per
//! iteration: once its batch is proposed (with the batch, so a resumed run evaluates the
//! points still missing under their ids instead of proposing afresh), and once it is
//! done. (The random streams derive from the seed and the iteration number alone.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::write_atomically;
use crate::error::ScanError;
use crate::strategy::Strategy;

const FORMAT: &str = "dlscan-checkpoint/1";

/// What `checkpoint/state.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    format: String,
    pub fingerprint: Option<String>,
    pub next_iteration: u32,
    pub next_id: u64,
    /// Points on record when the checkpoint was taken.
    pub points: usize,
    /// Wall time of the run so far.
    pub seconds: f64,
    /// Directory (under `checkpoint/`) holding the strategy's state.
    strategy_state: Option<String>,
    /// The batch of iteration `next_iteration`, proposed and being evaluated.
    #[serde(default)]
    pub pending: Option<PendingBatch>,
}

/// A proposed batch: its points get the ids `first_id..first_id + origin.len()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingBatch {
    pub first_id: u64,
    /// Unit-cube coordinates, row-major.
    pub unit: Vec<f64>,
    pub origin: Vec<crate::strategy::Origin>,
    pub report: crate::strategy::ProposalReport,
    pub seconds_proposal: f64,
}

/// Where a run's counters stand when a checkpoint is taken.
#[derive(Debug, Clone)]
pub(crate) struct CheckpointState {
    pub next_iteration: u32,
    pub next_id: u64,
    pub points: usize,
    pub seconds: f64,
    pub pending: Option<PendingBatch>,
}

/// Writes and reads the checkpoint of one run directory.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    dir: PathBuf,
    fingerprint: Option<String>,
    /// The strategy directory this process last wrote, for checkpoints taken while the
    /// strategy has not changed since (an iteration's end, after its proposal's).
    written: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl Checkpointer {
    pub fn new(run_dir: &Path, fingerprint: Option<String>) -> Self {
        Checkpointer {
            dir: run_dir.join("checkpoint"),
            fingerprint,
            written: Default::default(),
        }
    }

    /// Save the strategy's state into a new directory, then `state.json` (atomically: it
    /// is the commit point), then remove older strategy directories.
    pub fn save(&self, state: &CheckpointState, strategy: &dyn Strategy) -> Result<(), ScanError> {
        self.save_as(state, Some(strategy))
    }

    /// Like [`Checkpointer::save`], for a strategy unchanged since this process last saved
    /// it: the new `state.json` names the directory already written instead of writing the
    /// weights again (they are saved anew when there is none).
    pub fn save_unchanged(&self, state: &CheckpointState, strategy: &dyn Strategy) -> Result<(), ScanError> {
        let known = self.written.lock().expect("checkpoint lock").is_some();
        self.save_as(state, (!known).then_some(strategy))
    }

    /// Write the strategy's state into a new directory (`None`: keep the last written),
    /// then `state.json`, then remove the other strategy directories.
    fn save_as(&self, state: &CheckpointState, strategy: Option<&dyn Strategy>) -> Result<(), ScanError> {
        std::fs::create_dir_all(&self.dir).map_err(ScanError::io(&self.dir))?;
        let mut written = self.written.lock().expect("checkpoint lock");
        let Some(strategy) = strategy else {
            let sub = written.clone().expect("a strategy directory was written");
            return self.commit(state, Some(sub));
        };
        // A distinct directory per save, so the state.json on disk always names one that is
        // complete until the new state.json replaces it.
        let sub = format!(
            "strategy-{}{}",
            state.next_iteration,
            if state.pending.is_some() { "-proposed" } else { "" }
        );
        let state_dir = self.dir.join(&sub);
        if state_dir.exists() {
            std::fs::remove_dir_all(&state_dir).map_err(ScanError::io(&state_dir))?;
        }
        strategy.save_state(&state_dir)?;
        let saved = state_dir.exists().then(|| sub.clone());
        *written = saved.clone();
        self.commit(state, saved)
    }

    /// Write `state.json` naming the strategy directory `sub` (atomically: it is the commit
    /// point), then remove the other strategy directories.
    fn commit(&self, state: &CheckpointState, sub: Option<String>) -> Result<(), ScanError> {
        let checkpoint = Checkpoint {
            format: FORMAT.into(),
            fingerprint: self.fingerprint.clone(),
            next_iteration: state.next_iteration,
            next_id: state.next_id,
            points: state.points,
            seconds: state.seconds,
            strategy_state: sub.clone(),
            pending: state.pending.clone(),
        };
        let text = serde_json::to_string_pretty(&checkpoint).expect("a checkpoint serialises");
        write_atomically(&self.dir.join("state.json"), text.as_bytes())?;
        // Older states are garbage once state.json names the new one; failing to remove
        // one only costs disk space.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("strategy-") && Some(&name) != sub.as_ref() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(())
    }

    /// The checkpoint on disk, if any; refused when its format is unknown or it was taken
    /// under another configuration.
    pub fn load(&self) -> Result<Option<Checkpoint>, ScanError> {
        let path = self.dir.join("state.json");
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(ScanError::io(&path))?;
        let bad = |message: String| ScanError::Journal {
            path: path.clone(),
            message,
        };
        let state: Checkpoint = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if state.format != FORMAT {
            return Err(bad(format!("unknown checkpoint format `{}`", state.format)));
        }
        if state.fingerprint.is_some() && self.fingerprint.is_some() && state.fingerprint != self.fingerprint {
            return Err(ScanError::RunDir {
                path: self.dir.clone(),
                message: "the run's configuration changed since the checkpoint; restore config.toml or start a new run"
                    .into(),
            });
        }
        Ok(Some(state))
    }

    /// Restore the strategy's state saved with `checkpoint`. That directory then counts as
    /// written by this process: a later [`Checkpointer::save_unchanged`] names it instead of
    /// saving the strategy as it is by then (a pipelined scan's strategy has moved on to
    /// the next batch by the end of an iteration).
    pub fn restore_strategy(&self, checkpoint: &Checkpoint, strategy: &mut dyn Strategy) -> Result<(), ScanError> {
        match &checkpoint.strategy_state {
            Some(sub) => {
                strategy.load_state(&self.dir.join(sub))?;
                *self.written.lock().expect("checkpoint lock") = Some(sub.clone());
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Uniform;

    fn state(next_iteration: u32) -> CheckpointState {
        CheckpointState {
            next_iteration,
            next_id: 70,
            points: 70,
            seconds: 1.5,
            pending: None,
        }
    }

    #[test]
    fn a_saved_checkpoint_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Checkpointer::new(dir.path(), Some("abc".into()));
        assert!(c.load().unwrap().is_none());
        c.save(&state(4), &Uniform).unwrap();
        let back = c.load().unwrap().unwrap();
        assert_eq!((back.next_iteration, back.next_id, back.points), (4, 70, 70));
        assert_eq!(back.seconds, 1.5);
    }

    #[test]
    fn another_configuration_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Checkpointer::new(dir.path(), Some("abc".into()))
            .save(&state(2), &Uniform)
            .unwrap();
        let e = Checkpointer::new(dir.path(), Some("xyz".into())).load().unwrap_err();
        assert!(e.to_string().contains("configuration changed"), "{e}");
        std::fs::write(dir.path().join("checkpoint/state.json"), "{").unwrap();
        assert!(Checkpointer::new(dir.path(), None).load().is_err());
    }
}
