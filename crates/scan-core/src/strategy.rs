//! Strategies: how the next batch of points is proposed from what has been seen.

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::history::History;

/// Proposes points in the unit cube. The scanner maps them to the parameter box, evaluates
/// them and appends them to the history.
pub trait Strategy: Send {
    /// Short name, written to the summary.
    fn name(&self) -> &str;

    /// Propose `n` points (row-major, `history.dim()` columns, each in [0, 1]).
    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64>;
}

/// Uniform sampling of the box: the baseline every other strategy must beat.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uniform;

impl Strategy for Uniform {
    fn name(&self) -> &str {
        "random"
    }

    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
        uniform_points(history.dim(), n, rng)
    }
}

/// `n` points drawn uniformly in the `dim`-dimensional unit cube.
pub fn uniform_points(dim: usize, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    (0..n * dim).map(|_| rng.random::<f64>()).collect()
}
