//! Multilayer-perceptron surrogates on libtorch (through tch): a classifier giving
//! P(in target | x) and a regressor of a continuous observable.
//!
//! - Inputs are scaled from the parameter box given at construction to the unit cube;
//!   regression targets are optionally log-transformed and standardised.
//! - `fit` trains from scratch; `update` continues from the current weights on the
//!   enlarged data for fewer epochs, re-initialising every `reinit_every` updates if asked.
//! - Training: shuffled mini-batches, Adam (whose state an update continues, at
//!   `update_learning_rate`, also after a save and load), optional cosine learning-rate decay, weight decay, class
//!   weights, held-out early stopping that keeps the best epoch.
//! - Prediction runs in chunks without gradients, so 10^6+ candidates fit in memory.
//! - CPU by default, CUDA when asked for and present; save/load as safetensors + JSON.
//!
//! Parameters are validated by `check()` (also run by `fit`), in the style of linfa.
//!
//! [`toolkit`] opens the training loop, chunked inference, storage and checks to other
//! tch-based surrogates (the siamese classifier).

mod adam;
mod checks;
mod classifier;
mod device;
mod error;
mod infer;
mod model;
mod network;
mod params;
mod regressor;
mod scaling;
mod store;
pub mod toolkit;
mod train;

pub use classifier::{ClassWeight, MlpClassifier, MlpClassifierParams};
pub use device::{DeviceChoice, cuda_available};
pub use error::SurrogateError;
pub use params::MlpParams;
pub use regressor::{MlpRegressor, MlpRegressorParams};
pub use scaling::TargetTransform;
pub use train::{EarlyStopping, LrSchedule, TrainReport};
