//! What the command mechanism costs per call beyond the program's own run time: the same
//! trivial program (`true`) spawned directly, and through a command oracle that writes an
//! SLHA input from a template, runs it, and reads an SLHA output.
//!
//!     cargo run --release -p command-oracle --example command_overhead

use std::process::Command;
use std::time::Instant;

use command_oracle::{CommandConfig, CommandOracle};
use oracle_api::Oracle;

fn main() {
    let n = 500;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("in.slha");
    let mut text = String::from("Block EXTPAR\n");
    for i in 1..60 {
        text += &format!("   {i:>2}   1.00000000E+03   # parameter {i}\n");
    }
    std::fs::write(&template, &text).unwrap();

    let t = Instant::now();
    for _ in 0..n {
        let s = Command::new("true").current_dir(dir.path()).output().unwrap();
        assert!(s.status.success());
    }
    let direct = t.elapsed().as_secs_f64() / n as f64;

    let config = format!(
        r#"
inputs = ["a", "b"]
input = {{ file = "in.slha", slha_template = "{}", set = {{ a = {{ block = "EXTPAR", index = [1] }}, b = {{ block = "EXTPAR", index = [2] }} }} }}
[[program]]
command = ["true"]
timeout_s = 10
[[output]]
name = "a"
file = "in.slha"
slha = {{ block = "EXTPAR", index = [1] }}
"#,
        template.display()
    );
    let mut oracle = CommandOracle::new(CommandConfig::parse(&config).unwrap()).unwrap();
    let mut out = [0.0];
    let t = Instant::now();
    for i in 0..n {
        oracle.evaluate(&[i as f64, 2.0], &mut out).unwrap();
        assert_eq!(out[0], i as f64);
    }
    let through = t.elapsed().as_secs_f64() / n as f64;
    println!("`true` spawned directly:         {:.3} ms per call", direct * 1e3);
    println!("`true` through a command oracle: {:.3} ms per call", through * 1e3);
    println!(
        "overhead of the mechanism:       {:.3} ms per call",
        (through - direct) * 1e3
    );
}
