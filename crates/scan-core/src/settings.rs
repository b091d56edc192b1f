//! A scan's strategy settings as a configuration file gives them: serde-readable, every
//! key optional, checked against the strategy that reads them, and resolved to the
//! validated parameter types of the crates behind the strategy. The defaults live here
//! and in those types (`GuidedSettings::dlscanner`, `MlpParams::default`), nowhere else.

use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::guided::{Exploration, GuidedSettings, LocalSigma, Selection};
use crate::scanner::ScanSettings;
use crate::strategy::{InitialSampling, Strategy, Uniform};
use crate::target::BoundTarget;

/// The strategies a configuration can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    /// Uniform sampling of the box.
    Random,
    /// An MLP classifier of the in-target flag.
    MlpClassifier,
    /// A siamese (contrastive) classifier of the in-target flag.
    SiameseClassifier,
    /// MLP regressors of the outputs the target reads: the default, as it learns from
    /// every successful point (not only the few in target), finds regions no point has
    /// hit yet where the outputs approach the target, and maps them most evenly.
    #[default]
    MlpRegressor,
}

impl StrategyKind {
    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::Random => "random",
            StrategyKind::MlpClassifier => "mlp-classifier",
            StrategyKind::SiameseClassifier => "siamese-classifier",
            StrategyKind::MlpRegressor => "mlp-regressor",
        }
    }

    /// Every strategy.
    pub const ALL: [StrategyKind; 4] = [
        StrategyKind::Random,
        StrategyKind::MlpClassifier,
        StrategyKind::SiameseClassifier,
        StrategyKind::MlpRegressor,
    ];
}

/// How a regressed output is transformed before fitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// Log when the first fit's values are all positive and span two orders of magnitude
    /// or more, else identity.
    #[default]
    Auto,
    Identity,
    /// Fit log(y): for outputs spanning orders of magnitude (needs y > 0).
    Log,
}

/// One output the regressor strategy predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressOptions {
    pub output: String,
    #[serde(default)]
    pub transform: Transform,
}

/// Learning-rate schedule of the networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Constant,
    /// Cosine decay to 5 % of the rate over each training call.
    Cosine,
}

/// Network training settings (`[scan.network]`); unset keys take the defaults of the
/// surrogate crates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkOptions {
    /// Hidden layer widths (MLP strategies).
    pub hidden: Option<Vec<usize>>,
    pub learning_rate: Option<f64>,
    pub batch_size: Option<usize>,
    /// Epochs of the first fit (siamese: of each stage).
    pub epochs: Option<usize>,
    /// Epochs of each warm-started update.
    pub update_epochs: Option<usize>,
    /// Learning rate of the warm-started updates (default: learning_rate).
    pub update_learning_rate: Option<f64>,
    /// Re-initialise the network every this many updates (MLP strategies).
    pub reinit_every: Option<usize>,
    /// MLP strategies.
    pub schedule: Option<Schedule>,
    /// Intra-op threads of libtorch.
    pub threads: Option<usize>,
    /// Embedding width (siamese strategy).
    pub latent: Option<usize>,
}

/// The `[scan]` table: what the scan does each iteration. Every key is optional; a key the
/// chosen strategy does not read is refused by [`ScanOptions::check`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanOptions {
    #[serde(default)]
    pub strategy: StrategyKind,
    /// K0: points of the initial sample.
    pub initial_points: Option<usize>,
    pub initial_sampling: Option<InitialSampling>,
    /// K: points per iteration after the initial sample.
    pub batch_size: Option<usize>,
    /// Propose each batch while the one before is evaluated.
    pub pipeline: Option<bool>,
    /// L: candidates scored per iteration.
    pub candidates: Option<usize>,
    /// Share of the candidates drawn from a VEGAS map of the points.
    pub vegas_fraction: Option<f64>,
    /// Share of the candidates drawn as Gaussian steps around in-target points.
    pub local_fraction: Option<f64>,
    /// Their width, as a fraction of the box, or "auto".
    pub local_sigma: Option<LocalSigma>,
    /// Share of each batch spent on exploration.
    pub random_fraction: Option<f64>,
    /// How that share is chosen: "guided" or "uniform".
    pub exploration: Option<Exploration>,
    /// Share of guided exploration taken among the VEGAS map's draws.
    pub vegas_exploration: Option<f64>,
    pub selection: Option<Selection>,
    /// Score above which a candidate counts as predicted in target.
    pub threshold: Option<f64>,
    /// Link length of the regions the picks are balanced across.
    pub region_link: Option<f64>,
    /// Points each surrogate update trains on at most (newest batch plus a stratified
    /// replay sample of older points).
    pub training_points: Option<usize>,
    /// Classifier strategies: balance the training sets with SMOTE (k neighbours).
    pub smote_k: Option<usize>,
    /// Learn where the oracle fails (once it has) and weigh candidates by P(success).
    pub learn_failures: Option<bool>,
    /// Regressor strategy: probe which inputs each output ignores, and model each output
    /// from the inputs it depends on.
    pub probe_inputs: Option<bool>,
    /// Regressor strategy: the outputs to predict (default: every output the target reads).
    pub regress: Option<Vec<RegressOptions>>,
    pub network: Option<NetworkOptions>,
}

/// What a strategy is built for: the run's dimension, seed, and the oracle's outputs.
#[derive(Debug, Clone, Copy)]
pub struct StrategyContext<'a> {
    pub dim: usize,
    pub seed: u64,
    pub output_names: &'a [String],
    pub target: &'a BoundTarget,
}

impl ScanOptions {
    /// The keys set in this table that `self.strategy` does not read.
    fn unused_keys(&self) -> Vec<&'static str> {
        use StrategyKind::*;
        let kind = self.strategy;
        let guided = kind != Random;
        let net = self.network.clone().unwrap_or_default();
        let mlp = matches!(kind, MlpClassifier | MlpRegressor);
        let mut unused = Vec::new();
        let mut flag = |key: &'static str, set: bool, used: bool| {
            if set && !used {
                unused.push(key);
            }
        };
        flag("candidates", self.candidates.is_some(), guided);
        flag("vegas_fraction", self.vegas_fraction.is_some(), guided);
        flag("local_fraction", self.local_fraction.is_some(), guided);
        flag("local_sigma", self.local_sigma.is_some(), guided);
        flag("random_fraction", self.random_fraction.is_some(), guided);
        flag("exploration", self.exploration.is_some(), guided);
        flag("vegas_exploration", self.vegas_exploration.is_some(), guided);
        flag("selection", self.selection.is_some(), guided);
        flag("threshold", self.threshold.is_some(), guided);
        flag("region_link", self.region_link.is_some(), guided);
        flag("training_points", self.training_points.is_some(), guided);
        flag("learn_failures", self.learn_failures.is_some(), guided);
        flag(
            "smote_k",
            self.smote_k.is_some(),
            matches!(kind, MlpClassifier | SiameseClassifier),
        );
        flag("regress", self.regress.is_some(), kind == MlpRegressor);
        flag("probe_inputs", self.probe_inputs.is_some(), kind == MlpRegressor);
        flag(
            "network",
            self.network.is_some() && net == NetworkOptions::default(),
            guided,
        );
        flag("network.hidden", net.hidden.is_some(), mlp);
        flag("network.learning_rate", net.learning_rate.is_some(), guided);
        flag("network.batch_size", net.batch_size.is_some(), guided);
        flag("network.epochs", net.epochs.is_some(), guided);
        flag("network.update_epochs", net.update_epochs.is_some(), guided);
        flag(
            "network.update_learning_rate",
            net.update_learning_rate.is_some(),
            guided,
        );
        flag("network.reinit_every", net.reinit_every.is_some(), mlp);
        flag("network.schedule", net.schedule.is_some(), mlp);
        flag("network.threads", net.threads.is_some(), guided);
        flag("network.latent", net.latent.is_some(), kind == SiameseClassifier);
        unused
    }

    /// Check every key without building anything: unused keys, ranges, and the settings
    /// of the models behind the strategy.
    pub fn check(&self) -> Result<(), ScanError> {
        if let Some(key) = self.unused_keys().first() {
            return Err(ScanError::UnusedKey {
                key: (*key).to_string(),
                strategy: self.strategy.as_str(),
            });
        }
        self.scan_settings(0).check()?;
        if self.strategy == StrategyKind::Random {
            return Ok(());
        }
        let guided = self.guided_settings();
        guided.check()?;
        let batch = self.scan_settings(0).batch_size;
        if guided.candidates < batch {
            return Err(ScanError::setting(
                "candidates",
                format!(
                    "{} is fewer than batch_size = {batch}: the batch is picked among the candidates",
                    guided.candidates
                ),
            ));
        }
        if let Some(n) = guided.training_points
            && n < batch
        {
            return Err(ScanError::setting(
                "training_points",
                format!("{n} is fewer than batch_size = {batch}: an update trains on at least the newest batch"),
            ));
        }
        if self.strategy == StrategyKind::MlpRegressor && self.regress.as_ref().is_some_and(Vec::is_empty) {
            return Err(ScanError::setting(
                "regress",
                "is empty: name the outputs to predict, or leave it out to predict every output the target reads",
            ));
        }
        if self.smote_k == Some(0) {
            return Err(ScanError::setting("smote_k", "must be at least 1"));
        }
        self.check_network()
    }

    /// The scanner settings these options give: the initial sample and batch size; the
    /// seed, stopping rules and evaluator are the caller's.
    pub fn scan_settings(&self, seed: u64) -> ScanSettings {
        let d = ScanSettings::default();
        ScanSettings {
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            initial_points: self.initial_points.unwrap_or(d.initial_points),
            initial_sampling: self.initial_sampling.unwrap_or(d.initial_sampling),
            pipeline: self.pipeline.unwrap_or(d.pipeline),
            seed,
            ..d
        }
    }

    /// Candidate, proposal and selection settings, [`GuidedSettings::defaults`] where unset.
    pub fn guided_settings(&self) -> GuidedSettings {
        let base = GuidedSettings::defaults(self.scan_settings(0).batch_size);
        GuidedSettings {
            candidates: self.candidates.unwrap_or(base.candidates),
            vegas_fraction: self.vegas_fraction.unwrap_or(base.vegas_fraction),
            local_fraction: self.local_fraction.unwrap_or(base.local_fraction),
            local_sigma: self.local_sigma.unwrap_or(base.local_sigma),
            random_fraction: self.random_fraction.unwrap_or(base.random_fraction),
            exploration: self.exploration.unwrap_or(base.exploration),
            vegas_exploration: self.vegas_exploration.unwrap_or(base.vegas_exploration),
            selection: self.selection.unwrap_or(base.selection),
            threshold: self.threshold.unwrap_or(base.threshold),
            region_link: self.region_link.or(base.region_link),
            training_points: self.training_points.or(base.training_points),
            probe_inputs: self.probe_inputs.unwrap_or(base.probe_inputs),
        }
    }

    /// The strategy these options describe.
    pub fn build(&self, ctx: StrategyContext<'_>) -> Result<Box<dyn Strategy>, ScanError> {
        self.check()?;
        if self.strategy == StrategyKind::Random {
            return Ok(Box::new(Uniform));
        }
        let surrogate = self.surrogate(ctx)?;
        Ok(Box::new(self.guided(ctx, surrogate)?))
    }
}

#[cfg(not(feature = "mlp"))]
impl ScanOptions {
    fn check_network(&self) -> Result<(), ScanError> {
        Err(self.missing_feature())
    }

    fn missing_feature(&self) -> ScanError {
        ScanError::MissingFeature {
            strategy: self.strategy.as_str(),
            feature: if self.strategy == StrategyKind::SiameseClassifier {
                "siamese"
            } else {
                "mlp"
            },
        }
    }

    fn surrogate(&self, _: StrategyContext<'_>) -> Result<Box<dyn crate::surrogate::Surrogate>, ScanError> {
        Err(self.missing_feature())
    }

    fn guided(
        &self,
        _: StrategyContext<'_>,
        _: Box<dyn crate::surrogate::Surrogate>,
    ) -> Result<crate::guided::Guided, ScanError> {
        Err(self.missing_feature())
    }
}

#[cfg(feature = "mlp")]
mod networks;
