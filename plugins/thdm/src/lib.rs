//! dlscan oracle plugin for 2HDMC's `CalcPhys` (physical basis; outputs the THDM constraint flags and Higgs masses; failure on exit 255, invalid parameters or an ignored Yukawa type).
//!
//! The configuration keys are documented at `command_oracle::presets::thdm`.

use command_oracle::{CommandConfig, Preset, PresetOracle, presets};

/// The thdm preset.
#[derive(Debug)]
pub struct Thdm;

impl Preset for Thdm {
    fn expand(config: &str) -> Result<CommandConfig, String> {
        presets::thdm(config)
    }
}

oracle_api::export_oracle!(PresetOracle<Thdm>, name = "thdm", version = env!("CARGO_PKG_VERSION"));
