//! The network: a stack of fully connected layers with ReLU between them.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tch::nn::{self, Module};
use tch::{Device, Tensor};

use crate::adam::Adam;

/// Named copies of a network's parameters.
pub type Snapshot = Vec<(String, Tensor)>;

/// An MLP whose parameters live in its own `VarStore`.
#[derive(Debug)]
pub struct Network {
    pub vs: nn::VarStore,
    layers: Vec<nn::Linear>,
    /// The optimiser of the last training call, kept so that a warm-started `update`
    /// continues with Adam's moment estimates instead of fresh ones: a fresh Adam moves
    /// every weight by about the learning rate in its first steps, which undoes much of
    /// a converged fit before it recovers (see `examples/mlp_tradeoff.rs`). A new or
    /// re-initialised network has none; a loaded one has the saved one's.
    pub optimizer: Option<Adam>,
}

impl Network {
    /// `inputs` → `hidden[0]` → … → `outputs`, ReLU after every hidden layer.
    ///
    /// Weights and biases are drawn uniformly in ±1/√fan_in (PyTorch's default for linear
    /// layers) from a generator seeded with `seed`, not from libtorch's process-wide one,
    /// so models built at the same time on several threads stay reproducible.
    pub fn new(device: Device, inputs: usize, hidden: &[usize], outputs: usize, seed: u64) -> Network {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut layers = Vec::with_capacity(hidden.len() + 1);
        let mut width = inputs;
        for (i, &h) in hidden.iter().chain(std::iter::once(&outputs)).enumerate() {
            let layer = nn::linear(&root / format!("layer{i}"), width as i64, h as i64, Default::default());
            let bound = 1.0 / (width as f64).sqrt();
            let mut draw = |shape: &[i64]| {
                let n: i64 = shape.iter().product();
                let values: Vec<f32> = (0..n)
                    .map(|_| (bound * (2.0 * rng.random::<f64>() - 1.0)) as f32)
                    .collect();
                Tensor::from_slice(&values).view(shape).to_device(device)
            };
            tch::no_grad(|| {
                layer.ws.shallow_clone().copy_(&draw(&[h as i64, width as i64]));
                if let Some(bs) = &layer.bs {
                    bs.shallow_clone().copy_(&draw(&[h as i64]));
                }
            });
            layers.push(layer);
            width = h;
        }
        Network {
            vs,
            layers,
            optimizer: None,
        }
    }

    /// Raw outputs (logits for a classifier) for a batch of scaled inputs.
    pub fn forward(&self, xs: &Tensor) -> Tensor {
        let last = self.layers.len() - 1;
        let mut h = xs.shallow_clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i < last {
                h = h.relu();
            }
        }
        h
    }

    /// A copy of every parameter, to restore the best epoch after early stopping.
    pub fn snapshot(&self) -> Snapshot {
        tch::no_grad(|| {
            self.vs
                .variables()
                .into_iter()
                .map(|(k, v)| (k, v.detach().copy()))
                .collect()
        })
    }

    /// Put back a snapshot.
    pub fn restore(&mut self, snapshot: &Snapshot) {
        let vars = self.vs.variables();
        tch::no_grad(|| {
            for (name, value) in snapshot {
                if let Some(v) = vars.get(name) {
                    v.shallow_clone().copy_(value);
                }
            }
        });
    }
}
