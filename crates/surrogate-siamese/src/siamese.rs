//! The siamese classifier: contrastive encoder, then a head on frozen embeddings.

use std::cell::RefCell;
use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use surrogate_mlp::toolkit::{
    Batches, BoxScaler, Data, Network, TrainSettings, check_rows, forward_chunked, infer_with, load_weights, read_meta,
    save_model, set_threads, split_seed, train, train_loop, weighted_bce,
};
use surrogate_mlp::{DeviceChoice, LrSchedule, SurrogateError, TrainReport};
use tch::{Device, Tensor};

use crate::pairs::Pairs;
use crate::params::SiameseParams;

/// What one `fit` or `update` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiameseReport {
    pub encoder_epochs: usize,
    /// Mean contrastive loss of the last encoder epoch (NaN when there were no pairs of
    /// different classes to learn from).
    pub encoder_loss: f64,
    /// The head's training.
    pub head: TrainReport,
    pub seconds: f64,
}

/// A contrastive encoder with a classification head; see the crate documentation.
///
/// Both networks keep their Adam state from one training call to the next, so an
/// `update` continues where the last call stopped (at `update_learning_rate`); a loaded
/// model starts fresh optimisers at `learning_rate`.
#[derive(Debug)]
pub struct SiameseClassifier {
    params: SiameseParams,
    scaler: BoxScaler,
    encoder: Network,
    head: Network,
    calls: u64,
}

const FORMAT: &str = "dlscan-surrogate-siamese/1";

/// What `model.json` holds besides the weights.
#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    params: SiameseParams,
    #[serde(default)]
    calls: u64,
}

impl SiameseClassifier {
    /// Default settings for points in the box `bounds` (one (lo, hi) per input).
    pub fn params(bounds: Vec<(f64, f64)>) -> SiameseParams {
        SiameseParams::new(bounds)
    }

    /// Freshly initialised networks for checked `params`.
    ///
    /// Every random choice derives from `seed`: the encoder is initialised from `seed`
    /// itself, the head from [`split_seed`] stream 1, and training call c ≥ 1 draws its
    /// pairs and shuffles from streams 2c (encoder) and 2c + 1 (head).
    pub(crate) fn new(params: SiameseParams) -> Result<SiameseClassifier, SurrogateError> {
        let scaler = BoxScaler::new(&params.bounds)?;
        let device = params.device.resolve()?;
        let seed = params.seed;
        Ok(SiameseClassifier {
            encoder: Network::new(device, scaler.dim(), &params.encoder_hidden, params.latent, seed),
            head: Network::new(device, params.latent, &[params.head_hidden], 1, split_seed(seed, 1)),
            params,
            scaler,
            calls: 0,
        })
    }

    fn device(&self) -> Device {
        self.encoder.vs.device()
    }

    /// Continue both stages from the current weights and optimiser states on the
    /// (enlarged) data set, for the update epochs.
    pub fn update(&mut self, x: ArrayView2<f64>, y: ArrayView1<bool>) -> Result<SiameseReport, SurrogateError> {
        let (e, h) = (self.params.update_encoder_epochs, self.params.update_head_epochs.max(1));
        self.train(x, y, e, h)
    }

    pub(crate) fn train(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<bool>,
        encoder_epochs: usize,
        head_epochs: usize,
    ) -> Result<SiameseReport, SurrogateError> {
        check_rows(x, y.len())?;
        let started = Instant::now();
        set_threads(self.params.threads);
        self.calls += 1;
        let xs = self.scaler.scale(x)?;
        let (n, dim) = (y.len() as i64, self.scaler.dim() as i64);
        let xt = Tensor::from_slice(&xs).view([n, dim]).to_device(self.device());
        let (seed, stream) = (self.params.seed, 2 * self.calls);
        let (encoder_epochs, encoder_loss) = self.train_encoder(&xt, y, encoder_epochs, split_seed(seed, stream))?;
        let head = self.train_head(&xt, y, head_epochs, split_seed(seed, stream + 1))?;
        Ok(SiameseReport {
            encoder_epochs,
            encoder_loss,
            head,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Settings of one stage's training call.
    fn stage_settings(&self, epochs: usize, seed: u64) -> TrainSettings {
        TrainSettings {
            epochs,
            batch_size: self.params.batch_size,
            learning_rate: self.params.learning_rate,
            update_learning_rate: self.params.update_learning_rate,
            weight_decay: 0.0,
            schedule: LrSchedule::Constant,
            early_stopping: None,
            seed,
        }
    }

    /// Stage 1: the encoder on balanced pairs of the scaled rows `xt`, drawn afresh every
    /// epoch. Needs both classes; returns (epochs run, last epoch's mean loss).
    fn train_encoder(
        &mut self,
        xt: &Tensor,
        y: ArrayView1<bool>,
        epochs: usize,
        seed: u64,
    ) -> Result<(usize, f64), SurrogateError> {
        let positives: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
        let negatives: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
        if positives.is_empty() || negatives.is_empty() || epochs == 0 {
            return Ok((0, f64::NAN));
        }
        let anchors = self.params.anchors_per_epoch.unwrap_or(y.len().min(20_000));
        let device = self.device();
        // The epoch's pairs: written by the draw before the epoch, read by its batches.
        let pairs = RefCell::new(None::<Pairs>);
        let mut draw = |rng: &mut Xoshiro256PlusPlus| {
            let drawn = Pairs::draw(&positives, &negatives, anchors, rng, device);
            let len = drawn.len();
            *pairs.borrow_mut() = Some(drawn);
            len
        };
        let (distance, margin) = (self.params.distance, self.params.margin);
        let loss = |encoder: &Network, idx: &Tensor| {
            let pairs = pairs.borrow();
            let pairs = pairs.as_ref().expect("pairs are drawn before each epoch");
            pairs.loss(encoder, xt, idx, distance, margin)
        };
        let settings = self.stage_settings(epochs, seed);
        let report = train_loop(
            &mut self.encoder,
            Batches::Drawn(&mut draw),
            &loss,
            None,
            &settings,
            false,
        )?;
        Ok((report.epochs_run, report.train_loss))
    }

    /// Stage 2: the head on the frozen encoder's embeddings of `xt`, computed on the
    /// device in chunks of `predict_chunk` rows.
    fn train_head(
        &mut self,
        xt: &Tensor,
        y: ArrayView1<bool>,
        epochs: usize,
        seed: u64,
    ) -> Result<TrainReport, SurrogateError> {
        let device = self.device();
        let encoder = &self.encoder;
        let embeddings = forward_chunked(xt, self.params.predict_chunk, |t| encoder.forward(t));
        let labels: Vec<f32> = y.iter().map(|&b| f32::from(u8::from(b))).collect();
        let data = Data {
            x: embeddings,
            y: Tensor::from_slice(&labels).view([-1, 1]).to_device(device),
        };
        let positives = y.iter().filter(|&&b| b).count();
        let pos_weight = self.params.class_weight.positive_weight(positives, y.len());
        let (loss, accuracy) = weighted_bce(pos_weight, device);
        let settings = self.stage_settings(epochs, seed);
        train(&mut self.head, &data, &settings, &loss, &accuracy, false)
    }

    /// `f` of chunks of the scaled rows of `x`, without gradients, flattened.
    fn chunked(&self, x: ArrayView2<f64>, f: impl Fn(&Tensor) -> Tensor) -> Result<Vec<f32>, SurrogateError> {
        set_threads(self.params.threads);
        let xs = self.scaler.scale(x)?;
        Ok(infer_with(
            &xs,
            self.scaler.dim(),
            self.device(),
            self.params.predict_chunk,
            f,
        ))
    }

    /// P(in target) for each row of `x`, in chunks.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SurrogateError> {
        let p = self.chunked(x, |t| self.head.forward(&self.encoder.forward(t)).sigmoid())?;
        Ok(p.into_iter().map(f64::from).collect())
    }

    /// In target (probability above 1/2) for each row of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<bool>, SurrogateError> {
        Ok(self.predict_proba(x)?.mapv(|p| p > 0.5))
    }

    /// The embedding of each row of `x` (rows × latent).
    pub fn embed(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, SurrogateError> {
        let values = self.chunked(x, |t| self.encoder.forward(t))?;
        let values = values.into_iter().map(f64::from).collect();
        Ok(Array2::from_shape_vec((x.nrows(), self.params.latent), values).expect("rows × latent"))
    }

    /// The settings the model was trained with.
    pub fn settings(&self) -> &SiameseParams {
        &self.params
    }

    /// Save encoder, head and settings into directory `dir` (`encoder.safetensors`,
    /// `head.safetensors`, `model.json`).
    pub fn save(&self, dir: &Path) -> Result<(), SurrogateError> {
        let stored = Stored {
            format: FORMAT.into(),
            params: self.params.clone(),
            calls: self.calls,
        };
        save_model(dir, &[("encoder", &self.encoder), ("head", &self.head)], &stored)
    }

    /// Load a classifier saved by [`SiameseClassifier::save`] onto `device`. Optimiser
    /// states are not saved: the first update after a load starts fresh ones.
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, SurrogateError> {
        let stored: Stored = read_meta(dir, FORMAT, None)?;
        let mut params = stored.params;
        params.device = device;
        params.check()?;
        let mut model = SiameseClassifier::new(params)?;
        load_weights(dir, "encoder", &mut model.encoder)?;
        load_weights(dir, "head", &mut model.head)?;
        model.calls = stored.calls;
        Ok(model)
    }
}
