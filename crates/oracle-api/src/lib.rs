//! The contract between the dlscan scanner and its oracles.
//!
//! An *oracle* maps a point of an n-dimensional box to named outputs (a spectrum
//! generator, a dark-matter code, any function). This crate defines:
//!
//! - [`Oracle`]: the safe Rust trait the scanner drives, implemented by in-process oracles
//!   ([`FnOracle`]) and by plugin instances ([`PluginOracle`]) alike;
//! - [`abi`]: the versioned C ABI (mirrored in `include/dlscan_oracle.h`) through which
//!   plugins written in Rust, C, C++ or Fortran are loaded at run time;
//! - [`export_oracle!`]: generates the C side of a Rust plugin;
//! - [`Plugin`]: the loader, which checks the ABI version and the descriptor's header
//!   before calling anything.
//!
//! # Writing a Rust plugin
//! ```
//! use oracle_api::{FromConfig, Oracle, PointResult, Shape};
//!
//! struct Paraboloid { shape: Shape }
//!
//! impl FromConfig for Paraboloid {
//!     fn from_config(_config: &str) -> Result<Self, String> {
//!         Ok(Paraboloid { shape: Shape::new(2, ["z"]) })
//!     }
//! }
//!
//! impl Oracle for Paraboloid {
//!     fn shape(&self) -> &Shape { &self.shape }
//!     fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
//!         out[0] = x[0] * x[0] + x[1] * x[1];
//!         Ok(())
//!     }
//! }
//!
//! oracle_api::export_oracle!(Paraboloid);
//! # fn main() {}
//! ```
//! Build the crate as a `cdylib` named `dlscan_<name>` and dlscan finds it by `<name>`.

pub mod abi;
pub mod export;
pub mod flat_config;
pub mod isolation;
mod loader;
mod oracle;
pub mod wire;

pub use loader::{LoadError, Plugin, PluginOracle, locate_plugin, plugin_file_name};
pub use oracle::{
    FnOracle, FromConfig, Oracle, OracleError, PointFailure, PointResult, Shape, check_batch_lengths,
    install_quiet_panic_hook, panic_message,
};
