//! Regressors of oracle outputs, scored through the target.

use std::path::Path;

use ndarray::{Array1, ArrayView2};
use surrogate_mlp::{MlpParams, MlpRegressor, TargetTransform};

use crate::settings::Transform;

use super::{Surrogate, TrainInfo, TrainingSet};
use crate::error::ScanError;
use crate::target::BoundTarget;

/// Regressors of oracle outputs; a candidate's score is the target's verdict on the
/// predicted outputs: its likelihood when the target has one (times 1 or 0 for the
/// ranges), else 1 or 0. Every output the target reads must be regressed.
#[derive(Debug)]
pub struct RegressorSurrogate {
    outputs: Vec<(usize, Transform)>,
    params: MlpParams,
    target: BoundTarget,
    /// Names of every oracle output, for messages.
    output_names: Vec<String>,
    models: Vec<MlpRegressor>,
}

impl RegressorSurrogate {
    /// `outputs`: (index into the oracle outputs, transform) of each regressed output;
    /// `output_names`: the names of all the oracle's outputs.
    pub fn new(
        outputs: Vec<(usize, Transform)>,
        params: MlpParams,
        target: BoundTarget,
        output_names: Vec<String>,
    ) -> Result<Self, ScanError> {
        if outputs.is_empty() {
            return Err(ScanError::setting(
                "regress",
                "the regressor strategy needs at least one output to regress",
            ));
        }
        let covered: Vec<usize> = outputs.iter().map(|o| o.0).collect();
        if let Some(missing) = target.outputs_read().into_iter().find(|i| !covered.contains(i)) {
            return Err(ScanError::setting(
                "regress",
                format!(
                    "the target reads output `{}`, which the regressor does not predict; add it to the regressed outputs",
                    output_names.get(missing).map_or("?", String::as_str)
                ),
            ));
        }
        MlpRegressor::params(vec![(0.0, 1.0)]).network(params.clone()).check()?;
        Ok(RegressorSurrogate {
            outputs,
            params,
            target,
            output_names,
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
            let transform = match self.models.get(k) {
                Some(m) => m.target_transform(),
                None => resolve(transform, values, data.ok),
            };
            // Only points with a usable value (log needs a positive one).
            let keep: Vec<usize> = (0..values.len())
                .filter(|&i| {
                    data.ok[i] && values[i].is_finite() && (transform != TargetTransform::Log || values[i] > 0.0)
                })
                .collect();
            if keep.len() < 2 {
                return Err(ScanError::Training(format!(
                    "too few usable values of output `{}` to train the regressor (it needs two successful points \
                     with a finite value{})",
                    self.output_names[column],
                    if transform == TargetTransform::Log {
                        ", positive for its log transform"
                    } else {
                        ""
                    }
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
            }?;
            info.loss = Some(info.loss.unwrap_or(0.0) + report.train_loss);
            info.validation_metric = report.validation_metric.or(info.validation_metric);
        }
        Ok(info)
    }

    fn save(&self, dir: &Path) -> Result<(), ScanError> {
        for (k, m) in self.models.iter().enumerate() {
            m.save(&dir.join(format!("output{k}")))?;
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
            models.push(MlpRegressor::load(&d, self.params.device)?);
        }
        self.models = models;
        Ok(())
    }

    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        if self.models.len() != self.outputs.len() {
            return Err(ScanError::Training("used before training".into()));
        }
        let predictions: Vec<Array1<f64>> = self.models.iter().map(|m| m.predict(unit)).collect::<Result<_, _>>()?;
        let mut row = vec![0.0; self.output_names.len()];
        Ok((0..unit.nrows())
            .map(|i| {
                for ((column, _), p) in self.outputs.iter().zip(&predictions) {
                    row[*column] = p[i];
                }
                // In the ranges: the predicted likelihood (or 1); a near miss ranks below any
                // hit, by how close it comes.
                let closeness = self.target.closeness(&row);
                let ranges = if closeness >= 1.0 { 1.0 } else { 0.5 * closeness };
                ranges * self.target.judge(Some(&row)).likelihood.unwrap_or(1.0)
            })
            .collect())
    }
}

/// The transform of a regressed output: an explicit one, or for `Auto` log when the usable
/// values are all positive and span two orders of magnitude or more.
fn resolve(transform: Transform, values: ndarray::ArrayView1<f64>, ok: ndarray::ArrayView1<bool>) -> TargetTransform {
    match transform {
        Transform::Identity => TargetTransform::Identity,
        Transform::Log => TargetTransform::Log,
        Transform::Auto => {
            let usable = values
                .iter()
                .zip(ok)
                .filter(|(v, ok)| **ok && v.is_finite())
                .map(|(v, _)| *v);
            let (lo, hi) = usable.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
            if lo > 0.0 && hi >= 100.0 * lo {
                TargetTransform::Log
            } else {
                TargetTransform::Identity
            }
        }
    }
}
