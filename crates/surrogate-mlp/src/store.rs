//! Models on disk: one `<name>.safetensors` per network and a `model.json` naming the
//! format (and the kind of model) before anything else is read.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::adam::Adam;
use crate::error::SurrogateError;
use crate::network::Network;

/// The settings file of a saved model.
pub const META: &str = "model.json";

fn io_error(path: &Path, e: impl std::fmt::Display) -> SurrogateError {
    SurrogateError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Save each network's weights as `<name>.safetensors` in `dir` (created if need be),
/// then `meta` as `model.json`. `meta` should carry a `format` field (and a `kind` one
/// when a format holds several kinds of model) for [`read_meta`] to check.
pub fn save_model(dir: &Path, networks: &[(&str, &Network)], meta: &impl Serialize) -> Result<(), SurrogateError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    for (name, net) in networks {
        net.vs.save(dir.join(format!("{name}.safetensors")))?;
        // The optimiser too, so that a warm update after a load continues Adam exactly.
        let adam = dir.join(format!("{name}.adam.safetensors"));
        match &net.optimizer {
            Some(opt) => opt.save(&adam)?,
            None if adam.exists() => std::fs::remove_file(&adam).map_err(|e| io_error(&adam, e))?,
            None => {}
        }
    }
    let path = dir.join(META);
    let text = serde_json::to_string_pretty(meta).map_err(|e| io_error(&path, e))?;
    std::fs::write(&path, text).map_err(|e| io_error(&path, e))
}

/// Read `model.json` of `dir` as `M` after checking that its `format` is `format` and,
/// when `kind` is given, that its `kind` is that.
pub fn read_meta<M: DeserializeOwned>(dir: &Path, format: &str, kind: Option<&str>) -> Result<M, SurrogateError> {
    let path = dir.join(META);
    let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| io_error(&path, e))?;
    let found_format = value["format"].as_str().unwrap_or("?");
    let found_kind = value["kind"].as_str().unwrap_or("?");
    if found_format != format || kind.is_some_and(|k| k != found_kind) {
        let wanted = kind.unwrap_or(format);
        return Err(io_error(
            &path,
            format!("holds a `{found_kind}` ({found_format}), not a {wanted}"),
        ));
    }
    serde_json::from_value(value).map_err(|e| io_error(&path, e))
}

/// Load the weights saved by [`save_model`] as `<name>.safetensors` into `net`, which
/// must have the saved shape, and its optimiser's state when one was saved (its rate and
/// weight decay are set by the next training call).
pub fn load_weights(dir: &Path, name: &str, net: &mut Network) -> Result<(), SurrogateError> {
    net.vs.load(dir.join(format!("{name}.safetensors")))?;
    let adam = dir.join(format!("{name}.adam.safetensors"));
    net.optimizer = if adam.exists() {
        Some(Adam::load(&net.vs, 0.0, 0.0, &adam)?)
    } else {
        None
    };
    Ok(())
}
