//! End to end with a real spectrum calculator: `dlscan run examples/simsusy.toml` scans
//! two MSSM parameters through the command plugin and simsusy's tree-level calculator
//! (installed into .venv by `make`), and every point it reports in target truly is: the
//! calculator, run again by hand on the point, gives the recorded neutralino mass.

use std::path::{Path, PathBuf};
use std::process::Command;

use dlscan_suite::dlscan_binary;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn simsusy() -> PathBuf {
    let path = repo().join(".venv/bin/simsusy");
    assert!(
        path.exists(),
        "{} is missing: `make test` installs simsusy into .venv",
        path.display()
    );
    path
}

/// m_chi10 from simsusy for (M1, mu), run directly in a fresh directory.
fn neutralino_mass(m1: f64, mu: f64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut input =
        slha::Slha::parse(&std::fs::read_to_string(repo().join("examples/simsusy/in.slha")).unwrap()).unwrap();
    input.set_value("EXTPAR", &[1], m1).unwrap();
    input.set_value("EXTPAR", &[23], mu).unwrap();
    std::fs::write(dir.path().join("in.slha"), input.to_string()).unwrap();
    let status = Command::new(simsusy())
        .args(["run", "mssm.tree_calculator", "in.slha", "out.slha"])
        .current_dir(dir.path())
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let out = slha::Slha::parse_lenient(&std::fs::read_to_string(dir.path().join("out.slha")).unwrap());
    out.value("MASS", &[1000022]).unwrap()
}

#[test]
fn simsusy_scan_finds_points_that_truly_are_in_target() {
    simsusy();
    let out = tempfile::tempdir().unwrap();
    // From another directory: the template and the program resolve against the
    // configuration's directory.
    let run = Command::new(dlscan_binary())
        .arg("run")
        .arg(repo().join("examples/simsusy.toml"))
        .args(["--no-plots", "--out"])
        .arg(out.path())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    let mut reader = csv::Reader::from_path(out.path().join("points.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 100);
    let failed = rows.iter().filter(|r| &r[col("status")] != "ok").count();
    assert_eq!(failed, 0, "simsusy failed on {failed} points");
    let found: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[col("in_target")] == "1").collect();
    // The band 200 < m_chi10 < 250 covers roughly a sixth of the box: the scan must beat that.
    assert!(found.len() > 25, "{} in target", found.len());
    for r in &found {
        let m: f64 = r[col("m_chi10")].parse().unwrap();
        assert!(200.0 < m && m < 250.0, "{m}");
    }
    for r in found.iter().step_by(found.len() / 3) {
        let (m1, mu): (f64, f64) = (r[col("M1")].parse().unwrap(), r[col("mu")].parse().unwrap());
        let recorded: f64 = r[col("m_chi10")].parse().unwrap();
        assert_eq!(neutralino_mass(m1, mu), recorded, "M1 = {m1}, mu = {mu}");
    }
}
