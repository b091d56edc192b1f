//! The one training loop of every network here: mini-batches, shuffling, Adam kept across
//! warm starts, an optional cosine learning-rate schedule and weight decay, and an optional
//! held-out split for early stopping (restoring the best epoch). What is minimised is the
//! caller's: a closure gives the loss of a batch from the network and the batch's item
//! indices, so the supervised losses of the classifier and the regressor and the siamese
//! encoder's contrastive loss on pairs run through the same code.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::adam::Adam;
use crate::error::SurrogateError;
use crate::network::{Network, Snapshot};

/// Learning-rate schedule within one `fit` or `update` call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum LrSchedule {
    /// The same rate every epoch.
    #[default]
    Constant,
    /// Cosine decay from the rate to `final_factor` × the rate over the call's epochs.
    Cosine { final_factor: f64 },
}

/// Stop when the held-out loss has not improved for `patience` epochs, and keep the best
/// epoch's weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Fraction of the data held out (0 < f < 0.5).
    pub validation_fraction: f64,
    pub patience: usize,
}

/// What a training call did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub epochs_run: usize,
    /// Mean training loss of the last epoch.
    pub train_loss: f64,
    /// Best held-out loss, with early stopping.
    pub validation_loss: Option<f64>,
    /// Held-out accuracy (classifier) or RMSE in target units (regressor), with early
    /// stopping.
    pub validation_metric: Option<f64>,
    /// Whether the weights were re-initialised before training.
    pub reinitialised: bool,
    pub seconds: f64,
}

/// Settings of one training call.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's rate when the network has no optimiser yet (a fit, or after a
    /// re-initialisation or a load).
    pub learning_rate: f64,
    /// Adam's rate when the network keeps the optimiser of an earlier call (a warm
    /// update); `None`: `learning_rate`.
    pub update_learning_rate: Option<f64>,
    pub weight_decay: f64,
    pub schedule: LrSchedule,
    pub early_stopping: Option<EarlyStopping>,
    /// Seed of the split, the shuffling and any drawn items.
    pub seed: u64,
}

/// The items the loop batches in each epoch.
pub enum Batches<'a> {
    /// Rows `0..n` of fixed training data, each once per epoch in a fresh random order;
    /// with early stopping (and at least 20 rows) a held-out share is split off first.
    Rows(usize),
    /// Items drawn afresh before every epoch by the closure, from the loop's generator,
    /// which returns how many it drew. They are batched in the order drawn (they are
    /// random already), and there is no held-out split. The siamese encoder's pairs.
    Drawn(&'a mut dyn FnMut(&mut Xoshiro256PlusPlus) -> usize),
}

impl std::fmt::Debug for Batches<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Batches::Rows(n) => f.debug_tuple("Rows").field(n).finish(),
            Batches::Drawn(_) => f.write_str("Drawn(..)"),
        }
    }
}

/// The mean loss of a batch, from the network and the batch's item indices (`i64` on the
/// network's device).
pub type BatchLoss<'a> = &'a dyn Fn(&Network, &Tensor) -> Tensor;

/// (loss, metric) of held-out rows given by their indices, evaluated without gradients.
pub type HeldOut<'a> = &'a dyn Fn(&Network, &Tensor) -> (f64, f64);

/// Data on the device: inputs (n × d, f32) and targets (n × 1, f32).
#[derive(Debug)]
pub struct Data {
    pub x: Tensor,
    pub y: Tensor,
}

impl Data {
    /// Upload row-major inputs `x` (`dim` columns) and targets `y`.
    pub fn new(x: &[f32], y: &[f32], dim: usize, device: Device) -> Data {
        let n = y.len() as i64;
        Data {
            x: Tensor::from_slice(x).view([n, dim as i64]).to_device(device),
            y: Tensor::from_slice(y).view([n, 1]).to_device(device),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y.size()[0] as usize
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn select(&self, idx: &Tensor) -> (Tensor, Tensor) {
        (self.x.index_select(0, idx), self.y.index_select(0, idx))
    }
}

/// Check that `x` has one row per target and is not empty.
pub fn check_rows(x: ndarray::ArrayView2<f64>, targets: usize) -> Result<(), SurrogateError> {
    if x.nrows() != targets {
        return Err(SurrogateError::LengthMismatch {
            rows: x.nrows(),
            targets,
        });
    }
    if targets == 0 {
        return Err(SurrogateError::Empty);
    }
    Ok(())
}

/// A uniformly random permutation of 0..n (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<i64> {
    let mut p: Vec<i64> = (0..n as i64).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// The seed of stream `stream` of `seed`: the first draw of `seed`'s generator after
/// `stream` jumps of 2^128 steps. Seeds for different purposes (networks, training calls,
/// stages) taken from different streams are draws from non-overlapping stretches of one
/// sequence, rather than the seed with constants mixed in.
pub fn split_seed(seed: u64, stream: u64) -> u64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..stream {
        rng.jump();
    }
    rng.random::<u64>()
}

/// Supervised training of `net` on `data`: [`train_loop`] over its rows, with `loss`
/// mapping (outputs, targets) to a scalar and `metric` mapping held-out (outputs,
/// targets) to the reported metric.
pub fn train(
    net: &mut Network,
    data: &Data,
    settings: &TrainSettings,
    loss: &dyn Fn(&Tensor, &Tensor) -> Tensor,
    metric: &dyn Fn(&Tensor, &Tensor) -> f64,
    reinitialised: bool,
) -> Result<TrainReport, SurrogateError> {
    let batch_loss = |net: &Network, rows: &Tensor| {
        let (x, y) = data.select(rows);
        loss(&net.forward(&x), &y)
    };
    let held_out = |net: &Network, rows: &Tensor| {
        let (x, y) = data.select(rows);
        let out = net.forward(&x);
        (loss(&out, &y).double_value(&[]), metric(&out, &y))
    };
    train_loop(
        net,
        Batches::Rows(data.len()),
        &batch_loss,
        Some(&held_out),
        settings,
        reinitialised,
    )
}

/// Train `net` for `settings.epochs` epochs of `batches`, minimising `loss` with Adam.
///
/// One optimiser policy for every network: the Adam state of the previous call, kept in
/// [`Network::optimizer`], is continued at `update_learning_rate`; a network without one
/// (new, re-initialised or loaded) gets a fresh Adam at `learning_rate`. Early stopping
/// needs `held_out` and [`Batches::Rows`].
pub fn train_loop(
    net: &mut Network,
    batches: Batches<'_>,
    loss: BatchLoss<'_>,
    held_out: Option<HeldOut<'_>>,
    settings: &TrainSettings,
    reinitialised: bool,
) -> Result<TrainReport, SurrogateError> {
    let started = Instant::now();
    let device = net.vs.device();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
    let (mut items, held_out_rows) = Items::new(batches, held_out.and(settings.early_stopping), &mut rng);
    let held_out = held_out.zip(held_out_rows.map(|rows| Tensor::from_slice(&rows).to_device(device)));
    let (mut opt, rate) = optimizer(net, settings)?;

    // (held-out loss, held-out metric, weights) of the best epoch so far.
    let mut best: Option<(f64, f64, Snapshot)> = None;
    let mut since_best = 0;
    let (mut epochs_run, mut train_loss) = (0, f64::NAN);
    for epoch in 0..settings.epochs {
        if let LrSchedule::Cosine { final_factor } = settings.schedule {
            let progress = epoch as f64 / settings.epochs.max(1) as f64;
            let factor = final_factor + (1.0 - final_factor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
            opt.set_lr(rate * factor);
        }
        let order = items.epoch(&mut rng);
        let n = order.len();
        let order = Tensor::from_slice(&order).to_device(device);
        let batch = settings.batch_size.min(n).max(1);
        let mut total = Tensor::zeros([], (Kind::Float, device));
        for start in (0..n).step_by(batch) {
            let len = batch.min(n - start);
            let l = loss(net, &order.narrow(0, start as i64, len as i64));
            opt.backward_step(&l);
            total += l.detach() * len as f64;
        }
        train_loss = total.double_value(&[]) / n as f64;
        epochs_run = epoch + 1;
        if let (Some((evaluate, rows)), Some(es)) = (&held_out, settings.early_stopping) {
            let (val_loss, val_metric) = tch::no_grad(|| evaluate(net, rows));
            if best.as_ref().is_none_or(|(b, _, _)| val_loss < *b) {
                best = Some((val_loss, val_metric, net.snapshot()));
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= es.patience {
                    break;
                }
            }
        }
        if !train_loss.is_finite() {
            return Err(SurrogateError::InvalidParams(format!(
                "training diverged (loss {train_loss} at epoch {epoch}); lower the learning rate"
            )));
        }
    }
    net.optimizer = Some(opt);
    let (validation_loss, validation_metric) = match best {
        Some((l, m, snapshot)) => {
            net.restore(&snapshot);
            (Some(l), Some(m))
        }
        None => (None, None),
    };
    Ok(TrainReport {
        epochs_run,
        train_loss,
        validation_loss,
        validation_metric,
        reinitialised,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The optimiser of a call and its base rate: the kept one when the network has one.
fn optimizer(net: &mut Network, settings: &TrainSettings) -> Result<(Adam, f64), SurrogateError> {
    Ok(match net.optimizer.take() {
        Some(mut opt) => {
            let rate = settings.update_learning_rate.unwrap_or(settings.learning_rate);
            opt.set_weight_decay(settings.weight_decay);
            opt.set_lr(rate);
            (opt, rate)
        }
        None => (
            Adam::new(&net.vs, settings.learning_rate, settings.weight_decay),
            settings.learning_rate,
        ),
    })
}

/// The items of each epoch: the training rows, shuffled, or freshly drawn ones.
enum Items<'a> {
    Rows(Vec<i64>),
    Drawn(&'a mut dyn FnMut(&mut Xoshiro256PlusPlus) -> usize),
}

impl<'a> Items<'a> {
    /// The items and, with early stopping on enough rows, the held-out rows split off.
    fn new(
        batches: Batches<'a>,
        early: Option<EarlyStopping>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (Items<'a>, Option<Vec<i64>>) {
        match (batches, early) {
            (Batches::Rows(n), Some(es)) if n >= 20 => {
                let mut order = permutation(n, rng);
                let n_val = ((n as f64 * es.validation_fraction).round() as usize).clamp(1, n - 1);
                let train = order.split_off(n_val);
                (Items::Rows(train), Some(order))
            }
            (Batches::Rows(n), _) => (Items::Rows((0..n as i64).collect()), None),
            (Batches::Drawn(draw), _) => (Items::Drawn(draw), None),
        }
    }

    /// The item indices of the next epoch, in batching order.
    fn epoch(&mut self, rng: &mut Xoshiro256PlusPlus) -> Vec<i64> {
        match self {
            Items::Rows(rows) => permutation(rows.len(), rng)
                .into_iter()
                .map(|i| rows[i as usize])
                .collect(),
            Items::Drawn(draw) => (0..draw(rng) as i64).collect(),
        }
    }
}
