//! Throughput of the toy oracle through the plugin ABI and the parallel evaluator.
//!
//!     cargo build --release --workspace && cargo run --release -p dlscan-suite --example oracle_throughput
//!
//! Prints points per second for 1 and 2 workers at several chunk sizes, for the free
//! O_3d function (the cost is all ABI and dispatch overhead) and for a 1 ms oracle (where
//! the workers should scale), next to a direct in-process loop as the reference.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use oracle_api::Plugin;
use scan_core::{Evaluator, EvaluatorOptions, PluginFactory};

fn measure(plugin: &Plugin, config: &str, workers: usize, chunk: Option<usize>, n: usize) -> f64 {
    let factory = Arc::new(PluginFactory {
        plugin: plugin.clone(),
        config: config.to_string(),
    });
    let mut evaluator = Evaluator::new(
        factory,
        EvaluatorOptions {
            workers,
            chunk_size: chunk,
            ..EvaluatorOptions::default()
        },
    )
    .expect("start workers");
    let x: Vec<f64> = (0..3 * n).map(|i| ((i as f64) * 0.618).sin() * 31.0).collect();
    // One warm-up batch, then the timed one.
    evaluator
        .evaluate(&x[..3 * n.min(1000)], &AtomicBool::new(false), |_, _, _| Ok(()))
        .unwrap();
    let started = Instant::now();
    let result = evaluator
        .evaluate(&x, &AtomicBool::new(false), |_, _, _| Ok(()))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(result.outcomes.iter().all(|o| o.is_some()));
    n as f64 / seconds
}

fn main() {
    let plugin = Plugin::load(dlscan_suite::plugin_path("toy")).expect("load the toy plugin");
    let n = 1_000_000;
    let started = Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        let x = [((3 * i) as f64 * 0.618).sin() * 31.0, 1.0, 2.0];
        acc += dlscan_toy::o_3d(&x);
    }
    let direct = n as f64 / started.elapsed().as_secs_f64();
    println!("direct in-process O_3d loop: {direct:.3e} points/s (checksum {acc:.3})");
    println!("{:<28} {:>8} {:>10} {:>16}", "oracle", "workers", "chunk", "points/s");
    for (label, config, n) in [
        ("O_3d, free", "", 1_000_000),
        ("O_3d, 1 ms per point", "cost_ms = 1.0", 2_000),
    ] {
        for workers in [1, 2] {
            for chunk in [Some(1), Some(64), None] {
                let rate = measure(&plugin, config, workers, chunk, n);
                let chunk_label = chunk.map_or_else(|| "auto".to_string(), |c| c.to_string());
                println!("{label:<28} {workers:>8} {chunk_label:>10} {rate:>16.3e}");
            }
        }
    }
}
