//! Helpers shared by the workspace's end-to-end tests and benchmark programs: where the
//! build put the `dlscan` binary and the plugins.
//!
//! The artifacts are built by `cargo build --workspace` (which `make test` runs before the
//! tests); the helpers fail with that instruction when they are missing.

use std::path::PathBuf;

/// The directory holding the build's binaries and plugins (`target/debug` or
/// `target/release`), found from the running executable (`target/<profile>/deps/…` for
/// tests, `target/<profile>/examples/…` for examples).
pub fn artifact_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable path");
    let mut dir = exe.parent().expect("executable has a parent").to_path_buf();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    dir
}

fn existing(path: PathBuf) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (`cargo build --workspace`, as `make test` does)",
        path.display()
    );
    path
}

/// Path of the built plugin called `name` (e.g. `toy`).
pub fn plugin_path(name: &str) -> PathBuf {
    existing(artifact_dir().join(oracle_api::plugin_file_name(name)))
}

/// Path of the built `dlscan` binary.
pub fn dlscan_binary() -> PathBuf {
    existing(artifact_dir().join(format!("dlscan{}", std::env::consts::EXE_SUFFIX)))
}
