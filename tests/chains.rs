//! A chain of programs through the generic command plugin (`examples/thdm-higgs.toml`): a
//! spectrum, then Higgs constraints appended to its SLHA file by a second program, a
//! failure rule checked between the two, and a chi2 output in the target's likelihood.
//! The programs are the example's stand-ins (shell and awk).

use std::process::Command;

use dlscan_suite::dlscan_binary;

#[test]
fn a_two_program_chain_scans_with_its_chi2_in_the_likelihood() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(dlscan_binary())
        .arg("run")
        .arg(repo.join("examples/thdm-higgs.toml"))
        .args(["--no-plots", "--out"])
        .arg(out.path())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_path(out.path().join("points.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 600);
    let number = |r: &csv::StringRecord, name: &str| r[col(name)].parse::<f64>().unwrap();
    let (mut failed, mut hits) = (0, 0);
    for r in &rows {
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
