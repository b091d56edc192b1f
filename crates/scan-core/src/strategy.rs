//! Strategies: how the next batch of points is proposed from what has been seen.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::history::History;

/// Why a point was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The initial uniform sample.
    Initial,
    /// Uniform exploration (including fill-ups when the surrogate selects too few).
    Random,
    /// Chosen by the surrogate.
    Surrogate,
    /// Guided exploration: a probe where the surrogate's guess is good and nothing has
    /// been evaluated nearby.
    Explore,
    /// A check near an in-target point the surrogate does not predict in target (spent
    /// from the surrogate's share of the batch).
    Check,
    /// A copy of an in-target point with one coordinate redrawn: shows which outputs
    /// depend on that coordinate ([`crate::relevance`]).
    Probe,
}

impl Origin {
    /// The lowercase name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Initial => "initial",
            Origin::Random => "random",
            Origin::Surrogate => "surrogate",
            Origin::Explore => "explore",
            Origin::Check => "check",
            Origin::Probe => "probe",
        }
    }

    /// Parse the lowercase name.
    pub fn parse(s: &str) -> Option<Origin> {
        [
            Origin::Initial,
            Origin::Random,
            Origin::Surrogate,
            Origin::Explore,
            Origin::Check,
            Origin::Probe,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// What a strategy did to propose a batch, for `iterations.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposalReport {
    /// Seconds training the surrogate.
    pub seconds_training: f64,
    /// Seconds drawing and scoring candidates.
    pub seconds_prediction: f64,
    /// Seconds adapting and sampling the VEGAS map.
    pub seconds_vegas: f64,
    /// Final training loss of the surrogate.
    pub training_loss: Option<f64>,
    /// Held-out accuracy (classifier) or RMSE (regressor), when measured.
    pub validation_metric: Option<f64>,
    /// Candidates the surrogate predicted in target.
    pub predicted_in_target: Option<usize>,
    /// Width of the local proposals, as a fraction of the box.
    pub local_sigma: Option<f64>,
}

/// A proposed batch: points in the unit cube (row-major) and why each was chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Proposal {
    pub unit: Vec<f64>,
    pub origin: Vec<Origin>,
    pub report: ProposalReport,
}

/// Proposes points in the unit cube. The scanner maps them to the parameter box, evaluates
/// them and appends them to the history.
pub trait Strategy: Send {
    /// Short name, written to the summary.
    fn name(&self) -> &str;

    /// Propose `n` points (each coordinate in [0, 1]) after the points of `history`.
    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Proposal, ScanError>;

    /// Propose `n` points after the points of `history` while `pending` (unit rows, flat)
    /// are being evaluated: a pipelined scan's proposal. By default the pending points are
    /// ignored.
    fn propose_ahead(
        &mut self,
        history: &History,
        pending: &[f64],
        n: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Proposal, ScanError> {
        let _ = pending;
        self.propose(history, n, rng)
    }

    /// Save what the strategy learnt (surrogate weights) into `dir`, for checkpoints.
    fn save_state(&self, _dir: &std::path::Path) -> Result<(), ScanError> {
        Ok(())
    }

    /// Restore what [`Strategy::save_state`] saved.
    fn load_state(&mut self, _dir: &std::path::Path) -> Result<(), ScanError> {
        Ok(())
    }
}

/// Uniform sampling of the box: the baseline every other strategy must beat.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uniform;

impl Strategy for Uniform {
    fn name(&self) -> &str {
        "random"
    }

    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Proposal, ScanError> {
        Ok(Proposal {
            unit: uniform_points(history.dim(), n, rng),
            origin: vec![Origin::Random; n],
            report: ProposalReport::default(),
        })
    }
}

/// The random stream of iteration `iteration` of a run seeded with `seed`: the seed's
/// generator advanced by `iteration` jumps of 2^128 draws. Iterations never share draws,
/// and any iteration's stream is rebuilt from the seed alone, so a resumed run draws what
/// an uninterrupted one would.
pub fn iteration_stream(seed: u64, iteration: u32) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..iteration {
        rng.jump();
    }
    rng
}

/// `n` points drawn uniformly in the `dim`-dimensional unit cube.
pub fn uniform_points(dim: usize, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    (0..n * dim).map(|_| rng.random::<f64>()).collect()
}

/// `n` Latin-hypercube points in the unit cube (row-major): along every coordinate, each of
/// the `n` equal slices holds exactly one point, placed uniformly within it.
pub fn latin_hypercube_points(dim: usize, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    let mut unit = vec![0.0; n * dim];
    let mut slices: Vec<usize> = (0..n).collect();
    for d in 0..dim {
        slices.shuffle(rng);
        for (row, slice) in slices.iter().enumerate() {
            unit[row * dim + d] = ((*slice as f64 + rng.random::<f64>()) / n as f64).min(1.0 - f64::EPSILON);
        }
    }
    unit
}

/// How the initial sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitialSampling {
    #[default]
    Uniform,
    /// Latin hypercube: every coordinate's range evenly covered, even for small K0.
    LatinHypercube,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iteration_streams_are_distinct_and_rebuilt_from_the_seed() {
        let first: Vec<u64> = (0..4).map(|i| iteration_stream(9, i).random()).collect();
        let again: Vec<u64> = (0..4).map(|i| iteration_stream(9, i).random()).collect();
        assert_eq!(first, again);
        let distinct: std::collections::HashSet<u64> = first.iter().copied().collect();
        assert_eq!(distinct.len(), 4);
        assert_ne!(iteration_stream(10, 0).random::<u64>(), first[0]);
    }

    #[test]
    fn latin_hypercube_fills_every_slice_once() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let (dim, n) = (3, 50);
        let u = latin_hypercube_points(dim, n, &mut rng);
        for d in 0..dim {
            let mut seen = vec![0; n];
            for row in 0..n {
                let v = u[row * dim + d];
                assert!((0.0..1.0).contains(&v));
                seen[(v * n as f64) as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
        }
    }
}
