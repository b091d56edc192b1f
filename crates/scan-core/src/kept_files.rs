//! Files the oracle wrote for chosen points (a spectrum for every in-target point, the
//! program's log for every failure), kept in the run directory.
//!
//! The evaluator stages the files named by any rule after each point
//! ([`crate::EvaluatePoints::staged_files`]); once the point is judged, those the rules
//! keep for it move to `files/<id / 1000, four digits>/<id>/` (at most a thousand points
//! per folder, so that folders stay fast to list at 10⁶ points), and the rest are dropped.
//! Plain files, so that any tool reads them (`pyslha`, the `slha` crate, `grep`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::evaluator::Status;

/// Which points a rule keeps files of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepFor {
    InTarget,
    /// Points whose oracle call did not succeed (failed, NaN, timed out, crashed).
    Failed,
    All,
}

/// Files to keep, and for which points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepRule {
    /// File names, as the oracle writes them in its files directory.
    pub files: Vec<String>,
    pub points: KeepFor,
}

impl KeepRule {
    fn applies(&self, in_target: bool, status: Status) -> bool {
        match self.points {
            KeepFor::InTarget => in_target,
            KeepFor::Failed => status != Status::Ok,
            KeepFor::All => true,
        }
    }

    /// A rule needs files, and plain names: a path could write outside the point's folder.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.files.is_empty() {
            return Err(ScanError::setting("oracle.keep", "`files` names no file"));
        }
        if let Some(f) = self
            .files
            .iter()
            .find(|f| f.is_empty() || f.contains(['/', '\\']) || *f == "." || *f == "..")
        {
            return Err(ScanError::setting(
                "oracle.keep",
                format!("`{f}` is not a plain file name"),
            ));
        }
        Ok(())
    }
}

/// Every file name the rules mention, once each (what the evaluator collects).
pub fn files_named(rules: &[KeepRule]) -> Vec<String> {
    let mut names: Vec<String> = rules.iter().flat_map(|r| r.files.iter().cloned()).collect();
    names.sort();
    names.dedup();
    names
}

/// The folder of point `id` under `root`.
pub fn point_dir(root: &Path, id: u64) -> PathBuf {
    root.join(format!("{:04}", id / 1000)).join(id.to_string())
}

/// Moves the staged files of judged points into a run directory's `files/`.
#[derive(Debug)]
pub(crate) struct KeptFiles {
    rules: Vec<KeepRule>,
    root: PathBuf,
}

impl KeptFiles {
    pub fn new(rules: Vec<KeepRule>, run_dir: &Path) -> Option<KeptFiles> {
        (!rules.is_empty()).then(|| KeptFiles {
            rules,
            root: run_dir.join("files"),
        })
    }

    /// Keep what the rules keep of point `id`'s files staged in `staged`, then drop the
    /// staged copies. A point re-evaluated after a resume replaces its folder.
    pub fn keep(&self, id: u64, in_target: bool, status: Status, staged: &Path) -> Result<(), ScanError> {
        let wanted: Vec<&String> = self
            .rules
            .iter()
            .filter(|r| r.applies(in_target, status))
            .flat_map(|r| &r.files)
            .collect();
        let present: Vec<&String> = wanted.into_iter().filter(|f| staged.join(f).is_file()).collect();
        if !present.is_empty() {
            let dir = point_dir(&self.root, id);
            std::fs::create_dir_all(&dir).map_err(ScanError::io(&dir))?;
            for f in present {
                let to = dir.join(f);
                // Staging may lie on another filesystem: rename, else copy.
                if std::fs::rename(staged.join(f), &to).is_err() {
                    std::fs::copy(staged.join(f), &to).map_err(ScanError::io(&to))?;
                }
            }
        }
        let _ = std::fs::remove_dir_all(staged);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_keep_per_kind_of_point_into_sharded_folders() {
        let run = tempfile::tempdir().unwrap();
        let kept = KeptFiles::new(
            vec![
                KeepRule {
                    files: vec!["SPheno.spc".into()],
                    points: KeepFor::InTarget,
                },
                KeepRule {
                    files: vec!["Messages.out".into()],
                    points: KeepFor::Failed,
                },
            ],
            run.path(),
        )
        .unwrap();
        let stage = |name: &str| {
            let d = run.path().join("stage").join(name);
            std::fs::create_dir_all(&d).unwrap();
            for f in ["SPheno.spc", "Messages.out", "other.txt"] {
                std::fs::write(d.join(f), f).unwrap();
            }
            d
        };
        kept.keep(12_345, true, Status::Ok, &stage("a")).unwrap();
        kept.keep(7, false, Status::Failed, &stage("b")).unwrap();
        kept.keep(8, false, Status::Ok, &stage("c")).unwrap();
        let listing = |id| {
            let dir = point_dir(&run.path().join("files"), id);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .map(|d| {
                    d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        assert_eq!(listing(12_345), ["SPheno.spc"]);
        assert!(run.path().join("files/0012/12345/SPheno.spc").is_file());
        assert_eq!(listing(7), ["Messages.out"]);
        assert!(listing(8).is_empty());
        // Staged copies are gone, kept or not.
        assert!(std::fs::read_dir(run.path().join("stage")).unwrap().next().is_none());
        assert_eq!(files_named(&kept.rules), ["Messages.out", "SPheno.spc"]);
        assert!(
            KeepRule {
                files: vec!["../x".into()],
                points: KeepFor::All
            }
            .check()
            .is_err()
        );
    }
}
