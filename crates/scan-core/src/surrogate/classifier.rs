//! Classifiers of the in-target flag: an MLP or a siamese network, optionally trained on
//! SMOTE-balanced sets.

use std::path::Path;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use smote::{Oversample, SamplingStrategy, Smote};
use surrogate_mlp::{ClassWeight, MlpClassifier, MlpClassifierParams, MlpParams};
#[cfg(feature = "siamese")]
use surrogate_siamese::{SiameseClassifier, SiameseParams};

use super::{Surrogate, TrainInfo, TrainingSet};
use crate::error::ScanError;

/// The points plus SMOTE's synthetic in-target points, when balancing is on and there are
/// enough in-target points to interpolate between (k + 1).
fn balanced(
    unit: ArrayView2<f64>,
    labels: ArrayView1<bool>,
    smote: Option<&Smote>,
    k: usize,
) -> Result<(Array2<f64>, Array1<bool>), ScanError> {
    let positives = labels.iter().filter(|b| **b).count();
    match smote {
        Some(s) if positives > k && positives < labels.len() - positives => {
            let classes: Array1<usize> = labels.mapv(usize::from);
            let extra = s.resample(unit, classes.view())?;
            let (x, y) = extra.augment(unit, classes.view());
            Ok((x, y.mapv(|c| c == 1)))
        }
        _ => Ok((unit.to_owned(), labels.to_owned())),
    }
}

/// Which classifier model.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassifierModel {
    Mlp(MlpParams),
    #[cfg(feature = "siamese")]
    Siamese(Box<SiameseParams>),
}

/// A trained classifier.
#[derive(Debug)]
enum Fitted {
    Mlp(MlpClassifier),
    #[cfg(feature = "siamese")]
    Siamese(SiameseClassifier),
}

/// A classifier of the in-target flag, optionally balanced with SMOTE.
#[derive(Debug)]
pub struct ClassifierSurrogate {
    name: &'static str,
    model: ClassifierModel,
    smote: Option<(Smote, usize)>,
    fitted: Option<Fitted>,
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
                    .check()?,
                k,
            )),
            None => None,
        };
        let name = match &model {
            ClassifierModel::Mlp(p) => {
                MlpClassifier::params(vec![(0.0, 1.0); dim])
                    .network(p.clone())
                    .check()?;
                "mlp-classifier"
            }
            #[cfg(feature = "siamese")]
            ClassifierModel::Siamese(p) => {
                p.check()?;
                "siamese-classifier"
            }
        };
        Ok(ClassifierSurrogate {
            name,
            model,
            smote,
            fitted: None,
        })
    }

    /// With SMOTE the classes are balanced already, so the loss is unweighted.
    fn class_weight(&self) -> ClassWeight {
        if self.smote.is_some() {
            ClassWeight::None
        } else {
            ClassWeight::Balanced
        }
    }

    fn mlp_params(&self, p: &MlpParams, dim: usize) -> MlpClassifierParams {
        MlpClassifier::params(vec![(0.0, 1.0); dim])
            .network(p.clone())
            .class_weight(self.class_weight())
    }

    /// Fit a fresh model on `x`, `y`.
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<bool>) -> Result<(Fitted, TrainInfo), ScanError> {
        match &self.model {
            ClassifierModel::Mlp(p) => {
                let (m, r) = self.mlp_params(p, x.ncols()).fit(x, y)?;
                Ok((Fitted::Mlp(m), info(&r)))
            }
            #[cfg(feature = "siamese")]
            ClassifierModel::Siamese(p) => {
                let p = match self.class_weight() {
                    ClassWeight::None => p.as_ref().clone().class_weight(ClassWeight::None),
                    _ => p.as_ref().clone(),
                };
                let (m, r) = p.fit(x, y)?;
                Ok((Fitted::Siamese(m), info(&r.head)))
            }
        }
    }
}

fn info(report: &surrogate_mlp::TrainReport) -> TrainInfo {
    TrainInfo {
        loss: Some(report.train_loss),
        validation_metric: report.validation_metric,
    }
}

impl Surrogate for ClassifierSurrogate {
    fn needs_hits(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        self.name
    }

    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
        let (x, y) = balanced(
            data.unit,
            data.in_target,
            self.smote.as_ref().map(|s| &s.0),
            self.smote.as_ref().map_or(0, |s| s.1),
        )?;
        match self.fitted.as_mut() {
            Some(Fitted::Mlp(m)) => Ok(info(&m.update(x.view(), y.view())?)),
            #[cfg(feature = "siamese")]
            Some(Fitted::Siamese(m)) => Ok(info(&m.update(x.view(), y.view())?.head)),
            None => {
                let (fitted, info) = self.fit(x.view(), y.view())?;
                self.fitted = Some(fitted);
                Ok(info)
            }
        }
    }

    fn save(&self, dir: &Path) -> Result<(), ScanError> {
        match &self.fitted {
            Some(Fitted::Mlp(m)) => Ok(m.save(dir)?),
            #[cfg(feature = "siamese")]
            Some(Fitted::Siamese(m)) => Ok(m.save(dir)?),
            None => Ok(()),
        }
    }

    fn load(&mut self, dir: &Path) -> Result<(), ScanError> {
        if !dir.join("model.json").exists() {
            return Ok(());
        }
        self.fitted = Some(match &self.model {
            ClassifierModel::Mlp(p) => Fitted::Mlp(MlpClassifier::load(dir, p.device)?),
            #[cfg(feature = "siamese")]
            ClassifierModel::Siamese(p) => Fitted::Siamese(SiameseClassifier::load(dir, p.device)?),
        });
        Ok(())
    }

    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        match &self.fitted {
            Some(Fitted::Mlp(m)) => Ok(m.predict_proba(unit)?),
            #[cfg(feature = "siamese")]
            Some(Fitted::Siamese(m)) => Ok(m.predict_proba(unit)?),
            None => Err(ScanError::Training("used before training".into())),
        }
    }
}
