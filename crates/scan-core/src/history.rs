//! Every evaluated point of a run, in proposal order.

use ndarray::ArrayView2;

use crate::evaluator::Status;
use crate::strategy::Origin;

/// One evaluated point, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRecord {
    /// Proposal index, unique and increasing within a run.
    pub id: u64,
    /// Iteration that proposed the point (0 = initial sample).
    pub iteration: u32,
    /// Why the point was proposed.
    pub origin: Origin,
    /// Physical parameter values.
    pub x: Vec<f64>,
    /// Oracle outputs (NaN where unavailable).
    pub outputs: Vec<f64>,
    /// Likelihood, when the target defines one.
    pub likelihood: Option<f64>,
    pub status: Status,
    pub in_target: bool,
    /// Why the point failed, if it did.
    pub message: Option<String>,
}

/// The evaluated points, stored column-wise for the models (struct of arrays).
#[derive(Debug, Clone, Default)]
pub struct History {
    dim: usize,
    n_outputs: usize,
    ids: Vec<u64>,
    iterations: Vec<u32>,
    origins: Vec<Origin>,
    x: Vec<f64>,
    unit: Vec<f64>,
    outputs: Vec<f64>,
    likelihood: Vec<f64>,
    status: Vec<Status>,
    in_target: Vec<bool>,
}

impl History {
    /// An empty history for `dim` parameters and `n_outputs` outputs.
    pub fn new(dim: usize, n_outputs: usize) -> Self {
        History {
            dim,
            n_outputs,
            ..Default::default()
        }
    }

    /// Append one point; `unit` is its position in the unit cube.
    pub fn push(&mut self, record: &PointRecord, unit: &[f64]) {
        debug_assert_eq!(record.x.len(), self.dim);
        debug_assert_eq!(unit.len(), self.dim);
        debug_assert_eq!(record.outputs.len(), self.n_outputs);
        self.ids.push(record.id);
        self.iterations.push(record.iteration);
        self.origins.push(record.origin);
        self.x.extend_from_slice(&record.x);
        self.unit.extend_from_slice(unit);
        self.outputs.extend_from_slice(&record.outputs);
        self.likelihood.push(record.likelihood.unwrap_or(f64::NAN));
        self.status.push(record.status);
        self.in_target.push(record.in_target);
    }

    /// Keep the first `len` points only.
    /// The first `len` points, as a history of their own.
    pub(crate) fn prefix(&self, len: usize) -> History {
        let (d, m) = (self.dim, self.n_outputs);
        History {
            dim: d,
            n_outputs: m,
            ids: self.ids[..len].to_vec(),
            iterations: self.iterations[..len].to_vec(),
            origins: self.origins[..len].to_vec(),
            x: self.x[..len * d].to_vec(),
            unit: self.unit[..len * d].to_vec(),
            outputs: self.outputs[..len * m].to_vec(),
            likelihood: self.likelihood[..len].to_vec(),
            status: self.status[..len].to_vec(),
            in_target: self.in_target[..len].to_vec(),
        }
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        let (d, m) = (self.dim, self.n_outputs);
        self.ids.truncate(len);
        self.iterations.truncate(len);
        self.origins.truncate(len);
        self.x.truncate(len * d);
        self.unit.truncate(len * d);
        self.outputs.truncate(len * m);
        self.likelihood.truncate(len);
        self.status.truncate(len);
        self.in_target.truncate(len);
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no point was recorded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of oracle outputs.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// Proposal indices.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// Iteration of each point.
    pub fn iterations(&self) -> &[u32] {
        &self.iterations
    }

    /// Why each point was proposed.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Physical coordinates, row-major (`len × dim`).
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Unit-cube coordinates, row-major (`len × dim`).
    pub fn unit(&self) -> &[f64] {
        &self.unit
    }

    /// Unit-cube coordinates, one row per point.
    pub fn unit_rows(&self) -> ArrayView2<'_, f64> {
        ArrayView2::from_shape((self.len(), self.dim), &self.unit).expect("dim coordinates per point")
    }

    /// Outputs, row-major (`len × n_outputs`), NaN where unavailable.
    pub fn outputs(&self) -> &[f64] {
        &self.outputs
    }

    /// Likelihood of each point (NaN when the target has none).
    pub fn likelihood(&self) -> &[f64] {
        &self.likelihood
    }

    /// Status of each point.
    pub fn status(&self) -> &[Status] {
        &self.status
    }

    /// In-target flag of each point.
    pub fn in_target(&self) -> &[bool] {
        &self.in_target
    }

    /// Number of in-target points.
    pub fn count_in_target(&self) -> usize {
        self.in_target.iter().filter(|&&b| b).count()
    }

    /// Number of points with the given status.
    pub fn count_status(&self, status: Status) -> usize {
        self.status.iter().filter(|&&s| s == status).count()
    }
}
