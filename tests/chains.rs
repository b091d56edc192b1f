//! A chain of programs through the generic command plugin (`examples/thdm-higgs.toml`): a
//! spectrum, then Higgs constraints appended to its SLHA file by a second program, a
//! failure rule checked between the two, and a chi2 output in the target's likelihood.
//! The programs are the example's stand-ins (shell and awk), and SPheno replays recorded runs.

use std::path::Path;
use std::process::Command;

use dlscan_suite::{Points, dlscan_binary, text};
use scan_core::kept_files::point_dir;

/// Run the scan `config` into `out`, from a working directory unrelated to both (paths in
/// the configuration resolve against its own directory), and read its points.
fn scan(config: &Path, out: &Path) -> Points {
    let o = Command::new(dlscan_binary())
        .arg("run")
        .arg(config)
        .args(["--no-plots", "--out"])
        .arg(out)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    Points::read(out)
}

#[test]
fn a_two_program_chain_scans_with_its_chi2_in_the_likelihood() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let points = scan(&repo.join("examples/thdm-higgs.toml"), out.path());
    let col = |name: &str| points.index(name);
    let rows = &points.rows;
    assert_eq!(rows.len(), 600);
    let number = |r: &csv::StringRecord, name: &str| r[col(name)].parse::<f64>().unwrap();
    let (mut failed, mut hits) = (0, 0);
    for r in rows {
        let tanb = number(r, "tanb");
        if &r[col("status")] == "failed" {
            // Stopped by the rule checked after the first program: the second never ran.
            assert!(tanb < 1.0, "{tanb}");
            assert!(
                r[col("message")].starts_with("after `calcphys-standin.sh`: 2HDMC: invalid parameters"),
                "{}",
                &r[col("message")]
            );
            failed += 1;
            continue;
        }
        assert!(tanb >= 1.0);
        // The second program's results, read from the file the first one wrote.
        let allowed = number(r, "hb_allowed");
        assert_eq!(allowed, f64::from(u8::from(number(r, "mA") >= 300.0)));
        let likelihood = number(r, "target_likelihood");
        assert!((likelihood - (-0.5 * number(r, "chi2_hs")).exp()).abs() < 1e-12);
        let in_target = &r[col("in_target")] == "1";
        assert_eq!(in_target, allowed > 0.5 && likelihood > 0.3166);
        hits += usize::from(in_target);
    }
    assert!(failed > 0);
    assert!(hits > 100, "{hits} in target");
}

#[test]
fn the_spectrum_of_every_in_target_point_and_of_every_failure_is_kept() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    // The example's stand-ins beside a copy of it with keep rules and a smaller budget.
    std::fs::create_dir(tmp.path().join("thdm-higgs")).unwrap();
    for script in ["calcphys-standin.sh", "higgstools-standin.sh"] {
        let to = tmp.path().join("thdm-higgs").join(script);
        std::fs::copy(repo.join("examples/thdm-higgs").join(script), to).unwrap();
    }
    for isolation in ["process", "thread"] {
        let config = tmp.path().join(format!("keep-{isolation}.toml"));
        let config_text = std::fs::read_to_string(repo.join("examples/thdm-higgs.toml"))
            .unwrap()
            .replace(
                "plugin = \"command\"\n",
                &format!(
                    "plugin = \"command\"\nisolation = \"{isolation}\"\n\
                     keep = [{{ files = [\"spectrum.slha\"], points = \"in-target\" }}, \
                     {{ files = [\"spectrum.slha\", \"missing.log\"], points = \"failed\" }}]\n"
                ),
            )
            .replace("max_oracle_calls = 600", "max_oracle_calls = 300");
        std::fs::write(&config, config_text).unwrap();
        let out = tmp.path().join(isolation);
        let points = scan(&config, &out);
        let col = |name: &str| points.index(name);
        let (mut kept, mut dropped) = (0, 0);
        for r in &points.rows {
            let id: u64 = r[col("id")].parse().unwrap();
            let dir = point_dir(&out.join("files"), id);
            let wanted = &r[col("in_target")] == "1" || &r[col("status")] != "ok";
            if !wanted {
                assert!(!dir.exists(), "{isolation}: point {id} kept files it should not");
                dropped += 1;
                continue;
            }
            // The point's own spectrum: readable SLHA with the point's mass in it.
            let spectrum = std::fs::read_to_string(dir.join("spectrum.slha"))
                .unwrap_or_else(|e| panic!("{isolation}: point {id}: {e}"));
            let doc = slha::Slha::parse_lenient(&spectrum);
            let mh: f64 = r[col("mH")].parse().unwrap();
            assert!(
                (doc.value("MASS", &[35]).unwrap() - mh).abs() < 1e-6 * mh,
                "{isolation}: point {id}"
            );
            assert!(!dir.join("missing.log").exists());
            kept += 1;
        }
        assert!(kept > 50 && dropped > 10, "{isolation}: {kept} kept, {dropped} not");
    }
}

/// An executable script at `path`.
fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_spheno_scan_keeps_spectra_of_hits_and_the_reasons_of_failures() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = repo.join("crates/command-oracle/tests/fixtures/spheno");
    let tmp = tempfile::tempdir().unwrap();
    // SPheno's stand-in replays recorded runs of SPheno 4.0.5: the pMSSM base point for
    // M1 up to 1000 GeV, a tachyonic stop (exit 99, the reason in Messages.out) above.
    script(
        &tmp.path().join("spheno-standin.sh"),
        &format!(
            "#!/bin/sh\n\
             m1=$(awk '/^Block EXTPAR/ {{ b = 1; next }} /^Block/ {{ b = 0 }} b && $1 == 1 {{ print $2 }}' LesHouches.in)\n\
             case=$(awk -v m=\"$m1\" 'BEGIN {{ print (m + 0 > 1000) ? \"fail_tachyonic_stop\" : \"pmssm_base\" }}')\n\
             exec '{}' '{}'/$case \"$@\"\n",
            dlscan_suite::artifact_dir().join("dlscan-replay").display(),
            fixtures.display()
        ),
    );
    let config = tmp.path().join("mssm.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[run]
seed = 4
workers = 2

[oracle]
plugin = "spheno"
keep = [{{ files = ["SPheno.spc"], points = "in-target" }}, {{ files = ["Messages.out"], points = "failed" }}]
[oracle.config]
spheno = "./spheno-standin.sh"
template = "{}"
inputs = ["M1"]
set = {{ M1 = {{ block = "EXTPAR", index = [1] }} }}

[[parameter]]
name = "M1"
min = 100.0
max = 2000.0

[[target.range]]
output = "mh"
min = 126.0
max = 127.5

[scan]
strategy = "random"
initial_points = 30
batch_size = 30

[stop]
max_oracle_calls = 60
"#,
            fixtures.join("pmssm_base/LesHouches.in").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("run");
    let points = scan(&config, &out);
    let col = |name: &str| points.index(name);
    let (mut hits, mut failures) = (0, 0);
    for r in &points.rows {
        let id: u64 = r[col("id")].parse().unwrap();
        let dir = point_dir(&out.join("files"), id);
        let m1: f64 = r[col("M1")].parse().unwrap();
        if m1 <= 1000.0 {
            assert_eq!(&r[col("in_target")], "1");
            let spectrum = slha::Slha::parse_lenient(&std::fs::read_to_string(dir.join("SPheno.spc")).unwrap());
            assert!((spectrum.value("MASS", &[25]).unwrap() - 126.726537).abs() < 1e-3);
            assert!(!dir.join("Messages.out").exists());
            hits += 1;
        } else {
            assert_eq!(&r[col("status")], "failed");
            let message = &r[col("message")];
            assert!(
                message.contains("Messages.out: Warning from routine SfermionMass1MSSM!"),
                "{message}"
            );
            let log = std::fs::read_to_string(dir.join("Messages.out")).unwrap();
            assert!(log.contains("occurred a negative mass squared"));
            failures += 1;
        }
    }
    assert!(hits > 10 && failures > 10, "{hits} hits, {failures} failures");
}
