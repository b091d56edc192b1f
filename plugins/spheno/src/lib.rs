//! dlscan oracle plugin for SPheno (`SPheno LesHouches.in SPheno.spc`, failure on `SPINFO 4` or a missing spectrum, whatever the exit status).
//!
//! The configuration keys are documented at `command_oracle::presets::spheno`.

use command_oracle::{CommandConfig, Preset, PresetOracle, presets};

/// The spheno preset.
#[derive(Debug)]
pub struct Spheno;

impl Preset for Spheno {
    fn expand(config: &str) -> Result<CommandConfig, String> {
        presets::spheno(config)
    }
}

oracle_api::export_oracle!(
    PresetOracle<Spheno>,
    name = "spheno",
    version = env!("CARGO_PKG_VERSION")
);
