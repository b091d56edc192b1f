//! `points.csv`: the append-only record of every evaluated point.
//!
//! Rows are written as results arrive (flushed to the operating system after each chunk,
//! so a killed process loses nothing already evaluated) and fsync'ed at the end of every
//! iteration. Columns: `id, iteration, <parameters…>, <outputs…>, [likelihood,] status,
//! in_target, message`. Numbers are written in Rust's shortest round-trip form, so reading
//! them back gives the same bits.

use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::history::PointRecord;

/// Writer of `points.csv`.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    with_likelihood: bool,
    row: Vec<String>,
}

/// `v` in its shortest round-trip form: plain decimals for moderate magnitudes, scientific
/// notation for very small or very large ones (so 7.5e-77 does not become 80 characters).
pub fn format_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&a) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// The header of `points.csv` for these parameter and output names.
pub fn header(parameters: &[String], outputs: &[String], with_likelihood: bool) -> Vec<String> {
    let mut h = vec!["id".to_string(), "iteration".to_string(), "origin".to_string()];
    h.extend(parameters.iter().cloned());
    h.extend(outputs.iter().cloned());
    if with_likelihood {
        h.push("target_likelihood".into());
    }
    h.extend(["status", "in_target", "message"].map(String::from));
    h
}

impl Journal {
    /// Create `path` (which must not exist) and write the header.
    pub fn create(path: &Path, header: &[String], with_likelihood: bool) -> Result<Self, ScanError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(ScanError::io(path))?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(BufWriter::new(file)),
            with_likelihood,
            row: Vec::new(),
        };
        journal.writer.write_record(header).map_err(|e| journal.csv_error(e))?;
        journal.flush()?;
        Ok(journal)
    }

    fn csv_error(&self, e: csv::Error) -> ScanError {
        ScanError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        }
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one point.
    pub fn append(&mut self, p: &PointRecord) -> Result<(), ScanError> {
        self.row.clear();
        self.row.push(p.id.to_string());
        self.row.push(p.iteration.to_string());
        self.row.push(p.origin.as_str().into());
        self.row.extend(p.x.iter().copied().map(format_number));
        self.row.extend(p.outputs.iter().copied().map(format_number));
        if self.with_likelihood {
            self.row.push(p.likelihood.map_or_else(|| "NaN".into(), format_number));
        }
        self.row.push(p.status.as_str().into());
        self.row.push(if p.in_target { "1" } else { "0" }.into());
        self.row.push(p.message.clone().unwrap_or_default());
        let row = std::mem::take(&mut self.row);
        let written = self.writer.write_record(&row).map_err(|e| self.csv_error(e));
        self.row = row;
        written
    }

    /// Hand buffered rows to the operating system (survives a killed process).
    pub fn flush(&mut self) -> Result<(), ScanError> {
        self.writer.flush().map_err(ScanError::io(&self.path))
    }

    /// Flush and fsync (survives a power cut).
    pub fn sync(&mut self) -> Result<(), ScanError> {
        self.flush()?;
        self.writer
            .get_ref()
            .get_ref()
            .sync_data()
            .map_err(ScanError::io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_exactly() {
        for v in [
            0.0,
            -0.0,
            1.0,
            243.0,
            0.1,
            1.0 / 3.0,
            7.511739530734716e-77,
            1e300,
            -2.5e-6,
            123456.789,
            1e16,
        ] {
            let s = format_number(v);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v} -> {s}");
            assert!(s.len() < 25, "{s}");
        }
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::INFINITY), "inf");
        assert_eq!(format_number(7.511739530734716e-77), "7.511739530734716e-77");
    }
}
