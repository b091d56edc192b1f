//! Building blocks for other tch-based surrogates (the siamese classifier is built from
//! them), so that every network here trains, infers, stores and checks its settings the
//! same way:
//!
//! - [`Network`]: the seeded MLP, holding the Adam state of its last training call;
//! - [`train_loop`]: the one training loop, generic over the batch loss, and [`train`],
//!   its supervised form on [`Data`] with [`weighted_bce`] or any other loss;
//! - [`infer`], [`infer_with`] and [`forward_chunked`]: chunked inference without
//!   gradients, from host rows or on the device;
//! - [`save_model`], [`read_meta`] and [`load_weights`]: safetensors weights and
//!   `model.json`;
//! - [`BoxScaler`], [`check_rows`], the setting checks, [`set_threads`] and [`split_seed`].
//!
//! Scan code should use [`crate::MlpClassifier`] and [`crate::MlpRegressor`] instead.

pub use crate::checks::{check_counts, check_positive, check_threads, set_threads, threads};
pub use crate::classifier::weighted_bce;
pub use crate::infer::{forward_chunked, infer, infer_with};
pub use crate::network::{Network, Snapshot};
pub use crate::scaling::BoxScaler;
pub use crate::store::{META, load_weights, read_meta, save_model};
pub use crate::train::{
    BatchLoss, Batches, Data, HeldOut, TrainSettings, check_rows, permutation, split_seed, train, train_loop,
};
