//! The surrogate models behind one interface, so strategies can swap them by
//! configuration. Every model sees unit-cube coordinates (the parameter box, log scales
//! included, is the scanner's business).

use std::path::Path;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use smote::{Oversample, SamplingStrategy, Smote};
use surrogate_mlp::{ClassWeight, MlpClassifier, MlpClassifierParams, MlpParams, MlpRegressor, TargetTransform};
use surrogate_siamese::{SiameseClassifier, SiameseParams};

use crate::error::ScanError;
use crate::target::BoundTarget;

/// Training data as the surrogates see it.
#[derive(Debug, Clone, Copy)]
pub struct TrainingSet<'a> {
    /// Points in the unit cube (rows).
    pub unit: ArrayView2<'a, f64>,
    /// In-target flag of each point.
    pub in_target: ArrayView1<'a, bool>,
    /// Oracle outputs (rows; NaN where unavailable).
    pub outputs: ArrayView2<'a, f64>,
    /// Whether each point's oracle call succeeded (its outputs are usable).
    pub ok: ArrayView1<'a, bool>,
}

/// What a training call reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrainInfo {
    pub loss: Option<f64>,
    pub validation_metric: Option<f64>,
}

/// A model that learns from the evaluated points and scores candidates: higher is more
/// promising; scores above the strategy's threshold count as "predicted in target".
pub trait Surrogate: Send {
    fn name(&self) -> &str;
    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError>;
    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError>;
    /// Save the trained model(s) into `dir` (nothing when untrained).
    fn save(&self, dir: &Path) -> Result<(), ScanError>;
    /// Load what `save` wrote; a missing directory means "untrained".
    fn load(&mut self, dir: &Path) -> Result<(), ScanError>;
}

fn model_error(e: impl std::fmt::Display) -> ScanError {
    ScanError::Config(format!("surrogate: {e}"))
}

/// The points plus SMOTE's synthetic in-target points, when balancing is on and there are
/// enough in-target points to interpolate between (k + 1).
fn balanced(
    unit: ArrayView2<f64>,
    labels: ArrayView1<bool>,
    smote: Option<&Smote>,
    k: usize,
) -> (Array2<f64>, Array1<bool>) {
    let positives = labels.iter().filter(|b| **b).count();
    match smote {
        Some(s) if positives > k && positives < labels.len() - positives => {
            let classes: Array1<usize> = labels.mapv(usize::from);
            match s.resample(unit, classes.view()) {
                Ok(extra) => {
                    let (x, y) = extra.augment(unit, classes.view());
                    (x, y.mapv(|c| c == 1))
                }
                Err(_) => (unit.to_owned(), labels.to_owned()),
            }
        }
        _ => (unit.to_owned(), labels.to_owned()),
    }
}

/// Which classifier model.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassifierModel {
    Mlp(MlpParams),
    Siamese(Box<SiameseParams>),
}

/// A classifier of the in-target flag, optionally balanced with SMOTE.
#[derive(Debug)]
pub struct ClassifierSurrogate {
    name: &'static str,
    model: ClassifierModel,
    smote: Option<(Smote, usize)>,
    mlp: Option<MlpClassifier>,
    siamese: Option<SiameseClassifier>,
}

impl ClassifierSurrogate {
    /// `dim` inputs; `smote_k` = Some(k) balances each training set with SMOTE (k
    /// neighbours, up to half the majority's size) — then the loss is unweighted.
    pub fn new(dim: usize, model: ClassifierModel, smote_k: Option<usize>, seed: u64) -> Result<Self, ScanError> {
        let smote = match smote_k {
            Some(k) => Some((
                Smote::params()
                    .k_neighbors(k)
                    .strategy(SamplingStrategy::Ratio(0.5))
                    .seed(seed)
                    .check()
                    .map_err(model_error)?,
                k,
            )),
            None => None,
        };
        let bounds = vec![(0.0, 1.0); dim];
        let name = match &model {
            ClassifierModel::Mlp(p) => {
                MlpClassifier::params(bounds)
                    .network(p.clone())
                    .check()
                    .map_err(model_error)?;
                "mlp-classifier"
            }
            ClassifierModel::Siamese(p) => {
                p.check().map_err(model_error)?;
                "siamese-classifier"
            }
        };
        Ok(ClassifierSurrogate {
            name,
            model,
            smote,
            mlp: None,
            siamese: None,
        })
    }

    fn mlp_params(&self, p: &MlpParams, dim: usize) -> MlpClassifierParams {
        let weight = if self.smote.is_some() {
            ClassWeight::None
        } else {
            ClassWeight::Balanced
        };
        MlpClassifier::params(vec![(0.0, 1.0); dim])
            .network(p.clone())
            .class_weight(weight)
    }
}

impl Surrogate for ClassifierSurrogate {
    fn name(&self) -> &str {
        self.name
    }

    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
        let (x, y) = balanced(
            data.unit,
            data.in_target,
            self.smote.as_ref().map(|s| &s.0),
            self.smote.as_ref().map_or(0, |s| s.1),
        );
        match &self.model {
            ClassifierModel::Mlp(p) => {
                let report = match self.mlp.as_mut() {
                    Some(m) => m.update(x.view(), y.view()),
                    None => {
                        let params = self.mlp_params(p, x.ncols());
                        params.fit(x.view(), y.view()).map(|(m, r)| {
                            self.mlp = Some(m);
                            r
                        })
                    }
                }
                .map_err(model_error)?;
                Ok(TrainInfo {
                    loss: Some(report.train_loss),
                    validation_metric: report.validation_metric,
                })
            }
            ClassifierModel::Siamese(p) => {
                let p = if self.smote.is_some() {
                    p.as_ref().clone().class_weight(ClassWeight::None)
                } else {
                    p.as_ref().clone()
                };
                let report = match self.siamese.as_mut() {
                    Some(m) => m.update(x.view(), y.view()),
                    None => p.fit(x.view(), y.view()).map(|(m, r)| {
                        self.siamese = Some(m);
                        r
                    }),
                }
                .map_err(model_error)?;
                Ok(TrainInfo {
                    loss: Some(report.head.train_loss),
                    validation_metric: report.head.validation_metric,
                })
            }
        }
    }

    fn save(&self, dir: &Path) -> Result<(), ScanError> {
        match (&self.mlp, &self.siamese) {
            (Some(m), _) => m.save(dir).map_err(model_error),
            (_, Some(m)) => m.save(dir).map_err(model_error),
            _ => Ok(()),
        }
    }

    fn load(&mut self, dir: &Path) -> Result<(), ScanError> {
        if !dir.join("model.json").exists() {
            return Ok(());
        }
        match &self.model {
            ClassifierModel::Mlp(p) => self.mlp = Some(MlpClassifier::load(dir, p.device).map_err(model_error)?),
            ClassifierModel::Siamese(p) => {
                self.siamese = Some(SiameseClassifier::load(dir, p.device).map_err(model_error)?)
            }
        }
        Ok(())
    }

    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        match (&self.mlp, &self.siamese) {
            (Some(m), _) => m.predict_proba(unit).map_err(model_error),
            (_, Some(m)) => m.predict_proba(unit).map_err(model_error),
            _ => Err(ScanError::Config("surrogate used before training".into())),
        }
    }
}

/// Regressors of oracle outputs; a candidate's score is the target's verdict on the
/// predicted outputs: its likelihood when the target has one (times 1 or 0 for the
/// ranges), else 1 or 0. Every output the target reads must be regressed.
#[derive(Debug)]
pub struct RegressorSurrogate {
    outputs: Vec<(usize, TargetTransform)>,
    params: MlpParams,
    target: BoundTarget,
    n_outputs: usize,
    models: Vec<MlpRegressor>,
}

impl RegressorSurrogate {
    /// `outputs`: (index into the oracle outputs, transform) of each regressed output.
    pub fn new(
        outputs: Vec<(usize, TargetTransform)>,
        params: MlpParams,
        target: BoundTarget,
        n_outputs: usize,
    ) -> Result<Self, ScanError> {
        if outputs.is_empty() {
            return Err(ScanError::Config(
                "the regressor strategy needs at least one output to regress".into(),
            ));
        }
        let covered: Vec<usize> = outputs.iter().map(|o| o.0).collect();
        if let Some(missing) = target.outputs_read().into_iter().find(|i| !covered.contains(i)) {
            return Err(ScanError::Config(format!(
                "the target reads output #{missing}, which the regressor does not predict; add it to the regressed outputs"
            )));
        }
        MlpRegressor::params(vec![(0.0, 1.0)])
            .network(params.clone())
            .check()
            .map_err(model_error)?;
        Ok(RegressorSurrogate {
            outputs,
            params,
            target,
            n_outputs,
            models: Vec::new(),
        })
    }
}

impl Surrogate for RegressorSurrogate {
    fn name(&self) -> &str {
        "mlp-regressor"
    }

    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
        let mut info = TrainInfo::default();
        for (k, &(column, transform)) in self.outputs.iter().enumerate() {
            let values = data.outputs.column(column);
            // Only points with a usable value (log needs a positive one).
            let keep: Vec<usize> = (0..values.len())
                .filter(|&i| {
                    data.ok[i] && values[i].is_finite() && (transform != TargetTransform::Log || values[i] > 0.0)
                })
                .collect();
            if keep.len() < 2 {
                return Err(ScanError::Config(format!(
                    "too few usable values of output #{column} to train the regressor"
                )));
            }
            let x = data.unit.select(ndarray::Axis(0), &keep);
            let y = values.select(ndarray::Axis(0), &keep);
            let report = match self.models.get_mut(k) {
                Some(m) => m.update(x.view(), y.view()),
                None => MlpRegressor::params(vec![(0.0, 1.0); x.ncols()])
                    .network(self.params.clone())
                    .target_transform(transform)
                    .fit(x.view(), y.view())
                    .map(|(m, r)| {
                        self.models.push(m);
                        r
                    }),
            }
            .map_err(model_error)?;
            info.loss = Some(info.loss.unwrap_or(0.0) + report.train_loss);
            info.validation_metric = report.validation_metric.or(info.validation_metric);
        }
        Ok(info)
    }

    fn save(&self, dir: &Path) -> Result<(), ScanError> {
        for (k, m) in self.models.iter().enumerate() {
            m.save(&dir.join(format!("output{k}"))).map_err(model_error)?;
        }
        Ok(())
    }

    fn load(&mut self, dir: &Path) -> Result<(), ScanError> {
        let mut models = Vec::new();
        for k in 0..self.outputs.len() {
            let d = dir.join(format!("output{k}"));
            if !d.join("model.json").exists() {
                return Ok(());
            }
            models.push(MlpRegressor::load(&d, self.params.device).map_err(model_error)?);
        }
        self.models = models;
        Ok(())
    }

    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        if self.models.len() != self.outputs.len() {
            return Err(ScanError::Config("surrogate used before training".into()));
        }
        let predictions: Vec<Array1<f64>> = self
            .models
            .iter()
            .map(|m| m.predict(unit))
            .collect::<Result<_, _>>()
            .map_err(model_error)?;
        let mut row = vec![0.0; self.n_outputs];
        Ok((0..unit.nrows())
            .map(|i| {
                for ((column, _), p) in self.outputs.iter().zip(&predictions) {
                    row[*column] = p[i];
                }
                let verdict = self.target.judge(Some(&row));
                match verdict.likelihood {
                    Some(l) if verdict.in_target || self.target.ranges_hold(&row) => l,
                    Some(_) => 0.0,
                    None => f64::from(u8::from(verdict.in_target)),
                }
            })
            .collect())
    }
}
