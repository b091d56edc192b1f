//! Limits that must hold whatever a program does: it cannot hang the oracle through a
//! background child holding its output, nothing it started outlives it, its work directory
//! goes with the oracle, and neither its output nor a failure message grows without bound.

use std::path::Path;
use std::time::{Duration, Instant};

use command_oracle::{CommandConfig, CommandOracle, MAX_MESSAGE};
use oracle_api::{Oracle, PointFailure};

/// An oracle with input `x` passed as the script's `$1`, reading `y` after `y=` on its
/// standard output.
fn oracle(script: &str, timeout_s: f64) -> CommandOracle {
    let config = format!(
        r#"
inputs = ["x"]
[[program]]
command = ["sh", "-c", {script:?}, "sh", "{{x}}"]
timeout_s = {timeout_s}
[[output]]
name = "y"
stdout = 1
label = "y="
"#
    );
    CommandOracle::new(CommandConfig::parse(&config).unwrap()).unwrap()
}

fn pid_in(dir: &Path, file: &str) -> u32 {
    std::fs::read_to_string(dir.join(file)).unwrap().trim().parse().unwrap()
}

/// Whether process `pid` is gone (or a zombie nobody reaped: dead all the same) within two
/// seconds.
fn dies(pid: u32) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            // The state follows the command name in parentheses.
            Ok(stat) if stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z') => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn a_background_child_neither_hangs_the_oracle_nor_survives() {
    let mut o = oracle("sleep 1002 & echo $! > child.pid; echo y=0.1", 30.0);
    let t = Instant::now();
    let mut out = [0.0];
    o.evaluate(&[1.0], &mut out).unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    assert_eq!(out, [0.1]);
    let child = pid_in(o.work_dir(), "child.pid");
    assert!(dies(child), "sleep {child} outlived its program");
}

#[test]
fn a_timed_out_points_children_die_too() {
    let mut o = oracle("sleep 1003 & echo $! > child.pid; sleep 1003", 0.3);
    let t = Instant::now();
    let r = o.evaluate(&[1.0], &mut [0.0]);
    assert!(matches!(r, Err(PointFailure::Timeout(_))), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    let child = pid_in(o.work_dir(), "child.pid");
    assert!(dies(child), "sleep {child} outlived its timed-out program");
}

#[test]
fn work_directories_go_with_the_oracle() {
    // Point 1 leaves a directory without write permission (which the next point's clearing
    // and the final removal must still empty); point 2 times out with a child still
    // writing files into the directory.
    let script = "case $1 in
        1) mkdir -p ro/sub && touch ro/sub/f && chmod 500 ro/sub ro; echo y=1 ;;
        2) (while :; do touch w.$$; rm -f w.$$; done) & sleep 1005 ;;
    esac";
    let mut o = oracle(script, 0.3);
    let dir = o.work_dir().to_path_buf();
    assert!(
        dir.file_name().unwrap().to_string_lossy().starts_with("dlscan-oracle-"),
        "{dir:?}"
    );
    let mut out = [0.0];
    o.evaluate(&[1.0], &mut out).unwrap();
    assert_eq!(out, [1.0]);
    assert!(dir.join("ro/sub/f").exists());
    let r = o.evaluate(&[2.0], &mut out);
    assert!(matches!(r, Err(PointFailure::Timeout(_))), "{r:?}");
    assert!(!dir.join("ro").exists(), "the next point found the last one's files");
    drop(o);
    assert!(!dir.exists(), "{dir:?} outlived its oracle");

    // An oracle that ran nothing, and one whose only point was fine.
    let o = oracle("echo y=1", 10.0);
    let dir = o.work_dir().to_path_buf();
    drop(o);
    assert!(!dir.exists(), "{dir:?} outlived its oracle");
    let mut o = oracle("echo y=1 > y.txt; cat y.txt", 10.0);
    let dir = o.work_dir().to_path_buf();
    o.evaluate(&[1.0], &mut out).unwrap();
    drop(o);
    assert!(!dir.exists(), "{dir:?} outlived its oracle");
}

#[test]
fn megabytes_of_output_are_cut() {
    // 5 MB after the number: read (the program is not blocked), kept up to 1 MiB.
    let mut o = oracle("echo y=0.25; head -c 5000000 /dev/zero | tr '\\0' a", 60.0);
    let mut out = [0.0];
    o.evaluate(&[1.0], &mut out).unwrap();
    assert_eq!(out, [0.25]);

    // The number after 5 MB is beyond what is kept: missing, not a memory hog.
    let mut o = oracle("head -c 5000000 /dev/zero | tr '\\0' a; echo y=0.25", 60.0);
    let r = o.evaluate(&[1.0], &mut out).unwrap_err();
    assert!(r.message().contains("no number after \"y=\""), "{r:?}");
}

fn assert_capped(message: &str) {
    assert!(message.len() <= MAX_MESSAGE, "{} bytes", message.len());
    assert!(message.contains('…'), "{message}");
}

#[test]
fn failure_messages_are_cut_to_a_kibibyte() {
    // An SLHA entry holding 1 MB of text instead of a number, and 1 MB of error output.
    let config = r#"
inputs = ["x"]
[[program]]
command = ["sh", "-c", "{ printf 'Block X\n 1 '; head -c 1000000 /dev/zero | tr '\\0' 7; echo e; } > out.slha; yes é | head -n 500000 | tr -d '\\n' >&2", "sh", "{x}"]
[[output]]
name = "y"
file = "out.slha"
slha = { block = "X", index = [1] }
"#;
    let mut o = CommandOracle::new(CommandConfig::parse(config).unwrap()).unwrap();
    let r = o.evaluate(&[1.0], &mut [0.0]).unwrap_err();
    assert!(matches!(r, PointFailure::Failed(_)), "{r:?}");
    assert_capped(r.message());
    assert!(r.message().contains("is not a number: \"Text(\\\"777"), "{r:?}");
    assert!(r.message().contains("777… (stderr: …éé"), "{r:?}");

    // A message long by itself: the path of a missing program.
    let program = format!("/no/such/{}", "directory/".repeat(300));
    let config = format!(
        "inputs = [\"x\"]\n[[program]]\ncommand = [{program:?}, \"{{x}}\"]\n[[output]]\nname = \"y\"\nstdout = 1\n"
    );
    let mut o = CommandOracle::new(CommandConfig::parse(&config).unwrap()).unwrap();
    let r = o.evaluate(&[1.0], &mut [0.0]).unwrap_err();
    assert!(r.message().starts_with("cannot run `/no/such/directory/"), "{r:?}");
    assert_capped(r.message());
}
