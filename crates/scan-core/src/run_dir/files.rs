//! The run directory's files, each kept up to date by an observer of the run.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::atomic::write_atomically;
use crate::error::ScanError;
use crate::history::PointRecord;
use crate::journal::Journal;
use crate::scanner::{BatchProgress, IterationRecord, Observer, Summary};

/// `points.csv` and its in-target subset `in_target.csv`: rows appended and handed to the
/// operating system as each chunk arrives, fsync'ed when the iteration ends.
#[derive(Debug)]
pub(crate) struct PointFiles {
    pub points: Journal,
    pub in_target: Journal,
}

impl Observer for PointFiles {
    fn on_points(&mut self, points: &[PointRecord], _: BatchProgress) -> Result<(), ScanError> {
        for p in points {
            self.points.append(p)?;
            if p.in_target {
                self.in_target.append(p)?;
            }
        }
        self.points.flush()?;
        self.in_target.flush()
    }

    fn on_iteration_end(&mut self, _: &IterationRecord, _: &Summary) -> Result<(), ScanError> {
        self.points.sync()?;
        self.in_target.sync()
    }
}

/// `iterations.csv`: one row per iteration.
#[derive(Debug)]
pub(crate) struct IterationsTable {
    path: PathBuf,
    writer: csv::Writer<File>,
}

impl IterationsTable {
    /// A new table at `path` (header written with the first row).
    pub fn create(path: &Path) -> Result<Self, ScanError> {
        let file = File::create_new(path).map_err(ScanError::io(path))?;
        Ok(Self::over(path, file, true))
    }

    /// Append to the table at `path`, which already holds `rows` rows.
    pub fn append_to(path: &Path, rows: usize) -> Result<Self, ScanError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(ScanError::io(path))?;
        Ok(Self::over(path, file, rows == 0))
    }

    fn over(path: &Path, file: File, with_header: bool) -> Self {
        IterationsTable {
            path: path.to_path_buf(),
            writer: csv::WriterBuilder::new().has_headers(with_header).from_writer(file),
        }
    }

    /// The rows of the table at `path`, if it exists.
    pub fn read(path: &Path) -> Result<Vec<IterationRecord>, ScanError> {
        if !path.is_file() {
            return Ok(Vec::new());
        }
        crate::journal::truncate_torn_tail(path)?;
        let bad = |e: csv::Error| ScanError::Journal {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut reader = csv::Reader::from_path(path).map_err(bad)?;
        reader.deserialize().map(|row| row.map_err(bad)).collect()
    }
}

impl Observer for IterationsTable {
    fn on_iteration_end(&mut self, record: &IterationRecord, _: &Summary) -> Result<(), ScanError> {
        let io = |e: std::io::Error| ScanError::Io {
            path: self.path.clone(),
            source: e,
        };
        self.writer
            .serialize(record)
            .map_err(|e| io(std::io::Error::other(e)))?;
        self.writer.flush().map_err(io)
    }
}

/// `summary.json`: the run's totals, replaced atomically after every iteration and at the
/// end.
#[derive(Debug)]
pub(crate) struct SummaryFile {
    pub path: PathBuf,
}

impl SummaryFile {
    fn write(&self, summary: &Summary) -> Result<(), ScanError> {
        let text = serde_json::to_string_pretty(summary).expect("a summary serialises") + "\n";
        write_atomically(&self.path, text.as_bytes())
    }
}

impl Observer for SummaryFile {
    fn on_iteration_end(&mut self, _: &IterationRecord, summary: &Summary) -> Result<(), ScanError> {
        self.write(summary)
    }

    fn on_finish(&mut self, summary: &Summary) -> Result<(), ScanError> {
        self.write(summary)
    }
}
