//! Resolving the network settings to the surrogate crates' parameter types.

use surrogate_mlp::{LrSchedule, MlpParams};

use super::{NetworkOptions, ScanOptions, Schedule, StrategyContext, StrategyKind, Transform};
use crate::error::ScanError;
use crate::guided::Guided;
use crate::surrogate::{ClassifierModel, ClassifierSurrogate, RegressorSurrogate, Surrogate};

/// The scanner's network defaults where they differ from `MlpParams::default`: a scan's
/// first fit sees only the initial sample, so it takes many epochs (300 epochs of 1000
/// points in batches of 256 are 1200 steps), and each update 120 epochs over the grown set;
/// a cosine schedule settles each call. Measured on the O_3d, F_2d and shell benchmarks;
/// 120 update epochs instead of 60 raised the precision of every iteration's picks (O_3d,
/// 16 000 calls, seeds 1–3: 9 700–10 200 in target instead of 8 800–9 500, recall at
/// r = 0.01 0.85–0.88 instead of 0.81–0.85; the 125-ball toy: 45 modes instead of 32) for
/// 1.0 s more training per iteration; 200 gained a little more (seed 2: 9 920 against
/// 9 665) for another 1.6 s.
const SCAN_LEARNING_RATE: f64 = 1e-3;
const SCAN_BATCH_SIZE: usize = 256;
const SCAN_EPOCHS: usize = 300;
const SCAN_UPDATE_EPOCHS: usize = 120;
const COSINE_FINAL_FACTOR: f64 = 0.05;

impl NetworkOptions {
    /// The MLP parameters: these options over the scanner's defaults.
    pub fn mlp_params(&self, seed: u64) -> MlpParams {
        let d = MlpParams::default();
        MlpParams {
            hidden: self.hidden.clone().unwrap_or(d.hidden.clone()),
            learning_rate: self.learning_rate.unwrap_or(SCAN_LEARNING_RATE),
            batch_size: self.batch_size.unwrap_or(SCAN_BATCH_SIZE),
            epochs: self.epochs.unwrap_or(SCAN_EPOCHS),
            update_epochs: self.update_epochs.unwrap_or(SCAN_UPDATE_EPOCHS),
            update_learning_rate: self.update_learning_rate,
            reinit_every: self.reinit_every,
            schedule: match self.schedule.unwrap_or(Schedule::Cosine) {
                Schedule::Constant => LrSchedule::Constant,
                Schedule::Cosine => LrSchedule::Cosine {
                    final_factor: COSINE_FINAL_FACTOR,
                },
            },
            seed,
            threads: self.threads,
            ..d
        }
    }

    /// The siamese parameters: learning rates, batch size and threads as for the MLPs;
    /// `epochs` and `update_epochs` apply to both stages.
    #[cfg(feature = "siamese")]
    pub fn siamese_params(&self, dim: usize, seed: u64) -> surrogate_siamese::SiameseParams {
        let mlp = self.mlp_params(seed);
        let mut p = surrogate_siamese::SiameseClassifier::params(vec![(0.0, 1.0); dim])
            .learning_rate(mlp.learning_rate)
            .batch_size(mlp.batch_size)
            .update_learning_rate(mlp.update_learning_rate)
            .seed(seed)
            .threads(mlp.threads);
        if let Some(l) = self.latent {
            p = p.latent(l);
        }
        if let Some(e) = self.epochs {
            p = p.encoder_epochs(e).head_epochs(e);
        }
        if let Some(e) = self.update_epochs {
            p = p.update_encoder_epochs(e).update_head_epochs(e);
        }
        p
    }
}

impl ScanOptions {
    fn network(&self) -> NetworkOptions {
        self.network.clone().unwrap_or_default()
    }

    #[cfg(not(feature = "siamese"))]
    fn missing_siamese(&self) -> ScanError {
        ScanError::MissingFeature {
            strategy: self.strategy.as_str(),
            feature: "siamese",
        }
    }

    pub(super) fn check_network(&self) -> Result<(), ScanError> {
        let key = |e: surrogate_mlp::SurrogateError| ScanError::setting("network", e.to_string());
        match self.strategy {
            StrategyKind::SiameseClassifier => {
                #[cfg(feature = "siamese")]
                return self.network().siamese_params(1, 0).check().map_err(key);
                #[cfg(not(feature = "siamese"))]
                return Err(self.missing_siamese());
            }
            _ => self.network().mlp_params(0).check().map_err(key),
        }
    }

    pub(super) fn surrogate(&self, ctx: StrategyContext<'_>) -> Result<Box<dyn Surrogate>, ScanError> {
        let net = self.network();
        Ok(match self.strategy {
            StrategyKind::Random => unreachable!("uniform sampling has no surrogate"),
            StrategyKind::MlpClassifier => Box::new(ClassifierSurrogate::new(
                ctx.dim,
                ClassifierModel::Mlp(net.mlp_params(ctx.seed)),
                self.smote_k,
                ctx.seed,
            )?),
            StrategyKind::SiameseClassifier => {
                #[cfg(not(feature = "siamese"))]
                return Err(self.missing_siamese());
                #[cfg(feature = "siamese")]
                Box::new(ClassifierSurrogate::new(
                    ctx.dim,
                    ClassifierModel::Siamese(Box::new(net.siamese_params(ctx.dim, ctx.seed))),
                    self.smote_k,
                    ctx.seed,
                )?)
            }
            StrategyKind::MlpRegressor => {
                let outputs = match &self.regress {
                    // By default every output the target reads, each transformed as its
                    // values suggest.
                    None => ctx
                        .target
                        .outputs_read()
                        .into_iter()
                        .map(|i| (i, Transform::Auto))
                        .collect(),
                    Some(list) => list
                        .iter()
                        .map(|r| {
                            let i = ctx.output_names.iter().position(|n| *n == r.output).ok_or_else(|| {
                                ScanError::setting(
                                    "regress",
                                    format!(
                                        "output `{}` is not an output of the oracle ({})",
                                        r.output,
                                        ctx.output_names.join(", ")
                                    ),
                                )
                            })?;
                            Ok((i, r.transform))
                        })
                        .collect::<Result<Vec<_>, ScanError>>()?,
                };
                Box::new(RegressorSurrogate::new(
                    outputs,
                    net.mlp_params(ctx.seed),
                    ctx.target.clone(),
                    ctx.output_names.to_vec(),
                )?)
            }
        })
    }
}

impl ScanOptions {
    /// The guided strategy around `surrogate`, learning where the oracle fails unless
    /// `learn_failures = false`: an MLP classifier of success on every point (balanced
    /// classes, the same network settings).
    pub(super) fn guided(&self, ctx: StrategyContext<'_>, surrogate: Box<dyn Surrogate>) -> Result<Guided, ScanError> {
        let guided = Guided::new(surrogate, self.guided_settings())?;
        if self.learn_failures == Some(false) {
            return Ok(guided);
        }
        let params = self
            .network()
            .mlp_params(surrogate_mlp::toolkit::split_seed(ctx.seed, 1));
        let model = ClassifierSurrogate::new(ctx.dim, ClassifierModel::Mlp(params), None, ctx.seed)?;
        Ok(guided.with_failure_model(Box::new(model)))
    }
}
