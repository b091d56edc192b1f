//! What one scanner step costs (surrogate update, candidates, selection) as the history
//! grows: a 5-D toy history of N points, the default strategy with K = 10 000 per batch,
//! one untimed first fit and then one timed step, for each N.
//!
//!     cargo run --release -p dlscan-suite --example scanner_step               # N = 10^4, 10^5, 10^6
//!     cargo run --release -p dlscan-suite --example scanner_step -- 10000 300000
//!
//! The toy's output is the distance r from the centre of the unit cube and its target a
//! shell, 0.30 < r < 0.32; the synthetic history holds as many points on the shell as
//! uniform ones, the mix of a scan under way. Prints seconds per phase and the process's
//! peak resident memory.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use scan_core::{History, Origin, PointRecord, RangeCondition, ScanOptions, Status, StrategyContext, Target};

const DIM: usize = 5;
const BATCH: usize = 10_000;
const SHELL: (f64, f64) = (0.30, 0.32);

/// A point uniform in the cube (`on_shell` false) or uniform on the target shell.
fn draw(on_shell: bool, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    if !on_shell {
        return (0..DIM).map(|_| rng.random::<f64>()).collect();
    }
    let dir: Vec<f64> = (0..DIM).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
    let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
    let r = SHELL.0 + (SHELL.1 - SHELL.0) * rng.random::<f64>();
    dir.iter().map(|v| 0.5 + r * v / norm).collect()
}

fn radius(u: &[f64]) -> f64 {
    u.iter().map(|v| (v - 0.5) * (v - 0.5)).sum::<f64>().sqrt()
}

/// Append point `id` of `iteration` at `u` (the box is the unit cube) with its toy output.
fn push(h: &mut History, id: usize, iteration: u32, u: &[f64]) {
    let r = radius(u);
    let record = PointRecord {
        id: id as u64,
        iteration,
        origin: if iteration == 0 {
            Origin::Initial
        } else {
            Origin::Surrogate
        },
        x: u.to_vec(),
        outputs: vec![r],
        likelihood: None,
        status: Status::Ok,
        in_target: r > SHELL.0 && r < SHELL.1,
        message: None,
    };
    h.push(&record, u);
}

/// `n` points in iterations of [`BATCH`], half of them on the shell.
fn history(n: usize, rng: &mut Xoshiro256PlusPlus) -> History {
    let mut h = History::new(DIM, 1);
    for i in 0..n {
        push(&mut h, i, (i / BATCH) as u32, &draw(i % 2 == 1, rng));
    }
    h
}

/// Peak resident memory of this process, in MiB (Linux).
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .map(|a| a.parse().expect("history sizes are whole numbers"))
            .collect();
        if args.is_empty() {
            vec![10_000, 100_000, 1_000_000]
        } else {
            args
        }
    };
    let outputs = vec!["r".to_string()];
    let target = Target {
        ranges: vec![RangeCondition {
            output: "r".into(),
            min: Some(SHELL.0),
            max: Some(SHELL.1),
        }],
        chi2: vec![],
        likelihood: None,
    }
    .bind(&outputs)
    .expect("target");
    let options = ScanOptions {
        batch_size: Some(BATCH),
        initial_points: Some(BATCH),
        ..ScanOptions::default()
    };
    scan_core::cpus::limit_threads(scan_core::cpus::available());
    println!("stored_points,seconds_step,seconds_training,seconds_proposals,seconds_vegas,peak_mib");
    for n in sizes {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut h = history(n, &mut rng);
        let mut strategy = options
            .build(StrategyContext {
                dim: DIM,
                seed: 1,
                output_names: &outputs,
                target: &target,
            })
            .expect("the default strategy");
        // The first fit is a one-time cost; a step of a long scan is an update.
        strategy.propose(&h, BATCH, &mut rng).expect("first proposal");
        let last = h.iterations().last().copied().unwrap_or(0);
        for k in 0..BATCH {
            let u = draw(k % 2 == 1, &mut rng);
            push(&mut h, n + k, last + 1, &u);
        }
        let t = Instant::now();
        let p = strategy.propose(&h, BATCH, &mut rng).expect("proposal");
        let step = t.elapsed().as_secs_f64();
        let r = &p.report;
        println!(
            "{n},{step:.2},{:.2},{:.2},{:.2},{:.0}",
            r.seconds_training,
            r.seconds_prediction,
            r.seconds_vegas,
            peak_mib().unwrap_or(f64::NAN)
        );
    }
}
