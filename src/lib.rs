//! Helpers shared by the workspace's end-to-end tests and benchmark programs: where the
//! build put the `dlscan` binary and the plugins, running it, and reading what a run
//! recorded.
//!
//! The artifacts are built by `cargo build --workspace` (which `make test` runs before the
//! tests); the helpers fail with that instruction when they are missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory holding the build's binaries and plugins (`target/debug` or
/// `target/release`), found from the running executable (`target/<profile>/deps/…` for
/// tests, `target/<profile>/examples/…` for examples).
pub fn artifact_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable path");
    let mut dir = exe.parent().expect("executable has a parent").to_path_buf();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    dir
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (`cargo build --workspace`, as `make test` does)",
        path.display()
    );
    path
}

/// Path of the built plugin called `name` (e.g. `toy`).
pub fn plugin_path(name: &str) -> PathBuf {
    existing(artifact_dir().join(oracle_api::plugin_file_name(name)))
}

/// Path of the built `dlscan` binary.
pub fn dlscan_binary() -> PathBuf {
    existing(artifact_dir().join(format!("dlscan{}", std::env::consts::EXE_SUFFIX)))
}

/// Run the built `dlscan` with `args` and wait for it.
pub fn dlscan(args: &[&str]) -> Output {
    Command::new(dlscan_binary()).args(args).output().expect("run dlscan")
}

/// A program's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A run's `points.csv`: its header and rows.
#[derive(Debug)]
pub struct Points {
    pub header: Vec<String>,
    pub rows: Vec<csv::StringRecord>,
}

impl Points {
    /// The `points.csv` of run directory `dir`.
    pub fn read(dir: &Path) -> Points {
        Points::read_file(&dir.join("points.csv"))
    }

    pub fn read_file(path: &Path) -> Points {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader.records().map(Result::unwrap).collect();
        Points { header, rows }
    }

    /// The position of column `name`.
    pub fn index(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    pub fn column(&self, name: &str) -> Vec<String> {
        let i = self.index(name);
        self.rows.iter().map(|r| r[i].to_string()).collect()
    }

    pub fn numbers(&self, name: &str) -> Vec<f64> {
        self.column(name).iter().map(|v| v.parse().unwrap()).collect()
    }
}

/// The rows of run directory `dir`'s `points.csv` sorted by id, as text; a repeated id
/// fails.
pub fn rows_by_id(dir: &Path) -> Vec<String> {
    let points = Points::read(dir);
    let mut rows: Vec<(u64, String)> = points
        .rows
        .iter()
        .map(|r| (r[0].parse().unwrap(), r.iter().collect::<Vec<_>>().join(",")))
        .collect();
    rows.sort_by_key(|r| r.0);
    assert!(rows.windows(2).all(|w| w[0].0 != w[1].0), "a point id appears twice");
    rows.into_iter().map(|r| r.1).collect()
}
