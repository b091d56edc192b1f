//! The training loop shared by the classifier and the regressor: shuffled mini-batches,
//! Adam with an optional cosine learning-rate schedule and weight decay, an optional
//! held-out split for early stopping (restoring the best epoch).

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor, nn};

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

/// Settings of one call of [`train`].
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub schedule: LrSchedule,
    pub early_stopping: Option<EarlyStopping>,
    pub seed: u64,
}

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

    fn select(&self, idx: &Tensor) -> Data {
        Data {
            x: self.x.index_select(0, idx),
            y: self.y.index_select(0, idx),
        }
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

/// Train `net` on `data`. `loss` maps (outputs, targets) to a scalar loss; `metric` maps
/// held-out (outputs, targets) to the reported metric.
pub fn train(
    net: &mut Network,
    data: &Data,
    settings: &TrainSettings,
    loss: &dyn Fn(&Tensor, &Tensor) -> Tensor,
    metric: &dyn Fn(&Tensor, &Tensor) -> f64,
    reinitialised: bool,
) -> Result<TrainReport, SurrogateError> {
    let started = Instant::now();
    let device = net.vs.device();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(settings.seed);
    let n = data.len();
    let (train_set, held_out) = match settings.early_stopping {
        Some(es) if n >= 20 => {
            let order = permutation(n, &mut rng);
            let n_val = ((n as f64 * es.validation_fraction).round() as usize).clamp(1, n - 1);
            let val_idx = Tensor::from_slice(&order[..n_val]).to_device(device);
            let train_idx = Tensor::from_slice(&order[n_val..]).to_device(device);
            (data.select(&train_idx), Some(data.select(&val_idx)))
        }
        _ => (
            Data {
                x: data.x.shallow_clone(),
                y: data.y.shallow_clone(),
            },
            None,
        ),
    };
    let n_train = train_set.len();
    let batch = settings.batch_size.min(n_train).max(1);
    let mut opt = match net.optimizer.take() {
        Some(mut opt) => {
            opt.set_weight_decay(settings.weight_decay);
            opt.set_lr(settings.learning_rate);
            opt
        }
        None => nn::Adam {
            wd: settings.weight_decay,
            ..Default::default()
        }
        .build(&net.vs, settings.learning_rate)?,
    };

    // (held-out loss, held-out metric, weights) of the best epoch so far.
    let mut best: Option<(f64, f64, Snapshot)> = None;
    let mut since_best = 0;
    let (mut epochs_run, mut train_loss) = (0, f64::NAN);
    for epoch in 0..settings.epochs {
        if let LrSchedule::Cosine { final_factor } = settings.schedule {
            let progress = epoch as f64 / settings.epochs.max(1) as f64;
            let factor = final_factor + (1.0 - final_factor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
            opt.set_lr(settings.learning_rate * factor);
        }
        let order = Tensor::from_slice(&permutation(n_train, &mut rng)).to_device(device);
        let mut total = Tensor::zeros([], (Kind::Float, device));
        for start in (0..n_train).step_by(batch) {
            let len = batch.min(n_train - start);
            let idx = order.narrow(0, start as i64, len as i64);
            let b = train_set.select(&idx);
            let l = loss(&net.forward(&b.x), &b.y);
            opt.backward_step(&l);
            total += l.detach() * len as f64;
        }
        train_loss = total.double_value(&[]) / n_train as f64;
        epochs_run = epoch + 1;
        if let (Some(val), Some(es)) = (&held_out, settings.early_stopping) {
            let (val_loss, val_metric) = tch::no_grad(|| {
                let out = net.forward(&val.x);
                (loss(&out, &val.y).double_value(&[]), metric(&out, &val.y))
            });
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

/// Run the network on scaled inputs in chunks, without gradients; returns raw outputs.
pub fn infer(net: &Network, x: &[f32], dim: usize, chunk_rows: usize) -> Vec<f32> {
    let device = net.vs.device();
    let n = x.len() / dim.max(1);
    let mut out = Vec::with_capacity(n);
    tch::no_grad(|| {
        for start in (0..n).step_by(chunk_rows.max(1)) {
            let len = chunk_rows.min(n - start);
            let xs = Tensor::from_slice(&x[start * dim..(start + len) * dim])
                .view([len as i64, dim as i64])
                .to_device(device);
            let ys = net.forward(&xs).to_device(Device::Cpu).to_kind(Kind::Float).view([-1]);
            out.extend(Vec::<f32>::try_from(&ys).expect("float outputs"));
        }
    });
    out
}
