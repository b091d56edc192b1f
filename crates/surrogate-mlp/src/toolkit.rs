//! Building blocks for other tch-based surrogates (the siamese classifier uses them): the
//! seeded MLP network, box scaling of inputs, device choice, the supervised training loop
//! and chunked inference. Scan code should use [`crate::MlpClassifier`] and
//! [`crate::MlpRegressor`] instead.

pub use crate::classifier::weighted_bce;
pub use crate::infer::{forward_chunked, infer, infer_with};
pub use crate::network::{Network, Snapshot};
pub use crate::scaling::BoxScaler;
pub use crate::train::{BatchLoss, Batches, Data, HeldOut, TrainSettings, check_rows, permutation, train, train_loop};
