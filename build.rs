//! Builds the C plugin of `plugins/c-sphere` for the end-to-end tests, with variants of its
//! descriptor that the loader must refuse or accept (`tests/fixtures/descriptor_variants.c`)
//! and a library without the entry symbol. Their paths reach the tests as compile-time
//! environment variables.

use std::path::{Path, PathBuf};

const INCLUDE: &str = "-Icrates/oracle-api/include";

fn build(out: &Path, name: &str, extra: &[&str], source: &Path) {
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let lib = out.join(format!("lib{name}.so"));
    let status = compiler
        .to_command()
        .args(["-shared", "-fPIC", "-Wall", "-Werror", INCLUDE])
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
    let variants = Path::new("tests/fixtures/descriptor_variants.c");
    for input in [
        sphere,
        variants,
        Path::new("tests/fixtures/not_a_plugin.c"),
        Path::new("crates/oracle-api/include/dlscan_oracle.h"),
    ] {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    build(&out, "c_sphere", &[], sphere);
    let variant = |name, define| build(&out, name, &["-Iplugins/c-sphere", define], variants);
    variant("c_sphere_abi99", "-DVARIANT_ABI_VERSION=99u");
    variant("c_sphere_reserved", "-DVARIANT_RESERVED=0x5a");
    variant("c_sphere_short", "-DVARIANT_SHORT");
    variant("c_sphere_later_minor", "-DVARIANT_LATER_MINOR");
    build(&out, "not_a_plugin", &[], Path::new("tests/fixtures/not_a_plugin.c"));
}
