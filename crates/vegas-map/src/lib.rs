//! VEGAS adaptive maps.
//!
//! An [`AdaptiveMap`] is a separable, piecewise-linear map from the unit cube
//! y ∈ [0,1]^D to a box x ∈ Π_d [a_d, b_d]. Along each direction the box is cut into
//! increments that each take up the same share of y, so drawing y uniformly puts more
//! points where increments are narrow: the density of x is 1/J(x), with J the map's
//! Jacobian. Training on weighted samples ([`AdaptiveMap::adapt_to_samples`]) narrows the
//! increments where the weight is large, which is G. P. Lepage's VEGAS algorithm for
//! adaptive importance sampling.
//!
//! The training follows the `AdaptiveMap` of the Python package `vegas` (6.x) step for
//! step, summation orders included, so a map trained here on the same data has the same
//! grid to the last bit.
//!
//! ```
//! use ndarray::{Array1, Array2};
//! use rand::SeedableRng;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//! use vegas_map::{AdaptiveMap, TrainingParams};
//!
//! // Train a map of [0, 1]² on a peak at (0.3, 0.6).
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//! let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 10).unwrap();
//! let x = map.sample(5000, &mut rng).x;
//! let f: Array1<f64> = x.rows().into_iter()
//!     .map(|p| (-50.0 * ((p[0] - 0.3).powi(2) + (p[1] - 0.6).powi(2))).exp())
//!     .collect();
//! map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default()).unwrap();
//!
//! // Points drawn through the trained map crowd around the peak.
//! let s = map.sample(10_000, &mut rng);
//! let near = s.x.rows().into_iter().filter(|p| (p[0] - 0.3).abs() < 0.15 && (p[1] - 0.6).abs() < 0.15).count();
//! assert!(near > 5_000, "{near} of 10000 near the peak (9 % for uniform sampling)");
//! ```

mod error;
mod lookup;
mod map;
mod sampling;
mod stored;
mod training;

pub use error::VegasError;
pub use map::AdaptiveMap;
pub use sampling::{SAMPLE_BLOCK, Samples};
pub use training::TrainingParams;

/// The floor vegas gives every training weight (10^(min_10_exp + 50) for doubles), so that
/// no increment ever gets a zero share.
pub const TINY: f64 = 1e-257;

/// vegas' default `maxinc_axis`: [`AdaptiveMap::adapt_to_samples`] ends with at least this
/// many increments per direction.
pub const DEFAULT_MAXINC_AXIS: usize = 1000;

/// The README's examples, compiled and run as doctests so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
