//! `points.csv`: the append-only record of every evaluated point.
//!
//! Rows are written as results arrive (flushed to the operating system after each chunk,
//! so a killed process loses nothing already evaluated) and fsync'ed at the end of every
//! iteration. Columns: `id, iteration, <parameters…>, <outputs…>, [likelihood,] status,
//! in_target, message`. Numbers are written in Rust's shortest round-trip form, so reading
//! them back gives the same bits.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::ScanError;
use crate::evaluator::Status;
use crate::history::PointRecord;
use crate::strategy::Origin;

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

/// Columns of `points.csv` that are not parameters or outputs.
pub const FIXED_COLUMNS: [&str; 7] = [
    "id",
    "iteration",
    "origin",
    "target_likelihood",
    "status",
    "in_target",
    "message",
];

/// Every column of `points.csv` must have its own name: CSV readers (pandas, csv) resolve a
/// repeated header silently to one of the columns. A parameter named like a fixed column or
/// like an output, or two of either with one name, is refused, naming both.
pub fn check_columns(parameters: &[String], outputs: &[String]) -> Result<(), crate::ScanError> {
    let mut seen: std::collections::HashMap<&str, String> = FIXED_COLUMNS
        .iter()
        .map(|c| (*c, format!("the `{c}` column")))
        .collect();
    let named = parameters
        .iter()
        .map(|p| (p, format!("parameter `{p}`")))
        .chain(outputs.iter().map(|o| (o, format!("the oracle's output `{o}`"))));
    for (name, what) in named {
        if let Some(first) = seen.get(name.as_str()) {
            return Err(crate::ScanError::OracleMismatch(format!(
                "{what} has the name of {first}: the columns of points.csv must differ; rename the parameter \
                 (or the output, where the plugin lets you)"
            )));
        }
        seen.insert(name, what);
    }
    Ok(())
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

    /// Open an existing journal to append rows after its last complete one (a torn last
    /// line, left by a process killed while writing, is cut off first).
    pub fn reopen(path: &Path, with_likelihood: bool) -> Result<Self, ScanError> {
        truncate_torn_tail(path)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(ScanError::io(path))?;
        Ok(Journal {
            path: path.to_path_buf(),
            writer: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(BufWriter::new(file)),
            with_likelihood,
            row: Vec::new(),
        })
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

/// Cut `path` after its last newline: a row is only valid once its newline is written.
/// Reads only the file's tail, block by block backwards, so a long journal is not read.
pub fn truncate_torn_tail(path: &Path) -> Result<(), ScanError> {
    const BLOCK: u64 = 64 * 1024;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(ScanError::io(path))?;
    let len = file.metadata().map_err(ScanError::io(path))?.len();
    let mut end = len;
    let mut keep = 0;
    let mut block = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        block.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start)).map_err(ScanError::io(path))?;
        file.read_exact(&mut block).map_err(ScanError::io(path))?;
        if let Some(i) = block.iter().rposition(|&b| b == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if keep < len {
        file.set_len(keep).map_err(ScanError::io(path))?;
        file.sync_all().map_err(ScanError::io(path))?;
    }
    Ok(())
}

/// Hand every complete row of a journal written with `header` to `each`, in file order,
/// reading the file once and holding one row at a time.
pub fn for_each_record(
    path: &Path,
    header: &[String],
    dim: usize,
    n_outputs: usize,
    with_likelihood: bool,
    mut each: impl FnMut(PointRecord) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    let bad = |line: usize, message: String| ScanError::Journal {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| ScanError::Journal {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let found: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    if found != header {
        return Err(bad(
            1,
            format!("columns {found:?} do not match this run's parameters and oracle outputs {header:?}"),
        ));
    }
    let number = |line: usize, v: &str| {
        v.parse::<f64>()
            .map_err(|_| bad(line, format!("`{v}` is not a number")))
    };
    let mut row = csv::StringRecord::new();
    for line in 2.. {
        match reader.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(bad(line, e.to_string())),
        }
        if row.len() != header.len() {
            return Err(bad(line, format!("{} fields, expected {}", row.len(), header.len())));
        }
        let mut c = 0;
        let mut next = || {
            c += 1;
            &row[c - 1]
        };
        let id = next().parse::<u64>().map_err(|_| bad(line, "bad id".into()))?;
        let iteration = next().parse::<u32>().map_err(|_| bad(line, "bad iteration".into()))?;
        let origin = Origin::parse(next()).ok_or_else(|| bad(line, "bad origin".into()))?;
        let x = (0..dim).map(|_| number(line, next())).collect::<Result<Vec<_>, _>>()?;
        let outputs = (0..n_outputs)
            .map(|_| number(line, next()))
            .collect::<Result<Vec<_>, _>>()?;
        let likelihood = if with_likelihood {
            Some(number(line, next())?)
        } else {
            None
        };
        let status = Status::parse(next()).ok_or_else(|| bad(line, "bad status".into()))?;
        let in_target = match next() {
            "1" => true,
            "0" => false,
            other => return Err(bad(line, format!("bad in_target `{other}`"))),
        };
        let message = Some(next().to_string()).filter(|m| !m.is_empty());
        each(PointRecord {
            id,
            iteration,
            origin,
            x,
            outputs,
            likelihood,
            status,
            in_target,
            message,
        })?;
    }
    Ok(())
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

    #[test]
    fn a_torn_last_line_is_cut_wherever_the_last_newline_lies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("points.csv");
        // Whole rows, then a torn tail longer than one block read backwards.
        let rows = "id,x\n0,1\n1,2\n";
        for (tail, kept) in [
            ("", rows.len()),
            ("2,3", rows.len()),
            (&"9".repeat(200_000) as &str, rows.len()),
        ] {
            std::fs::write(&path, format!("{rows}{tail}")).unwrap();
            truncate_torn_tail(&path).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), &rows[..kept]);
        }
        // No newline at all: nothing is a complete row.
        std::fs::write(&path, "9".repeat(70_000)).unwrap();
        truncate_torn_tail(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        // The newline exactly at a block boundary seen from the end.
        let head = format!("{}\n", "1".repeat(10));
        std::fs::write(&path, format!("{head}{}", "7".repeat(64 * 1024))).unwrap();
        truncate_torn_tail(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), head);
    }
}

#[cfg(test)]
mod column_tests {
    use super::check_columns;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_column_name_is_distinct() {
        check_columns(&names(&["x", "y"]), &names(&["O", "likelihood"])).unwrap();
        let e = check_columns(&names(&["status", "y"]), &names(&["O"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("parameter `status`") && e.contains("`status` column"), "{e}");
        let e = check_columns(&names(&["mH", "tanb"]), &names(&["mh", "mH"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("output `mH`") && e.contains("parameter `mH`"), "{e}");
        let e = check_columns(&names(&["x", "x"]), &[]).unwrap_err().to_string();
        assert!(e.contains("parameter `x` has the name of parameter `x`"), "{e}");
        assert!(check_columns(&[], &names(&["in_target"])).is_err());
    }
}
