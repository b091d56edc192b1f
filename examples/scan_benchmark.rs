//! Runs scans with the `dlscan` binary and measures them: in-target points, how evenly they
//! map the target set (target-set recall at three radii beside an even sample's), regions
//! found, precision and failure share of the surrogate's picks, and seconds per iteration.
//!
//!     cargo build --release --workspace
//!     cargo run --release -p dlscan-suite --example scan_benchmark -- examples/o3d.toml [more configs…]
//!     cargo run --release -p dlscan-suite --example scan_benchmark -- --analyse runs/my-run [more run dirs…]
//!
//! Each configuration runs into `runs/benchmark/<file stem>/`; `--analyse` measures run
//! directories that exist already. *Recall at radius r* is the share of a reference sample,
//! drawn uniformly over the true target set by rejection sampling of the oracle itself, that
//! has an in-target scan point within r (coordinates scaled to the unit cube); the *even*
//! column is the same for as many points drawn uniformly from the target set — the best a
//! scan of that size can do. Radii: 0.01, 0.02, 0.05 up to 4 dimensions, else 0.05, 0.1,
//! 0.2; where the even sample's recall at those radii is small (thin sets in many
//! dimensions), also at the radius where the even sample reaches one half. Regions are
//! counted where the toy defines them (O_3d's 13 shells, also in O_nd's first three
//! coordinates, and the `shells` function's spheres). `recall_vs_r.csv` in the run directory
//! holds the whole curve.
//! Reference sampling evaluates the oracle millions of times: use it with cheap oracles.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array2;
use oracle_api::{Oracle, Plugin};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use scan_core::coverage::{nearest_distances, recall};
use scan_core::{BoundTarget, GaussianTerm, Likelihood, Parameter, RangeCondition, Scale, Space, Target};
use serde::Deserialize;

/// Reference points drawn over the target set.
const REFERENCE: usize = 20_000;

#[derive(Deserialize)]
struct Config {
    oracle: OracleTable,
    parameter: Vec<ParameterTable>,
    target: TargetTable,
}

#[derive(Deserialize)]
struct OracleTable {
    plugin: String,
    #[serde(default)]
    config: toml::Table,
}

#[derive(Deserialize)]
struct ParameterTable {
    name: String,
    min: f64,
    max: f64,
    #[serde(default)]
    scale: Scale,
}

#[derive(Deserialize)]
struct TargetTable {
    #[serde(default)]
    range: Vec<RangeCondition>,
    likelihood: Option<LikelihoodTable>,
}

#[derive(Deserialize)]
struct LikelihoodTable {
    threshold: f64,
    #[serde(default)]
    outputs: Vec<String>,
    #[serde(default)]
    gaussian: Vec<GaussianTerm>,
}

/// The problem a run directory's configuration describes: its box, target and oracle.
struct Problem {
    space: Space,
    target: BoundTarget,
    oracle: Box<dyn Oracle>,
    n_outputs: usize,
    function: String,
    config: toml::Table,
}

impl Problem {
    fn load(dir: &Path) -> Problem {
        let text = std::fs::read_to_string(dir.join("config.toml")).expect("the run's config.toml");
        let c: Config = toml::from_str(&text).expect("a dlscan configuration");
        let space = Space::new(
            c.parameter
                .iter()
                .map(|p| Parameter {
                    name: p.name.clone(),
                    min: p.min,
                    max: p.max,
                    scale: p.scale,
                })
                .collect(),
        )
        .expect("a valid box");
        let target = Target {
            ranges: c.target.range,
            // The benchmark's toys are judged by ranges and likelihoods only.
            chi2: vec![],
            likelihood: c.target.likelihood.map(|l| Likelihood {
                gaussians: l.gaussian,
                outputs: l.outputs,
                chi2_outputs: vec![],
                threshold: l.threshold,
            }),
        };
        let plugin = match c.oracle.plugin.contains('/') {
            true => PathBuf::from(&c.oracle.plugin),
            false => dlscan_suite::plugin_path(&c.oracle.plugin),
        };
        let plugin = Plugin::load(plugin).expect("the oracle plugin");
        let oracle = plugin
            .instantiate(&toml::to_string(&c.oracle.config).expect("TOML"))
            .expect("an oracle instance");
        let shape = oracle.shape().clone();
        Problem {
            target: target.bind(&shape.output_names).expect("the target fits the oracle"),
            n_outputs: shape.n_outputs(),
            function: c
                .oracle
                .config
                .get("function")
                .and_then(|f| f.as_str())
                .unwrap_or("")
                .to_string(),
            config: c.oracle.config,
            space,
            oracle: Box::new(oracle),
        }
    }

    /// `n` points drawn uniformly over the target set (unit-cube rows).
    fn target_sample(&mut self, n: usize, rng: &mut Xoshiro256PlusPlus) -> Array2<f64> {
        let d = self.space.dim();
        let (batch, mut kept, mut tried) = (100_000, Vec::with_capacity(n * d), 0usize);
        while kept.len() < n * d {
            let unit: Vec<f64> = (0..batch * d).map(|_| rng.random::<f64>()).collect();
            let x = self.space.from_unit_rows(&unit);
            let mut out = vec![f64::NAN; batch * self.n_outputs];
            let mut results = vec![Ok(()); batch];
            self.oracle
                .evaluate_batch(&x, &mut out, &mut results)
                .expect("the oracle answers");
            for i in 0..batch {
                let o = &out[i * self.n_outputs..(i + 1) * self.n_outputs];
                if results[i].is_ok() && self.target.judge(Some(o)).in_target && kept.len() < n * d {
                    kept.extend_from_slice(&unit[i * d..(i + 1) * d]);
                }
            }
            tried += batch;
            assert!(tried < 2_000_000_000, "the target set is too small to sample");
        }
        Array2::from_shape_vec((n, d), kept).expect("n rows")
    }

    /// The known regions of the toy functions, as centres in physical coordinates.
    fn region_centres(&self) -> Option<Vec<Vec<f64>>> {
        match self.function.as_str() {
            "O_3d" | "O_nd" => {
                let p = 7.0 * std::f64::consts::PI;
                let axis = [-p, 0.0, p];
                let mut c = Vec::new();
                for a in axis {
                    for b in axis {
                        for d in axis {
                            if [a, b, d].iter().filter(|v| **v != 0.0).count() % 2 == 0 {
                                c.push(vec![a, b, d]);
                            }
                        }
                    }
                }
                // Keep the shells that reach into the box.
                let inside = |v: &[f64]| {
                    v.iter()
                        .zip(self.space.parameters())
                        .all(|(x, q)| *x > q.min - 10.0 && *x < q.max + 10.0)
                };
                Some(c.into_iter().filter(|v| inside(v)).collect())
            }
            "shells" => {
                let centres = self.config.get("centres").and_then(|c| c.as_array()).map(|a| {
                    a.iter()
                        .map(|v| v.as_array().unwrap().iter().map(|x| x.as_float().unwrap()).collect())
                        .collect()
                });
                Some(centres.unwrap_or_else(|| vec![vec![-5.0, -5.0, 0.0], vec![5.0, 5.0, 0.0], vec![0.0, 0.0, 5.0]]))
            }
            _ => None,
        }
    }
}

fn column(header: &csv::StringRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn read(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().expect("header").clone();
    (header, r.records().map(|x| x.expect("row")).collect())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Calls, in-target counts, precision, failure share and timing from iterations.csv.
fn report_iterations(dir: &Path) {
    let (ih, iters) = read(&dir.join("iterations.csv"));
    let get = |r: &csv::StringRecord, name: &str| -> f64 {
        column(&ih, name).map_or(f64::NAN, |c| r[c].parse().unwrap_or(f64::NAN))
    };
    let calls = iters.last().map_or(0.0, |r| get(r, "total_oracle_calls"));
    let hits = iters.last().map_or(0.0, |r| get(r, "total_in_target"));
    let initial = iters.first().map_or(0.0, |r| get(r, "oracle_calls"));
    let initial_hits = iters.first().map_or(0.0, |r| get(r, "new_in_target"));
    println!(
        "oracle calls {calls:.0}, in target {hits:.0} ({:.1} %); after the initial sample {:.1} % of calls in target",
        100.0 * hits / calls.max(1.0),
        100.0 * (hits - initial_hits) / (calls - initial).max(1.0)
    );
    let last = |name: &str| -> Vec<String> {
        let v: Vec<f64> = iters.iter().map(|r| get(r, name)).filter(|v| v.is_finite()).collect();
        v.iter().rev().take(3).rev().map(|p| format!("{p:.3}")).collect()
    };
    println!(
        "  precision of surrogate picks, last iterations: {}",
        last("precision_surrogate").join(", ")
    );
    println!(
        "  failure share of surrogate picks, last iterations: {}",
        last("failure_share_surrogate").join(", ")
    );
    let per_iter: Vec<f64> = iters
        .iter()
        .skip(1)
        .map(|r| get(r, "seconds_proposal") + get(r, "seconds_oracle"))
        .collect();
    let training: Vec<f64> = iters.iter().skip(1).map(|r| get(r, "seconds_training")).collect();
    if !per_iter.is_empty() {
        println!(
            "  seconds per iteration: mean {:.2}, max {:.2} (training {:.2})",
            mean(&per_iter),
            per_iter.iter().cloned().fold(0.0, f64::max),
            mean(&training)
        );
    }
}

/// Recall at the radii, with an even sample's beside it; regions found; the recall curve.
fn report_coverage(dir: &Path) {
    let mut problem = Problem::load(dir);
    let d = problem.space.dim();
    let (h, rows) = read(&dir.join("in_target.csv"));
    let cols: Vec<usize> = problem
        .space
        .parameters()
        .iter()
        .map(|p| column(&h, &p.name).expect("a parameter column"))
        .collect();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|r| {
            cols.iter()
                .map(|&c| r[c].parse::<f64>().expect("a number"))
                .collect::<Vec<_>>()
        })
        .collect();
    let unit = Array2::from_shape_vec((rows.len(), d), problem.space.to_unit_rows(&x)).expect("rows");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20_250_101);
    let reference = problem.target_sample(REFERENCE, &mut rng);
    let even = problem.target_sample(rows.len().max(1), &mut rng);
    let radii: Vec<f64> = if d <= 4 {
        vec![0.01, 0.02, 0.05]
    } else {
        vec![0.05, 0.1, 0.2]
    };
    let scan = recall(unit.view(), reference.view(), &radii).expect("recall");
    let ideal = recall(even.view(), reference.view(), &radii).expect("recall");
    let cells: Vec<String> = radii
        .iter()
        .zip(scan.iter().zip(&ideal))
        .map(|(r, (s, e))| format!("r = {r}: {s:.3} (even {e:.3}, ratio {:.2})", s / e.max(1e-12)))
        .collect();
    println!("  recall {}", cells.join("; "));
    // The curve runs until the even sample covers nearly everything (thin sets in many
    // dimensions need radii well beyond the three above).
    let step = radii[2] / 20.0;
    let nearest_scan = nearest_distances(unit.view(), reference.view()).expect("distances");
    let nearest_even = nearest_distances(even.view(), reference.view()).expect("distances");
    let share = |near: &[f64], r: f64| near.iter().filter(|&&x| x <= r).count() as f64 / near.len().max(1) as f64;
    let (mut curve, mut s, mut e) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 1;
    while i <= 40 || (e.last().is_some_and(|v| *v < 0.99) && step * i as f64 <= (d as f64).sqrt()) {
        let r = step * i as f64;
        curve.push(r);
        s.push(share(&nearest_scan, r));
        e.push(share(&nearest_even, r));
        i += 1;
    }
    if ideal[0] < 0.5
        && let Some(k) = e.iter().position(|v| *v >= 0.5)
    {
        println!(
            "  recall where the even sample reaches one half, r = {:.3}: {:.3} (even {:.3}, ratio {:.2})",
            curve[k],
            s[k],
            e[k],
            s[k] / e[k]
        );
    }
    let mut csv = String::from("r,recall,even\n");
    for ((r, a), b) in curve.iter().zip(s).zip(e) {
        csv.push_str(&format!("{r},{a},{b}\n"));
    }
    std::fs::write(dir.join("recall_vs_r.csv"), csv).expect("write recall_vs_r.csv");
    if let Some(centres) = problem.region_centres() {
        let mut counts = vec![0usize; centres.len()];
        for p in x.chunks(d) {
            let dist = |c: &Vec<f64>| c.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
            let k = (0..centres.len()).min_by(|&i, &j| dist(&centres[i]).total_cmp(&dist(&centres[j])));
            counts[k.expect("regions")] += 1;
        }
        let n = counts.len() as f64;
        let m = counts.iter().sum::<usize>() as f64 / n;
        let sd = (counts.iter().map(|&c| (c as f64 - m).powi(2)).sum::<f64>() / n).sqrt();
        println!(
            "  regions found {}/{}, per-region std/mean {:.3}, counts {:?}",
            counts.iter().filter(|c| **c > 0).count(),
            counts.len(),
            if m > 0.0 { sd / m } else { f64::NAN },
            counts
        );
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let analyse_only = args.first().is_some_and(|a| a == "--analyse");
    if analyse_only {
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!("usage: scan_benchmark CONFIG.toml [CONFIG.toml …] | --analyse RUN_DIR [RUN_DIR …]");
        std::process::exit(2);
    }
    for arg in args {
        let dir = if analyse_only {
            PathBuf::from(&arg)
        } else {
            let stem = Path::new(&arg)
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let dir = PathBuf::from("runs/benchmark").join(&stem);
            let _ = std::fs::remove_dir_all(&dir);
            let status = Command::new(dlscan_suite::dlscan_binary())
                .args(["run", &arg, "--no-plots", "--out"])
                .arg(&dir)
                .status()
                .expect("run dlscan");
            assert!(status.success(), "dlscan run {arg} failed");
            dir
        };
        println!("== {}", dir.display());
        report_iterations(&dir);
        report_coverage(&dir);
    }
}
