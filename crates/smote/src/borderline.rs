//! Borderline-SMOTE (Han et al., 2005): oversample only the minority points "in danger",
//! those with at least half but not all of their m nearest neighbours (in the whole set)
//! from other classes; isolated points (all neighbours foreign) are taken as noise and
//! left alone.

use ndarray::{Array2, ArrayView1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dataset::{Classes, select_rows};
use crate::error::SmoteError;
use crate::neighbours::k_nearest;
use crate::resampled::{Builder, Oversample, Provenance, Resampled};
use crate::strategy::SamplingStrategy;

/// The two variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BorderlineKind {
    /// Interpolate towards the k nearest neighbours of the same class.
    #[default]
    One,
    /// Split the points (by a Beta(10, 10) fraction, as imbalanced-learn) between
    /// same-class neighbours (step in [0, 1)) and other-class neighbours (step in [0, 0.5),
    /// so the point stays on the minority's side).
    Two,
}

/// Settings of [`BorderlineSmote`].
#[derive(Debug, Clone, PartialEq)]
pub struct BorderlineSmoteParams {
    k_neighbors: usize,
    m_neighbors: usize,
    kind: BorderlineKind,
    strategy: SamplingStrategy,
    seed: u64,
}

impl Default for BorderlineSmoteParams {
    fn default() -> Self {
        BorderlineSmoteParams {
            k_neighbors: 5,
            m_neighbors: 10,
            kind: BorderlineKind::One,
            strategy: SamplingStrategy::Balance,
            seed: 0,
        }
    }
}

impl BorderlineSmoteParams {
    /// Neighbours to interpolate towards (default 5).
    pub fn k_neighbors(mut self, k: usize) -> Self {
        self.k_neighbors = k;
        self
    }

    /// Neighbours that decide whether a point is in danger (default 10).
    pub fn m_neighbors(mut self, m: usize) -> Self {
        self.m_neighbors = m;
        self
    }

    /// Variant (default [`BorderlineKind::One`]).
    pub fn kind(mut self, kind: BorderlineKind) -> Self {
        self.kind = kind;
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
    pub fn check(self) -> Result<BorderlineSmote, SmoteError> {
        if self.k_neighbors == 0 || self.m_neighbors == 0 {
            return Err(SmoteError::InvalidParams(
                "k_neighbors and m_neighbors must be at least 1".into(),
            ));
        }
        self.strategy.check()?;
        Ok(BorderlineSmote(self))
    }
}

/// Borderline-SMOTE oversampler, built by [`BorderlineSmote::params`]. Classes with no
/// point in danger get no synthetic points.
#[derive(Debug, Clone, PartialEq)]
pub struct BorderlineSmote(BorderlineSmoteParams);

impl BorderlineSmote {
    /// Default settings: k = 5, m = 10, variant 1, balance the classes, seed 0.
    pub fn params() -> BorderlineSmoteParams {
        BorderlineSmoteParams::default()
    }
}

/// Gamma(10, 1) as a sum of ten unit exponentials.
fn gamma10(rng: &mut Xoshiro256PlusPlus) -> f64 {
    (0..10).map(|_| -(1.0 - rng.random::<f64>()).ln()).sum()
}

/// A class of `n` points needs k + 1 of them for k neighbours of its own; the danger test
/// needs m + 1 points in all.
fn check_sizes(label: usize, n: usize, k: usize, m: usize, total: usize) -> Result<(), SmoteError> {
    if n < k + 1 {
        return Err(SmoteError::TooFewSamples {
            class: label,
            n,
            k,
            needed: k + 1,
        });
    }
    if total < m + 1 {
        return Err(SmoteError::InvalidParams(format!(
            "m_neighbors = {m} needs more than {m} points, the input has {total}"
        )));
    }
    Ok(())
}

/// Positions among the class's `rows` (whose points are `members`) of the points in
/// danger: at least half, but not all, of the m nearest points of `everything` are foreign.
fn in_danger(
    everything: &Array2<f64>,
    members: ArrayView2<f64>,
    rows: &[usize],
    y: ArrayView1<usize>,
    label: usize,
    m: usize,
) -> Result<Vec<usize>, SmoteError> {
    let around = k_nearest(everything, members, m, Some(rows))?;
    Ok((0..rows.len())
        .filter(|&i| {
            let foreign = around.of(i).iter().filter(|&&j| y[j] != label).count();
            2 * foreign >= m && foreign < m
        })
        .collect())
}

/// How many of a class's `count` new points interpolate towards its own class: all of them
/// in variant 1, a Beta(10, 10) share in variant 2 (the rest go towards other classes).
fn same_class_share(kind: BorderlineKind, count: usize, rng: &mut Xoshiro256PlusPlus) -> usize {
    match kind {
        BorderlineKind::One => count,
        BorderlineKind::Two => {
            let (a, b) = (gamma10(rng), gamma10(rng));
            ((a / (a + b) * (count + 1) as f64) as usize).min(count)
        }
    }
}

impl Oversample for BorderlineSmote {
    fn resample(&self, x: ArrayView2<f64>, y: ArrayView1<usize>) -> Result<Resampled, SmoteError> {
        let p = &self.0;
        let classes = Classes::new(x, y)?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(p.seed);
        let mut out = Builder::default();
        let everything = x.to_owned();
        for (label, count) in classes.targets(&p.strategy) {
            let rows = &classes.by_label[&label];
            let (k, m) = (p.k_neighbors, p.m_neighbors);
            check_sizes(label, rows.len(), k, m, x.nrows())?;
            let members = select_rows(x, rows);
            let danger = in_danger(&everything, members.view(), rows, y, label, m)?;
            if danger.is_empty() {
                continue;
            }
            let at_risk = select_rows(members.view(), &danger);
            let same = k_nearest(&members, at_risk.view(), k, Some(&danger))?;
            let same_class_count = same_class_share(p.kind, count, &mut rng);
            for _ in 0..same_class_count {
                let j = rng.random_range(0..danger.len() * k);
                let (d, which) = (j / k, j % k);
                let step = rng.random::<f64>();
                out.push(
                    x,
                    label,
                    Provenance {
                        base: rows[danger[d]],
                        neighbour: rows[same.of(d)[which]],
                        step,
                    },
                );
            }
            let remaining = count - same_class_count;
            if remaining > 0 {
                let foreign_rows: Vec<usize> = (0..x.nrows()).filter(|&i| y[i] != label).collect();
                let kf = k.min(foreign_rows.len());
                let foreigners = select_rows(x, &foreign_rows);
                let other = k_nearest(&foreigners, at_risk.view(), kf, None)?;
                for _ in 0..remaining {
                    let j = rng.random_range(0..danger.len() * kf);
                    let (d, which) = (j / kf, j % kf);
                    let step = 0.5 * rng.random::<f64>();
                    out.push(
                        x,
                        label,
                        Provenance {
                            base: rows[danger[d]],
                            neighbour: foreign_rows[other.of(d)[which]],
                            step,
                        },
                    );
                }
            }
        }
        Ok(out.finish(x.ncols()))
    }
}
