//! Oversampling of minority classes for imbalanced learning, on `ndarray`.
//!
//! When one class is rare (in-target points early in a parameter scan are a few percent of
//! the sample), a classifier trained on the raw data learns to ignore it. These
//! oversamplers add synthetic minority points on segments between real minority points
//! and their nearest neighbours:
//!
//! - [`Smote`]: uniformly over the minority class;
//! - [`BorderlineSmote`]: only from points near the class boundary (variants 1 and 2);
//! - [`Adasyn`]: from every point, in proportion to how foreign its neighbourhood is.
//!
//! Each returns only the synthetic rows ([`Resampled`], with the provenance of every
//! point), or the augmented set through [`Oversample::resample_augmented`]. Neighbours come
//! from a linfa-nn k-d tree, queried in parallel; randomness from a seeded
//! `rand_xoshiro` generator, so a seed gives the same points on any machine and thread
//! count.
//!
//! ```
//! use ndarray::{Array1, Array2};
//! use smote::{Oversample, SamplingStrategy, Smote};
//!
//! // 30 minority points (label 1) on a line, 300 majority points (label 0) elsewhere.
//! let mut x = Array2::zeros((330, 2));
//! let mut y = Array1::zeros(330);
//! for i in 0..30 {
//!     x[[i, 0]] = i as f64 / 30.0;
//!     y[i] = 1;
//! }
//! for i in 30..330 {
//!     x[[i, 1]] = 1.0 + i as f64 / 300.0;
//! }
//! let smote = Smote::params().k_neighbors(3).strategy(SamplingStrategy::Ratio(0.5)).seed(1).check().unwrap();
//! let (xa, ya) = smote.resample_augmented(x.view(), y.view()).unwrap();
//! assert_eq!(ya.iter().filter(|&&c| c == 1).count(), 150);
//! // Synthetic points stay on the minority's line.
//! assert!(xa.rows().into_iter().zip(&ya).filter(|(_, c)| **c == 1).all(|(p, _)| p[1] == 0.0));
//! ```

mod adasyn;
mod borderline;
mod dataset;
mod error;
mod neighbours;
mod resampled;
mod smote;
mod strategy;

pub use adasyn::{Adasyn, AdasynParams};
pub use borderline::{BorderlineKind, BorderlineSmote, BorderlineSmoteParams};
pub use error::SmoteError;
pub use resampled::{Oversample, Provenance, Resampled};
pub use smote::{Smote, SmoteParams};
pub use strategy::SamplingStrategy;

/// The README's examples, compiled and run as doctests so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
