//! The configuration of a command oracle (TOML, the `[oracle.config]` table of a dlscan
//! run), validated before any program runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// Everything a command oracle needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// Names of the scanned inputs, in the order of the point's coordinates.
    pub inputs: Vec<String>,
    /// The input file written for each point (optional when the programs take the values
    /// as `{name}` placeholders in their arguments).
    pub input: Option<InputConfig>,
    /// Programs run in sequence in the work directory.
    #[serde(rename = "program")]
    pub programs: Vec<ProgramConfig>,
    /// What is read back.
    #[serde(rename = "output")]
    pub outputs: Vec<OutputConfig>,
    /// Further failure rules (exit codes, missing files and entries are always checked).
    #[serde(default, rename = "fail_if")]
    pub failures: Vec<FailureRule>,
    /// Files whose lines are added to a failed point's message: the programs' own account
    /// of what went wrong (SPheno's `Messages.out`, say).
    #[serde(default, rename = "explain")]
    pub explanations: Vec<Explanation>,
    /// Directory under which each worker makes its private work directory (default: the
    /// system's temporary directory).
    pub work_root: Option<PathBuf>,
}

/// A file the programs write that explains a failure: its first (or last) `lines`
/// non-blank lines, whitespace runs collapsed, are added to the failure's message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    pub file: String,
    #[serde(default = "default_explanation_lines")]
    pub lines: usize,
    /// Take the last lines instead of the first.
    #[serde(default)]
    pub from_end: bool,
}

fn default_explanation_lines() -> usize {
    3
}

/// The input file written for each point.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Its name in the work directory.
    pub file: String,
    /// An SLHA template whose entries `set` are replaced by the point's values.
    pub slha_template: Option<PathBuf>,
    /// Input name → SLHA entry, for `slha_template`.
    #[serde(default)]
    pub set: BTreeMap<String, SlhaEntry>,
    /// A text template in which `{name}` is replaced by the value of input `name`.
    pub text_template: Option<PathBuf>,
    /// A parameter file of `name value` lines (micrOMEGAs' `.par`): the value on the line
    /// whose first word is an input's name is replaced.
    pub par_template: Option<PathBuf>,
}

/// One SLHA entry: block and index.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlhaEntry {
    pub block: String,
    pub index: Vec<i64>,
}

/// One program of the chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    /// Program and arguments; a program path with a `/` is taken relative to the directory
    /// dlscan runs in, a bare name is looked up in `PATH`. `{name}` in an argument is
    /// replaced by the value of input `name` (2HDMC's CalcPhys takes its parameters so).
    pub command: Vec<String>,
    /// Seconds before the program (and everything it started) is killed.
    pub timeout_s: Option<f64>,
    /// Exit statuses that count as success (default: 0 only).
    #[serde(default = "default_ok_exit")]
    pub ok_exit_codes: Vec<i32>,
}

fn default_ok_exit() -> Vec<i32> {
    vec![0]
}

/// One output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub name: String,
    /// Read from this file of the work directory…
    pub file: Option<String>,
    /// …or from the standard output of this program (1 = the first).
    pub stdout: Option<usize>,
    /// The SLHA entry holding the value (files only).
    pub slha: Option<SlhaEntry>,
    /// The value is the number following this text (the first number when absent and
    /// there is no `slha`).
    pub label: Option<String>,
}

/// A condition that makes a point a failure, with the reason recorded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureRule {
    /// Checked right after this program (1-based), before the next one runs; by default
    /// once all have run.
    pub after: Option<usize>,
    /// An SLHA file holding a line that starts with this flag in this block (SPheno writes
    /// `SPINFO 4` on failure and exits 0).
    pub slha_flag: Option<SlhaFlag>,
    /// Text that, found in a program's standard output, means failure.
    pub stdout_contains: Option<String>,
    /// An SLHA entry that must lie within [min, max] (e.g. 2HDMC's Yukawa type, which it
    /// silently ignores when invalid).
    pub require: Option<Requirement>,
    /// The reason recorded (default: the rule itself).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlhaFlag {
    pub file: String,
    pub block: String,
    pub flag: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub file: String,
    pub block: String,
    pub index: Vec<i64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl CommandConfig {
    /// Reads the TOML text and checks it for everything that does not need the programs.
    pub fn parse(text: &str) -> Result<Self, String> {
        let c: CommandConfig = toml::from_str(text).map_err(|e| format!("command oracle configuration: {e}"))?;
        c.check()?;
        Ok(c)
    }

    /// Whether input `name` reaches a program as a `{name}` placeholder in its arguments.
    pub(crate) fn in_arguments(&self, name: &str) -> bool {
        let placeholder = format!("{{{name}}}");
        self.programs
            .iter()
            .any(|p| p.command[1..].iter().any(|a| a.contains(&placeholder)))
    }

    /// Checks a configuration built in code (the presets).
    pub(crate) fn check_again(self) -> Result<Self, String> {
        self.check()?;
        Ok(self)
    }

    fn check(&self) -> Result<(), String> {
        if self.inputs.is_empty() {
            return Err("`inputs` must name at least one scanned parameter".into());
        }
        if self.programs.is_empty() {
            return Err("at least one [[program]] is needed".into());
        }
        for (i, p) in self.programs.iter().enumerate() {
            if p.command.is_empty() || p.command[0].is_empty() {
                return Err(format!("[[program]] {}: `command` is empty", i + 1));
            }
            if let Some(t) = p.timeout_s
                && !(t > 0.0 && t.is_finite())
            {
                return Err(format!("[[program]] {}: timeout_s = {t} must be positive", i + 1));
            }
        }
        if let Some((i, r)) = self
            .failures
            .iter()
            .enumerate()
            .find(|(_, r)| r.after.is_some_and(|a| a == 0 || a > self.programs.len()))
        {
            return Err(format!(
                "[[fail_if]] {}: after = {} names no program (there are {})",
                i + 1,
                r.after.unwrap_or_default(),
                self.programs.len()
            ));
        }
        let in_args = |name: &str| self.in_arguments(name);
        let Some(i) = &self.input else {
            if let Some(name) = self.inputs.iter().find(|n| !in_args(n)) {
                return Err(format!(
                    "input `{name}` reaches no program: no [input] file and no {{{name}}} in any command"
                ));
            }
            return self.check_outputs();
        };
        let kinds = usize::from(i.slha_template.is_some())
            + usize::from(i.text_template.is_some())
            + usize::from(i.par_template.is_some());
        if kinds != 1 {
            return Err("[input]: give one of `slha_template`, `text_template`, `par_template`".into());
        }
        match (&i.slha_template, &i.text_template) {
            (Some(_), Some(_)) | (None, None) => {
                if !i.set.is_empty() {
                    return Err("[input]: `set` applies to `slha_template` only".into());
                }
            }
            (Some(_), None) => {
                for name in &self.inputs {
                    if !i.set.contains_key(name) && !in_args(name) {
                        return Err(format!("[input] set: no SLHA entry for input `{name}`"));
                    }
                }
                if let Some(extra) = i.set.keys().find(|k| !self.inputs.contains(k)) {
                    return Err(format!(
                        "[input] set: `{extra}` is not one of the inputs {:?}",
                        self.inputs
                    ));
                }
            }
            (None, Some(_)) => {
                if !i.set.is_empty() {
                    return Err("[input]: `set` applies to `slha_template` only".into());
                }
            }
        }
        self.check_outputs()
    }

    fn check_outputs(&self) -> Result<(), String> {
        if self.outputs.is_empty() {
            return Err("at least one [[output]] is needed".into());
        }
        for o in &self.outputs {
            match (&o.file, o.stdout) {
                (Some(_), None) => {}
                (None, Some(k)) if (1..=self.programs.len()).contains(&k) => {
                    if o.slha.is_some() {
                        return Err(format!("output `{}`: `slha` applies to files only", o.name));
                    }
                }
                (None, Some(k)) => {
                    return Err(format!(
                        "output `{}`: stdout = {k}, but there are {} programs",
                        o.name,
                        self.programs.len()
                    ));
                }
                _ => return Err(format!("output `{}`: give `file` or `stdout`", o.name)),
            }
            if o.slha.is_some() && o.label.is_some() {
                return Err(format!("output `{}`: give `slha` or `label`, not both", o.name));
            }
        }
        for (k, f) in self.failures.iter().enumerate() {
            let set = usize::from(f.slha_flag.is_some())
                + usize::from(f.stdout_contains.is_some())
                + usize::from(f.require.is_some());
            if set != 1 {
                return Err(format!(
                    "[[fail_if]] {}: give exactly one of `slha_flag`, `stdout_contains`, `require`",
                    k + 1
                ));
            }
        }
        Ok(())
    }
}
