//! The `dlscan` binary end to end: real plugin, real files, real signals.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dlscan_suite::{Points, dlscan, dlscan_binary, plugin_path, rows_by_id, text};

/// A run configuration for the toy plugin, with `oracle_config` as its [oracle.config]
/// body and `extra` appended at the end of [oracle].
fn write_config(dir: &Path, oracle_extra: &str, oracle_config: &str, calls: u64) -> PathBuf {
    let config = format!(
        r#"
[run]
seed = 3
workers = 2

[oracle]
plugin = "{plugin}"
{oracle_extra}
[oracle.config]
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
initial_points = 500
batch_size = 250
strategy = "random"

[stop]
max_oracle_calls = {calls}
"#,
        plugin = plugin_path("toy").display()
    );
    let path = dir.join("run.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn run_writes_points_summary_and_config() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "function = \"O_3d\"", 3000);
    let out = tmp.path().join("run");
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), out.display().to_string());

    let p = Points::read(&out);
    assert_eq!(
        p.header,
        [
            "id",
            "iteration",
            "origin",
            "x1",
            "x2",
            "x3",
            "O",
            "likelihood",
            "target_likelihood",
            "status",
            "in_target",
            "message"
        ]
        .map(String::from)
    );
    assert_eq!(p.rows.len(), 3000);
    let mut ids: Vec<u64> = p.column("id").iter().map(|v| v.parse().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..3000).collect::<Vec<_>>(), "every proposed point recorded once");
    let iterations = p.column("iteration");
    assert_eq!(iterations.iter().filter(|i| *i == "0").count(), 500);
    assert_eq!(iterations.iter().filter(|i| *i == "10").count(), 250);
    assert_eq!(p.column("origin").iter().filter(|o| *o == "initial").count(), 500);
    assert!(p.column("origin").iter().all(|o| o == "initial" || o == "random"));
    // in_target.csv repeats exactly the in-target rows; iterations.csv has one row per iteration.
    let in_target_rows = Points::read_file(&out.join("in_target.csv"));
    assert_eq!(
        in_target_rows.rows.len(),
        p.column("in_target").iter().filter(|v| *v == "1").count()
    );
    assert!(in_target_rows.column("in_target").iter().all(|v| v == "1"));
    let iter_rows = Points::read_file(&out.join("iterations.csv"));
    assert_eq!(iter_rows.rows.len(), 11);
    assert_eq!(iter_rows.numbers("total_oracle_calls").last(), Some(&3000.0));
    // Recompute every verdict from the coordinates.
    let (x1, x2, x3) = (p.numbers("x1"), p.numbers("x2"), p.numbers("x3"));
    let in_target = p.column("in_target");
    let mut hits = 0;
    for i in 0..p.rows.len() {
        let o = dlscan_toy::o_3d(&[x1[i], x2[i], x3[i]]);
        let expected = dlscan_toy::o_3d_likelihood(o) > 0.5;
        assert_eq!(in_target[i] == "1", expected, "row {i}");
        assert!(x1[i].abs() <= 31.4159);
        hits += usize::from(expected);
    }
    assert!(p.column("status").iter().all(|s| s == "ok"));

    let s = summary(&out);
    assert_eq!(s["oracle_calls"], 3000);
    assert_eq!(s["in_target"], hits);
    assert_eq!(s["iterations"], 11);
    assert_eq!(s["stop_reason"], "oracle-calls");
    assert_eq!(s["strategy"], "random");
    assert_eq!(
        std::fs::read_to_string(out.join("config.toml")).unwrap(),
        std::fs::read_to_string(&config).unwrap()
    );

    // The same seed gives the same points, whatever the thread timing.
    let again = tmp.path().join("again");
    assert!(
        dlscan(&["run", config.to_str().unwrap(), "--out", again.to_str().unwrap()])
            .status
            .success()
    );
    let q = Points::read(&again);
    let sorted = |p: &Points| {
        let mut rows: Vec<(u64, String)> = p
            .rows
            .iter()
            .map(|r| (r[0].parse().unwrap(), r.iter().collect::<Vec<_>>().join(",")))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(sorted(&p), sorted(&q));

    // A run directory is never overwritten, not even with --force.
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("not empty"), "{}", text(&o.stderr));
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("already holds a run"), "{}", text(&o.stderr));
    // A directory with someone else's files is refused, or used with --force, leaving
    // those files alone.
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("notes.txt"), "mine").unwrap();
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", shared.to_str().unwrap()]);
    assert!(!o.status.success() && !shared.join("points.csv").exists());
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        shared.to_str().unwrap(),
        "--force",
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(shared.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn failing_points_are_recorded_and_the_scan_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(
        tmp.path(),
        "",
        "[oracle.config.faults]\nnan = 0.1\nerror = 0.1\npanic = 0.1",
        2000,
    );
    let out = tmp.path().join("run");
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let p = Points::read(&out);
    assert_eq!(p.rows.len(), 2000);
    let status = p.column("status");
    let message = p.column("message");
    let in_target = p.column("in_target");
    let count = |s: &str| status.iter().filter(|v| *v == s).count();
    let (nan, failed) = (count("nan"), count("failed"));
    assert!((120..280).contains(&nan), "{nan}");
    assert!((300..500).contains(&failed), "{failed}");
    for i in 0..p.rows.len() {
        match status[i].as_str() {
            "ok" => assert!(message[i].is_empty()),
            "nan" => assert!(message[i].contains("is NaN") && in_target[i] == "0"),
            "failed" => assert!(
                (message[i].contains("injected failure") || message[i].contains("panic: injected panic"))
                    && in_target[i] == "0",
                "{}",
                message[i]
            ),
            other => panic!("unexpected status {other}"),
        }
    }
    let s = summary(&out);
    assert_eq!(s["status"]["nan"], nan);
    assert_eq!(s["status"]["failed"], failed);
    assert!(
        !text(&o.stderr).contains("panicked at"),
        "plugin panics stay out of the terminal"
    );
}

#[test]
fn slow_points_time_out() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "timeout_s = 0.05", "cost_ms = 400", 6);
    let config_text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("initial_points = 500", "initial_points = 6");
    std::fs::write(&config, config_text).unwrap();
    let out = tmp.path().join("run");
    let started = Instant::now();
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "timeouts did not cut the calls short"
    );
    let p = Points::read(&out);
    assert_eq!(p.rows.len(), 6);
    assert!(p.column("status").iter().all(|s| s == "timeout"));
    assert!(
        p.column("message")
            .iter()
            .all(|m| m.contains("no answer within 0.050 s"))
    );
    assert_eq!(summary(&out)["status"]["timeout"], 6);
}

#[test]
fn ctrl_c_stops_cleanly_with_every_evaluated_point_on_disk() {
    stops_cleanly_on("-INT", 130);
}

#[test]
fn sigterm_stops_cleanly_like_ctrl_c() {
    stops_cleanly_on("-TERM", 143);
}

/// Send `signal` mid-run: the run stops after the points in flight, records every evaluated
/// point, and exits with `code`.
fn stops_cleanly_on(signal: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "chunk_size = 5", "cost_ms = 5", 5000);
    let out = tmp.path().join("run");
    let child = Command::new(dlscan_binary())
        .args(["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the run did not stop promptly"
    );
    assert_eq!(o.status.code(), Some(code), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("stopping after the points in flight"));
    let s = summary(&out);
    assert_eq!(s["stop_reason"], "interrupted");
    let p = Points::read(&out);
    let calls = s["oracle_calls"].as_u64().unwrap() as usize;
    assert!(calls > 0 && calls < 5000, "{calls}");
    assert_eq!(p.rows.len(), calls, "points.csv holds exactly the evaluated points");
    assert!(p.column("status").iter().all(|s| s == "ok"));
}

#[test]
fn check_tries_points_beyond_a_box_centre_the_oracle_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    // Points near the origin fail, as SPheno fails at mu = 0.
    let config = write_config(
        tmp.path(),
        "",
        "function = \"O_3d\"\n[oracle.config.faults]\nregion = [[-1.0, 1.0], [-1.0, 1.0], [-1.0, 1.0]]",
        100,
    );
    let o = dlscan(&["check", config.to_str().unwrap(), "--points", "5"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let centre = stdout.split("point 1 (box centre)").nth(1).unwrap();
    let centre = centre.split("point 2").next().unwrap();
    assert!(centre.contains("failed") && centre.contains("region"), "{stdout}");
    assert_eq!(stdout.matches("  outputs (").count(), 5, "{stdout}");
    assert!(
        stdout.contains("6 points: 5 evaluated, 1 in target, 1 failed") && stdout.contains("in target: yes"),
        "{stdout}"
    );
    // Named by its bare file name from its own directory, as users often do.
    let o = Command::new(dlscan_binary())
        .args(["check", "run.toml", "--points", "1"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The sample follows [run] seed: the same points again.
    let again = dlscan(&["check", config.to_str().unwrap(), "--points", "5"]);
    assert_eq!(
        text(&again.stdout)
            .lines()
            .filter(|l| l.starts_with("point "))
            .collect::<Vec<_>>(),
        stdout.lines().filter(|l| l.starts_with("point ")).collect::<Vec<_>>()
    );
}

#[test]
fn a_reader_that_stops_reading_is_not_an_error() {
    // `dlscan plugin-info toy | head -0`: the pipe is closed before dlscan writes.
    let mut child = Command::new(dlscan_binary())
        .args(["plugin-info", "toy"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn check_and_plugin_info_describe_the_oracle() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "function = \"O_3d\"", 100);
    let o = dlscan(&["check", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("oracle: 3 inputs; outputs O, likelihood"), "{stdout}");
    assert!(stdout.contains("outputs") && stdout.contains("O = 243"), "{stdout}");
    assert!(stdout.contains("in target: no"), "{stdout}");

    let o = dlscan(&["plugin-info", plugin_path("toy").to_str().unwrap()]);
    assert!(o.status.success());
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("name:          toy")
            && stdout.contains(&format!("oracle ABI:    {}", oracle_api::abi::ABI_VERSION))
            && stdout.contains("configuration: TOML text")
            && stdout.contains("instance:      3 inputs; outputs O, likelihood (with no configuration)"),
        "{stdout}"
    );
    // With a configuration, given as text or as a run configuration's [oracle.config].
    let o = dlscan(&["plugin-info", "toy", "--config", "function = \"F_2d\""]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("instance:      2 inputs; outputs F (with the configuration given)"));
    let o = dlscan(&["plugin-info", "toy", "--config", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("3 inputs; outputs O, likelihood (with the [oracle.config] of"));
    let o = dlscan(&["plugin-info", "toy", "--config", "function = \"F_3d\""]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("the plugin refused the configuration given"));
    // A plugin that cannot make an instance without configuration is not in error.
    let o = dlscan(&["plugin-info", "spheno"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("this plugin needs configuration to make one")
            && stdout.contains("missing field `spheno`")
            && stdout.contains("dlscan plugin-info spheno --config"),
        "{stdout}"
    );
}

#[test]
fn shipped_examples_are_valid() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = dlscan(&["check", path.to_str().unwrap()]);
            assert!(o.status.success(), "{}: {}", path.display(), text(&o.stderr));
            checked += 1;
        }
    }
    assert!(checked >= 4);
}

#[test]
fn bad_input_gives_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "", 100);
    let good = std::fs::read_to_string(&config).unwrap();
    let cases = [
        (
            good.replace(
                "min = -31.4159\nmax = 31.4159\n\n[[parameter]]\nname = \"x2\"",
                "min = 5.0\nmax = 1.0\n\n[[parameter]]\nname = \"x2\"",
            ),
            "line 12: parameter `x1`: min (5) must be smaller than max (1)",
        ),
        (good.replace("seed = 3", "seed = 3\nseeds = 4"), "unknown field `seeds`"),
        (
            good.replace("function", "")
                .replace("[oracle.config]", "[oracle.config]\nfunction = \"F_2d\""),
            "the oracle takes 2 inputs",
        ),
        (
            good.replace(&plugin_path("toy").display().to_string(), "/nonexistent/libdlscan_x.so"),
            "plugin /nonexistent/libdlscan_x.so: no such file",
        ),
        (
            good.replace(&plugin_path("toy").display().to_string(), "no-such-plugin"),
            "no plugin named `no-such-plugin`",
        ),
        (
            good.replace("mean = 150.0", "mean = 150.0, outpt = 1"),
            "unknown field `outpt`",
        ),
        (
            good.replace("output = \"O\"", "output = \"Q\""),
            "the oracle has no output `Q`",
        ),
        (
            good.replace("[oracle.config]", "[oracle.config]\nfunction = 3"),
            "toy configuration",
        ),
        (
            good.replace("[stop]", "[scan.network]\nupdate_learning_rate = -1\n\n[stop]"),
            "`network.update_learning_rate` is not used by the `random` strategy",
        ),
        (
            good.replace("[stop]", "[scan.network]\nupdate_learning_rate = -1\n\n[stop]")
                .replace("strategy = \"random\"", "strategy = \"mlp-classifier\""),
            "[scan] network: invalid setting: update_learning_rate -1 must be positive",
        ),
        (
            good.replace(
                "strategy = \"random\"",
                "strategy = \"mlp-classifier\"\ncandidates = 100",
            ),
            "candidates: 100 is fewer than batch_size = 250",
        ),
        (
            good.replace(
                "strategy = \"random\"",
                "strategy = \"mlp-classifier\"\nvegas_fraction = 0.6\nlocal_fraction = 0.6",
            ),
            "vegas_fraction + local_fraction = 0.6 + 0.6 exceeds 1",
        ),
        (
            good.replace(
                "[oracle.config]",
                "timeout_s = 1e300\nchunk_size = 100\n[oracle.config]",
            ),
            "timeout_s = 1e300 must be positive and at most",
        ),
        (
            good.replace("min = -31.4159", "min = -1.7e308")
                .replace("max = 31.4159", "max = 1.7e308"),
            "parameter `x1`: the width max − min",
        ),
        (
            good.replace(
                "strategy = \"random\"",
                "strategy = \"mlp-regressor\"\nregress = [{ output = \"likelihood\" }]",
            ),
            "line 35: [scan] regress: the target reads output `O`, which the regressor does not predict",
        ),
        (
            good.replace("name = \"x2\"", "name = \"status\""),
            "parameter `status` has the name of the `status` column",
        ),
        (
            good.replace("name = \"x2\"", "name = \"O\""),
            "the oracle's output `O` has the name of parameter `O`",
        ),
    ];
    for (i, (text_in, expected)) in cases.iter().enumerate() {
        let path = tmp.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text_in).unwrap();
        let o = dlscan(&[
            "run",
            path.to_str().unwrap(),
            "--out",
            tmp.path().join(format!("out{i}")).to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "case {i}");
        let stderr = text(&o.stderr);
        assert!(
            stderr.contains(expected),
            "case {i}: expected `{expected}` in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "case {i}: {stderr}");
        // Refused before anything is written: no half-made run is left behind.
        assert!(!tmp.path().join(format!("out{i}")).exists(), "case {i}");
    }
    let o = dlscan(&["run", "/no/such/config.toml"]);
    assert!(text(&o.stderr).contains("cannot read configuration /no/such/config.toml"));
}

/// Kill a real run with SIGKILL at `after`, resume it, and check that every point recorded
/// before the kill is still there, unchanged, that no point was evaluated twice, and that
/// the run completed its budget.
/// Small surrogate settings for the guided strategies (uniform sampling reads none).
fn guided_extra(strategy: &str) -> &'static str {
    if strategy == "random" {
        ""
    } else {
        "\ncandidates = 4000\n[scan.network]\nepochs = 5\nupdate_epochs = 2\nhidden = [32, 32]"
    }
}

fn kill_and_resume(strategy: &str, after: Duration) {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "chunk_size = 5", "cost_ms = 2", 2400);
    let config_text = std::fs::read_to_string(&config).unwrap().replace(
        "initial_points = 500\nbatch_size = 250\nstrategy = \"random\"",
        &format!(
            "initial_points = 400\nbatch_size = 400\nstrategy = \"{strategy}\"{}",
            guided_extra(strategy)
        ),
    );
    std::fs::write(&config, config_text).unwrap();
    let out = tmp.path().join("run");
    let mut child = Command::new(dlscan_binary())
        .args(["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = Points::read(&out);
    assert!(
        !before.rows.is_empty() && before.rows.len() < 2400,
        "killed too early or too late: {} rows",
        before.rows.len()
    );
    let before_rows: Vec<String> = before
        .rows
        .iter()
        .map(|r| r.iter().collect::<Vec<_>>().join(","))
        .collect();

    let o = dlscan(&["resume", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after_run = Points::read(&out);
    let all: Vec<String> = after_run
        .rows
        .iter()
        .map(|r| r.iter().collect::<Vec<_>>().join(","))
        .collect();
    for row in &before_rows {
        assert!(
            all.contains(row),
            "a point recorded before the kill was lost or changed: {row}"
        );
    }
    let mut ids: Vec<u64> = after_run.column("id").iter().map(|v| v.parse().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "a point id appears twice");
    assert_eq!(n, 2400, "the resumed run completes the budget");
    let s = summary(&out);
    assert_eq!(s["oracle_calls"], 2400);
    let in_target = Points::read_file(&out.join("in_target.csv"));
    assert_eq!(
        in_target.rows.len(),
        after_run.column("in_target").iter().filter(|v| *v == "1").count()
    );
    // Resuming a finished run changes nothing.
    let o = dlscan(&["resume", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(Points::read(&out).rows.len(), 2400);
}

#[test]
fn sigkill_then_resume_loses_nothing_and_repeats_nothing() {
    kill_and_resume("random", Duration::from_millis(900));
    kill_and_resume("mlp-classifier", Duration::from_millis(1700));
}

#[test]
fn resume_refuses_what_is_not_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let o = dlscan(&["resume", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("no config.toml"), "{}", text(&o.stderr));
}

#[test]
fn runs_draw_readable_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "function = \"O_3d\"", 2000);
    let out = tmp.path().join("run");
    let o = dlscan(&["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for name in ["histograms", "scatter_matrix", "density", "convergence", "timing"] {
        let png = std::fs::read(out.join("plots").join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}.png");
        let svg = std::fs::read_to_string(out.join("plots").join(format!("{name}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{name}.svg");
    }
    let svg = std::fs::read_to_string(out.join("plots/histograms.svg")).unwrap();
    assert!(
        svg.lines().any(|l| l.trim() == "x1") && svg.contains("in target"),
        "axis titles and legend are drawn"
    );
    // `--no-plots` skips them; `dlscan plot` draws them afterwards.
    let bare = tmp.path().join("bare");
    assert!(
        dlscan(&[
            "run",
            config.to_str().unwrap(),
            "--out",
            bare.to_str().unwrap(),
            "--no-plots"
        ])
        .status
        .success()
    );
    assert!(!bare.join("plots").exists());
    let o = dlscan(&["plot", bare.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 10);
}

#[test]
fn a_second_process_is_refused_while_a_run_holds_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "chunk_size = 5", "cost_ms = 20", 2400);
    let out = tmp.path().join("run");
    let mut child = Command::new(dlscan_binary())
        .args(["run", config.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let ready = || out.join("points.csv").exists() && out.join("config.toml").exists();
    while !ready() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = dlscan(&["resume", out.to_str().unwrap()]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!o.status.success());
    let message = text(&o.stderr);
    assert!(
        message.contains("in use by process") && message.contains(&child.id().to_string()),
        "{message}"
    );
}

#[test]
fn relative_plugin_paths_resolve_against_the_original_configuration_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::copy(plugin_path("toy"), project.join("libdlscan_mine.so")).unwrap();
    let config = write_config(&project, "", "", 600);
    let text_in = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&plugin_path("toy").display().to_string(), "./libdlscan_mine.so");
    std::fs::write(&config, text_in).unwrap();
    // Run from elsewhere, into a run directory elsewhere again.
    let out = tmp.path().join("runs").join("r");
    let o = Command::new(dlscan_binary())
        .args([
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-plots",
        ])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let raised = std::fs::read_to_string(out.join("config.toml"))
        .unwrap()
        .replace("max_oracle_calls = 600", "max_oracle_calls = 900");
    std::fs::write(out.join("config.toml"), raised).unwrap();
    let o = Command::new(dlscan_binary())
        .args(["resume", out.to_str().unwrap(), "--no-plots"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(summary(&out)["oracle_calls"], 900);
}

#[test]
fn a_finished_run_is_extended_by_raising_its_budget_but_not_by_changing_its_box() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "", 1000);
    let out = tmp.path().join("run");
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let original = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert_eq!(
        original,
        std::fs::read_to_string(out.join("config.original.toml")).unwrap()
    );
    // A changed box is refused, naming the key, and nothing is evaluated.
    let moved = original.replacen("max = 31.4159", "max = 10.0", 1);
    std::fs::write(out.join("config.toml"), &moved).unwrap();
    let o = dlscan(&["resume", out.to_str().unwrap(), "--no-plots"]);
    assert!(!o.status.success());
    let message = text(&o.stderr);
    assert!(message.contains("`parameter[0].max`"), "{message}");
    assert_eq!(summary(&out)["oracle_calls"], 1000);
    // A higher budget and more workers are taken: the run goes on to the new budget.
    let extended = original
        .replace("max_oracle_calls = 1000", "max_oracle_calls = 1500")
        .replace("workers = 2", "workers = 1");
    std::fs::write(out.join("config.toml"), extended).unwrap();
    let o = dlscan(&["resume", out.to_str().unwrap(), "--no-plots"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(summary(&out)["oracle_calls"], 1500);
    let mut ids: Vec<u64> = csv::Reader::from_path(out.join("points.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    // Rows are written as the workers return them.
    ids.sort_unstable();
    assert!(ids.iter().copied().eq(0..1500), "ids are 0..1500 once each");
}

#[test]
fn a_plugin_beside_the_configuration_is_not_loaded_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "", "", 100);
    let planted = tmp.path().join(format!(
        "{}dlscan_planted{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    std::fs::copy(plugin_path("toy"), &planted).unwrap();
    let text_in = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&plugin_path("toy").display().to_string(), "planted");
    std::fs::write(&config, text_in).unwrap();
    // Neither from the configuration's directory nor from the current one.
    let o = Command::new(dlscan_binary())
        .args(["check", config.to_str().unwrap()])
        .current_dir(tmp.path())
        .env_remove("DLSCAN_PLUGIN_PATH")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("no plugin named `planted`"),
        "{}",
        text(&o.stderr)
    );
    // Named explicitly, it is found.
    let o = Command::new(dlscan_binary())
        .args(["check", config.to_str().unwrap()])
        .env("DLSCAN_PLUGIN_PATH", tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Given as its file name, it is a path: relative to the configuration, wherever
    // dlscan runs from.
    let file_name = planted.file_name().unwrap().to_str().unwrap();
    let text_in = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"planted\"", &format!("\"{file_name}\""));
    std::fs::write(&config, text_in).unwrap();
    let o = Command::new(dlscan_binary())
        .args(["check", config.to_str().unwrap()])
        .current_dir(std::env::temp_dir())
        .env_remove("DLSCAN_PLUGIN_PATH")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// A uniform scan of the crashing C plugin (`tests/fixtures/crashing_oracle.c`): points
/// with x > 0.5 (a quarter of the box [-1, 1]²) bring its process down in `mode`.
fn crash_config(dir: &Path, mode: &str, oracle_extra: &str) -> PathBuf {
    // A copy per test directory: its path tells this test's workers from any other's.
    let plugin = dir.join("libdlscan_c_crash.so");
    if !plugin.exists() {
        std::fs::copy(env!("DLSCAN_TEST_C_CRASH"), &plugin).unwrap();
    }
    let config = format!(
        r#"
[run]
seed = 5
workers = 2

[oracle]
plugin = "{plugin}"
isolation = "process"
{oracle_extra}
[oracle.config]
mode = "{mode}"

[[parameter]]
name = "x"
min = -1.0
max = 1.0

[[parameter]]
name = "y"
min = -1.0
max = 1.0

[[target.range]]
output = "r"
max = 0.5

[scan]
strategy = "random"
initial_points = 40
batch_size = 40

[stop]
max_oracle_calls = 80
"#,
        plugin = plugin.display()
    );
    let path = dir.join(format!("crash-{mode}.toml"));
    std::fs::write(&path, config).unwrap();
    path
}

/// Statuses and messages of a run's points, by x.
fn point_statuses(run: &Path) -> Vec<(f64, String, String)> {
    csv::Reader::from_path(run.join("points.csv"))
        .unwrap()
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let r = r.unwrap();
            (r["x"].parse().unwrap(), r["status"].clone(), r["message"].clone())
        })
        .collect()
}

/// Live processes whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

#[test]
fn a_crashing_plugin_costs_its_points_not_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    for (mode, how) in [
        ("segv", "signal 11"),
        ("abort", "signal 6"),
        ("exit", "exited with status 3"),
        ("stack", "signal"),
    ] {
        let config = crash_config(tmp.path(), mode, "");
        let out = tmp.path().join(format!("run-{mode}"));
        let o = dlscan(&[
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-plots",
        ]);
        assert!(o.status.success(), "{mode}: {}", text(&o.stderr));
        let points = point_statuses(&out);
        assert_eq!(points.len(), 80, "{mode}: every point is on record");
        for (x, status, message) in &points {
            if *x > 0.5 {
                assert_eq!(status, "crashed", "{mode}: x = {x}");
                assert!(message.contains(how), "{mode}: {message}");
            } else {
                assert_eq!(status, "ok", "{mode}: x = {x}: {message}");
            }
        }
        let crashed = points.iter().filter(|p| p.1 == "crashed").count();
        assert!((5..=40).contains(&crashed), "{mode}: {crashed} of 80 crashed");
        assert_eq!(summary(&out)["status"]["crashed"], crashed);
    }
    assert!(
        processes_with(env!("DLSCAN_TEST_C_CRASH")).is_empty(),
        "no worker outlives its run"
    );
}

#[test]
fn a_hanging_plugin_times_out_and_its_worker_is_killed() {
    let tmp = tempfile::tempdir().unwrap();
    let config = crash_config(tmp.path(), "hang", "timeout_s = 0.3");
    let out = tmp.path().join("run-hang");
    let started = Instant::now();
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // About 20 hanging points, 0.3 s each on 2 workers, plus restarts: far below a minute.
    assert!(started.elapsed() < Duration::from_secs(60));
    for (x, status, message) in point_statuses(&out) {
        if x > 0.5 {
            assert_eq!(status, "timeout", "x = {x}");
            assert!(message.contains("worker process was killed"), "{message}");
        } else {
            assert_eq!(status, "ok", "x = {x}: {message}");
        }
    }
    assert!(
        processes_with(env!("DLSCAN_TEST_C_CRASH")).is_empty(),
        "no hung worker is left running"
    );
}

#[test]
fn a_run_killed_at_any_moment_and_resumed_records_what_an_uninterrupted_run_records() {
    killed_runs_match_the_uninterrupted_run("random");
}

#[test]
fn a_surrogate_run_killed_at_any_moment_and_resumed_records_what_an_uninterrupted_run_records() {
    // Exact only because the checkpoint holds the network with its optimiser's state and
    // the proposed batch, and every random stream derives from the seed and the iteration.
    killed_runs_match_the_uninterrupted_run("mlp-regressor");
}

#[test]
fn a_pipelined_run_killed_at_any_moment_and_resumed_records_what_an_uninterrupted_run_records() {
    // Each batch is proposed on a thread of its own while the one before is evaluated; what
    // it sees is fixed by the iteration, so runs agree whatever the timing and the kills.
    killed_runs_match_the_uninterrupted_run("mlp-regressor\npipeline = true");
}

fn killed_runs_match_the_uninterrupted_run(strategy: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "chunk_size = 5", "cost_ms = 2", 2400);
    let (strategy, extra) = strategy.split_once('\n').unwrap_or((strategy, ""));
    let config_text = std::fs::read_to_string(&config).unwrap().replace(
        "initial_points = 500\nbatch_size = 250\nstrategy = \"random\"",
        &format!(
            "initial_points = 400\nbatch_size = 400\nstrategy = \"{strategy}\"\n{extra}{}",
            guided_extra(strategy)
        ),
    );
    std::fs::write(&config, config_text).unwrap();
    let whole = tmp.path().join("whole");
    let started = Instant::now();
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        whole.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let took = started.elapsed().as_millis() as u64;
    let expected = rows_by_id(&whole);
    assert_eq!(expected.len(), 2400);
    // The same seed gives the same rows.
    let again = tmp.path().join("again");
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(rows_by_id(&again), expected, "{strategy} {extra}: a second run differs");
    // Kill moments spread over the run (as long as the uninterrupted one took): before the
    // first checkpoint, inside iterations, between them; each run is killed twice.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for run in 0..3 {
        let out = tmp.path().join(format!("killed{run}"));
        for kill in 0..2 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let after = Duration::from_millis(100 + rng % took.max(1200));
            let args: Vec<&str> = if kill == 0 {
                vec![
                    "run",
                    config.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--no-plots",
                ]
            } else {
                vec!["resume", out.to_str().unwrap(), "--no-plots"]
            };
            let mut child = Command::new(dlscan_binary())
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(after);
            child.kill().unwrap();
            child.wait().unwrap();
        }
        if !out.join("points.csv").exists() {
            // Killed before the run directory was made: start again.
            let o = dlscan(&[
                "run",
                config.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--no-plots",
            ]);
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
        let o = dlscan(&["resume", out.to_str().unwrap(), "--no-plots"]);
        assert!(o.status.success(), "run {run}: {}", text(&o.stderr));
        assert_eq!(
            rows_by_id(&out),
            expected,
            "{strategy} run {run}: points.csv differs from the uninterrupted run's"
        );
        let table = Points::read_file(&out.join("iterations.csv"));
        assert_eq!(
            table.column("iteration"),
            ["0", "1", "2", "3", "4", "5"],
            "run {run}: one row per iteration"
        );
        assert_eq!(table.numbers("oracle_calls"), [400.0; 6], "run {run}");
    }
}

#[test]
fn a_program_over_the_time_limit_leaves_no_process_and_no_files_behind() {
    // Every point runs a program that starts a background child and then hangs; the
    // worker process serving the command plugin is killed at the limit. Its programs die
    // with it, and its temporary files (the command oracle's work directories) go too.
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let pids = tmp.path().join("pids");
    let script = format!(
        "sleep 1005 & echo $! >> {p}; echo $$ >> {p}; echo y={{x}}; sleep 1006",
        p = pids.display()
    );
    let config = format!(
        r#"
[run]
seed = 1
workers = 2

[oracle]
plugin = "{plugin}"
isolation = "process"
timeout_s = 0.4
[oracle.config]
inputs = ["x"]
[[oracle.config.program]]
command = ["sh", "-c", "{script}"]
[[oracle.config.output]]
name = "y"
stdout = 1
label = "y="

[[parameter]]
name = "x"
min = 0.0
max = 1.0

[[target.range]]
output = "y"
max = 2.0

[scan]
strategy = "random"
initial_points = 4
batch_size = 4

[stop]
max_oracle_calls = 4
"#,
        plugin = plugin_path("command").display()
    );
    let path = tmp.path().join("hang.toml");
    std::fs::write(&path, config).unwrap();
    let out = tmp.path().join("run");
    let o = Command::new(dlscan_binary())
        .args([
            "run",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-plots",
        ])
        .env("TMPDIR", &scratch)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let p = Points::read(&out);
    assert!(
        p.column("status").iter().all(|s| s == "timeout"),
        "{:?}",
        p.column("status")
    );
    // The shells and their background sleeps are gone (allow the kernel a moment).
    let recorded: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert!(recorded.len() >= 4, "{recorded:?}");
    let alive = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
    };
    let started = Instant::now();
    while recorded.iter().any(alive) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<&u32> = recorded.iter().filter(|p| alive(p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
    let files: Vec<String> = std::fs::read_dir(&scratch)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.is_empty(), "left in the temporary directory: {files:?}");
}
