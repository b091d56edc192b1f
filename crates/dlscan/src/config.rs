//! The run configuration file (TOML): schema, validation with line numbers, and conversion
//! to the scanner's types.
//!
//! Schema (every table is documented in `examples/README.md`):
//! ```toml
//! [run]            # name, output_dir, seed, cpus, workers
//! [oracle]         # plugin, timeout_s, chunk_size, isolation, [oracle.config] passed to the plugin
//! [[parameter]]    # name, min, max, scale = "linear" | "log"
//! [target]         # [[target.range]] output/min/max; [[target.chi2]] terms (output/mean/
//!                  # sigma), correlation, max, likelihood; [target.likelihood] threshold,
//!                  # outputs, chi2_outputs, [[target.likelihood.gaussian]] output/mean/sigma
//! [scan]           # strategy, initial_points, batch_size
//! [stop]           # max_oracle_calls, max_in_target, max_iterations, max_seconds
//! ```
//! Unknown keys are errors; every error names the file and, where it can, the line.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use scan_core::{
    Chi2, EvaluatorOptions, GaussianTerm, Likelihood, Parameter, RangeCondition, Scale, ScanOptions, ScanSettings,
    Space, StopRules, StrategyContext, Target,
};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default)]
    pub run: RunTable,
    pub oracle: OracleTable,
    #[serde(default)]
    pub parameter: Vec<Spanned<ParameterTable>>,
    pub target: Spanned<TargetTable>,
    /// Read by scan-core, which owns its keys, defaults and checks.
    pub scan: Option<Spanned<ScanOptions>>,
    pub stop: Spanned<StopRules>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunTable {
    pub name: Option<String>,
    pub output_dir: Option<PathBuf>,
    #[serde(default)]
    pub seed: u64,
    /// Cores the scan may use (default: all this process may use): training, proposals
    /// and the oracle workers are sized from it.
    pub cpus: Option<usize>,
    pub workers: Option<usize>,
}

/// Where the plugin's instances run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// Each worker's instance in a process of its own: a crash costs the point, a point
    /// over the time limit has its process killed.
    #[default]
    Process,
    /// Instances in threads of the dlscan process: no overhead, but a crash in the plugin
    /// ends the scan and a stuck call's thread cannot be stopped.
    Thread,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleTable {
    pub plugin: String,
    pub timeout_s: Option<Spanned<f64>>,
    pub chunk_size: Option<usize>,
    #[serde(default)]
    pub isolation: Isolation,
    /// Files of chosen points to keep in the run directory's `files/`.
    #[serde(default)]
    pub keep: Vec<scan_core::KeepRule>,
    #[serde(default)]
    pub config: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterTable {
    pub name: String,
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub scale: Scale,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTable {
    #[serde(default)]
    pub range: Vec<Spanned<RangeCondition>>,
    #[serde(default)]
    pub chi2: Vec<Spanned<Chi2Table>>,
    pub likelihood: Option<Spanned<LikelihoodTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chi2Table {
    pub terms: Vec<GaussianTable>,
    pub correlation: Option<Vec<Vec<f64>>>,
    pub max: Option<f64>,
    #[serde(default)]
    pub likelihood: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LikelihoodTable {
    pub threshold: f64,
    #[serde(default)]
    pub outputs: Vec<String>,
    #[serde(default)]
    pub chi2_outputs: Vec<String>,
    #[serde(default)]
    pub gaussian: Vec<GaussianTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianTable {
    pub output: String,
    pub mean: f64,
    pub sigma: f64,
}

/// A parsed and validated configuration, with everything the scanner needs.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    /// The directory relative paths in the configuration resolve against: the
    /// configuration file's, or for a run directory's copy, the original's.
    pub base_dir: PathBuf,
    pub text: String,
    pub config: RunConfig,
    pub space: Space,
    pub target: Target,
    pub settings: ScanSettings,
    /// The `[oracle.config]` table, as TOML text for the plugin.
    pub oracle_config: String,
    /// The cores the scan may use.
    pub cpus: usize,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, message: impl std::fmt::Display) -> anyhow::Error {
        anyhow!(
            "{} line {}: {message}",
            self.path.display(),
            line_of(self.text, span.start)
        )
    }
}

/// Read, parse and validate a run configuration.
pub fn load(path: &Path) -> Result<Loaded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read configuration {}", path.display()))?;
    parse(path, text)
}

/// Parse and validate configuration `text` read from `path`.
pub fn parse(path: &Path, text: String) -> Result<Loaded> {
    let config: RunConfig =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    let at = Locator { path, text: &text };

    if config.parameter.is_empty() {
        bail!(
            "{}: no [[parameter]] table: at least one parameter must be scanned",
            path.display()
        );
    }
    let mut parameters = Vec::new();
    for p in &config.parameter {
        let t = p.get_ref();
        let parameter = Parameter {
            name: t.name.clone(),
            min: t.min,
            max: t.max,
            scale: t.scale,
        };
        parameter.check().map_err(|e| at.error(p.span(), e))?;
        if parameters.iter().any(|q: &Parameter| q.name == parameter.name) {
            return Err(at.error(p.span(), format!("parameter `{}` is defined twice", t.name)));
        }
        parameters.push(parameter);
    }
    let space = Space::new(parameters)?;

    let target_table = config.target.get_ref();
    let mut ranges = Vec::new();
    for r in &target_table.range {
        r.get_ref().check().map_err(|e| at.error(r.span(), e))?;
        ranges.push(r.get_ref().clone());
    }
    let gaussians = |terms: &[GaussianTable]| -> Vec<GaussianTerm> {
        terms
            .iter()
            .map(|g| GaussianTerm {
                output: g.output.clone(),
                mean: g.mean,
                sigma: g.sigma,
            })
            .collect()
    };
    let mut chi2 = Vec::new();
    for c in &target_table.chi2 {
        let t = c.get_ref();
        let term = Chi2 {
            terms: gaussians(&t.terms),
            correlation: t.correlation.clone(),
            max: t.max,
            likelihood: t.likelihood,
        };
        term.check().map_err(|e| at.error(c.span(), e))?;
        chi2.push(term);
    }
    let likelihood = match &target_table.likelihood {
        None => None,
        Some(l) => {
            let t = l.get_ref();
            let likelihood = Likelihood {
                gaussians: gaussians(&t.gaussian),
                outputs: t.outputs.clone(),
                chi2_outputs: t.chi2_outputs.clone(),
                threshold: t.threshold,
            };
            likelihood
                .check_factors(chi2.iter().any(|c| c.likelihood))
                .map_err(|e| at.error(l.span(), e))?;
            Some(likelihood)
        }
    };
    let target = Target {
        ranges,
        chi2,
        likelihood,
    };
    target.check().map_err(|e| at.error(config.target.span(), e))?;

    let default_scan = ScanOptions::default();
    let (scan, scan_span) = config
        .scan
        .as_ref()
        .map_or((&default_scan, 0..0), |s| (s.get_ref(), s.span()));
    scan.check()
        .map_err(|e| at.error(scan_span.clone(), format!("[scan] {e}")))?;
    let rules = config.stop.get_ref().clone();
    rules.check().map_err(|e| at.error(config.stop.span(), e))?;
    let timeout = match &config.oracle.timeout_s {
        Some(t) if *t.get_ref() > 0.0 && *t.get_ref() <= scan_core::MAX_TIMEOUT.as_secs_f64() => {
            Some(Duration::from_secs_f64(*t.get_ref()))
        }
        Some(t) => {
            return Err(at.error(
                t.span(),
                format!(
                    "[oracle] timeout_s = {} must be positive and at most {} (a year); leave it out for no limit",
                    scan_core::journal::format_number(*t.get_ref()),
                    scan_core::MAX_TIMEOUT.as_secs()
                ),
            ));
        }
        None => None,
    };
    let cpus = config.run.cpus.unwrap_or_else(scan_core::cpus::available);
    if cpus == 0 {
        bail!("{}: [run] cpus = 0: the scan needs at least one core", path.display());
    }
    let workers = config.run.workers.unwrap_or(cpus);
    // Workers set beyond the cores found are the user's call (an oracle that mostly
    // waits); beside an explicit budget they are a contradiction.
    if workers > cpus && config.run.cpus.is_some() {
        bail!(
            "{}: [run] workers = {workers} is more than cpus = {cpus}: the oracle workers would share cores; \
             lower workers, or raise cpus when the oracle mostly waits (a remote service, a disk)",
            path.display()
        );
    }
    if let Some(t) = scan.network.as_ref().and_then(|n| n.threads)
        && t > cpus
    {
        bail!(
            "{}: [scan.network] threads = {t} is more than [run] cpus = {cpus}",
            path.display()
        );
    }
    let evaluator = EvaluatorOptions {
        workers,
        chunk_size: config.oracle.chunk_size,
        timeout,
        // Filled from `keep` by the scanner.
        keep_files: Vec::new(),
    };
    evaluator
        .check()
        .map_err(|e| anyhow!("{}: [run]/[oracle] {e}", path.display()))?;
    let keep = config.oracle.keep.clone();
    for rule in &keep {
        rule.check()
            .map_err(|e| anyhow!("{}: [[oracle.keep]] {e}", path.display()))?;
    }
    let settings = ScanSettings {
        stop: rules,
        evaluator,
        keep,
        ..scan.scan_settings(config.run.seed)
    };
    let oracle_config = toml::to_string(&config.oracle.config).context("re-serialising [oracle.config]")?;
    Ok(Loaded {
        base_dir: directory_of(path),
        path: path.to_path_buf(),
        text,
        config,
        space,
        target,
        settings,
        oracle_config,
        cpus,
    })
}

impl Loaded {
    /// The `[scan]` table (all defaults when absent).
    pub fn scan(&self) -> ScanOptions {
        self.config
            .scan
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default()
    }

    /// The strategy named by `[scan] strategy`, for an oracle with these outputs.
    pub fn strategy(&self, output_names: &[String]) -> Result<Box<dyn scan_core::Strategy>> {
        let bound = self.target.bind(output_names)?;
        let context = StrategyContext {
            dim: self.space.dim(),
            seed: self.settings.seed,
            output_names,
            target: &bound,
        };
        self.scan().build(context).map_err(|e| {
            // The line of the key the error names, else of the [scan] table.
            let span = self.config.scan.as_ref().map(|t| t.span());
            let key = match &e {
                scan_core::ScanError::Setting { key, .. } | scan_core::ScanError::UnusedKey { key, .. } => {
                    Some(key.clone())
                }
                _ => None,
            };
            let line = span.map(|span| {
                // The table runs from its header to the next header.
                let rest = &self.text[span.start..];
                let table = match rest[1..].find("\n[") {
                    Some(end) => &rest[..end + 1],
                    None => rest,
                };
                let at = key
                    .and_then(|k| {
                        table
                            .match_indices(k.as_str())
                            .map(|(i, _)| i)
                            .find(|&i| i == 0 || table.as_bytes()[i - 1] == b'\n')
                    })
                    .unwrap_or(0);
                line_of(&self.text, span.start + at)
            });
            match line {
                Some(line) => anyhow!("{} line {line}: [scan] {e}", self.path.display()),
                None => anyhow!("{}: [scan] {e}", self.path.display()),
            }
        })
    }

    /// The run's name: `[run] name`, else the configuration file's stem.
    pub fn name(&self) -> String {
        self.config.run.name.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned())
        })
    }

    /// The run directory: `[run] output_dir` (relative to the configuration's directory,
    /// as every path in it), else `runs/<name>` in the current directory.
    pub fn output_dir(&self) -> PathBuf {
        match &self.config.run.output_dir {
            Some(dir) => self.base_dir.join(dir),
            None => PathBuf::from("runs").join(self.name()),
        }
    }

    /// Directories searched for a plugin given by name: see [`plugin_search_path`].
    pub fn plugin_dirs(&self) -> Vec<PathBuf> {
        plugin_search_path()
    }

    /// The plugin path: a relative path (one with a `/`, or a file name with the library
    /// suffix, as `locate_plugin` tells them from names) is taken relative to
    /// [`Loaded::base_dir`].
    pub fn plugin_spec(&self) -> String {
        let spec = &self.config.oracle.plugin;
        let p = Path::new(spec);
        if p.is_relative() && (spec.contains('/') || spec.ends_with(std::env::consts::DLL_SUFFIX)) {
            self.base_dir.join(p).to_string_lossy().into_owned()
        } else {
            spec.clone()
        }
    }
}

/// Directories searched for a plugin given by name, in order: `DLSCAN_PLUGIN_PATH`, then
/// the directory of the `dlscan` executable and its `plugins/` subdirectory. Never the
/// configuration's or the current directory: a library planted beside a configuration
/// would run its code as soon as it is loaded, even under `dlscan check`.
pub fn plugin_search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("DLSCAN_PLUGIN_PATH")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        dirs.push(dir.to_path_buf());
        dirs.push(dir.join("plugins"));
    }
    dirs
}

/// The absolute directory of the file at `path` (`scan.toml`: the current directory).
pub fn directory_of(path: &Path) -> PathBuf {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf())
}

/// The `[oracle.config]` table of the run configuration at `path`, as TOML text (what a
/// plugin's `create` gets), without validating the rest of the file.
pub fn oracle_config_of(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    let config = table
        .get("oracle")
        .and_then(|o| o.get("config"))
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    toml::to_string(&config).with_context(|| format!("{}: re-serialising [oracle.config]", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[run]
seed = 7
workers = 2

[oracle]
plugin = "toy"
timeout_s = 2.5
[oracle.config]
function = "O_3d"

[[parameter]]
name = "x1"
min = -31.4
max = 31.4

[[parameter]]
name = "x2"
min = 1e-3
max = 1e3
scale = "log"

[target.likelihood]
threshold = 0.5
outputs = ["likelihood"]

[scan]
initial_points = 50
batch_size = 20

[stop]
max_oracle_calls = 200
"#;

    fn parse_str(text: &str) -> Result<Loaded> {
        parse(Path::new("test.toml"), text.to_string())
    }

    #[test]
    fn one_cpu_budget_sizes_the_workers_and_bounds_the_training_threads() {
        let with = |run: &str, extra: &str| {
            GOOD.replace("workers = 2", run)
                .replace("[stop]", &format!("{extra}\n[stop]"))
        };
        let l = parse_str(&with("cpus = 3", "")).unwrap();
        assert_eq!((l.cpus, l.settings.evaluator.workers), (3, 3));
        let l = parse_str(&with("", "")).unwrap();
        assert_eq!(l.cpus, scan_core::cpus::available());
        assert_eq!(l.settings.evaluator.workers, l.cpus);
        let e = parse_str(&with("cpus = 2\nworkers = 4", "")).unwrap_err().to_string();
        assert!(e.contains("workers = 4 is more than cpus = 2"), "{e}");
        let e = parse_str(&with("cpus = 0", "")).unwrap_err().to_string();
        assert!(e.contains("cpus = 0"), "{e}");
        let e = parse_str(&with("cpus = 2", "[scan.network]\nthreads = 8"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("threads = 8 is more than [run] cpus = 2"), "{e}");
    }

    #[test]
    fn good_config_converts() {
        let l = parse_str(GOOD).unwrap();
        assert_eq!(l.space.dim(), 2);
        assert_eq!(l.space.parameters()[1].scale, Scale::Log);
        assert_eq!(l.settings.seed, 7);
        assert_eq!(l.settings.evaluator.workers, 2);
        assert_eq!(l.settings.evaluator.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(l.settings.initial_points, 50);
        assert_eq!(l.settings.stop.max_oracle_calls, Some(200));
        assert_eq!(l.oracle_config.trim(), "function = \"O_3d\"");
        assert_eq!(l.name(), "test");
        assert_eq!(l.output_dir(), PathBuf::from("runs/test"));
        assert_eq!(l.settings.initial_sampling, scan_core::InitialSampling::Uniform);
        let lhs = parse_str(&GOOD.replace(
            "initial_points = 50",
            "initial_points = 50\ninitial_sampling = \"latin-hypercube\"",
        ))
        .unwrap();
        assert_eq!(
            lhs.settings.initial_sampling,
            scan_core::InitialSampling::LatinHypercube
        );
        assert!(
            error_of(&GOOD.replace(
                "initial_points = 50",
                "initial_points = 50\ninitial_sampling = \"sobol\""
            ))
            .contains("sobol")
        );
    }

    fn error_of(text: &str) -> String {
        format!("{:#}", parse_str(text).unwrap_err())
    }

    #[test]
    fn chi2_targets_convert_and_name_their_errors() {
        let with = |target: &str| {
            GOOD.replace(
                "[target.likelihood]\nthreshold = 0.5\noutputs = [\"likelihood\"]",
                target,
            )
        };
        let l = parse_str(&with(
            "[[target.chi2]]\nterms = [{ output = \"O\", mean = 150.0, sigma = 5.0 }, \
             { output = \"likelihood\", mean = 1.0, sigma = 0.1 }]\n\
             correlation = [[1.0, 0.3], [0.3, 1.0]]\nmax = 4.0\nlikelihood = true\n\n\
             [target.likelihood]\nthreshold = 0.01",
        ))
        .unwrap();
        assert_eq!(l.target.chi2.len(), 1);
        assert_eq!(l.target.chi2[0].max, Some(4.0));
        assert!(l.target.chi2[0].likelihood);
        let bound = l.target.bind(&["O".into(), "likelihood".into()]).unwrap();
        // At the means: chi2 = 0, in target with likelihood 1.
        let v = bound.judge(Some(&[150.0, 1.0]));
        assert!(v.in_target && v.likelihood == Some(1.0));
        let e = parse_str(&with(
            "[[target.chi2]]\nterms = [{ output = \"O\", mean = 150.0, sigma = 5.0 }]\nlikelihood = true",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("add [target.likelihood]"), "{e}");
        let e = parse_str(&with(
            "[[target.chi2]]\nterms = [{ output = \"O\", mean = 150.0, sigma = 5.0 }]\n\
             correlation = [[1.0, 0.5]]\nmax = 1.0",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("test.toml") && e.contains("1×1"), "{e}");
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = GOOD.replace("seed = 7", "seed = 7\nsed = 8");
        let e = error_of(&text);
        assert!(
            e.contains("test.toml") && e.contains("line 4") && e.contains("sed"),
            "{e}"
        );
    }

    #[test]
    fn bad_parameter_names_line() {
        let text = GOOD.replace("min = -31.4", "min = 40.0");
        let e = error_of(&text);
        assert!(
            e.contains("line 12") && e.contains("parameter `x1`") && e.contains("must be smaller"),
            "{e}"
        );
        let text = GOOD.replace("min = 1e-3", "min = -1.0");
        let e = error_of(&text);
        assert!(e.contains("line 17") && e.contains("log scale"), "{e}");
    }

    #[test]
    fn missing_pieces_are_explained() {
        let e = error_of(&GOOD.replace("max_oracle_calls = 200", ""));
        assert!(e.contains("no stopping rule"), "{e}");
        let e = error_of(&GOOD.replace(
            "[target.likelihood]\nthreshold = 0.5\noutputs = [\"likelihood\"]",
            "[target]",
        ));
        assert!(e.contains("target: no condition"), "{e}");
        for bad in ["-1.0", "1e300", "1e19", "1e18", "nan", "inf"] {
            let e = error_of(&GOOD.replace("timeout_s = 2.5", &format!("timeout_s = {bad}")));
            assert!(e.contains("line 8") && e.contains("timeout_s"), "{bad}: {e}");
        }
        let e = error_of(
            &GOOD
                .replacen("min = ", "min = -1.7e308 #", 1)
                .replacen("max = ", "max = 1.7e308 #", 1),
        );
        assert!(e.contains("overflows"), "{e}");
        let e = error_of("[oracle]\nplugin = 3\n");
        assert!(e.contains("line 2"), "{e}");
        let e = error_of(
            &GOOD
                .replace("strategy", "")
                .replace("[scan]", "[scan]\nstrategy = \"magic\""),
        );
        assert!(e.contains("magic") && e.contains("random"), "{e}");
    }

    #[test]
    fn the_readme_configuration_shows_the_defaults() {
        let readme = include_str!("../../../README.md");
        let block = readme
            .split("### Configuration")
            .nth(1)
            .and_then(|s| s.split("```toml\n").nth(1))
            .and_then(|s| s.split("```").next())
            .expect("README has a configuration block");
        let shown = parse(Path::new("README.md"), block.to_string()).unwrap().scan();
        // Everything but the outputs to regress (whose default depends on the target) is
        // shown at its default value.
        let defaults = ScanOptions {
            regress: shown.regress.clone(),
            ..ScanOptions::default()
        };
        assert_eq!(shown.strategy, defaults.strategy);
        assert_eq!(shown.scan_settings(1), defaults.scan_settings(1));
        assert_eq!(shown.guided_settings(), defaults.guided_settings());
        let network = |o: &ScanOptions| o.network.clone().unwrap_or_default().mlp_params(1);
        assert_eq!(network(&shown), network(&defaults));
        // And the block is a configuration the strategy accepts.
        shown.check().unwrap();
    }

    #[test]
    fn keys_a_strategy_does_not_read_are_refused_by_name() {
        let random = GOOD.replace("[scan]", "[scan]\nstrategy = \"random\"");
        let e = error_of(&random.replace("batch_size = 20", "batch_size = 20\ncandidates = 500"));
        assert!(
            e.contains("`candidates`") && e.contains("`random`") && e.contains("line 27"),
            "{e}"
        );
        let classifier = GOOD.replace("[scan]", "[scan]\nstrategy = \"mlp-classifier\"");
        parse_str(&classifier).unwrap();
        let e = error_of(&classifier.replace("batch_size = 20", "batch_size = 20\n[scan.network]\nlatent = 8"));
        assert!(e.contains("`network.latent`") && e.contains("`mlp-classifier`"), "{e}");
        let e = error_of(&classifier.replace("batch_size = 20", "batch_size = 20\nregress = [{ output = \"O\" }]"));
        assert!(e.contains("`regress`"), "{e}");
        let siamese = GOOD.replace("[scan]", "[scan]\nstrategy = \"siamese-classifier\"");
        let e = error_of(&siamese.replace(
            "batch_size = 20",
            "batch_size = 20\n[scan.network]\nschedule = \"constant\"",
        ));
        assert!(
            e.contains("`network.schedule`") && e.contains("`siamese-classifier`"),
            "{e}"
        );
        let regressor = GOOD.replace("[scan]", "[scan]\nstrategy = \"mlp-regressor\"\nsmote_k = 3");
        assert!(error_of(&regressor).contains("`smote_k`"));
    }
}
