//! The siamese classifier: contrastive encoder, then a head on frozen embeddings.

use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use surrogate_mlp::toolkit::{BoxScaler, Data, Network, TrainSettings, check_rows, train, weighted_bce};
use surrogate_mlp::{ClassWeight, DeviceChoice, LrSchedule, SurrogateError, TrainReport};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor, nn};

use crate::pairs::balanced_pairs;

/// Distance between two embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    /// ‖e₁ − e₂‖.
    #[default]
    Euclidean,
    /// 1 − cos(e₁, e₂).
    Cosine,
}

/// Settings of a [`SiameseClassifier`]; chain the setters from [`SiameseClassifier::params`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiameseParams {
    bounds: Vec<(f64, f64)>,
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
    /// Rows per prediction chunk (default 65 536).
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
    setters! {
        latent: usize, head_hidden: usize, distance: Distance, margin: f64, learning_rate: f64,
        batch_size: usize, encoder_epochs: usize, head_epochs: usize, update_encoder_epochs: usize,
        update_head_epochs: usize, anchors_per_epoch: Option<usize>, class_weight: ClassWeight,
        seed: u64, device: DeviceChoice, threads: Option<usize>, predict_chunk: usize,
    }

    /// Set the encoder's hidden layers.
    pub fn encoder_hidden(mut self, widths: &[usize]) -> Self {
        self.encoder_hidden = widths.to_vec();
        self
    }

    /// Check every setting; the message names the bad one.
    pub fn check(&self) -> Result<(), SurrogateError> {
        let bad = |m: String| Err(SurrogateError::InvalidParams(m));
        BoxScaler::new(&self.bounds)?;
        if self.encoder_hidden.contains(&0) || self.latent == 0 || self.head_hidden == 0 {
            return bad("layer widths must be at least 1".into());
        }
        if !(self.margin.is_finite() && self.margin > 0.0) {
            return bad(format!("margin {} must be positive", self.margin));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!("learning_rate {} must be positive", self.learning_rate));
        }
        if self.batch_size == 0 || self.predict_chunk == 0 || self.head_epochs == 0 || self.anchors_per_epoch == Some(0)
        {
            return bad("batch_size, predict_chunk, head_epochs and anchors_per_epoch must be at least 1".into());
        }
        if let ClassWeight::Positive(w) = self.class_weight
            && !(w.is_finite() && w > 0.0)
        {
            return bad(format!("positive class weight {w} must be positive"));
        }
        if self.threads == Some(0) {
            return bad("threads must be at least 1".into());
        }
        Ok(())
    }

    /// Train a new classifier on points `x` (rows, in the box) labelled `y`.
    pub fn fit(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<bool>,
    ) -> Result<(SiameseClassifier, SiameseReport), SurrogateError> {
        self.check()?;
        let scaler = BoxScaler::new(&self.bounds)?;
        let device = self.device.resolve()?;
        let dim = scaler.dim();
        let mut model = SiameseClassifier {
            encoder: Network::new(device, dim, &self.encoder_hidden, self.latent, self.seed),
            head: Network::new(device, self.latent, &[self.head_hidden], 1, self.seed ^ 0x5eed),
            params: self.clone(),
            scaler,
            calls: 0,
        };
        let report = model.train(x, y, self.encoder_epochs, self.head_epochs)?;
        Ok((model, report))
    }
}

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
#[derive(Debug)]
pub struct SiameseClassifier {
    params: SiameseParams,
    scaler: BoxScaler,
    encoder: Network,
    head: Network,
    calls: u64,
}

impl SiameseClassifier {
    /// Default settings for points in the box `bounds` (one (lo, hi) per input).
    pub fn params(bounds: Vec<(f64, f64)>) -> SiameseParams {
        SiameseParams {
            bounds,
            encoder_hidden: vec![100; 3],
            latent: 500,
            head_hidden: 100,
            distance: Distance::Euclidean,
            margin: 1.0,
            learning_rate: 1e-3,
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

    fn device(&self) -> Device {
        self.encoder.vs.device()
    }

    fn apply_threads(&self) {
        if let Some(n) = self.params.threads {
            tch::set_num_threads(n as i32);
        }
    }

    /// Continue both stages from the current weights on the (enlarged) data set, for the
    /// update epochs.
    pub fn update(&mut self, x: ArrayView2<f64>, y: ArrayView1<bool>) -> Result<SiameseReport, SurrogateError> {
        let (e, h) = (self.params.update_encoder_epochs, self.params.update_head_epochs.max(1));
        self.train(x, y, e, h)
    }

    fn train(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<bool>,
        encoder_epochs: usize,
        head_epochs: usize,
    ) -> Result<SiameseReport, SurrogateError> {
        check_rows(x, y.len())?;
        let started = Instant::now();
        self.apply_threads();
        self.calls += 1;
        let seed = self.params.seed ^ self.calls.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let xs = self.scaler.scale(x)?;
        let dim = self.scaler.dim();
        let device = self.device();
        let n = y.len();
        let xt = Tensor::from_slice(&xs).view([n as i64, dim as i64]).to_device(device);
        let positives: Vec<usize> = (0..n).filter(|&i| y[i]).collect();
        let negatives: Vec<usize> = (0..n).filter(|&i| !y[i]).collect();

        // Stage 1: the encoder, on balanced pairs (needs both classes).
        let mut encoder_loss = f64::NAN;
        let mut epochs_run = 0;
        if !positives.is_empty() && !negatives.is_empty() && encoder_epochs > 0 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut opt = nn::Adam::default().build(&self.encoder.vs, self.params.learning_rate)?;
            let anchors = self.params.anchors_per_epoch.unwrap_or(n.min(20_000));
            let batch = self.params.batch_size;
            for _ in 0..encoder_epochs {
                let (left, right, label) = balanced_pairs(&positives, &negatives, anchors, &mut rng);
                let (mut total, pairs) = (0.0, label.len());
                for start in (0..pairs).step_by(batch) {
                    let end = (start + batch).min(pairs);
                    let l = Tensor::from_slice(&left[start..end]).to_device(device);
                    let r = Tensor::from_slice(&right[start..end]).to_device(device);
                    let t = Tensor::from_slice(&label[start..end]).to_device(device);
                    let both = Tensor::cat(&[xt.index_select(0, &l), xt.index_select(0, &r)], 0);
                    let e = self.encoder.forward(&both);
                    let (el, er) = (
                        e.narrow(0, 0, (end - start) as i64),
                        e.narrow(0, (end - start) as i64, (end - start) as i64),
                    );
                    let d = self.distance(&el, &er);
                    // y·d² + (1 − y)·max(0, m − d)²
                    let pull = &t * d.square();
                    let push = ((-&t) + 1.0) * ((-&d) + self.params.margin).relu().square();
                    let loss = (pull + push).mean(Kind::Float);
                    opt.backward_step(&loss);
                    total += loss.double_value(&[]) * (end - start) as f64;
                }
                encoder_loss = total / pairs as f64;
                epochs_run += 1;
                if !encoder_loss.is_finite() {
                    return Err(SurrogateError::InvalidParams(
                        "encoder training diverged; lower the learning rate".into(),
                    ));
                }
            }
        }

        // Stage 2: the head, on frozen embeddings.
        let embeddings = tch::no_grad(|| self.encoder.forward(&xt)).detach();
        let emb: Vec<f32> =
            Vec::<f32>::try_from(&embeddings.to_device(Device::Cpu).view([-1])).expect("float embeddings");
        let ys: Vec<f32> = y.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        let pos_weight = self.params.class_weight.positive_weight(positives.len(), n);
        let data = Data::new(&emb, &ys, self.params.latent, device);
        let (loss, accuracy) = weighted_bce(pos_weight, device);
        let settings = TrainSettings {
            epochs: head_epochs,
            batch_size: self.params.batch_size,
            learning_rate: self.params.learning_rate,
            update_learning_rate: None,
            weight_decay: 0.0,
            schedule: LrSchedule::Constant,
            early_stopping: None,
            seed: seed ^ 1,
        };
        let head = train(&mut self.head, &data, &settings, &loss, &accuracy, false)?;
        Ok(SiameseReport {
            encoder_epochs: epochs_run,
            encoder_loss,
            head,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn distance(&self, a: &Tensor, b: &Tensor) -> Tensor {
        match self.params.distance {
            Distance::Euclidean => (a - b)
                .square()
                .sum_dim_intlist(1, false, Kind::Float)
                .clamp_min(1e-12)
                .sqrt(),
            Distance::Cosine => {
                let dot = (a * b).sum_dim_intlist(1, false, Kind::Float);
                let norms = (a.square().sum_dim_intlist(1, false, Kind::Float)
                    * b.square().sum_dim_intlist(1, false, Kind::Float))
                .clamp_min(1e-12)
                .sqrt();
                1.0 - dot / norms
            }
        }
    }

    /// Run `f` on chunks of the scaled rows of `x`, without gradients.
    fn chunked<T>(&self, x: ArrayView2<f64>, mut f: impl FnMut(&Tensor) -> Vec<T>) -> Result<Vec<T>, SurrogateError> {
        self.apply_threads();
        let xs = self.scaler.scale(x)?;
        let dim = self.scaler.dim();
        let n = x.nrows();
        let chunk = self.params.predict_chunk;
        let mut out = Vec::with_capacity(n);
        tch::no_grad(|| {
            for start in (0..n).step_by(chunk) {
                let len = chunk.min(n - start);
                let t = Tensor::from_slice(&xs[start * dim..(start + len) * dim])
                    .view([len as i64, dim as i64])
                    .to_device(self.device());
                out.extend(f(&t));
            }
        });
        Ok(out)
    }

    /// P(in target) for each row of `x`, in chunks.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SurrogateError> {
        let p = self.chunked(x, |t| {
            let z = self
                .head
                .forward(&self.encoder.forward(t))
                .sigmoid()
                .to_device(Device::Cpu)
                .view([-1]);
            Vec::<f32>::try_from(&z).expect("float outputs")
        })?;
        Ok(p.into_iter().map(f64::from).collect())
    }

    /// In target (probability above 1/2) for each row of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<bool>, SurrogateError> {
        Ok(self.predict_proba(x)?.mapv(|p| p > 0.5))
    }

    /// The embedding of each row of `x` (rows × latent).
    pub fn embed(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, SurrogateError> {
        let latent = self.params.latent;
        let values = self.chunked(x, |t| {
            let e = self.encoder.forward(t).to_device(Device::Cpu).view([-1]);
            Vec::<f32>::try_from(&e).expect("float embeddings")
        })?;
        Ok(
            Array2::from_shape_vec((x.nrows(), latent), values.into_iter().map(f64::from).collect())
                .expect("rows × latent"),
        )
    }

    /// The settings the model was trained with.
    pub fn settings(&self) -> &SiameseParams {
        &self.params
    }

    /// Save encoder, head and settings into directory `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), SurrogateError> {
        let io = |path: &Path, e: &dyn std::fmt::Display| SurrogateError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
        self.encoder.vs.save(dir.join("encoder.safetensors"))?;
        self.head.vs.save(dir.join("head.safetensors"))?;
        let meta = dir.join("model.json");
        let stored =
            serde_json::json!({ "format": "dlscan-surrogate-siamese/1", "params": self.params, "calls": self.calls });
        std::fs::write(&meta, serde_json::to_string_pretty(&stored).expect("serialisable")).map_err(|e| io(&meta, &e))
    }

    /// Load a classifier saved by [`SiameseClassifier::save`] onto `device`.
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, SurrogateError> {
        let meta = dir.join("model.json");
        let io = |e: &dyn std::fmt::Display| SurrogateError::Io {
            path: meta.clone(),
            message: e.to_string(),
        };
        let text = std::fs::read_to_string(&meta).map_err(|e| io(&e))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| io(&e))?;
        if value["format"] != "dlscan-surrogate-siamese/1" {
            return Err(io(&"not a saved siamese classifier"));
        }
        let mut params: SiameseParams = serde_json::from_value(value["params"].clone()).map_err(|e| io(&e))?;
        params.device = device;
        params.check()?;
        let scaler = BoxScaler::new(&params.bounds)?;
        let dev = device.resolve()?;
        let mut model = SiameseClassifier {
            encoder: Network::new(dev, scaler.dim(), &params.encoder_hidden, params.latent, 0),
            head: Network::new(dev, params.latent, &[params.head_hidden], 1, 0),
            calls: value["calls"].as_u64().unwrap_or(0),
            params,
            scaler,
        };
        model.encoder.vs.load(dir.join("encoder.safetensors"))?;
        model.head.vs.load(dir.join("head.safetensors"))?;
        Ok(model)
    }
}
