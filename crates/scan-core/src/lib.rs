//! The dlscan scanner.
//!
//! A run scans a parameter [`Space`] for points whose oracle outputs meet a [`Target`]:
//! a [`Strategy`] proposes batches, an [`Evaluator`] runs them on parallel oracle
//! instances (plugins or Rust closures), and the [`Scanner`] records every point, in memory
//! ([`History`]) and, with a run directory, in `points.csv` and `summary.json`.
//!
//! A [`ScanOptions`] (the `[scan]` table of a configuration file) builds the strategy;
//! the neural surrogates are behind the default features `mlp` and `siamese`, so a
//! build with `--no-default-features` needs no libtorch.
//!
//! ```
//! use std::sync::Arc;
//! use oracle_api::{FnOracle, Oracle, OracleError};
//! use scan_core::{Parameter, RangeCondition, ScanSettings, Scanner, Space, StopRules, Target};
//!
//! let space = Space::new(vec![Parameter::linear("x", -1.0, 1.0), Parameter::linear("y", -1.0, 1.0)]).unwrap();
//! let target = Target {
//!     ranges: vec![RangeCondition { output: "r2".into(), min: None, max: Some(0.25) }],
//!     ..Default::default()
//! };
//! let factory = Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> {
//!     Ok(Box::new(FnOracle::new(2, ["r2"], |x: &[f64], out: &mut [f64]| {
//!         out[0] = x[0] * x[0] + x[1] * x[1];
//!         Ok(())
//!     })))
//! });
//! let settings = ScanSettings {
//!     initial_points: 500,
//!     batch_size: 500,
//!     stop: StopRules { max_oracle_calls: Some(2000), ..Default::default() },
//!     ..Default::default()
//! };
//! let mut scanner = Scanner::new(space, &target, factory, settings).unwrap();
//! let summary = scanner.run().unwrap();
//! assert_eq!(summary.oracle_calls, 2000);
//! // A disc of radius 1/2 covers π/16 ≈ 20 % of the square.
//! assert!((summary.efficiency - std::f64::consts::PI / 16.0).abs() < 0.03);
//! ```

mod cell_grid;
pub mod coverage;
pub mod cpus;
mod error;
pub mod evaluator;
mod guided;
mod history;
pub mod journal;
pub mod kept_files;
pub mod regions;
pub mod relevance;
pub mod replay;
mod run_dir;
mod scanner;
mod settings;
mod space;
pub mod strategy;
pub mod surrogate;
mod target;

pub use error::ScanError;
pub use evaluator::{
    BatchResult, ChunkSink, EvaluatePoints, Evaluator, EvaluatorOptions, IsolatedPluginFactory, MAX_TIMEOUT,
    OracleFactory, Outcome, PluginFactory, Status,
};
pub use guided::{AutoSigma, Exploration, Guided, GuidedSettings, LocalSigma, Selection};
pub use history::{History, PointRecord};
pub use kept_files::{KeepFor, KeepRule};
pub use run_dir::{RUN_FILES, write_atomically};
pub use scanner::{
    BatchProgress, IterationRecord, Observer, RunState, ScanSettings, Scanner, Spacing, StatusCounts, StopReason,
    StopRules, Summary,
};
pub use settings::{NetworkOptions, RegressOptions, ScanOptions, Schedule, StrategyContext, StrategyKind, Transform};
pub use space::{Parameter, Scale, Space};
pub use strategy::{InitialSampling, Origin, Proposal, ProposalReport, Strategy, Uniform};
#[cfg(feature = "mlp")]
pub use surrogate::{ClassifierModel, ClassifierSurrogate, RegressorSurrogate};
pub use surrogate::{Surrogate, TrainInfo, TrainingSet};
pub use target::{BoundTarget, Chi2, GaussianTerm, Likelihood, RangeCondition, Target, Verdict};
