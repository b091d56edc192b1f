//! Runs scans with the `dlscan` binary and measures them: oracle calls needed to reach N
//! in-target points, wall time per iteration, the precision of the surrogate's picks, and
//! — for O_3d — how evenly the in-target points cover the 13 disconnected target shells.
//!
//!     cargo build --release --workspace
//!     cargo run --release -p dlscan-suite --example scan_benchmark -- examples/o3d-regressor.toml [more configs…]
//!
//! Each configuration runs into `runs/benchmark/<file stem>/`. Shell coverage assigns
//! every in-target point to the nearest of the 13 points of {−7π, 0, 7π}³ with an even
//! number of non-zero coordinates and reports the per-shell counts, how many shells are hit
//! and std/mean of the counts (0 is perfectly even; uniform sampling's Poisson floor at
//! ~18 000 points is about 0.03).

use std::path::{Path, PathBuf};
use std::process::Command;

fn column(header: &csv::StringRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn read(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().expect("header").clone();
    (header, r.records().map(|x| x.expect("row")).collect())
}

fn shell_centres() -> Vec<[f64; 3]> {
    let p = 7.0 * std::f64::consts::PI;
    let mut c = Vec::new();
    for a in [-p, 0.0, p] {
        for b in [-p, 0.0, p] {
            for d in [-p, 0.0, p] {
                if [a, b, d].iter().filter(|v| **v != 0.0).count() % 2 == 0 {
                    c.push([a, b, d]);
                }
            }
        }
    }
    c
}

fn analyse(config: &Path, dir: &Path) {
    let (ih, iters) = read(&dir.join("iterations.csv"));
    let get =
        |r: &csv::StringRecord, name: &str| -> f64 { r[column(&ih, name).expect(name)].parse().unwrap_or(f64::NAN) };
    let calls: Vec<f64> = iters.iter().map(|r| get(r, "total_oracle_calls")).collect();
    let hits: Vec<f64> = iters.iter().map(|r| get(r, "total_in_target")).collect();
    let per_iter: Vec<f64> = iters
        .iter()
        .skip(1)
        .map(|r| get(r, "seconds_proposal") + get(r, "seconds_oracle"))
        .collect();
    let training: Vec<f64> = iters.iter().skip(1).map(|r| get(r, "seconds_training")).collect();
    let precision: Vec<f64> = iters
        .iter()
        .map(|r| get(r, "precision_surrogate"))
        .filter(|v| v.is_finite())
        .collect();
    let total_hits = *hits.last().unwrap_or(&0.0);
    println!("== {} ({})", config.display(), dir.display());
    println!(
        "oracle calls {:.0}, in target {total_hits:.0} ({:.1} %)",
        calls.last().unwrap_or(&0.0),
        100.0 * total_hits / calls.last().unwrap_or(&1.0)
    );
    for goal in [1000.0, 4000.0, 8000.0] {
        match calls.iter().zip(&hits).find(|(_, h)| **h >= goal) {
            Some((c, _)) => println!("  reached {goal:.0} in-target points after {c:.0} calls"),
            None => println!("  did not reach {goal:.0} in-target points"),
        }
    }
    if !per_iter.is_empty() {
        let mean = per_iter.iter().sum::<f64>() / per_iter.len() as f64;
        let max = per_iter.iter().cloned().fold(0.0, f64::max);
        let train = training.iter().sum::<f64>() / training.len() as f64;
        println!("  seconds per iteration: mean {mean:.2}, max {max:.2} (training {train:.2})");
    }
    if !precision.is_empty() {
        let last: Vec<String> = precision
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(|p| format!("{p:.3}"))
            .collect();
        println!("  precision of surrogate picks, last iterations: {}", last.join(", "));
    }
    let (h, rows) = read(&dir.join("in_target.csv"));
    // The 13-shell coverage is O_3d's: the toy's O_3d function, three inputs.
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    if let (Some(a), Some(b), Some(c)) = (column(&h, "x1"), column(&h, "x2"), column(&h, "x3"))
        && h.iter().filter(|n| n.starts_with('x') || n.starts_with('y')).count() == 3
        && config.contains("\"O_3d\"")
    {
        let centres = shell_centres();
        let mut counts = vec![0usize; centres.len()];
        for r in &rows {
            let p = [
                r[a].parse::<f64>().unwrap(),
                r[b].parse::<f64>().unwrap(),
                r[c].parse::<f64>().unwrap(),
            ];
            let k = (0..centres.len())
                .min_by(|&i, &j| {
                    let d = |q: &[f64; 3]| (0..3).map(|t| (p[t] - q[t]).powi(2)).sum::<f64>();
                    d(&centres[i]).total_cmp(&d(&centres[j]))
                })
                .expect("13 centres");
            counts[k] += 1;
        }
        let n = counts.len() as f64;
        let mean = counts.iter().sum::<usize>() as f64 / n;
        let sd = (counts.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        println!(
            "  O_3d shells hit {}/13, std/mean {:.3}, counts {:?}",
            counts.iter().filter(|c| **c > 0).count(),
            if mean > 0.0 { sd / mean } else { f64::NAN },
            counts
        );
    }
}

fn main() {
    let configs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if configs.is_empty() {
        eprintln!("usage: scan_benchmark CONFIG.toml [CONFIG.toml …]");
        std::process::exit(2);
    }
    let dlscan = dlscan_suite::dlscan_binary();
    for config in configs {
        let stem = config.file_stem().expect("a file name").to_string_lossy().into_owned();
        let dir = PathBuf::from("runs/benchmark").join(&stem);
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new(&dlscan)
            .arg("run")
            .arg(&config)
            .arg("--out")
            .arg(&dir)
            .status()
            .expect("run dlscan");
        assert!(status.success(), "dlscan run {} failed", config.display());
        analyse(&config, &dir);
    }
}
