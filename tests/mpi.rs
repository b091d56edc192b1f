//! Cluster scans under `mpirun` (built with `--features dlscan/mpi,dlscan-suite/mpi`, as
//! `make test` does): rank 0 scans, the other ranks evaluate, and the points are those of
//! a single process.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use dlscan_suite::{dlscan_binary, plugin_path, rows_by_id, text};

/// `mpirun -n <ranks> dlscan <args>`; oversubscribed, since the ranks outnumber the cores.
fn mpirun(ranks: usize) -> Command {
    let mut c = Command::new("mpirun");
    c.args(["--oversubscribe", "--allow-run-as-root", "-n", &ranks.to_string()])
        .arg(dlscan_binary());
    c
}

fn finished(o: &Output) {
    assert!(o.status.success(), "{}\n{}", text(&o.stdout), text(&o.stderr));
}

/// A scan of O_3d with the default (surrogate) strategy, one worker per rank.
fn write_config(dir: &Path, oracle_config: &str, calls: u64) -> PathBuf {
    let config = format!(
        r#"
[run]
seed = 5
cpus = 1

[oracle]
plugin = "{plugin}"
[oracle.config]
function = "O_3d"
{oracle_config}

[[parameter]]
name = "x1"
min = -31.4159
max = 31.4159

[[parameter]]
name = "x2"
min = -31.4159
max = 31.4159

[[parameter]]
name = "x3"
min = -31.4159
max = 31.4159

[target.likelihood]
threshold = 0.5
gaussian = [{{ output = "O", mean = 150.0, sigma = 5.0 }}]

[scan]
initial_points = 300
batch_size = 300

[stop]
max_oracle_calls = {calls}
"#,
        plugin = plugin_path("toy").display()
    );
    let path = dir.join("run.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// `run <config> --out <out> --no-plots`.
fn run_args<'a>(config: &'a Path, out: &'a Path) -> [&'a str; 5] {
    [
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
    ]
}

fn single_process_run(config: &Path, out: &Path) -> Vec<String> {
    let o = Command::new(dlscan_binary())
        .args(run_args(config, out))
        .output()
        .unwrap();
    finished(&o);
    rows_by_id(out)
}

#[test]
fn ranks_evaluate_what_a_single_process_evaluates() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", 1500);
    let expected = single_process_run(&config, &tmp.path().join("single"));
    assert_eq!(expected.len(), 1500);
    let out = tmp.path().join("ranks");
    let o = mpirun(3).args(run_args(&config, &out)).output().unwrap();
    finished(&o);
    assert!(
        text(&o.stderr).contains("2 evaluating MPI ranks"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(rows_by_id(&out), expected);
    // Only rank 0 writes the run directory.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["workers"], 2, "{summary}");
}

#[test]
fn an_oracle_that_does_not_start_on_a_rank_stops_the_job_naming_rank_and_host() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "colour = \"red\"", 600);
    let out = tmp.path().join("ranks");
    let o = mpirun(3).args(run_args(&config, &out)).output().unwrap();
    assert!(!o.status.success());
    let err = text(&o.stderr);
    for rank in [1, 2] {
        assert!(err.contains(&format!("rank {rank} on ")), "{err}");
    }
    assert!(err.contains("colour"), "the plugin's own reason: {err}");
    assert!(!out.join("points.csv").exists(), "nothing was evaluated");
}

/// The pids of `mpirun`'s ranks (its children), by rank.
fn ranks_of(mpirun_pid: u32) -> Vec<(usize, u32)> {
    let mut ranks = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The parent pid is the second field after the parenthesised command name.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let parent: u32 = after.split(' ').nth(1).unwrap().parse().unwrap();
        if parent != mpirun_pid {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let rank = environ
            .split(|&b| b == 0)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .find_map(|v| v.strip_prefix("OMPI_COMM_WORLD_RANK="))
            .and_then(|r| r.parse().ok());
        if let Some(rank) = rank {
            ranks.push((rank, pid));
        }
    }
    ranks.sort();
    ranks
}

fn rows_on_record(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("points.csv")).map_or(0, |t| t.lines().count().saturating_sub(1))
}

#[test]
fn a_rank_killed_mid_run_loses_nothing_and_the_run_resumes_on_other_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    // A costly point (2 ms) makes the run last long enough to be killed inside a batch.
    let config = write_config(tmp.path(), "cost_ms = 2.0", 2100);
    let expected = single_process_run(&config, &tmp.path().join("single"));
    let out = tmp.path().join("ranks");
    let mut job = mpirun(3)
        .args(run_args(&config, &out))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Inside the second batch: past the initial sample and the first iteration's start.
    let deadline = Instant::now() + Duration::from_secs(120);
    while rows_on_record(&out) < 700 {
        assert!(Instant::now() < deadline, "the run did not get going");
        assert!(job.try_wait().unwrap().is_none(), "the run ended before it was killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    let ranks = ranks_of(job.id());
    let &(_, victim) = ranks.iter().find(|(r, _)| *r == 2).expect("rank 2 is running");
    let killed = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // MPI ends the whole job when a rank dies.
    let deadline = Instant::now() + Duration::from_secs(60);
    while job.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the job outlived its killed rank");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!job.wait().unwrap().success());
    let kept = rows_on_record(&out);
    assert!((700..2100).contains(&kept), "{kept} rows after the kill");
    // Resumed on two ranks (one evaluating): nothing lost, nothing evaluated twice, the
    // same rows as without the kill.
    let o = mpirun(2)
        .args(["resume", out.to_str().unwrap(), "--no-plots"])
        .output()
        .unwrap();
    finished(&o);
    assert_eq!(rows_by_id(&out), expected);
}
