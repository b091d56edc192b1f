//! dlscan oracle plugin for micrOMEGAs after a spectrum generator (relic density from `Omega=` on its output).
//!
//! The configuration keys are documented at `command_oracle::presets::micromegas`.

use command_oracle::{CommandConfig, Preset, PresetOracle, presets};

/// The micromegas preset.
#[derive(Debug)]
pub struct Micromegas;

impl Preset for Micromegas {
    fn expand(config: &str) -> Result<CommandConfig, String> {
        presets::micromegas(config)
    }
}

oracle_api::export_oracle!(
    PresetOracle<Micromegas>,
    name = "micromegas",
    version = env!("CARGO_PKG_VERSION")
);
