//! Builds the C plugin of `plugins/c-sphere` for the end-to-end tests, in three variants:
//! the plugin itself, one declaring a wrong ABI version, and a library without the entry
//! symbol. Their paths reach the tests as compile-time environment variables.

use std::path::{Path, PathBuf};

fn build(out: &Path, name: &str, extra: &[&str], source: &Path) {
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let lib = out.join(format!("lib{name}.so"));
    let status = compiler
        .to_command()
        .args(["-shared", "-fPIC", "-Wall", "-Werror", "-Icrates/oracle-api/include"])
        .args(extra)
        .arg(source)
        .arg("-o")
        .arg(&lib)
        .arg("-lm")
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "compiling {} failed", source.display());
    println!("cargo:rustc-env=DLSCAN_TEST_{}={}", name.to_uppercase(), lib.display());
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let sphere = Path::new("plugins/c-sphere/sphere_oracle.c");
    println!("cargo:rerun-if-changed={}", sphere.display());
    println!("cargo:rerun-if-changed=crates/oracle-api/include/dlscan_oracle.h");
    println!("cargo:rerun-if-changed=tests/fixtures/not_a_plugin.c");
    build(&out, "c_sphere", &[], sphere);
    build(&out, "c_sphere_abi99", &["-DSPHERE_ABI_VERSION=99u"], sphere);
    build(&out, "not_a_plugin", &[], Path::new("tests/fixtures/not_a_plugin.c"));
}
