//! Output files the programs wrote but that cannot be trusted: bytes that are not UTF-8,
//! SLHA blocks given twice, a `Q=` without a scale. Each fails the point with a reason
//! naming the file and the place, never as a missing file or a silently chosen value.

use command_oracle::{CommandConfig, CommandOracle};
use oracle_api::Oracle;

/// Runs a program that writes `contents` (as bytes) to out.slha and reads MASS 25 from it,
/// with a failure rule on SPINFO 4.
fn evaluate(contents: &[u8]) -> Result<f64, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("written.slha"), contents).unwrap();
    let config = format!(
        r#"
inputs = ["x"]
[[program]]
command = ["sh", "-c", "cp '{}' out.slha", "{{x}}"]
[[output]]
name = "mh"
file = "out.slha"
slha = {{ block = "MASS", index = [25] }}
[[fail_if]]
slha_flag = {{ file = "out.slha", block = "SPINFO", flag = 4 }}
reason = "SPheno failed"
"#,
        dir.path().join("written.slha").display()
    );
    let mut o = CommandOracle::new(CommandConfig::parse(&config).unwrap()).unwrap();
    let mut out = [0.0];
    o.evaluate(&[1.0], &mut out).map(|()| out[0]).map_err(|f| f.to_string())
}

#[test]
fn an_output_that_is_not_utf8_is_named_as_such() {
    assert_eq!(evaluate(b"Block MASS\n   25   1.25E+02\n"), Ok(125.0));
    let err = evaluate(b"Block MASS\n   25   1.25E+02 # h\xe9\n").unwrap_err();
    assert!(
        err.contains("cannot read `out.slha`: not UTF-8 text (invalid byte 0xE9 at byte offset 31, line 2)"),
        "{err}"
    );
    assert!(!err.contains("wrote no"), "{err}");
}

#[test]
fn a_block_given_twice_fails_the_point_naming_both_lines() {
    let err = evaluate(b"Block MASS\n   25   1.25E+02\nBlock MASS\n   25   1.30E+02\n").unwrap_err();
    assert!(
        err.contains("output `mh`: out.slha: line 3: block MASS given again (first at line 1)"),
        "{err}"
    );
    // Blocks at different scales are legitimate: the last is read.
    let two_scales = b"Block MASS Q= 1.0E+16\n   25   9.9E+01\nBlock MASS Q= 1.0E+03\n   25   1.25E+02\n";
    assert_eq!(evaluate(two_scales), Ok(125.0));
}

#[test]
fn a_failure_flag_in_a_repeated_block_is_still_seen() {
    let text = b"Block SPINFO\n    1   SPheno\nBlock MASS\n   25   1.25E+02\nBlock SPINFO\n    4   tachyonic stop\n";
    let err = evaluate(text).unwrap_err();
    assert!(err.contains("SPheno failed (out.slha has SPINFO 4)"), "{err}");
}

#[test]
fn a_scale_without_a_value_fails_the_point_naming_the_line() {
    let err = evaluate(b"Block SPINFO\n    1   SPheno\nBlock MASS Q=\n   25   1.25E+02\n").unwrap_err();
    assert!(
        err.contains("output `mh`: out.slha: line 3: block MASS: Q= has no value"),
        "{err}"
    );
}
