//! The generic command oracle as a dlscan plugin (`plugin = "command"`): any chain of
//! programs, configured in `[oracle.config]`:
//!
//! ```toml
//! [oracle.config]
//! inputs = ["M1", "mu"]
//! [oracle.config.input]
//! file = "in.slha"
//! slha_template = "simsusy/in.slha"     # relative to the run configuration
//! set = { M1 = { block = "EXTPAR", index = [1] }, mu = { block = "EXTPAR", index = [23] } }
//! [[oracle.config.program]]
//! command = ["simsusy", "run", "mssm.tree_calculator", "in.slha", "out.slha"]
//! timeout_s = 30
//! [[oracle.config.output]]
//! name = "m_chi10"
//! file = "out.slha"
//! slha = { block = "MASS", index = [1000022] }
//! [[oracle.config.fail_if]]
//! slha_flag = { file = "out.slha", block = "SPINFO", flag = 4 }
//! ```
//!
//! See `command_oracle::CommandConfig` for every key.

use command_oracle::CommandOracle;

oracle_api::export_oracle!(CommandOracle, name = "command", version = env!("CARGO_PKG_VERSION"));
