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

const WEIGHTS: &str = "weights.safetensors";
const META: &str = "model.json";

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

fn io_error(path: &Path, e: impl std::fmt::Display) -> SurrogateError {
    SurrogateError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
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
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        self.net.vs.save(dir.join(WEIGHTS))?;
        let stored = Stored {
            format: "dlscan-surrogate-mlp/1".into(),
            kind: kind.into(),
            params: self.params.clone(),
            scaler: self.scaler.clone(),
            updates: self.updates,
            calls: self.calls,
            extra,
        };
        let meta = dir.join(META);
        std::fs::write(&meta, serde_json::to_string_pretty(&stored).expect("serialisable"))
            .map_err(|e| io_error(&meta, e))
    }

    pub fn load<E: DeserializeOwned>(
        dir: &Path,
        kind: &str,
        outputs: usize,
        device: DeviceChoice,
    ) -> Result<(Fitted, E), SurrogateError> {
        let meta = dir.join(META);
        let text = std::fs::read_to_string(&meta).map_err(|e| io_error(&meta, e))?;
        // Check what the file is before reading the kind-specific part.
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| io_error(&meta, e))?;
        let (format, found) = (
            value["format"].as_str().unwrap_or("?"),
            value["kind"].as_str().unwrap_or("?"),
        );
        if format != "dlscan-surrogate-mlp/1" || found != kind {
            return Err(io_error(&meta, format!("holds a `{found}` ({format}), not a {kind}")));
        }
        let stored: Stored<E> = serde_json::from_value(value).map_err(|e| io_error(&meta, e))?;
        let mut params = stored.params;
        params.device = device;
        let mut fitted = Fitted::new(
            params,
            &stored
                .scaler
                .lower
                .iter()
                .copied()
                .zip(stored.scaler.upper.iter().copied())
                .collect::<Vec<_>>(),
            outputs,
        )?;
        fitted.net.vs.load(dir.join(WEIGHTS))?;
        fitted.updates = stored.updates;
        fitted.calls = stored.calls;
        Ok((fitted, stored.extra))
    }
}
