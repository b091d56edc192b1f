//! Hyper-parameters shared by the classifier and the regressor.

use serde::{Deserialize, Serialize};

use crate::checks::{check_counts, check_positive, check_threads};
use crate::device::DeviceChoice;
use crate::error::SurrogateError;
use crate::train::{EarlyStopping, LrSchedule, TrainSettings};

/// Network shape and training settings. Chain the setters from [`MlpParams::default`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    /// Widths of the hidden layers (default 4 × 100, ReLU).
    pub hidden: Vec<usize>,
    /// Adam learning rate (default 1e-3).
    pub learning_rate: f64,
    /// Mini-batch size (default 256).
    pub batch_size: usize,
    /// Epochs of a full `fit` (default 60).
    pub epochs: usize,
    /// Epochs of a warm-started `update` (default 15).
    pub update_epochs: usize,
    /// Adam learning rate of a warm-started `update` (default: `learning_rate`). Short
    /// updates want less: restarting a converged network at the full rate undoes much of
    /// the fit before it recovers (in `examples/mlp_tradeoff.rs`, ten update epochs at the
    /// full rate take the regressor's held-out RMSE from 5.3 to 40, at 0.3 × the rate to
    /// 5.2), while long ones (60–120 epochs in the O_3d example scans) recover and adapt
    /// faster to the new points at the full rate.
    #[serde(default)]
    pub update_learning_rate: Option<f64>,
    /// Re-initialise the weights (and train `epochs`) every this many updates (default
    /// never; DLScanner's regressor does it every 2).
    pub reinit_every: Option<usize>,
    /// Adam weight decay (default 0).
    pub weight_decay: f64,
    /// Learning-rate schedule within a call (default constant).
    pub schedule: LrSchedule,
    /// Held-out early stopping (default none).
    pub early_stopping: Option<EarlyStopping>,
    /// Seed of initialisation, shuffling and splits (default 0).
    pub seed: u64,
    /// Device (default CPU).
    pub device: DeviceChoice,
    /// libtorch intra-op threads (default: libtorch's choice). Process-wide.
    pub threads: Option<usize>,
    /// Rows per prediction chunk (default 65 536), bounding memory for 10^6+ candidates.
    pub predict_chunk: usize,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden: vec![100; 4],
            learning_rate: 1e-3,
            batch_size: 256,
            epochs: 60,
            update_epochs: 15,
            update_learning_rate: None,
            reinit_every: None,
            weight_decay: 0.0,
            schedule: LrSchedule::Constant,
            early_stopping: None,
            seed: 0,
            device: DeviceChoice::Cpu,
            threads: None,
            predict_chunk: 1 << 16,
        }
    }
}

impl MlpParams {
    pub fn hidden(mut self, widths: &[usize]) -> Self {
        self.hidden = widths.to_vec();
        self
    }
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }
    pub fn epochs(mut self, n: usize) -> Self {
        self.epochs = n;
        self
    }
    pub fn update_epochs(mut self, n: usize) -> Self {
        self.update_epochs = n;
        self
    }
    pub fn update_learning_rate(mut self, lr: Option<f64>) -> Self {
        self.update_learning_rate = lr;
        self
    }
    pub fn reinit_every(mut self, n: Option<usize>) -> Self {
        self.reinit_every = n;
        self
    }
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn schedule(mut self, s: LrSchedule) -> Self {
        self.schedule = s;
        self
    }
    pub fn early_stopping(mut self, es: Option<EarlyStopping>) -> Self {
        self.early_stopping = es;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn device(mut self, device: DeviceChoice) -> Self {
        self.device = device;
        self
    }
    pub fn threads(mut self, n: Option<usize>) -> Self {
        self.threads = n;
        self
    }
    pub fn predict_chunk(mut self, rows: usize) -> Self {
        self.predict_chunk = rows;
        self
    }

    /// Check every setting; the message names the bad one.
    pub fn check(&self) -> Result<(), SurrogateError> {
        let bad = |m: String| Err(SurrogateError::InvalidParams(m));
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return bad(format!(
                "hidden layers {:?}: need at least one layer, none of width 0",
                self.hidden
            ));
        }
        check_positive("learning_rate", self.learning_rate)?;
        if let Some(lr) = self.update_learning_rate {
            check_positive("update_learning_rate", lr)?;
        }
        check_counts(&[
            ("batch_size", self.batch_size),
            ("epochs", self.epochs),
            ("predict_chunk", self.predict_chunk),
            ("reinit_every", self.reinit_every.unwrap_or(1)),
        ])?;
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!("weight_decay {} must be non-negative", self.weight_decay));
        }
        if let LrSchedule::Cosine { final_factor } = self.schedule
            && !(0.0..=1.0).contains(&final_factor)
        {
            return bad(format!("cosine final_factor {final_factor} must lie in [0, 1]"));
        }
        if let Some(es) = self.early_stopping
            && (!(es.validation_fraction > 0.0 && es.validation_fraction < 0.5) || es.patience == 0)
        {
            return bad("early stopping needs 0 < validation_fraction < 0.5 and patience >= 1".into());
        }
        check_threads(self.threads)
    }

    /// Settings of one training call.
    pub(crate) fn settings(&self, epochs: usize, seed: u64) -> TrainSettings {
        TrainSettings {
            epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            update_learning_rate: self.update_learning_rate,
            weight_decay: self.weight_decay,
            schedule: self.schedule,
            early_stopping: self.early_stopping,
            seed,
        }
    }
}
