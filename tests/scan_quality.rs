//! What a scan with default settings must do on problems the examples do not tune for:
//! learn where the oracle fails, and find every island of a multi-island target.

use std::path::{Path, PathBuf};
use std::process::Command;

use dlscan_suite::{dlscan_binary, plugin_path};

fn run(dir: &Path, config: &str) -> PathBuf {
    let path = dir.join("scan.toml");
    std::fs::write(&path, config).unwrap();
    let out = dir.join("run");
    let o = Command::new(dlscan_binary())
        .args([
            "run",
            path.to_str().unwrap(),
            "--no-plots",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .expect("run dlscan");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn table(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h.clone(), r.records().map(Result::unwrap).collect())
}

fn column(h: &csv::StringRecord, name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn the_scan_learns_to_avoid_where_the_oracle_fails() {
    let tmp = tempfile::tempdir().unwrap();
    // F_2d's bands cover the box; every point with x1 < 12 fails: 38 % of the box.
    let config = format!(
        r#"
[run]
seed = 4
workers = 2
[oracle]
plugin = "{plugin}"
[oracle.config]
function = "F_2d"
[oracle.config.faults]
region = [[0.0, 12.0], [0.0, 32.0]]
[[parameter]]
name = "x1"
min = 0.0
max = 31.4159
[[parameter]]
name = "x2"
min = 0.0
max = 31.4159
[[target.range]]
output = "F"
min = 95.0
max = 105.0
[scan]
strategy = "mlp-regressor"
initial_points = 300
batch_size = 200
[stop]
max_oracle_calls = 1900
"#,
        plugin = plugin_path("toy").display()
    );
    let out = run(tmp.path(), &config);
    let (h, rows) = table(&out.join("iterations.csv"));
    let (it, share, calls) = (
        column(&h, "iteration"),
        column(&h, "failure_share_surrogate"),
        column(&h, "oracle_calls"),
    );
    let initial_failures: f64 = rows[0][column(&h, "failures")].parse().unwrap();
    let initial_calls: f64 = rows[0][calls].parse().unwrap();
    assert!(
        initial_failures / initial_calls > 0.3,
        "the uniform sample fails often: {initial_failures}/{initial_calls}"
    );
    let late: Vec<f64> = rows
        .iter()
        .filter(|r| r[it].parse::<u32>().unwrap() >= 5)
        .map(|r| r[share].parse().unwrap())
        .collect();
    assert!(!late.is_empty());
    for s in &late {
        assert!(
            *s <= 0.1,
            "failure share of the surrogate's picks after five iterations: {late:?}"
        );
    }
}

#[test]
fn the_default_strategy_finds_every_island() {
    let tmp = tempfile::tempdir().unwrap();
    // Four small balls (radius 1.5 in a box of side 20, 0.18 % of its volume each, so the
    // initial sample finds about two points in each); no strategy named.
    let centres = [[-6.0, -6.0, -6.0], [6.0, 6.0, -6.0], [6.0, -6.0, 6.0], [-6.0, 6.0, 6.0]];
    let config = format!(
        r#"
[run]
seed = 2
workers = 2
[oracle]
plugin = "{plugin}"
[oracle.config]
function = "shells"
centres = {centres:?}
radii = [1.5, 1.5, 1.5, 1.5]
[[parameter]]
name = "x"
min = -10.0
max = 10.0
[[parameter]]
name = "y"
min = -10.0
max = 10.0
[[parameter]]
name = "z"
min = -10.0
max = 10.0
[[target.range]]
output = "O"
max = 100.0
[scan]
initial_points = 1000
batch_size = 300
[stop]
max_oracle_calls = 3400
"#,
        plugin = plugin_path("toy").display()
    );
    let out = run(tmp.path(), &config);
    let (h, rows) = table(&out.join("in_target.csv"));
    let (x, y, z) = (column(&h, "x"), column(&h, "y"), column(&h, "z"));
    let mut per_island = [0usize; 4];
    for r in &rows {
        let p = [
            r[x].parse::<f64>().unwrap(),
            r[y].parse().unwrap(),
            r[z].parse().unwrap(),
        ];
        let k = (0..4)
            .min_by(|&a, &b| {
                let d = |c: &[f64; 3]| (0..3).map(|i| (p[i] - c[i]).powi(2)).sum::<f64>();
                d(&centres[a]).total_cmp(&d(&centres[b]))
            })
            .unwrap();
        per_island[k] += 1;
    }
    // Uniform sampling would put about 6 points into each island with this budget.
    assert!(per_island.iter().all(|&c| c >= 30), "points per island: {per_island:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_ne!(summary["strategy"], "random", "a guided strategy is the default");
}
