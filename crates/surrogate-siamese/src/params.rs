//! The settings of a siamese classifier, in the style of linfa: a builder checked once.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use surrogate_mlp::toolkit::{BoxScaler, check_counts, check_positive, check_threads};
use surrogate_mlp::{ClassWeight, DeviceChoice, SurrogateError};

use crate::pairs::Distance;
use crate::siamese::{SiameseClassifier, SiameseReport};

/// Settings of a [`SiameseClassifier`]; chain the setters from [`SiameseClassifier::params`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiameseParams {
    pub(crate) bounds: Vec<(f64, f64)>,
    /// Encoder hidden layers, ReLU (default 3 × 100).
    pub encoder_hidden: Vec<usize>,
    /// Width of the encoder's linear projection, the embedding (default 500).
    pub latent: usize,
    /// Hidden width of the head (default 100).
    pub head_hidden: usize,
    pub distance: Distance,
    /// Contrastive margin (default 1).
    pub margin: f64,
    /// Adam learning rate of both stages (default 1e-3).
    pub learning_rate: f64,
    /// Adam learning rate of both stages in an update, which continues each network's
    /// optimiser state (default: `learning_rate`).
    #[serde(default)]
    pub update_learning_rate: Option<f64>,
    /// Pairs per encoder batch, points per head batch (default 256).
    pub batch_size: usize,
    /// Encoder epochs of a full fit (default 20).
    pub encoder_epochs: usize,
    /// Head epochs of a full fit (default 30).
    pub head_epochs: usize,
    /// Encoder epochs of an update (default 5).
    pub update_encoder_epochs: usize,
    /// Head epochs of an update (default 10).
    pub update_head_epochs: usize,
    /// Anchors drawn per encoder epoch, each giving two pairs (default: the number of
    /// training points, at most 20 000).
    pub anchors_per_epoch: Option<usize>,
    /// Weighting of the positive class in the head's loss (default balanced).
    pub class_weight: ClassWeight,
    pub seed: u64,
    pub device: DeviceChoice,
    /// libtorch intra-op threads (process-wide; default libtorch's choice).
    pub threads: Option<usize>,
    /// Rows per chunk of inference: of predictions, and of the embedding of the training
    /// points for the head (default 65 536).
    pub predict_chunk: usize,
}

macro_rules! setters {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Set `", stringify!($name), "`.")]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = value;
                self
            }
        )*
    };
}

impl SiameseParams {
    /// Default settings for points in the box `bounds` (one (lo, hi) per input).
    pub(crate) fn new(bounds: Vec<(f64, f64)>) -> SiameseParams {
        SiameseParams {
            bounds,
            encoder_hidden: vec![100; 3],
            latent: 500,
            head_hidden: 100,
            distance: Distance::Euclidean,
            margin: 1.0,
            learning_rate: 1e-3,
            update_learning_rate: None,
            batch_size: 256,
            encoder_epochs: 20,
            head_epochs: 30,
            update_encoder_epochs: 5,
            update_head_epochs: 10,
            anchors_per_epoch: None,
            class_weight: ClassWeight::Balanced,
            seed: 0,
            device: DeviceChoice::Cpu,
            threads: None,
            predict_chunk: 1 << 16,
        }
    }

    setters! {
        latent: usize, head_hidden: usize, distance: Distance, margin: f64, learning_rate: f64,
        update_learning_rate: Option<f64>, batch_size: usize, encoder_epochs: usize,
        head_epochs: usize, update_encoder_epochs: usize, update_head_epochs: usize,
        anchors_per_epoch: Option<usize>, class_weight: ClassWeight, seed: u64,
        device: DeviceChoice, threads: Option<usize>, predict_chunk: usize,
    }

    /// Set the encoder's hidden layers.
    pub fn encoder_hidden(mut self, widths: &[usize]) -> Self {
        self.encoder_hidden = widths.to_vec();
        self
    }

    /// Check every setting; the message names the bad one.
    pub fn check(&self) -> Result<(), SurrogateError> {
        BoxScaler::new(&self.bounds)?;
        if self.encoder_hidden.contains(&0) {
            return Err(SurrogateError::InvalidParams(
                "encoder layer widths must be at least 1".into(),
            ));
        }
        check_positive("margin", self.margin)?;
        check_positive("learning_rate", self.learning_rate)?;
        if let Some(lr) = self.update_learning_rate {
            check_positive("update_learning_rate", lr)?;
        }
        check_counts(&[
            ("latent", self.latent),
            ("head_hidden", self.head_hidden),
            ("batch_size", self.batch_size),
            ("predict_chunk", self.predict_chunk),
            ("head_epochs", self.head_epochs),
            ("anchors_per_epoch", self.anchors_per_epoch.unwrap_or(1)),
        ])?;
        self.class_weight.check()?;
        check_threads(self.threads)
    }

    /// Train a new classifier on points `x` (rows, in the box) labelled `y`.
    pub fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<bool>,
    ) -> Result<(SiameseClassifier, SiameseReport), SurrogateError> {
        self.check()?;
        let mut model = SiameseClassifier::new(self.clone())?;
        let report = model.train(x, y, self.encoder_epochs, self.head_epochs)?;
        Ok((model, report))
    }
}
