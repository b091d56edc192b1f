//! ADASYN (He et al., 2008): like SMOTE, but each minority point gets synthetic points in
//! proportion to how many of its nearest neighbours (in the whole set) belong to other
//! classes, so hard regions near the class boundary are filled first.

use ndarray::{ArrayView1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dataset::{Classes, select_rows};
use crate::error::SmoteError;
use crate::neighbours::k_nearest;
use crate::resampled::{Builder, Oversample, Provenance, Resampled};
use crate::strategy::SamplingStrategy;

/// Settings of [`Adasyn`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdasynParams {
    n_neighbors: usize,
    strategy: SamplingStrategy,
    seed: u64,
}

impl Default for AdasynParams {
    fn default() -> Self {
        AdasynParams {
            n_neighbors: 5,
            strategy: SamplingStrategy::Balance,
            seed: 0,
        }
    }
}

impl AdasynParams {
    /// Neighbours used both to weigh the points and to interpolate (default 5).
    pub fn n_neighbors(mut self, k: usize) -> Self {
        self.n_neighbors = k;
        self
    }

    /// How many points to make (default: balance the classes). The per-point counts are
    /// rounded, so the total may differ from the target by a few points, as in
    /// imbalanced-learn.
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
    pub fn check(self) -> Result<Adasyn, SmoteError> {
        if self.n_neighbors == 0 {
            return Err(SmoteError::InvalidParams("n_neighbors must be at least 1".into()));
        }
        self.strategy.check()?;
        Ok(Adasyn(self))
    }
}

/// ADASYN oversampler, built by [`Adasyn::params`].
#[derive(Debug, Clone, PartialEq)]
pub struct Adasyn(AdasynParams);

impl Adasyn {
    /// Default settings: k = 5, balance the classes, seed 0.
    pub fn params() -> AdasynParams {
        AdasynParams::default()
    }
}

impl Oversample for Adasyn {
    fn resample(&self, x: ArrayView2<f64>, y: ArrayView1<usize>) -> Result<Resampled, SmoteError> {
        let p = &self.0;
        let classes = Classes::new(x, y)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
        let mut out = Builder::default();
        let everything = x.to_owned();
        for (label, count) in classes.targets(&p.strategy) {
            let rows = &classes.by_label[&label];
            let (n, k) = (rows.len(), p.n_neighbors);
            if n < k + 1 {
                return Err(SmoteError::TooFewSamples {
                    class: label,
                    n,
                    k,
                    needed: k + 1,
                });
            }
            let members = select_rows(x, rows);
            let around = k_nearest(&everything, members.view(), k, Some(rows))?;
            let hardness: Vec<f64> = (0..n)
                .map(|i| around.of(i).iter().filter(|&&j| y[j] != label).count() as f64 / k as f64)
                .collect();
            let total: f64 = hardness.iter().sum();
            if total == 0.0 {
                return Err(SmoteError::NoHardPoints { class: label });
            }
            let per_point: Vec<usize> = hardness
                .iter()
                .map(|h| (h / total * count as f64).round_ties_even() as usize)
                .collect();
            let same = k_nearest(&members, members.view(), k, Some(&(0..n).collect::<Vec<_>>()))?;
            for (i, &g) in per_point.iter().enumerate() {
                for _ in 0..g {
                    let which = rng.random_range(0..k);
                    let step = rng.random::<f64>();
                    out.push(
                        x,
                        label,
                        Provenance {
                            base: rows[i],
                            neighbour: rows[same.of(i)[which]],
                            step,
                        },
                    );
                }
            }
        }
        Ok(out.finish(x.ncols()))
    }
}
