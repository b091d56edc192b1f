//! Oracles that run external programs: the mechanism behind dlscan's SPheno, micrOMEGAs,
//! 2HDMC and generic command plugins.
//!
//! Each oracle instance (one per scanner worker) owns a private work directory, emptied
//! before every point so no stale output of an earlier point can be read back (SPheno
//! leaves its last spectrum otherwise). For a point it writes the input file (an SLHA
//! template with the point's values set at configured entries, or a text template with
//! `{name}` placeholders), runs the programs in sequence, each under its own time limit,
//! and reads the outputs from SLHA entries, from the number after a label in a file, or
//! from a program's standard output. A point fails — with the reason, and the tail of the
//! program's error output — when a program cannot start, runs too long, exits with a
//! status not declared as success, leaves an output missing or unreadable (output files
//! must be UTF-8 text), or meets a `[[fail_if]]` rule (an SLHA error flag such as
//! SPheno's `SPINFO 4`, a text on stdout, an entry outside its allowed range). SLHA
//! outputs are read leniently, past stray text, but no entry is read from a block whose
//! header is unreadable or repeats the block without a different `Q=` scale (see
//! [`slha::Slha::parse_lenient`]); a flag rule looks in every copy. A failed point's
//! message ends with the lines of the files `[[explain]]` names (SPheno's `Messages.out`).
//! Configuration mistakes (a template entry that does not exist, an
//! unreadable template) are errors when the oracle is created, before any point runs.
//!
//! Whatever a program started is killed when it ends or times out, so nothing outlives
//! its point or holds the oracle; each output stream keeps its first MiB, a failure
//! message at most [`MAX_MESSAGE`] bytes, and the work directory is removed with the
//! oracle.

mod config;
pub mod presets;
mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oracle_api::{FromConfig, Oracle, PointFailure, PointResult, Shape};
use slha::Slha;

pub use config::{CommandConfig, Explanation, FailureRule, InputConfig, OutputConfig, ProgramConfig, SlhaEntry};
pub use run::{Ended, run as run_program};

/// Errors when building an oracle.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Config(String),
    #[error("{path}: {message}")]
    Template { path: PathBuf, message: String },
    #[error("work directory: {0}")]
    WorkDir(#[from] std::io::Error),
}

enum Template {
    /// Entries set: (input position, entry).
    Slha {
        doc: Slha,
        entries: Vec<(usize, SlhaEntry)>,
    },
    Text(String),
    /// `name value` lines: the line number of each input's line.
    Par {
        text: String,
        lines: Vec<usize>,
    },
    /// The values travel as program arguments only.
    None,
}

/// An oracle running a chain of external programs per point.
pub struct CommandOracle {
    config: CommandConfig,
    shape: Shape,
    template: Template,
    /// Program argv with relative program paths made absolute (programs run in the work
    /// directory, not where dlscan was started).
    programs: Vec<Vec<String>>,
    work: WorkDir,
}

/// A failure message keeps at most this many bytes: messages are written to the scan's
/// files, once per failed point.
pub const MAX_MESSAGE: usize = 1024;

/// A text quoted from a program's output file in a failure message keeps at most this many
/// bytes, leaving room in [`MAX_MESSAGE`] for the rest (the stderr note).
const MAX_QUOTE: usize = 256;

/// The oracle's private work directory, removed with the oracle. Its programs' process
/// groups are killed when each program ends, so nothing they started writes into it any
/// more by then.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = remove(&self.0);
    }
}

/// Removes `path` (a file, a link or a directory tree). A program may have left a
/// directory without write permission, which `remove_dir_all` cannot empty: permissions
/// are then restored and the removal tried again, as is a removal that met a file created
/// meanwhile by a process that escaped its program's process group.
fn remove(path: &Path) -> std::io::Result<()> {
    let once = |p: &Path| match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    let mut result = once(path);
    for _ in 0..3 {
        if result.is_ok() {
            break;
        }
        make_removable(path);
        result = once(path);
    }
    result
}

/// Gives the owner full permissions on every directory under `path` (links not followed).
fn make_removable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let mut perms = meta.permissions();
    perms.set_mode(perms.mode() | 0o700);
    let _ = std::fs::set_permissions(path, perms);
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            make_removable(&entry.path());
        }
    }
}

impl std::fmt::Debug for CommandOracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandOracle")
            .field("shape", &self.shape)
            .field("programs", &self.programs)
            .field("work", &self.work.0)
            .finish_non_exhaustive()
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl CommandOracle {
    /// Builds the oracle: reads the template and checks that every entry to be set exists.
    pub fn new(config: CommandConfig) -> Result<Self, CommandError> {
        let (slha_template, text_template, par_template) = match &config.input {
            Some(i) => (
                i.slha_template.as_ref(),
                i.text_template.as_ref(),
                i.par_template.as_ref(),
            ),
            None => (None, None, None),
        };
        if let Some(path) = par_template {
            let text = read_text(path).map_err(|e| CommandError::Template {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let mut lines = Vec::new();
            for name in &config.inputs {
                let at = text
                    .lines()
                    .position(|l| l.split_whitespace().next() == Some(name.as_str()))
                    .ok_or_else(|| CommandError::Template {
                        path: path.clone(),
                        message: format!("no line `{name} value` for input `{name}`"),
                    })?;
                lines.push(at);
            }
            return Self::finish(config, Template::Par { text, lines });
        }
        let template = match (slha_template, text_template) {
            (Some(path), _) => {
                let read = |message: String| CommandError::Template {
                    path: path.clone(),
                    message,
                };
                let text = read_text(path).map_err(|e| read(e.to_string()))?;
                let doc = Slha::parse(&text).map_err(|e| read(e.to_string()))?;
                let set = &config.input.as_ref().expect("template given").set;
                let entries: Vec<(usize, SlhaEntry)> = config
                    .inputs
                    .iter()
                    .enumerate()
                    .filter_map(|(k, n)| set.get(n).map(|e| (k, e.clone())))
                    .collect();
                for (k, e) in &entries {
                    let name = &config.inputs[*k];
                    doc.editable_entry(&e.block, &e.index)
                        .map_err(|err| read(format!("input `{name}`: {err}")))?;
                }
                Template::Slha { doc, entries }
            }
            (None, Some(path)) => {
                let text = read_text(path).map_err(|e| CommandError::Template {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                for name in &config.inputs {
                    if !text.contains(&format!("{{{name}}}")) && !config.in_arguments(name) {
                        return Err(CommandError::Template {
                            path: path.clone(),
                            message: format!("no placeholder {{{name}}} for input `{name}`"),
                        });
                    }
                }
                Template::Text(text)
            }
            (None, None) => Template::None,
        };
        Self::finish(config, template)
    }

    fn finish(config: CommandConfig, template: Template) -> Result<Self, CommandError> {
        let programs = config
            .programs
            .iter()
            .map(|p| {
                let mut argv = p.command.clone();
                if argv[0].contains('/') {
                    argv[0] = absolute(Path::new(&argv[0])).to_string_lossy().into_owned();
                }
                argv
            })
            .collect();
        let mut builder = tempfile::Builder::new();
        builder.prefix("dlscan-oracle-");
        let work = match &config.work_root {
            Some(root) => {
                std::fs::create_dir_all(root)?;
                builder.tempdir_in(root)?
            }
            None => builder.tempdir()?,
        };
        let work = WorkDir(work.keep());
        let shape = Shape::new(config.inputs.len(), config.outputs.iter().map(|o| o.name.clone()));
        Ok(CommandOracle {
            config,
            shape,
            template,
            programs,
            work,
        })
    }

    /// This instance's work directory.
    pub fn work_dir(&self) -> &Path {
        &self.work.0
    }

    fn clear_work_dir(&self) -> Result<(), PointFailure> {
        let fail = |e: std::io::Error| PointFailure::Failed(format!("cannot clear the work directory: {e}"));
        for entry in std::fs::read_dir(&self.work.0).map_err(fail)? {
            remove(&entry.map_err(fail)?.path()).map_err(fail)?;
        }
        Ok(())
    }

    fn write_input(&self, x: &[f64]) -> Result<(), PointFailure> {
        let text = match &self.template {
            Template::Slha { doc, entries } => {
                let mut doc = doc.clone();
                for (k, e) in entries {
                    doc.set_value(&e.block, &e.index, x[*k])
                        .map_err(|err| PointFailure::Failed(err.to_string()))?;
                }
                doc.to_string()
            }
            Template::Par { text, lines } => {
                let mut out: Vec<String> = text.lines().map(str::to_string).collect();
                for ((name, at), v) in self.config.inputs.iter().zip(lines).zip(x) {
                    out[*at] = format!("{name} {v:E}");
                }
                out.join("\n") + "\n"
            }
            Template::None => return Ok(()),
            Template::Text(t) => {
                let mut t = t.clone();
                for (name, v) in self.config.inputs.iter().zip(x) {
                    t = t.replace(&format!("{{{name}}}"), &format!("{v:E}"));
                }
                t
            }
        };
        let file = &self.config.input.as_ref().expect("a template means an [input]").file;
        std::fs::write(self.work.0.join(file), text)
            .map_err(|e| PointFailure::Failed(format!("cannot write {file}: {e}")))
    }

    /// Output file `name` of this point: a missing file is the programs' failure to write
    /// it; any other trouble (a directory, bytes that are not UTF-8) is named as such.
    fn read_file(&self, name: &str) -> Result<String, PointFailure> {
        read_text(&self.work.0.join(name)).map_err(|e| {
            PointFailure::Failed(match e.kind() {
                std::io::ErrorKind::NotFound => format!("the programs wrote no `{name}`"),
                _ => format!("cannot read `{name}`: {e}"),
            })
        })
    }

    /// SLHA file `name` of this point, parsed once however many rules and outputs read it.
    fn read_slha<'c>(&self, name: &str, parsed: &'c mut HashMap<String, Slha>) -> Result<&'c Slha, PointFailure> {
        if !parsed.contains_key(name) {
            let doc = Slha::parse_lenient(&self.read_file(name)?);
            parsed.insert(name.to_string(), doc);
        }
        Ok(&parsed[name])
    }

    /// The failure rules `which` selects by their `after`, against the files as they are.
    fn check_rules(
        &self,
        stdouts: &[String],
        parsed: &mut HashMap<String, Slha>,
        which: impl Fn(Option<usize>) -> bool,
    ) -> PointResult {
        for rule in self.config.failures.iter().filter(|r| which(r.after)) {
            let hit = if let Some(f) = &rule.slha_flag {
                let doc = self.read_slha(&f.file, parsed)?;
                doc.blocks_named(&f.block)
                    .any(|b| b.has_flag(f.flag))
                    .then(|| format!("{} has {} {}", f.file, f.block, f.flag))
            } else if let Some(text) = &rule.stdout_contains {
                stdouts
                    .iter()
                    .any(|s| s.contains(text.as_str()))
                    .then(|| format!("a program printed {text:?}"))
            } else if let Some(r) = &rule.require {
                let doc = self.read_slha(&r.file, parsed)?;
                match doc.value(&r.block, &r.index) {
                    Err(e) => Some(format!("{}: {}", r.file, quote(&e))),
                    Ok(v) if r.min.is_some_and(|m| v < m) || r.max.is_some_and(|m| v > m) || v.is_nan() => {
                        Some(format!(
                            "{} {} {:?} = {v} outside [{:?}, {:?}]",
                            r.file, r.block, r.index, r.min, r.max
                        ))
                    }
                    Ok(_) => None,
                }
            } else {
                None
            };
            if let Some(what) = hit {
                return Err(PointFailure::Failed(match &rule.reason {
                    Some(reason) => format!("{reason} ({what})"),
                    None => what,
                }));
            }
        }
        Ok(())
    }

    fn read_outputs(&self, stdouts: &[String], parsed: &mut HashMap<String, Slha>, out: &mut [f64]) -> PointResult {
        for (o, slot) in self.config.outputs.iter().zip(out.iter_mut()) {
            *slot = match (&o.file, o.stdout) {
                (Some(file), _) => match &o.slha {
                    Some(e) => self
                        .read_slha(file, parsed)?
                        .value(&e.block, &e.index)
                        .map_err(|err| PointFailure::Failed(format!("output `{}`: {file}: {}", o.name, quote(&err))))?,
                    None => number_after(&self.read_file(file)?, o.label.as_deref()).ok_or_else(|| {
                        PointFailure::Failed(format!("output `{}`: no number {} in {file}", o.name, describe(o)))
                    })?,
                },
                (None, Some(k)) => number_after(&stdouts[k - 1], o.label.as_deref()).ok_or_else(|| {
                    PointFailure::Failed(format!(
                        "output `{}`: no number {} in the output of program {k}",
                        o.name,
                        describe(o)
                    ))
                })?,
                (None, None) => unreachable!("checked by CommandConfig"),
            };
        }
        Ok(())
    }
}

/// The text of a file, which must be UTF-8 (spectrum generators write ASCII).
///
/// Other bytes are an `InvalidData` error giving the first bad byte, its offset and its
/// line, rather than text read lossily: bytes that are not UTF-8 mean a corrupt or
/// foreign file, and a replacement character inside a number would silently move a
/// label-based read on to the next number.
fn read_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(std::fs::read(path)?).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte 0x{:02X} at byte offset {at}, line {line})",
                bytes[at]
            ),
        )
    })
}

fn describe(o: &OutputConfig) -> String {
    o.label
        .as_ref()
        .map_or_else(|| "at all".to_string(), |l| format!("after {l:?}"))
}

/// The first number after `label` (or anywhere, without a label) in `text`: DLScanner's
/// way of reading micrOMEGAs (`Omega=1.2E-01`).
pub fn number_after(text: &str, label: Option<&str>) -> Option<f64> {
    let rest = match label {
        Some(l) => &text[text.find(l)? + l.len()..],
        None => text,
    };
    rest.split(|c: char| c.is_whitespace() || matches!(c, '=' | ':' | ',' | ';' | '(' | ')'))
        .filter(|t| !t.is_empty())
        .find_map(slha::parse_real)
}

/// An error that may quote a program's output (an SLHA entry that is not a number), cut
/// to [`MAX_QUOTE`].
fn quote(e: &impl std::fmt::Display) -> String {
    run::clip(&e.to_string(), MAX_QUOTE)
}

impl Oracle for CommandOracle {
    fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The work directory: after a point, it holds what the programs wrote for it.
    fn files_dir(&self) -> Option<PathBuf> {
        Some(self.work.0.clone())
    }

    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        self.evaluate_point(x, out).map_err(|f| match f {
            PointFailure::Failed(m) => PointFailure::Failed(run::clip(&self.explained(m), MAX_MESSAGE)),
            PointFailure::Timeout(m) => PointFailure::Timeout(run::clip(&m, MAX_MESSAGE)),
            PointFailure::Crashed(m) => PointFailure::Crashed(run::clip(&m, MAX_MESSAGE)),
        })
    }
}

impl CommandOracle {
    /// `message` followed by what the `[[explain]]` files the programs wrote say.
    fn explained(&self, message: String) -> String {
        let mut message = message;
        for e in &self.config.explanations {
            let Ok(bytes) = std::fs::read(self.work.0.join(&e.file)) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let mut lines: Vec<String> = text
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect();
            if e.from_end {
                lines.reverse();
            }
            lines.truncate(e.lines);
            if e.from_end {
                lines.reverse();
            }
            let said = if lines.is_empty() {
                "(empty)".to_string()
            } else {
                lines.join(" / ")
            };
            message = format!("{message}; {}: {said}", e.file);
        }
        message
    }

    fn evaluate_point(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        self.clear_work_dir()?;
        self.write_input(x)?;
        let mut stdouts = Vec::with_capacity(self.programs.len());
        let mut last_stderr = String::new();
        for (k, (template, p)) in self.programs.iter().zip(&self.config.programs).enumerate() {
            let stage = k + 1;
            let mut argv = template.clone();
            for a in argv.iter_mut().skip(1) {
                for (name, v) in self.config.inputs.iter().zip(x) {
                    let placeholder = format!("{{{name}}}");
                    if a.contains(&placeholder) {
                        *a = a.replace(&placeholder, &format!("{v}"));
                    }
                }
            }
            let argv = &argv;
            let name = Path::new(&argv[0])
                .file_name()
                .map_or_else(|| argv[0].clone(), |n| n.to_string_lossy().into_owned());
            match run::run(argv, &self.work.0, p.timeout_s.map(Duration::from_secs_f64)) {
                Ended::NotStarted(e) => return Err(PointFailure::Failed(format!("cannot run `{}`: {e}", argv[0]))),
                Ended::TimedOut { stderr, .. } => {
                    return Err(PointFailure::Timeout(format!(
                        "`{name}` ran past {} s and was killed{}",
                        p.timeout_s.unwrap_or_default(),
                        stderr_note(&stderr)
                    )));
                }
                Ended::Exited { status, stdout, stderr } => {
                    let ok = status.code().is_some_and(|c| p.ok_exit_codes.contains(&c));
                    if !ok {
                        let how = status.code().map_or_else(
                            || "was killed by a signal".to_string(),
                            |c| format!("exited with status {c}"),
                        );
                        // The rules may explain better (e.g. SPINFO 4 with exit 99).
                        stdouts.push(stdout);
                        let up_to_here = |after: Option<usize>| after.is_none_or(|a| a == stage);
                        return match self.check_rules(&stdouts, &mut HashMap::new(), up_to_here) {
                            Err(PointFailure::Failed(reason)) => Err(PointFailure::Failed(format!(
                                "`{name}` {how}: {reason}{}",
                                stderr_note(&stderr)
                            ))),
                            _ => Err(PointFailure::Failed(format!("`{name}` {how}{}", stderr_note(&stderr)))),
                        };
                    }
                    stdouts.push(stdout);
                    // This program's rules, before the next one reads its files (a fresh
                    // parse: a later program may rewrite them).
                    self.check_rules(&stdouts, &mut HashMap::new(), |after| after == Some(stage))
                        .map_err(|f| match f {
                            PointFailure::Failed(m) => {
                                PointFailure::Failed(format!("after `{name}`: {m}{}", stderr_note(&stderr)))
                            }
                            other => other,
                        })?;
                    last_stderr = stderr;
                }
            }
        }
        // A program that "succeeded" but left no usable result often said why on stderr.
        let mut parsed = HashMap::new();
        self.check_rules(&stdouts, &mut parsed, |after| after.is_none())
            .and_then(|()| self.read_outputs(&stdouts, &mut parsed, out))
            .map_err(|f| match f {
                PointFailure::Failed(m) => PointFailure::Failed(format!("{m}{}", stderr_note(&last_stderr))),
                other => other,
            })
    }
}

fn stderr_note(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        String::new()
    } else {
        format!(" (stderr: {})", run::tail(stderr, 240))
    }
}

impl FromConfig for CommandOracle {
    fn from_config(config: &str) -> Result<Self, String> {
        let c = CommandConfig::parse(config)?;
        CommandOracle::new(c).map_err(|e| e.to_string())
    }
}

/// A short configuration that expands into a full [`CommandConfig`].
pub trait Preset {
    fn expand(config: &str) -> Result<CommandConfig, String>;
}

/// The oracle of a preset: what the SPheno, micrOMEGAs and 2HDMC plugins export.
#[derive(Debug)]
pub struct PresetOracle<P: Preset> {
    inner: CommandOracle,
    preset: std::marker::PhantomData<fn() -> P>,
}

impl<P: Preset> Oracle for PresetOracle<P> {
    fn shape(&self) -> &Shape {
        self.inner.shape()
    }
    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        self.inner.evaluate(x, out)
    }
    fn files_dir(&self) -> Option<PathBuf> {
        self.inner.files_dir()
    }
}

impl<P: Preset> FromConfig for PresetOracle<P> {
    fn from_config(config: &str) -> Result<Self, String> {
        let inner = CommandOracle::new(P::expand(config)?).map_err(|e| e.to_string())?;
        Ok(PresetOracle {
            inner,
            preset: std::marker::PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_after_labels() {
        let text = "Xf=2.31E+01 Omega=1.1953E-01\n  proton SI 1.2e-9 [pb]\n";
        assert_eq!(number_after(text, Some("Omega")), Some(0.11953));
        assert_eq!(number_after(text, Some("Xf=")), Some(23.1));
        assert_eq!(number_after(text, Some("proton SI")), Some(1.2e-9));
        assert_eq!(number_after(text, None), Some(23.1));
        assert_eq!(number_after(text, Some("absent")), None);
    }
}
