//! How a point reaches the programs (SLHA, text and parameter-file templates, argument
//! placeholders), and the configuration mistakes caught before any program runs.

use command_oracle::{CommandConfig, CommandOracle};
use oracle_api::{Oracle, PointFailure};

fn oracle(dir: &std::path::Path, config: &str) -> Result<CommandOracle, String> {
    let config = config.replace("DIR", &dir.display().to_string());
    let c = CommandConfig::parse(&config)?;
    CommandOracle::new(c).map_err(|e| e.to_string())
}

#[test]
fn parameter_file_lines_get_the_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.par"), "mu 2.0E+02\ntb   10\nMG1 100\n").unwrap();
    let mut o = oracle(
        dir.path(),
        r#"
inputs = ["tb", "mu"]
input = { file = "m.par", par_template = "DIR/m.par" }
[[program]]
command = ["sh", "-c", "cat m.par; echo Omega=0.12"]
[[output]]
name = "mu_seen"
stdout = 1
label = "mu"
[[output]]
name = "tb_seen"
stdout = 1
label = "tb"
[[output]]
name = "omega"
stdout = 1
label = "Omega="
"#,
    )
    .unwrap();
    let mut out = [0.0; 3];
    o.evaluate(&[12.5, 333.25], &mut out).unwrap();
    assert_eq!(out, [333.25, 12.5, 0.12]);
    let written = std::fs::read_to_string(o.work_dir().join("m.par")).unwrap();
    assert!(written.ends_with("MG1 100\n"), "{written}");
}

#[test]
fn text_templates_and_arguments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.txt"), "x = {x}\n").unwrap();
    let mut o = oracle(
        dir.path(),
        r#"
inputs = ["x", "y"]
input = { file = "in.txt", text_template = "DIR/t.txt" }
[[program]]
command = ["sh", "-c", "cat in.txt; echo y = $0", "{y}"]
[[output]]
name = "x"
stdout = 1
label = "x ="
[[output]]
name = "y"
stdout = 1
label = "y ="
"#,
    )
    .unwrap();
    let mut out = [0.0; 2];
    o.evaluate(&[-1.5e-9, 7.0], &mut out).unwrap();
    assert_eq!(out, [-1.5e-9, 7.0]);
}

#[test]
fn program_failures_are_point_failures_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.txt"), "{x}\n").unwrap();
    let base = r#"
inputs = ["x"]
input = { file = "in.txt", text_template = "DIR/t.txt" }
[[program]]
command = PROGRAM
timeout_s = 0.5
[[output]]
name = "v"
file = "out.txt"
"#;
    let run = |program: &str| {
        let mut o = oracle(dir.path(), &base.replace("PROGRAM", program)).unwrap();
        let mut out = [0.0];
        o.evaluate(&[1.0], &mut out).map(|()| out[0])
    };
    assert_eq!(run(r#"["sh", "-c", "cp in.txt out.txt"]"#), Ok(1.0));
    let reason = |r: Result<f64, PointFailure>| r.unwrap_err().to_string();
    assert!(reason(run(r#"["/no/such/program"]"#)).contains("cannot run `/no/such/program`"));
    assert!(reason(run(r#"["sh", "-c", "echo boom >&2; exit 7"]"#)).contains("exited with status 7 (stderr: boom)"));
    let slow = run(r#"["sh", "-c", "sleep 20"]"#);
    assert!(matches!(slow, Err(PointFailure::Timeout(_))), "{slow:?}");
    assert!(reason(run(r#"["true"]"#)).contains("the programs wrote no `out.txt`"));
    assert!(reason(run(r#"["sh", "-c", "echo none > out.txt"]"#)).contains("no number"));
    assert!(reason(run(r#"["sh", "-c", "kill -9 $$"]"#)).contains("killed by a signal"));
}

#[test]
fn configuration_mistakes_are_caught_before_running() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.slha"), "Block EXTPAR\n    1   1.0E+02   # M1\n").unwrap();
    let base = r#"
inputs = ["M1"]
input = { file = "in.slha", slha_template = "DIR/in.slha", set = { M1 = { block = "BLOCK", index = [INDEX] } } }
[[program]]
command = ["true"]
[[output]]
name = "m"
file = "in.slha"
slha = { block = "EXTPAR", index = [1] }
"#;
    let with = |block: &str, index: &str| oracle(dir.path(), &base.replace("BLOCK", block).replace("INDEX", index));
    let mut ok = with("EXTPAR", "1").unwrap();
    let mut out = [0.0];
    ok.evaluate(&[321.0], &mut out).unwrap();
    assert_eq!(out[0], 321.0);
    let err = with("EXTPAR", "2").unwrap_err();
    assert!(err.contains("input `M1`: block EXTPAR has no entry [2]"), "{err}");
    let err = with("MINPAR", "1").unwrap_err();
    assert!(err.contains("no block MINPAR"), "{err}");
    let err = oracle(dir.path(), &base.replace("DIR/in.slha", "DIR/missing.slha")).unwrap_err();
    assert!(err.contains("missing.slha"), "{err}");
    let err = CommandConfig::parse(
        "inputs = [\"a\"]\n[[program]]\ncommand = [\"true\"]\n[[output]]\nname = \"o\"\nfile = \"f\"\n",
    )
    .unwrap_err();
    assert!(err.contains("input `a` reaches no program"), "{err}");
}

#[test]
fn a_rule_after_a_program_sees_its_files_before_the_next_program_runs() {
    let dir = tempfile::tempdir().unwrap();
    // Program 1 writes a flag of 0, program 2 overwrites it with 1 and leaves a marker.
    let chain = |after: &str| {
        format!(
            r#"
inputs = ["x"]
[[program]]
command = ["sh", "-c", "printf 'Block X\n 1 0\n' > out.slha", "{{x}}"]
[[program]]
command = ["sh", "-c", "printf 'Block X\n 1 1\n' > out.slha; echo ran > second"]
[[fail_if]]
{after}
require = {{ file = "out.slha", block = "X", index = [1], min = 0.5 }}
reason = "flag unset"
[[output]]
name = "flag"
file = "out.slha"
slha = {{ block = "X", index = [1] }}
"#
        )
    };
    let mut o = oracle(dir.path(), &chain("after = 1")).unwrap();
    let mut out = [0.0];
    let Err(PointFailure::Failed(m)) = o.evaluate(&[1.0], &mut out) else {
        panic!("the rule after program 1 did not stop the chain")
    };
    assert!(m.starts_with("after `sh`: flag unset"), "{m}");
    assert!(!o.work_dir().join("second").exists(), "program 2 ran");
    // Checked once all have run, the rule sees program 2's file.
    let mut o = oracle(dir.path(), &chain("")).unwrap();
    o.evaluate(&[1.0], &mut out).unwrap();
    assert_eq!(out, [1.0]);
    let err = oracle(dir.path(), &chain("after = 3")).unwrap_err();
    assert!(err.contains("after = 3 names no program (there are 2)"), "{err}");
}
