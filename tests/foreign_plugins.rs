//! The example plugins written in C, C++ and Fortran (plugins/c-sphere, cpp-rosenbrock,
//! fortran-spectrum), built by build.rs, each checked and scanned end to end by the
//! `dlscan` binary with a configuration of several keys.

use std::path::{Path, PathBuf};

use dlscan_suite::{Points, dlscan, text};

/// A plugin build.rs made, or why there is none.
fn built(path: Option<&'static str>, compiler: &str) -> &'static str {
    path.unwrap_or_else(|| {
        panic!("{compiler} was not found when the tests were built; install it (`make test` does) and rebuild")
    })
}

fn write_config(dir: &Path, plugin: &str, body: &str) -> PathBuf {
    let path = dir.join("scan.toml");
    let config = format!(
        "[run]\nseed = 2\nworkers = 2\n\n[oracle]\nplugin = \"{plugin}\"\n{body}\n\n[scan]\n\
         initial_points = 300\nbatch_size = 300\n\n[stop]\nmax_oracle_calls = 1200\n"
    );
    std::fs::write(&path, config).unwrap();
    path
}

/// Check and scan `config`; returns the rows of points.csv as (status, in_target,
/// message).
fn check_and_scan(config: &Path) -> Vec<(String, bool, String)> {
    let o = dlscan(&["check", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("in target:"), "{}", text(&o.stdout));
    let out = config.with_file_name("run");
    let o = dlscan(&[
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let points = Points::read(&out);
    let (status, in_target, message) = (
        points.index("status"),
        points.index("in_target"),
        points.index("message"),
    );
    let rows: Vec<_> = points
        .rows
        .iter()
        .map(|r| (r[status].to_string(), &r[in_target] == "1", r[message].to_string()))
        .collect();
    assert_eq!(rows.len(), 1200);
    rows
}

#[test]
fn the_c_plugin_scans_a_ring_around_its_configured_centre() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(
        tmp.path(),
        env!("DLSCAN_TEST_C_SPHERE"),
        "[oracle.config]\ndim = 2\ncentre = [1.0, -1.0]\nprefix = \"d\"\nfail_below = -1.5\n\n\
         [[parameter]]\nname = \"x\"\nmin = -2.0\nmax = 4.0\n\n\
         [[parameter]]\nname = \"y\"\nmin = -4.0\nmax = 2.0\n\n\
         [[target.range]]\noutput = \"d\"\nmin = 1.0\nmax = 1.2",
    );
    let rows = check_and_scan(&config);
    let hits = rows.iter().filter(|r| r.1).count();
    // The ring is 5 % of the box; the surrogate's picks find it much more often.
    assert!(hits > 300, "{hits} in target");
    let failed: Vec<_> = rows.iter().filter(|r| r.0 == "failed").collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|r| r.2 == "first coordinate below -1.5"),
        "{failed:?}"
    );
}

#[test]
fn the_cpp_plugin_scans_the_rosenbrock_valley() {
    let tmp = tempfile::tempdir().unwrap();
    let plugin = built(option_env!("DLSCAN_TEST_CPP_ROSENBROCK"), "c++");
    let config = write_config(
        tmp.path(),
        plugin,
        "[oracle.config]\ndim = 3\nb = 10.0\nfail_above = 300.0\n\n\
         [[parameter]]\nname = \"x1\"\nmin = -2.0\nmax = 2.0\n\n\
         [[parameter]]\nname = \"x2\"\nmin = -2.0\nmax = 2.0\n\n\
         [[parameter]]\nname = \"x3\"\nmin = -2.0\nmax = 2.0\n\n\
         [[target.range]]\noutput = \"f\"\nmin = 0.0\nmax = 1.0",
    );
    let rows = check_and_scan(&config);
    let hits = rows.iter().filter(|r| r.1).count();
    assert!(hits > 100, "{hits} in target");
    let failed: Vec<_> = rows.iter().filter(|r| r.0 == "failed").collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|r| r.2.ends_with("above fail_above")), "{failed:?}");
}

#[test]
fn the_fortran_plugin_scans_a_higgs_mass_window_and_reports_its_error_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let plugin = built(option_env!("DLSCAN_TEST_FORTRAN_SPECTRUM"), "gfortran");
    let config = write_config(
        tmp.path(),
        plugin,
        "[oracle.config]\nmt = 173.0\nloops = 1\n\n\
         [[parameter]]\nname = \"m0\"\nmin = 0.0\nmax = 3000.0\n\n\
         [[parameter]]\nname = \"m12\"\nmin = 0.0\nmax = 2000.0\n\n\
         [[parameter]]\nname = \"tanb\"\nmin = 0.5\nmax = 50.0\n\n\
         [[parameter]]\nname = \"a0\"\nmin = -3000.0\nmax = 3000.0\n\n\
         [[target.range]]\noutput = \"mh\"\nmin = 115.0\nmax = 125.0",
    );
    let rows = check_and_scan(&config);
    let hits = rows.iter().filter(|r| r.1).count();
    assert!(hits > 100, "{hits} in target");
    let reasons: std::collections::BTreeSet<&str> =
        rows.iter().filter(|r| r.0 == "failed").map(|r| r.2.as_str()).collect();
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        [
            "stop mass scale below the top mass (tachyonic stops)",
            "tan(beta) below 1"
        ]
    );
    // A typo in the configuration is the plugin's error, naming the key.
    let typo = std::fs::read_to_string(&config)
        .unwrap()
        .replace("mt = 173.0", "mtop = 173.0");
    let bad = tmp.path().join("typo.toml");
    std::fs::write(&bad, typo).unwrap();
    let o = dlscan(&["check", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("unknown setting `mtop`"),
        "{}",
        text(&o.stderr)
    );
}
