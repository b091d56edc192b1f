//! The SPheno and 2HDMC presets on real recorded runs (SPheno 4.0.5 and 2HDMC 1.8.0
//! output, replayed by `dlscan-replay`): every failing case is a failure with a reason,
//! every good case yields the recorded values.

use std::path::{Path, PathBuf};

use command_oracle::{CommandOracle, presets};
use oracle_api::{Oracle, PointFailure};
use serde_json::Value as Json;

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

fn cases(kind: &str) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = std::fs::read_dir(fixtures(kind))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("meta.json").exists())
        .map(|e| {
            let meta = std::fs::read_to_string(e.path().join("meta.json")).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                serde_json::from_str(&meta).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Writes an executable shell script.
fn script(path: PathBuf, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A program standing in for the real one: a script replaying `case`.
fn stand_in(dir: &Path, kind: &str, case: &str) -> PathBuf {
    let text = format!(
        "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_dlscan-replay"),
        fixtures(kind).join(case).display()
    );
    script(dir.join(format!("{kind}-{case}")), &text)
}

#[test]
fn spheno_cases_are_classified_as_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let template = fixtures("spheno").join("pmssm_base/LesHouches.in");
    let all = cases("spheno");
    assert_eq!(all.len(), 16);
    for (case, meta) in all {
        let config = format!(
            r#"
spheno = "{}"
template = "{}"
inputs = ["M1", "mu"]
set = {{ M1 = {{ block = "EXTPAR", index = [1] }}, mu = {{ block = "EXTPAR", index = [23] }} }}
timeout_s = 20
"#,
            stand_in(tmp.path(), "spheno", &case).display(),
            template.display()
        );
        let mut oracle = CommandOracle::new(presets::spheno(&config).unwrap()).unwrap();
        let mut out = [f64::NAN];
        let result = oracle.evaluate(&[500.0, 1500.0], &mut out);
        match meta["m_h"].as_f64() {
            Some(mh) => {
                assert_eq!(result, Ok(()), "{case}");
                assert!((out[0] - mh).abs() < 0.01, "{case}: m_h {} vs recorded {mh}", out[0]);
            }
            None => {
                let Err(PointFailure::Failed(reason)) = result else {
                    panic!("{case}: expected a failure, got {result:?}")
                };
                // The reason says what went wrong, and why SPheno said so.
                let spc = meta["spc_produced"].as_bool().unwrap();
                let exit = meta["exit_code"].as_i64().unwrap();
                if exit != 0 {
                    assert!(
                        reason.contains(&format!("exited with status {exit}")),
                        "{case}: {reason}"
                    );
                } else if spc {
                    assert!(reason.contains("SPINFO 4"), "{case}: {reason}");
                } else {
                    assert!(reason.contains("wrote no `SPheno.spc`"), "{case}: {reason}");
                }
                // And SPheno's own account, from the top of Messages.out.
                if let Ok(messages) = std::fs::read_to_string(fixtures("spheno").join(&case).join("Messages.out")) {
                    let first = messages
                        .lines()
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .find(|l| !l.is_empty());
                    let said = first.map_or("Messages.out: (empty)".to_string(), |l| format!("Messages.out: {l}"));
                    assert!(reason.contains(&said), "{case}: {said:?} missing from {reason:?}");
                }
                let stderr = std::fs::read_to_string(fixtures("spheno").join(&case).join("stderr.txt")).unwrap();
                if let Some(last) = stderr.split_whitespace().last() {
                    assert!(reason.contains(last), "{case}: stderr tail missing from {reason:?}");
                }
            }
        }
    }
}

#[test]
fn a_stale_spectrum_is_never_read() {
    // A good point, then a fatal failure that writes no spectrum: the second must fail,
    // not return the first point's m_h.
    let tmp = tempfile::tempdir().unwrap();
    let good = stand_in(tmp.path(), "spheno", "pmssm_base");
    let fatal = stand_in(tmp.path(), "spheno", "fail_mu_zero_exit0");
    let switch = script(
        tmp.path().join("spheno-switch"),
        &format!(
            "#!/bin/sh\nif [ -e {0}/second ]; then exec '{1}' \"$@\"; fi\ntouch {0}/second\nexec '{2}' \"$@\"\n",
            tmp.path().display(),
            fatal.display(),
            good.display()
        ),
    );
    let config = format!(
        "spheno = \"{}\"\ntemplate = \"{}\"\ninputs = [\"M1\"]\nset = {{ M1 = {{ block = \"EXTPAR\", index = [1] }} }}\n",
        switch.display(),
        fixtures("spheno").join("pmssm_base/LesHouches.in").display()
    );
    let mut oracle = CommandOracle::new(presets::spheno(&config).unwrap()).unwrap();
    let mut out = [0.0];
    assert_eq!(oracle.evaluate(&[500.0], &mut out), Ok(()));
    assert!(matches!(
        oracle.evaluate(&[500.0], &mut out),
        Err(PointFailure::Failed(_))
    ));
}

#[test]
fn thdm_cases_are_classified_as_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let all = cases("2hdmc");
    assert_eq!(all.len(), 18);
    for (case, meta) in all {
        let config = format!(
            r#"
calcphys = "{}"
inputs = ["mH", "tanb"]
fixed = {{ mh = 125.0, mA = 600.0, mHp = 600.0, sba = 1.0, l6 = 0.0, l7 = 0.0, m12_2 = 144000.0, yukawa_type = 2 }}
"#,
            stand_in(tmp.path(), "2hdmc", &case).display()
        );
        let mut oracle = CommandOracle::new(presets::thdm(&config).unwrap()).unwrap();
        let names = oracle.shape().output_names.clone();
        let mut out = vec![f64::NAN; names.len()];
        let result = oracle.evaluate(&[600.0, 2.0], &mut out);
        let get = |n: &str| out[names.iter().position(|x| x == n).unwrap()];
        let fmodsel: Option<i64> = meta["fmodsel_model"].as_str().and_then(|s| s.parse().ok());
        let should_fail = meta["exit_code"].as_i64() != Some(0)
            || meta["lha_produced"] == Json::Bool(false)
            || meta["thdm_block"]["1"].as_i64() == Some(0)
            || !fmodsel.is_some_and(|m| (31..=34).contains(&m));
        if should_fail {
            let Err(PointFailure::Failed(reason)) = &result else {
                panic!("{case}: expected a failure, got {result:?}")
            };
            assert!(!reason.is_empty());
            assert_eq!(meta["expected_verdict"], "fail", "{case}");
            continue;
        }
        assert_eq!(result, Ok(()), "{case}");
        for flag in ["unitarity", "perturbativity", "stability"] {
            assert_eq!(
                Some(get(flag) as i64),
                meta["constraints"][flag].as_i64(),
                "{case}: {flag}"
            );
        }
        // mH is scanned: a parameter column already, so not an output again.
        assert!(!names.iter().any(|n| n == "mH"), "{names:?}");
        for (name, pdg) in [("mh", "25"), ("mA", "36"), ("mHp", "37")] {
            assert_eq!(Some(get(name)), meta["higgs_masses"][pdg].as_f64(), "{case}: {name}");
        }
        let passes = ["unitarity", "perturbativity", "stability"]
            .iter()
            .all(|f| get(f) == 1.0);
        assert_eq!(passes, meta["expected_verdict"] == "pass", "{case}");
    }
}

#[test]
fn thdm_arguments_carry_the_point() {
    // CalcPhys gets the scanned values in its argument list, the fixed ones as given.
    let tmp = tempfile::tempdir().unwrap();
    let echo = script(
        tmp.path().join("calcphys-args"),
        "#!/bin/sh\necho \"$@\" > args.txt\nexit 255\n",
    );
    let config = format!(
        "calcphys = \"{}\"\ninputs = [\"mH\", \"tanb\"]\nfixed = {{ mh = 125.0, mA = 600.0, mHp = 600.0, sba = 1.0, l6 = 0.0, l7 = 0.0, m12_2 = 144000.0, yukawa_type = 2 }}\n",
        echo.display()
    );
    let mut oracle = CommandOracle::new(presets::thdm(&config).unwrap()).unwrap();
    let mut out = vec![0.0; oracle.shape().n_outputs()];
    let result = oracle.evaluate(&[612.5, 2.25], &mut out);
    assert!(matches!(&result, Err(PointFailure::Failed(r)) if r.contains("exited with status 255")));
    let args = std::fs::read_to_string(oracle.work_dir().join("args.txt")).unwrap();
    assert_eq!(args.trim(), "125 612.5 600 600 1 0 0 144000 2.25 2 out.lha");
    // Parameters neither scanned nor fixed are refused before anything runs.
    let err = presets::thdm(&config.replace("yukawa_type = 2 ", "")).unwrap_err();
    assert!(err.contains("yukawa_type"), "{err}");
}
