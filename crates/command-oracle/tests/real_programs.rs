//! The presets on the real programs, where this machine has them: set `DLSCAN_SPHENO` (the
//! SPheno executable), `DLSCAN_2HDMC` (CalcPhys) or `DLSCAN_MICROMEGAS` (a micrOMEGAs main
//! reading an SLHA spectrum, with `DLSCAN_SPHENO` as its spectrum generator). Without them
//! each test says it is skipped and passes: these programs do not install from a package
//! registry. The recorded runs in `recorded_runs.rs` cover the same rules on every machine.

use std::path::Path;

use command_oracle::{CommandOracle, presets};
use oracle_api::Oracle;

fn program(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

fn template() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spheno/pmssm_base/LesHouches.in")
        .display()
        .to_string()
}

#[test]
fn real_spheno_reproduces_the_recorded_higgs_mass() {
    let Some(spheno) = program("DLSCAN_SPHENO") else { return };
    let config = format!(
        "spheno = \"{spheno}\"\ntemplate = \"{}\"\ninputs = [\"M1\", \"M2\", \"mu\"]\nset = {{ M1 = {{ block = \"EXTPAR\", index = [1] }}, M2 = {{ block = \"EXTPAR\", index = [2] }}, mu = {{ block = \"EXTPAR\", index = [23] }} }}\ntimeout_s = 60\n",
        template()
    );
    let mut o = CommandOracle::new(presets::spheno(&config).unwrap()).unwrap();
    let mut out = [0.0];
    // pmssm_base: M1 = 500, M2 = 1000, mu = 1500 gave m_h = 126.73 with SPheno 4.0.5.
    o.evaluate(&[500.0, 1000.0, 1500.0], &mut out).unwrap();
    assert!((out[0] - 126.73).abs() < 0.5, "m_h = {}", out[0]);
}

#[test]
fn real_2hdmc_flags_the_recorded_cases() {
    let Some(calcphys) = program("DLSCAN_2HDMC") else {
        return;
    };
    let config = format!(
        "calcphys = \"{calcphys}\"\ninputs = [\"mA\", \"mHp\"]\nfixed = {{ mh = 125.0, mH = 600.0, sba = 1.0, l6 = 0.0, l7 = 0.0, m12_2 = 144000.0, tanb = 2.0, yukawa_type = 2 }}\n"
    );
    let mut o = CommandOracle::new(presets::thdm(&config).unwrap()).unwrap();
    let names = o.shape().output_names.clone();
    let mut out = vec![0.0; names.len()];
    let flag = |out: &[f64], n: &str| out[names.iter().position(|x| x == n).unwrap()];
    // ok_alignment_tb2 and fail_perturbativity_only.
    o.evaluate(&[600.0, 600.0], &mut out).unwrap();
    assert_eq!(flag(&out, "perturbativity"), 1.0);
    o.evaluate(&[900.0, 900.0], &mut out).unwrap();
    assert_eq!(flag(&out, "perturbativity"), 0.0);
}

#[test]
fn real_micromegas_gives_a_relic_density() {
    let (Some(spheno), Some(main)) = (program("DLSCAN_SPHENO"), program("DLSCAN_MICROMEGAS")) else {
        return;
    };
    let config = format!(
        "spectrum = [\"{spheno}\", \"LesHouches.in\", \"SPheno.spc\"]\nmicromegas = [\"{main}\", \"SPheno.spc\"]\ntemplate = \"{}\"\ninputs = [\"mu\"]\nset = {{ mu = {{ block = \"EXTPAR\", index = [23] }} }}\ntimeout_s = 300\n",
        template()
    );
    let mut o = CommandOracle::new(presets::micromegas(&config).unwrap()).unwrap();
    let mut out = [0.0];
    o.evaluate(&[1500.0], &mut out).unwrap();
    // pmssm_base (bino LSP): Ω h² = 32.1 with micrOMEGAs 4.3.2.
    assert!(out[0] > 1.0, "omega h^2 = {}", out[0]);
}
