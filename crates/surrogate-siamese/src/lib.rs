//! A similarity-learning ("siamese") classifier surrogate on libtorch (through tch).
//!
//! Stage 1 trains an **encoder** (by default 3 × 100 ReLU layers and a 500-unit linear
//! projection) on pairs of points with a contrastive loss: pairs of the same class are
//! pulled together, pairs of different classes pushed at least a margin apart. Stage 2
//! freezes the encoder and trains a small **head** (100 ReLU units and a sigmoid output)
//! on the embeddings with binary cross-entropy, so `predict_proba` gives P(in target).
//!
//! Pairs are drawn afresh every epoch, balanced: each anchor is drawn from a class chosen
//! with equal probability (so a rare in-target class is well represented), and yields one
//! same-class and one different-class pair. A pair's label is 1 for the same class and 0
//! otherwise, and the loss on the embedding distance d is
//! `y·d² + (1 − y)·max(0, m − d)²` with margin m (default 1). The cost of an epoch is
//! linear in the number of pairs, not quadratic in the data.
//!
//! Model choices, where the DLScanner code it replaces is silent or broken: the head sits
//! on the trained encoder (the original wires its stage-2 network to the raw inputs, so its
//! encoder has no effect), the encoder is frozen in stage 2, and both stages warm-start
//! across scan iterations (`update`), each continuing its Adam state.
//!
//! Training, chunked inference, storage and setting checks are `surrogate_mlp::toolkit`'s,
//! the same as the MLP surrogates'; this crate holds what is siamese: the pairs, the
//! contrastive loss and the two stages.

mod pairs;
mod params;
mod siamese;

pub use pairs::Distance;
pub use params::SiameseParams;
pub use siamese::{SiameseClassifier, SiameseReport};
pub use surrogate_mlp::{ClassWeight, DeviceChoice, SurrogateError, TrainReport};
