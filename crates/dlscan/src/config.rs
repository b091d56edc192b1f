//! The run configuration file (TOML): schema, validation with line numbers, and conversion
//! to the scanner's types.
//!
//! Schema (every table is documented in `examples/README.md`):
//! ```toml
//! [run]            # name, output_dir, seed, workers
//! [oracle]         # plugin, timeout_s, chunk_size, [oracle.config] passed to the plugin
//! [[parameter]]    # name, min, max, scale = "linear" | "log"
//! [target]         # [[target.range]] output/min/max; [target.likelihood] threshold,
//!                  # outputs, [[target.likelihood.gaussian]] output/mean/sigma
//! [scan]           # strategy, initial_points, batch_size
//! [stop]           # max_oracle_calls, max_in_target, max_iterations, max_seconds
//! ```
//! Unknown keys are errors; every error names the file and, where it can, the line.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use scan_core::{
    EvaluatorOptions, GaussianTerm, Likelihood, Parameter, RangeCondition, Scale, ScanSettings, Space, StopRules,
    Target,
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
    pub scan: Option<Spanned<ScanTable>>,
    pub stop: Spanned<StopTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunTable {
    pub name: Option<String>,
    pub output_dir: Option<PathBuf>,
    #[serde(default)]
    pub seed: u64,
    pub workers: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleTable {
    pub plugin: String,
    pub timeout_s: Option<Spanned<f64>>,
    pub chunk_size: Option<usize>,
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
    pub range: Vec<Spanned<RangeTable>>,
    pub likelihood: Option<Spanned<LikelihoodTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeTable {
    pub output: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LikelihoodTable {
    pub threshold: f64,
    #[serde(default)]
    pub outputs: Vec<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    #[default]
    Random,
    MlpClassifier,
    SiameseClassifier,
    MlpRegressor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransformName {
    #[default]
    Identity,
    Log,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressTable {
    pub output: String,
    #[serde(default)]
    pub transform: TransformName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleName {
    Constant,
    #[default]
    Cosine,
}

/// Surrogate training settings; every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkTable {
    pub hidden: Option<Vec<usize>>,
    pub learning_rate: Option<f64>,
    pub batch_size: Option<usize>,
    pub epochs: Option<usize>,
    pub update_epochs: Option<usize>,
    /// Learning rate of the warm-started updates (default: learning_rate).
    pub update_learning_rate: Option<f64>,
    pub reinit_every: Option<usize>,
    pub schedule: Option<ScheduleName>,
    pub threads: Option<usize>,
    /// Siamese only: embedding width.
    pub latent: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanTable {
    #[serde(default)]
    pub strategy: StrategyName,
    #[serde(default = "default_batch")]
    pub initial_points: usize,
    /// "uniform" (default) or "latin-hypercube".
    #[serde(default)]
    pub initial_sampling: scan_core::InitialSampling,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Candidates scored per iteration (default 100 × batch_size).
    pub candidates: Option<usize>,
    pub vegas_fraction: Option<f64>,
    /// Share of the candidates drawn around in-target points found so far.
    pub local_fraction: Option<f64>,
    /// Their Gaussian width, as a fraction of the box (default 0.01).
    pub local_sigma: Option<f64>,
    pub random_fraction: Option<f64>,
    pub selection: Option<scan_core::Selection>,
    pub threshold: Option<f64>,
    /// Balance the picks across the separate target regions found so far; in-target points
    /// closer than this (fraction of the box) form one region.
    pub region_link: Option<f64>,
    /// Balance classifier training sets with SMOTE using this many neighbours.
    pub smote_k: Option<usize>,
    /// mlp-regressor: the outputs to predict.
    #[serde(default)]
    pub regress: Vec<RegressTable>,
    #[serde(default)]
    pub network: NetworkTable,
}

impl Default for ScanTable {
    fn default() -> Self {
        ScanTable {
            strategy: StrategyName::default(),
            initial_points: default_batch(),
            initial_sampling: scan_core::InitialSampling::Uniform,
            batch_size: default_batch(),
            candidates: None,
            vegas_fraction: None,
            local_fraction: None,
            local_sigma: None,
            random_fraction: None,
            selection: None,
            threshold: None,
            region_link: None,
            smote_k: None,
            regress: Vec::new(),
            network: NetworkTable::default(),
        }
    }
}

fn default_batch() -> usize {
    100
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopTable {
    pub max_oracle_calls: Option<u64>,
    pub max_in_target: Option<u64>,
    pub max_iterations: Option<u32>,
    pub max_seconds: Option<f64>,
}

/// A parsed and validated configuration, with everything the scanner needs.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub config: RunConfig,
    pub space: Space,
    pub target: Target,
    pub settings: ScanSettings,
    /// The `[oracle.config]` table, as TOML text for the plugin.
    pub oracle_config: String,
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
    let target = Target {
        ranges: target_table
            .range
            .iter()
            .map(|r| {
                let t = r.get_ref();
                if t.min.is_none() && t.max.is_none() {
                    return Err(at.error(
                        r.span(),
                        format!("target range on `{}`: give min, max or both", t.output),
                    ));
                }
                if let (Some(lo), Some(hi)) = (t.min, t.max)
                    && lo >= hi
                {
                    return Err(at.error(
                        r.span(),
                        format!(
                            "target range on `{}`: min ({lo}) must be smaller than max ({hi})",
                            t.output
                        ),
                    ));
                }
                Ok(RangeCondition {
                    output: t.output.clone(),
                    min: t.min,
                    max: t.max,
                })
            })
            .collect::<Result<_>>()?,
        likelihood: match &target_table.likelihood {
            None => None,
            Some(l) => {
                let t = l.get_ref();
                if t.gaussian.is_empty() && t.outputs.is_empty() {
                    return Err(at.error(
                        l.span(),
                        "target likelihood: give `outputs` or at least one [[target.likelihood.gaussian]]",
                    ));
                }
                if let Some(g) = t.gaussian.iter().find(|g| !(g.sigma > 0.0 && g.sigma.is_finite())) {
                    return Err(at.error(
                        l.span(),
                        format!("target gaussian on `{}`: sigma must be positive", g.output),
                    ));
                }
                Some(Likelihood {
                    gaussians: t
                        .gaussian
                        .iter()
                        .map(|g| GaussianTerm {
                            output: g.output.clone(),
                            mean: g.mean,
                            sigma: g.sigma,
                        })
                        .collect(),
                    outputs: t.outputs.clone(),
                    threshold: t.threshold,
                })
            }
        },
    };
    if target.ranges.is_empty() && target.likelihood.is_none() {
        return Err(at.error(
            config.target.span(),
            "[target] has no condition: add a [[target.range]] or a [target.likelihood]",
        ));
    }

    let default_scan = ScanTable::default();
    let (scan, scan_span) = config
        .scan
        .as_ref()
        .map_or((&default_scan, 0..0), |s| (s.get_ref(), s.span()));
    if scan.batch_size == 0 || scan.initial_points == 0 {
        return Err(at.error(scan_span, "[scan] batch_size and initial_points must be at least 1"));
    }
    let stop = config.stop.get_ref();
    let rules = StopRules {
        max_oracle_calls: stop.max_oracle_calls,
        max_in_target: stop.max_in_target,
        max_iterations: stop.max_iterations,
        max_seconds: stop.max_seconds,
    };
    if rules == StopRules::default() {
        return Err(at.error(
            config.stop.span(),
            "[stop] sets no rule: give max_oracle_calls, max_in_target, max_iterations or max_seconds",
        ));
    }
    if stop.max_oracle_calls == Some(0) || stop.max_in_target == Some(0) || stop.max_iterations == Some(0) {
        return Err(at.error(config.stop.span(), "[stop] limits must be positive"));
    }
    if let Some(s) = stop.max_seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(at.error(config.stop.span(), format!("[stop] max_seconds = {s} must be positive")));
    }
    let timeout = match &config.oracle.timeout_s {
        None => None,
        Some(t) if t.get_ref().is_finite() && *t.get_ref() > 0.0 => Some(Duration::from_secs_f64(*t.get_ref())),
        Some(t) => {
            return Err(at.error(
                t.span(),
                format!("[oracle] timeout_s = {} must be positive", t.get_ref()),
            ));
        }
    };
    if config.oracle.chunk_size == Some(0) {
        bail!("{}: [oracle] chunk_size must be at least 1", path.display());
    }
    if config.run.workers == Some(0) {
        bail!("{}: [run] workers must be at least 1", path.display());
    }
    let settings = ScanSettings {
        batch_size: scan.batch_size,
        initial_points: scan.initial_points,
        initial_sampling: scan.initial_sampling,
        seed: config.run.seed,
        stop: rules,
        evaluator: EvaluatorOptions {
            workers: config
                .run
                .workers
                .unwrap_or_else(|| EvaluatorOptions::default().workers),
            chunk_size: config.oracle.chunk_size,
            timeout,
        },
    };
    let oracle_config = toml::to_string(&config.oracle.config).context("re-serialising [oracle.config]")?;
    Ok(Loaded {
        path: path.to_path_buf(),
        text,
        config,
        space,
        target,
        settings,
        oracle_config,
    })
}

impl Loaded {
    fn scan(&self) -> ScanTable {
        self.config.scan.as_ref().map_or_else(ScanTable::default, |s| {
            let t = s.get_ref();
            ScanTable {
                strategy: t.strategy,
                initial_points: t.initial_points,
                initial_sampling: t.initial_sampling,
                batch_size: t.batch_size,
                candidates: t.candidates,
                vegas_fraction: t.vegas_fraction,
                local_fraction: t.local_fraction,
                local_sigma: t.local_sigma,
                random_fraction: t.random_fraction,
                selection: t.selection,
                threshold: t.threshold,
                region_link: t.region_link,
                smote_k: t.smote_k,
                regress: t.regress.clone(),
                network: t.network.clone(),
            }
        })
    }

    /// The strategy named by `[scan] strategy`, for an oracle with these outputs.
    pub fn strategy(&self, output_names: &[String]) -> Result<Box<dyn scan_core::Strategy>> {
        use scan_core::{ClassifierModel, ClassifierSurrogate, Guided, GuidedSettings, RegressorSurrogate};
        use surrogate_mlp::{LrSchedule, MlpParams, TargetTransform};
        let scan = self.scan();
        let at = |what: &str| format!("{}: [scan] {what}", self.path.display());
        let net = &scan.network;
        let defaults = MlpParams::default();
        let mlp = MlpParams {
            hidden: net.hidden.clone().unwrap_or(defaults.hidden.clone()),
            learning_rate: net.learning_rate.unwrap_or(2e-3),
            batch_size: net.batch_size.unwrap_or(1024),
            epochs: net.epochs.unwrap_or(defaults.epochs),
            update_epochs: net.update_epochs.unwrap_or(defaults.update_epochs),
            update_learning_rate: net.update_learning_rate,
            reinit_every: net.reinit_every,
            schedule: match net.schedule.unwrap_or_default() {
                ScheduleName::Constant => LrSchedule::Constant,
                ScheduleName::Cosine => LrSchedule::Cosine { final_factor: 0.05 },
            },
            seed: self.settings.seed,
            threads: net.threads,
            ..defaults
        };
        mlp.check().with_context(|| at("network"))?;
        let dim = self.space.dim();
        let surrogate: Box<dyn scan_core::Surrogate> = match scan.strategy {
            StrategyName::Random => return Ok(Box::new(scan_core::Uniform)),
            StrategyName::MlpClassifier => Box::new(
                ClassifierSurrogate::new(dim, ClassifierModel::Mlp(mlp), scan.smote_k, self.settings.seed)
                    .with_context(|| at("strategy"))?,
            ),
            StrategyName::SiameseClassifier => {
                let mut p = surrogate_siamese::SiameseClassifier::params(vec![(0.0, 1.0); dim])
                    .learning_rate(mlp.learning_rate)
                    .batch_size(mlp.batch_size)
                    .seed(self.settings.seed)
                    .threads(mlp.threads);
                if let Some(l) = net.latent {
                    p = p.latent(l);
                }
                if let Some(e) = net.epochs {
                    p = p.encoder_epochs(e).head_epochs(e);
                }
                if let Some(e) = net.update_epochs {
                    p = p.update_encoder_epochs(e).update_head_epochs(e);
                }
                Box::new(
                    ClassifierSurrogate::new(
                        dim,
                        ClassifierModel::Siamese(Box::new(p)),
                        scan.smote_k,
                        self.settings.seed,
                    )
                    .with_context(|| at("strategy"))?,
                )
            }
            StrategyName::MlpRegressor => {
                if scan.regress.is_empty() {
                    bail!(
                        "{}: the mlp-regressor strategy needs [[scan.regress]] tables naming the outputs to predict",
                        self.path.display()
                    );
                }
                let outputs = scan
                    .regress
                    .iter()
                    .map(|r| {
                        let i = output_names.iter().position(|n| *n == r.output).ok_or_else(|| {
                            anyhow!(
                                "{}: [[scan.regress]] output `{}` is not an output of the oracle ({})",
                                self.path.display(),
                                r.output,
                                output_names.join(", ")
                            )
                        })?;
                        Ok((
                            i,
                            match r.transform {
                                TransformName::Identity => TargetTransform::Identity,
                                TransformName::Log => TargetTransform::Log,
                            },
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let bound = self.target.bind(output_names)?;
                Box::new(
                    RegressorSurrogate::new(outputs, mlp, bound, output_names.len()).with_context(|| at("regress"))?,
                )
            }
        };
        let k = scan.batch_size;
        let base = GuidedSettings::dlscanner(k);
        let settings = GuidedSettings {
            candidates: scan.candidates.unwrap_or(base.candidates),
            vegas_fraction: scan.vegas_fraction.unwrap_or(base.vegas_fraction),
            local_fraction: scan.local_fraction.unwrap_or(base.local_fraction),
            local_sigma: scan.local_sigma.unwrap_or(base.local_sigma),
            random_fraction: scan.random_fraction.unwrap_or(base.random_fraction),
            selection: scan.selection.unwrap_or(base.selection),
            threshold: scan.threshold.unwrap_or(base.threshold),
            region_link: scan.region_link.or(base.region_link),
        };
        Ok(Box::new(
            Guided::new(surrogate, settings).with_context(|| at("settings"))?,
        ))
    }

    /// The run's name: `[run] name`, else the configuration file's stem.
    pub fn name(&self) -> String {
        self.config.run.name.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned())
        })
    }

    /// The run directory: `[run] output_dir`, else `runs/<name>` (relative to the current
    /// directory).
    pub fn output_dir(&self) -> PathBuf {
        self.config
            .run
            .output_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("runs").join(self.name()))
    }

    /// Directories searched for a plugin given by name: see [`plugin_search_path`].
    pub fn plugin_dirs(&self) -> Vec<PathBuf> {
        plugin_search_path(self.path.parent())
    }

    /// The plugin path: a relative path is taken relative to the configuration file.
    pub fn plugin_spec(&self) -> String {
        let spec = &self.config.oracle.plugin;
        let p = Path::new(spec);
        if p.is_relative() && spec.contains('/') {
            self.path
                .parent()
                .unwrap_or(Path::new("."))
                .join(p)
                .to_string_lossy()
                .into_owned()
        } else {
            spec.clone()
        }
    }
}

/// Directories searched for a plugin given by name, in order: `DLSCAN_PLUGIN_PATH`, the
/// configuration's directory (if any), the directory of the `dlscan` executable and its
/// `plugins/` subdirectory.
pub fn plugin_search_path(config_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("DLSCAN_PLUGIN_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    if let Some(dir) = config_dir {
        dirs.push(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_path_buf()
        });
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        dirs.push(dir.to_path_buf());
        dirs.push(dir.join("plugins"));
    }
    dirs
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
        assert!(e.contains("[stop] sets no rule"), "{e}");
        let e = error_of(&GOOD.replace(
            "[target.likelihood]\nthreshold = 0.5\noutputs = [\"likelihood\"]",
            "[target]",
        ));
        assert!(e.contains("[target] has no condition"), "{e}");
        let e = error_of(&GOOD.replace("timeout_s = 2.5", "timeout_s = -1.0"));
        assert!(e.contains("line 8") && e.contains("timeout_s"), "{e}");
        let e = error_of("[oracle]\nplugin = 3\n");
        assert!(e.contains("line 2"), "{e}");
        let e = error_of(
            &GOOD
                .replace("strategy", "")
                .replace("[scan]", "[scan]\nstrategy = \"magic\""),
        );
        assert!(e.contains("magic") && e.contains("random"), "{e}");
    }
}
