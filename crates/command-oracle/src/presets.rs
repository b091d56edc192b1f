//! Presets for the physics codes dlscan drives: short configurations that expand into a
//! [`CommandConfig`] encoding each program's conventions and failure modes, as recorded in
//! real runs (SPheno 4.0.5, 2HDMC 1.8.0, micrOMEGAs 4.3.2).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::config::{
    CommandConfig, Explanation, FailureRule, InputConfig, OutputConfig, ProgramConfig, Requirement, SlhaEntry, SlhaFlag,
};

fn parse<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| format!("{what} configuration: {e}"))
}

/// SPheno: `SPheno LesHouches.in SPheno.spc` in a fresh directory.
///
/// ```toml
/// spheno = "/opt/SPheno-4.0.5/bin/SPheno"   # or SPheno<Model>
/// template = "LesHouches.in"
/// inputs = ["M1", "M2", "mu"]
/// set = { M1 = { block = "EXTPAR", index = [1] }, M2 = { block = "EXTPAR", index = [2] }, mu = { block = "EXTPAR", index = [23] } }
/// outputs = { mh = { block = "MASS", index = [25] } }   # the default
/// timeout_s = 60
/// ```
///
/// SPheno exits 0 on most failures (99 only with `SPhenoInput 80 1`, 2 on a Fortran read
/// error), writes an `SPheno.spc` holding only `SPINFO 4` and no MASS block for a physics
/// failure, and nothing at all for a fatal one: a point succeeds only with exit status 0,
/// no `SPINFO 4`, and every output entry present.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spheno {
    spheno: String,
    template: PathBuf,
    inputs: Vec<String>,
    set: BTreeMap<String, SlhaEntry>,
    #[serde(default)]
    outputs: BTreeMap<String, SlhaEntry>,
    timeout_s: Option<f64>,
    work_root: Option<PathBuf>,
}

pub fn spheno(text: &str) -> Result<CommandConfig, String> {
    let s: Spheno = parse("SPheno", text)?;
    let outputs = if s.outputs.is_empty() {
        BTreeMap::from([(
            "mh".to_string(),
            SlhaEntry {
                block: "MASS".into(),
                index: vec![25],
            },
        )])
    } else {
        s.outputs
    };
    let c = CommandConfig {
        inputs: s.inputs,
        input: Some(InputConfig {
            file: "LesHouches.in".into(),
            slha_template: Some(s.template),
            set: s.set,
            text_template: None,
            par_template: None,
        }),
        programs: vec![ProgramConfig {
            command: vec![s.spheno, "LesHouches.in".into(), "SPheno.spc".into()],
            timeout_s: s.timeout_s,
            ok_exit_codes: vec![0],
        }],
        outputs: slha_outputs("SPheno.spc", outputs),
        failures: vec![FailureRule {
            after: None,
            slha_flag: Some(SlhaFlag {
                file: "SPheno.spc".into(),
                block: "SPINFO".into(),
                flag: 4,
            }),
            stdout_contains: None,
            require: None,
            reason: Some("SPheno failed (SPINFO 4)".into()),
        }],
        // SPheno says why at the top of Messages.out ("occurred a negative mass
        // squared!!!", "matrix contains NaN"); the routine chain follows.
        explanations: vec![Explanation {
            file: "Messages.out".into(),
            lines: 3,
            from_end: false,
        }],
        work_root: s.work_root,
    };
    c.check_again()
}

fn slha_outputs(file: &str, outputs: BTreeMap<String, SlhaEntry>) -> Vec<OutputConfig> {
    outputs
        .into_iter()
        .map(|(name, e)| OutputConfig {
            name,
            file: Some(file.into()),
            stdout: None,
            slha: Some(e),
            label: None,
        })
        .collect()
}

/// 2HDMC's `CalcPhys`, physical basis: `CalcPhys mh mH mA mHp sba l6 l7 m12^2 tanb type out`.
///
/// ```toml
/// calcphys = "/opt/2HDMC-1.8.0/CalcPhys"
/// inputs = ["mH", "mA", "sba", "tanb"]                  # scanned
/// fixed = { mh = 125.0, mHp = 600.0, l6 = 0.0, l7 = 0.0, m12_2 = 144000.0, yukawa_type = 2 }
/// ```
///
/// Outputs: `valid`, `unitarity`, `perturbativity`, `stability` (Block THDM 1–4, 1 = yes)
/// and the masses `mh`, `mH`, `mA`, `mHp` (MASS 25, 35, 36, 37) that are not scanned, plus
/// any `outputs`.
/// 2HDMC exits 255 on inputs it rejects (GSL errors go to stdout), 0 otherwise; it marks
/// unreadable numbers as invalid parameters (THDM 1 = 0) and silently ignores a Yukawa type
/// outside 1–4 (FMODSEL 1 then holds 29 instead of 31–34): both are failures here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Thdm {
    calcphys: String,
    inputs: Vec<String>,
    #[serde(default)]
    fixed: BTreeMap<String, f64>,
    #[serde(default)]
    outputs: BTreeMap<String, SlhaEntry>,
    timeout_s: Option<f64>,
    work_root: Option<PathBuf>,
}

/// CalcPhys's positional parameters, in order.
pub const CALCPHYS_PARAMETERS: [&str; 10] = [
    "mh",
    "mH",
    "mA",
    "mHp",
    "sba",
    "l6",
    "l7",
    "m12_2",
    "tanb",
    "yukawa_type",
];

pub fn thdm(text: &str) -> Result<CommandConfig, String> {
    let t: Thdm = parse("2HDMC", text)?;
    let mut command = vec![t.calcphys];
    for p in CALCPHYS_PARAMETERS {
        match (t.inputs.iter().any(|i| i == p), t.fixed.get(p)) {
            (true, None) => command.push(format!("{{{p}}}")),
            (false, Some(v)) => command.push(format!("{v}")),
            (true, Some(_)) => return Err(format!("2HDMC: `{p}` is both scanned and fixed")),
            (false, None) => return Err(format!("2HDMC: `{p}` is neither scanned (inputs) nor fixed")),
        }
    }
    if let Some(bad) = t
        .inputs
        .iter()
        .chain(t.fixed.keys())
        .find(|n| !CALCPHYS_PARAMETERS.contains(&n.as_str()))
    {
        return Err(format!(
            "2HDMC: unknown parameter `{bad}` (CalcPhys takes {CALCPHYS_PARAMETERS:?})"
        ));
    }
    command.push("out.lha".into());
    let entry = |block: &str, i: i64| SlhaEntry {
        block: block.into(),
        index: vec![i],
    };
    let mut outputs: BTreeMap<String, SlhaEntry> = [
        ("valid", entry("THDM", 1)),
        ("unitarity", entry("THDM", 2)),
        ("perturbativity", entry("THDM", 3)),
        ("stability", entry("THDM", 4)),
        ("mh", entry("MASS", 25)),
        ("mH", entry("MASS", 35)),
        ("mA", entry("MASS", 36)),
        ("mHp", entry("MASS", 37)),
    ]
    .into_iter()
    // A scanned mass is echoed unchanged in the physical basis: it is a parameter column
    // already, and an output of the same name would repeat it.
    .filter(|(k, _)| !t.inputs.iter().any(|i| i == k))
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    outputs.extend(t.outputs);
    let require = |block: &str, min: f64, max: f64, reason: &str| FailureRule {
        after: None,
        slha_flag: None,
        stdout_contains: None,
        require: Some(Requirement {
            file: "out.lha".into(),
            block: block.into(),
            index: vec![1],
            min: Some(min),
            max: Some(max),
        }),
        reason: Some(reason.into()),
    };
    CommandConfig {
        inputs: t.inputs,
        input: None,
        programs: vec![ProgramConfig {
            command,
            timeout_s: t.timeout_s,
            ok_exit_codes: vec![0],
        }],
        outputs: slha_outputs("out.lha", outputs),
        failures: vec![
            require("FMODSEL", 31.0, 34.0, "2HDMC ignored the Yukawa type"),
            require("THDM", 1.0, 1.0, "2HDMC marks the parameters invalid"),
        ],
        explanations: Vec::new(),
        work_root: t.work_root,
    }
    .check_again()
}

/// micrOMEGAs on a spectrum: a spectrum generator writes an SLHA file, then a micrOMEGAs
/// main program reads it and prints `Omega=…` (and cross sections) on stdout.
///
/// ```toml
/// spectrum = ["/opt/SPheno/bin/SPheno", "LesHouches.in", "SPheno.spc"]
/// micromegas = ["/opt/micromegas/MSSM/main", "SPheno.spc"]
/// template = "LesHouches.in"
/// inputs = ["mu", "tanb"]
/// set = { mu = { block = "EXTPAR", index = [23] }, tanb = { block = "EXTPAR", index = [25] } }
/// outputs = { omega = "Omega=" }            # label → number after it on stdout (default)
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Micromegas {
    spectrum: Vec<String>,
    micromegas: Vec<String>,
    template: PathBuf,
    #[serde(default = "default_input_file")]
    input_file: String,
    /// The spectrum file checked for `SPINFO 4`.
    #[serde(default = "default_spectrum_file")]
    spectrum_file: String,
    inputs: Vec<String>,
    set: BTreeMap<String, SlhaEntry>,
    #[serde(default)]
    outputs: BTreeMap<String, String>,
    timeout_s: Option<f64>,
    work_root: Option<PathBuf>,
}

fn default_spectrum_file() -> String {
    "SPheno.spc".into()
}

fn default_input_file() -> String {
    "LesHouches.in".into()
}

pub fn micromegas(text: &str) -> Result<CommandConfig, String> {
    let m: Micromegas = parse("micrOMEGAs", text)?;
    let outputs = if m.outputs.is_empty() {
        BTreeMap::from([("omega".to_string(), "Omega=".to_string())])
    } else {
        m.outputs
    };
    CommandConfig {
        inputs: m.inputs,
        input: Some(InputConfig {
            file: m.input_file,
            slha_template: Some(m.template),
            set: m.set,
            text_template: None,
            par_template: None,
        }),
        programs: vec![
            ProgramConfig {
                command: m.spectrum,
                timeout_s: m.timeout_s,
                ok_exit_codes: vec![0],
            },
            ProgramConfig {
                command: m.micromegas,
                timeout_s: m.timeout_s,
                ok_exit_codes: vec![0],
            },
        ],
        outputs: outputs
            .into_iter()
            .map(|(name, label)| OutputConfig {
                name,
                file: None,
                stdout: Some(2),
                slha: None,
                label: Some(label),
            })
            .collect(),
        failures: vec![FailureRule {
            after: None,
            slha_flag: Some(SlhaFlag {
                file: m.spectrum_file,
                block: "SPINFO".into(),
                flag: 4,
            }),
            stdout_contains: None,
            require: None,
            reason: Some("the spectrum generator failed (SPINFO 4)".into()),
        }],
        explanations: Vec::new(),
        work_root: m.work_root,
    }
    .check_again()
}
