//! Regressors of oracle outputs, scored through the target.

use std::path::Path;

use ndarray::{Array1, ArrayView2};
use surrogate_mlp::{MlpParams, MlpRegressor, TargetTransform};

use crate::settings::Transform;

use super::{Surrogate, TrainInfo, TrainingSet};
use crate::error::ScanError;
use crate::relevance::Relevance;
use crate::target::BoundTarget;

/// Where a saved regressor records the inputs each of its models reads.
const INPUTS_FILE: &str = "inputs.json";

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
    /// Per regressed output, the unit-cube coordinates its model reads (all of them until
    /// the oracle has shown which ones the output ignores).
    inputs: Vec<Vec<usize>>,
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
            inputs: Vec::new(),
        })
    }
}

impl Surrogate for RegressorSurrogate {
    fn name(&self) -> &str {
        "mlp-regressor"
    }

    fn train(&mut self, data: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
        if self.inputs.is_empty() {
            self.inputs = vec![(0..data.unit.ncols()).collect(); self.outputs.len()];
        }
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
            let x = data
                .unit
                .select(ndarray::Axis(0), &keep)
                .select(ndarray::Axis(1), &self.inputs[k]);
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

    fn selects_inputs(&self) -> bool {
        true
    }

    fn use_inputs(&mut self, relevance: &Relevance) {
        let inputs: Vec<Vec<usize>> = self.outputs.iter().map(|(c, _)| relevance.inputs_of(*c)).collect();
        // Models loaded from a checkpoint that names no inputs read all of them.
        let current = match self.inputs.is_empty() {
            true => vec![relevance.all_inputs(); self.models.len().min(self.outputs.len())],
            false => self.inputs.clone(),
        };
        // A model of other inputs cannot be updated: it is trained anew.
        if !self.models.is_empty() && current != inputs {
            self.models.clear();
        }
        self.inputs = inputs;
    }

    fn save(&self, dir: &Path) -> Result<(), ScanError> {
        for (k, m) in self.models.iter().enumerate() {
            m.save(&dir.join(format!("output{k}")))?;
        }
        if !self.models.is_empty() {
            let text = serde_json::to_string(&self.inputs).map_err(|e| ScanError::Training(e.to_string()))?;
            crate::write_atomically(&dir.join(INPUTS_FILE), text.as_bytes())?;
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
        // Checkpoints written before inputs were selected hold models of every input.
        let inputs = dir.join(INPUTS_FILE);
        self.inputs = match inputs.exists() {
            true => {
                let text = std::fs::read_to_string(&inputs).map_err(ScanError::io(&inputs))?;
                serde_json::from_str(&text).map_err(|e| ScanError::Training(format!("{}: {e}", inputs.display())))?
            }
            false => Vec::new(),
        };
        self.models = models;
        Ok(())
    }

    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        if self.models.len() != self.outputs.len() {
            return Err(ScanError::Training("used before training".into()));
        }
        let predictions: Vec<Array1<f64>> = self
            .models
            .iter()
            .zip(&self.inputs)
            .map(|(m, inputs)| m.predict(unit.select(ndarray::Axis(1), inputs).view()))
            .collect::<Result<_, _>>()?;
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

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};
    use surrogate_mlp::MlpParams;

    use super::*;
    use crate::relevance::tests::probed_history;
    use crate::target::{RangeCondition, Target};

    /// Output `a` reads coordinates 0 and 1, `b` coordinate 2; nothing reads coordinate 3.
    fn separable(u: &[f64]) -> Option<Vec<f64>> {
        Some(vec![u[0] * u[1], (3.0 * u[2]).sin()])
    }

    fn regressor() -> RegressorSurrogate {
        let names = vec!["a".to_string(), "b".to_string()];
        let range = |output: &str| RangeCondition {
            output: output.into(),
            min: Some(0.2),
            max: Some(0.3),
        };
        let target = Target {
            ranges: vec![range("a"), range("b")],
            chi2: vec![],
            likelihood: None,
        };
        let bound = target.bind(&names).unwrap();
        let network = MlpParams::default().hidden(&[16, 16]).epochs(30).update_epochs(10);
        RegressorSurrogate::new(
            vec![(0, Transform::Identity), (1, Transform::Identity)],
            network,
            bound,
            names,
        )
        .unwrap()
    }

    /// 300 points whose coordinate 3 stays below 0.2, and their outputs.
    fn training_points() -> (Array2<f64>, Array2<f64>) {
        let unit = Array2::from_shape_fn((300, 4), |(i, j)| {
            let v = ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0;
            if j == 3 { 0.2 * v } else { v }
        });
        let outputs = Array2::from_shape_fn((300, 2), |(i, k)| {
            separable(unit.row(i).as_slice().unwrap()).unwrap()[k]
        });
        (unit, outputs)
    }

    fn train(model: &mut RegressorSurrogate, unit: &Array2<f64>, outputs: &Array2<f64>) {
        let flags = Array1::from_elem(unit.nrows(), true);
        model
            .train(TrainingSet {
                unit: unit.view(),
                in_target: flags.view(),
                outputs: outputs.view(),
                ok: flags.view(),
            })
            .unwrap();
    }

    /// Scores of 50 points with coordinate 3 at 0.1 (seen) and at 0.9 (never seen).
    fn scores_near_and_far(model: &RegressorSurrogate) -> (Array1<f64>, Array1<f64>) {
        let at = |c: f64| {
            Array2::from_shape_fn(
                (50, 4),
                |(i, j)| if j == 3 { c } else { (i * (j + 3) % 50) as f64 / 50.0 },
            )
        };
        (
            model.score(at(0.1).view()).unwrap(),
            model.score(at(0.9).view()).unwrap(),
        )
    }

    #[test]
    fn each_model_reads_only_the_inputs_its_output_depends_on() {
        let (unit, outputs) = training_points();
        let relevance = Relevance::measure(&probed_history(4, separable, 2, 100));
        assert!(relevance.is_known());
        let mut model = regressor();
        train(&mut model, &unit, &outputs);
        let (near, far) = scores_near_and_far(&model);
        assert_ne!(near, far, "a model of every input extrapolates along coordinate 3");
        // Told which inputs matter, the models are trained anew on those alone: their
        // predictions no longer depend on coordinate 3, seen or not.
        model.use_inputs(&relevance);
        train(&mut model, &unit, &outputs);
        let (near, far) = scores_near_and_far(&model);
        assert_eq!(near, far);
        assert!(near.iter().any(|s| *s != near[0]), "the other inputs still count");
        // A checkpoint keeps the inputs with the models.
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let mut loaded = regressor();
        loaded.load(dir.path()).unwrap();
        assert_eq!(loaded.score(unit.view()).unwrap(), model.score(unit.view()).unwrap());
        loaded.use_inputs(&relevance);
        train(&mut loaded, &unit, &outputs);
        let (near, far) = scores_near_and_far(&loaded);
        assert_eq!(near, far);
    }
}
