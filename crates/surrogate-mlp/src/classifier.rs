//! Binary classifier: P(in target | x).

use std::path::Path;

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor};

use crate::checks::{check_positive, set_threads};
use crate::device::DeviceChoice;
use crate::error::SurrogateError;
use crate::infer::infer;
use crate::model::Fitted;
use crate::params::MlpParams;
use crate::train::{Data, TrainReport, check_rows, train};

/// How the rare positive class is weighted in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "weight")]
pub enum ClassWeight {
    /// Every point counts the same.
    None,
    /// Positives weigh n_negative / n_positive, recomputed at each training call.
    #[default]
    Balanced,
    /// Positives weigh this much.
    Positive(f64),
}

impl ClassWeight {
    /// The weight of the positive class for labels with `positives` of `total` positive.
    pub fn positive_weight(self, positives: usize, total: usize) -> f64 {
        match self {
            ClassWeight::None => 1.0,
            ClassWeight::Balanced if positives > 0 => (total - positives) as f64 / positives as f64,
            ClassWeight::Balanced => 1.0,
            ClassWeight::Positive(w) => w,
        }
    }

    /// A given positive weight must be finite and positive.
    pub fn check(self) -> Result<(), SurrogateError> {
        match self {
            ClassWeight::Positive(w) => check_positive("positive class weight", w),
            ClassWeight::None | ClassWeight::Balanced => Ok(()),
        }
    }
}

/// Binary cross-entropy on logits with the positive class weighted by `pos_weight`, and the
/// accuracy of the logits' signs: the loss and metric of every classifier here.
pub fn weighted_bce(
    pos_weight: f64,
    device: tch::Device,
) -> (impl Fn(&Tensor, &Tensor) -> Tensor, impl Fn(&Tensor, &Tensor) -> f64) {
    let pw = Tensor::from_slice(&[pos_weight as f32]).to_device(device);
    let loss = move |out: &Tensor, target: &Tensor| {
        out.binary_cross_entropy_with_logits::<Tensor>(target, None, Some(pw.shallow_clone()), Reduction::Mean)
    };
    let accuracy = |out: &Tensor, target: &Tensor| {
        out.gt(0.0)
            .to_kind(Kind::Float)
            .eq_tensor(target)
            .to_kind(Kind::Float)
            .mean(Kind::Float)
            .double_value(&[])
    };
    (loss, accuracy)
}

/// Settings of an [`MlpClassifier`]: the parameter box its inputs live in, the network,
/// and the class weighting.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpClassifierParams {
    bounds: Vec<(f64, f64)>,
    mlp: MlpParams,
    class_weight: ClassWeight,
}

impl MlpClassifierParams {
    /// Network shape and training settings.
    pub fn network(mut self, mlp: MlpParams) -> Self {
        self.mlp = mlp;
        self
    }

    /// Class weighting (default balanced).
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.class_weight = w;
        self
    }

    /// Check every setting.
    pub fn check(&self) -> Result<(), SurrogateError> {
        self.mlp.check()?;
        self.class_weight.check()
    }

    /// Train a new classifier on points `x` (rows, in the box) labelled `y`.
    pub fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<bool>) -> Result<(MlpClassifier, TrainReport), SurrogateError> {
        self.check()?;
        let mut model = MlpClassifier {
            fitted: Fitted::new(self.mlp.clone(), &self.bounds, 1)?,
            class_weight: self.class_weight,
        };
        let epochs = self.mlp.epochs;
        let report = model.train(x, y, epochs, false)?;
        Ok((model, report))
    }
}

/// A multilayer perceptron giving the probability that a point is in target.
///
/// ```no_run
/// use ndarray::{Array1, Array2};
/// use surrogate_mlp::{MlpClassifier, MlpParams};
///
/// let x = Array2::from_shape_fn((2000, 2), |(i, j)| ((i * 7 + j * 13) % 100) as f64 / 100.0);
/// let y: Array1<bool> = x.rows().into_iter().map(|r| (r[0] - 0.5).abs() < 0.2).collect();
/// let params = MlpClassifier::params(vec![(0.0, 1.0), (0.0, 1.0)]).network(MlpParams::default().epochs(30));
/// let (mut model, report) = params.fit(x.view(), y.view()).unwrap();
/// let p = model.predict_proba(x.view()).unwrap();
/// // Later, with more points: continue from the current weights.
/// model.update(x.view(), y.view()).unwrap();
/// ```
#[derive(Debug)]
pub struct MlpClassifier {
    fitted: Fitted,
    class_weight: ClassWeight,
}

impl MlpClassifier {
    /// Settings for a classifier of points in the box `bounds` (one (lo, hi) per input),
    /// with the default network (4 × 100 ReLU, Adam 1e-3) and balanced class weights.
    pub fn params(bounds: Vec<(f64, f64)>) -> MlpClassifierParams {
        MlpClassifierParams {
            bounds,
            mlp: MlpParams::default(),
            class_weight: ClassWeight::default(),
        }
    }

    fn train(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<bool>,
        epochs: usize,
        reinitialised: bool,
    ) -> Result<TrainReport, SurrogateError> {
        check_rows(x, y.len())?;
        let f = &mut self.fitted;
        set_threads(f.params.threads);
        let xs = f.scaler.scale(x)?;
        let ys: Vec<f32> = y.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        let positives = ys.iter().filter(|&&v| v > 0.5).count();
        let pos_weight = self.class_weight.positive_weight(positives, ys.len());
        let device = f.device();
        let data = Data::new(&xs, &ys, f.scaler.dim(), device);
        let (loss, accuracy) = weighted_bce(pos_weight, device);
        let settings = f.next_settings(epochs);
        train(&mut f.net, &data, &settings, &loss, &accuracy, reinitialised)
    }

    /// Continue training from the current weights on the (enlarged) data set for
    /// `update_epochs`, or re-initialise and train `epochs` when `reinit_every` says so.
    pub fn update(&mut self, x: ArrayView2<f64>, y: ArrayView1<bool>) -> Result<TrainReport, SurrogateError> {
        check_rows(x, y.len())?;
        let (epochs, reinit) = self.fitted.prepare_update(1);
        self.train(x, y, epochs, reinit)
    }

    /// P(in target) for each row of `x`, computed in chunks without gradients.
    pub fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SurrogateError> {
        let f = &self.fitted;
        set_threads(f.params.threads);
        let xs = f.scaler.scale(x)?;
        let logits = infer(&f.net, &xs, f.scaler.dim(), f.params.predict_chunk);
        Ok(logits.into_iter().map(|z| 1.0 / (1.0 + (-(z as f64)).exp())).collect())
    }

    /// In target (probability above 1/2) for each row of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<bool>, SurrogateError> {
        Ok(self.predict_proba(x)?.mapv(|p| p > 0.5))
    }

    /// The settings the model was trained with.
    pub fn network_params(&self) -> &MlpParams {
        &self.fitted.params
    }

    /// Save weights and settings into directory `dir` (`weights.safetensors`, `model.json`).
    pub fn save(&self, dir: &Path) -> Result<(), SurrogateError> {
        self.fitted.save(dir, "classifier", self.class_weight)
    }

    /// Load a classifier saved by [`MlpClassifier::save`] onto `device`.
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, SurrogateError> {
        let (fitted, class_weight) = Fitted::load(dir, "classifier", 1, device)?;
        Ok(MlpClassifier { fitted, class_weight })
    }
}
