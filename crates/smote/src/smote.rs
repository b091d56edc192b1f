//! SMOTE: synthetic points on segments between a minority point and one of its k nearest
//! minority neighbours (Chawla et al., 2002).

use ndarray::{ArrayView1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dataset::{Classes, select_rows};
use crate::error::SmoteError;
use crate::neighbours::k_nearest;
use crate::resampled::{Builder, Oversample, Provenance, Resampled};
use crate::strategy::SamplingStrategy;

/// Settings of [`Smote`]; [`SmoteParams::check`] validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoteParams {
    k_neighbors: usize,
    strategy: SamplingStrategy,
    seed: u64,
}

impl Default for SmoteParams {
    fn default() -> Self {
        SmoteParams {
            k_neighbors: 5,
            strategy: SamplingStrategy::Balance,
            seed: 0,
        }
    }
}

impl SmoteParams {
    /// Neighbours to interpolate towards (default 5).
    pub fn k_neighbors(mut self, k: usize) -> Self {
        self.k_neighbors = k;
        self
    }

    /// How many points to make (default: balance the classes).
    pub fn strategy(mut self, strategy: SamplingStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Seed of the random choices (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validate the settings.
    pub fn check(self) -> Result<Smote, SmoteError> {
        if self.k_neighbors == 0 {
            return Err(SmoteError::InvalidParams("k_neighbors must be at least 1".into()));
        }
        self.strategy.check()?;
        Ok(Smote(self))
    }
}

/// SMOTE oversampler, built by [`Smote::params`].
///
/// ```
/// use ndarray::{array, Array1};
/// use smote::{Oversample, SamplingStrategy, Smote};
///
/// let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 5.0], [6.0, 5.0], [5.0, 6.0], [6.0, 6.0], [5.5, 5.5]];
/// let y = Array1::from(vec![1, 1, 1, 1, 0, 0, 0, 0, 0]);
/// let smote = Smote::params().k_neighbors(2).seed(7).check().unwrap();
/// let synthetic = smote.resample(x.view(), y.view()).unwrap();
/// assert_eq!(synthetic.len(), 1); // 4 minority points grow to the majority's 5
/// let p = synthetic.x.row(0);
/// assert!(p.iter().all(|v| (0.0..=1.0).contains(v))); // between minority points
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Smote(SmoteParams);

impl Smote {
    /// Default settings: k = 5, balance the classes, seed 0.
    pub fn params() -> SmoteParams {
        SmoteParams::default()
    }
}

impl Oversample for Smote {
    fn resample(&self, x: ArrayView2<f64>, y: ArrayView1<usize>) -> Result<Resampled, SmoteError> {
        let p = &self.0;
        let classes = Classes::new(x, y)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
        let mut out = Builder::default();
        for (label, count) in classes.targets(&p.strategy) {
            let rows = &classes.by_label[&label];
            let (n, k) = (rows.len(), p.k_neighbors);
            if n < k + 1 {
                return Err(SmoteError::TooFewSamples {
                    class: label,
                    n,
                    k,
                    needed: k + 1,
                });
            }
            let members = select_rows(x, rows);
            let own: Vec<usize> = (0..n).collect();
            let table = k_nearest(&members, members.view(), k, Some(&own))?;
            for _ in 0..count {
                let j = rng.random_range(0..n * k);
                let (base, which) = (j / k, j % k);
                let step = rng.random::<f64>();
                out.push(
                    x,
                    label,
                    Provenance {
                        base: rows[base],
                        neighbour: rows[table.of(base)[which]],
                        step,
                    },
                );
            }
        }
        Ok(out.finish(x.ncols()))
    }
}
