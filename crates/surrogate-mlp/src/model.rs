//! The fitted-model machinery both surrogates share: the network with its input scaler,
//! the warm-start/re-initialisation policy, and storage.

use std::path::Path;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tch::Device;

use crate::device::DeviceChoice;
use crate::error::SurrogateError;
use crate::network::Network;
use crate::params::MlpParams;
use crate::scaling::BoxScaler;
use crate::store::{load_weights, read_meta, save_model};
use crate::train::TrainSettings;

/// A network, its input scaling and its training history.
#[derive(Debug)]
pub(crate) struct Fitted {
    pub params: MlpParams,
    pub scaler: BoxScaler,
    pub net: Network,
    /// `update` calls since the weights were last initialised.
    pub updates: usize,
    /// Total training calls, to vary the seed of each.
    pub calls: u64,
}

/// The format of `model.json`, and the name of the weights file.
const FORMAT: &str = "dlscan-surrogate-mlp/1";
const WEIGHTS: &str = "weights";

/// What `model.json` holds besides the weights.
#[derive(Serialize, Deserialize)]
struct Stored<E> {
    format: String,
    kind: String,
    params: MlpParams,
    scaler: BoxScaler,
    updates: usize,
    calls: u64,
    extra: E,
}

impl Fitted {
    pub fn new(params: MlpParams, bounds: &[(f64, f64)], outputs: usize) -> Result<Fitted, SurrogateError> {
        params.check()?;
        let scaler = BoxScaler::new(bounds)?;
        let device = params.device.resolve()?;
        let net = Network::new(device, scaler.dim(), &params.hidden, outputs, params.seed);
        Ok(Fitted {
            params,
            scaler,
            net,
            updates: 0,
            calls: 0,
        })
    }

    pub fn device(&self) -> Device {
        self.net.vs.device()
    }

    /// Before an `update`: re-initialise if the policy says so. Returns (epochs to train,
    /// whether the weights were re-initialised).
    pub fn prepare_update(&mut self, outputs: usize) -> (usize, bool) {
        self.updates += 1;
        match self.params.reinit_every {
            Some(n) if self.updates >= n => {
                self.updates = 0;
                let seed = self.params.seed.wrapping_add(self.calls.wrapping_mul(0x9e37_79b9));
                self.net = Network::new(self.device(), self.scaler.dim(), &self.params.hidden, outputs, seed);
                (self.params.epochs, true)
            }
            _ => (self.params.update_epochs, false),
        }
    }

    /// Settings of the next training call, with a fresh seed for its shuffling and split.
    pub fn next_settings(&mut self, epochs: usize) -> TrainSettings {
        self.calls += 1;
        let seed = self.params.seed ^ self.calls.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        self.params.settings(epochs, seed)
    }

    pub fn save<E: Serialize>(&self, dir: &Path, kind: &str, extra: E) -> Result<(), SurrogateError> {
        let stored = Stored {
            format: FORMAT.into(),
            kind: kind.into(),
            params: self.params.clone(),
            scaler: self.scaler.clone(),
            updates: self.updates,
            calls: self.calls,
            extra,
        };
        save_model(dir, &[(WEIGHTS, &self.net)], &stored)
    }

    /// Load a model saved by [`Fitted::save`], with its optimiser's state: a training call
    /// after the load continues Adam as it would have continued without the save.
    pub fn load<E: DeserializeOwned>(
        dir: &Path,
        kind: &str,
        outputs: usize,
        device: DeviceChoice,
    ) -> Result<(Fitted, E), SurrogateError> {
        let stored: Stored<E> = read_meta(dir, FORMAT, Some(kind))?;
        let mut params = stored.params;
        params.device = device;
        let bounds: Vec<(f64, f64)> = stored
            .scaler
            .lower
            .iter()
            .copied()
            .zip(stored.scaler.upper.iter().copied())
            .collect();
        let mut fitted = Fitted::new(params, &bounds, outputs)?;
        load_weights(dir, WEIGHTS, &mut fitted.net)?;
        fitted.updates = stored.updates;
        fitted.calls = stored.calls;
        Ok((fitted, stored.extra))
    }
}
