//! Regressor: a continuous observable (or a likelihood) as a function of the parameters.

use std::path::Path;

use ndarray::{Array1, ArrayView1, ArrayView2};
use tch::{Kind, Reduction, Tensor};

use crate::checks::set_threads;
use crate::device::DeviceChoice;
use crate::error::SurrogateError;
use crate::infer::infer;
use crate::model::Fitted;
use crate::params::MlpParams;
use crate::scaling::{TargetScaler, TargetTransform};
use crate::train::{Data, TrainReport, check_rows, train};

/// Settings of an [`MlpRegressor`].
#[derive(Debug, Clone, PartialEq)]
pub struct MlpRegressorParams {
    bounds: Vec<(f64, f64)>,
    mlp: MlpParams,
    transform: TargetTransform,
}

impl MlpRegressorParams {
    /// Network shape and training settings.
    pub fn network(mut self, mlp: MlpParams) -> Self {
        self.mlp = mlp;
        self
    }

    /// Transform of the targets before standardisation (default identity).
    pub fn target_transform(mut self, t: TargetTransform) -> Self {
        self.transform = t;
        self
    }

    /// Check every setting.
    pub fn check(&self) -> Result<(), SurrogateError> {
        self.mlp.check()
    }

    /// Train a new regressor on points `x` with targets `y`.
    pub fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<(MlpRegressor, TrainReport), SurrogateError> {
        self.check()?;
        check_rows(x, y.len())?;
        let mut model = MlpRegressor {
            fitted: Fitted::new(self.mlp.clone(), &self.bounds, 1)?,
            target: TargetScaler::fit(y, self.transform)?,
        };
        let report = model.train(x, y, self.mlp.epochs, false)?;
        Ok((model, report))
    }
}

/// A multilayer perceptron predicting a continuous target. Targets are optionally
/// log-transformed, then standardised; the scaling is fixed at `fit` (and at each
/// re-initialisation) and stored with the model.
#[derive(Debug)]
pub struct MlpRegressor {
    fitted: Fitted,
    target: TargetScaler,
}

impl MlpRegressor {
    /// Settings for a regressor on the box `bounds`, with the default network.
    pub fn params(bounds: Vec<(f64, f64)>) -> MlpRegressorParams {
        MlpRegressorParams {
            bounds,
            mlp: MlpParams::default(),
            transform: TargetTransform::Identity,
        }
    }

    fn train(
        &mut self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        epochs: usize,
        reinitialised: bool,
    ) -> Result<TrainReport, SurrogateError> {
        check_rows(x, y.len())?;
        let f = &mut self.fitted;
        set_threads(f.params.threads);
        let xs = f.scaler.scale(x)?;
        let ys = self.target.scale(y)?;
        let data = Data::new(&xs, &ys, f.scaler.dim(), f.device());
        let loss = |out: &Tensor, target: &Tensor| out.mse_loss(target, Reduction::Mean);
        let std = self.target.std;
        let rmse = move |out: &Tensor, target: &Tensor| {
            (out - target).square().mean(Kind::Float).double_value(&[]).sqrt() * std
        };
        let settings = f.next_settings(epochs);
        train(&mut f.net, &data, &settings, &loss, &rmse, reinitialised)
    }

    /// Continue training on the (enlarged) data set, as [`crate::MlpClassifier::update`].
    /// On re-initialisation the target scaling is refitted too.
    pub fn update(&mut self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<TrainReport, SurrogateError> {
        check_rows(x, y.len())?;
        let (epochs, reinit) = self.fitted.prepare_update(1);
        if reinit {
            self.target = TargetScaler::fit(y, self.target.transform)?;
        }
        self.train(x, y, epochs, reinit)
    }

    /// Predicted targets for each row of `x`, in chunks without gradients.
    /// How the targets are transformed before fitting (fixed at the first fit).
    pub fn target_transform(&self) -> TargetTransform {
        self.target.transform
    }

    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SurrogateError> {
        let f = &self.fitted;
        set_threads(f.params.threads);
        let xs = f.scaler.scale(x)?;
        let out = infer(&f.net, &xs, f.scaler.dim(), f.params.predict_chunk);
        Ok(out.into_iter().map(|v| self.target.unscale(v)).collect())
    }

    /// The settings the model was trained with.
    pub fn network_params(&self) -> &MlpParams {
        &self.fitted.params
    }

    /// Save weights, settings and target scaling into directory `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), SurrogateError> {
        self.fitted.save(dir, "regressor", self.target.clone())
    }

    /// Load a regressor saved by [`MlpRegressor::save`] onto `device`.
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, SurrogateError> {
        let (fitted, target) = Fitted::load(dir, "regressor", 1, device)?;
        Ok(MlpRegressor { fitted, target })
    }
}
