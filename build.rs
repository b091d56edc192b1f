//! Builds the C plugin of `plugins/c-sphere` for the end-to-end tests, with variants of its
//! descriptor that the loader must refuse or accept (`tests/fixtures/descriptor_variants.c`)
//! and a library without the entry symbol. Their paths reach the tests as compile-time
//! environment variables.
//!
//! It also checks the hand-written C header against the Rust ABI: `tests/fixtures/header_layout.c`
//! is compiled with the sizes and offsets of `oracle_api::abi`'s structs, and any
//! difference fails the build.

use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};

use oracle_api::abi::{self, OracleDescriptor, RawShape};

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

/// Size of a field, named through an accessor (`offset_of!` has no counterpart for sizes).
fn field_size<T, F>(_field: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// `-DRUST_<KEY>_SIZE`, `_ALIGN`, and `-DRUST_<KEY>_<field>_OFFSET`, `_SIZE` for each field.
macro_rules! layout_defines {
    ($key:literal, $ty:ty { $($field:ident),+ $(,)? }) => {{
        let mut defines = vec![
            format!("-DRUST_{}_SIZE={}", $key, size_of::<$ty>()),
            format!("-DRUST_{}_ALIGN={}", $key, align_of::<$ty>()),
        ];
        $(
            defines.push(format!("-DRUST_{}_{}_OFFSET={}", $key, stringify!($field), offset_of!($ty, $field)));
            defines.push(format!("-DRUST_{}_{}_SIZE={}", $key, stringify!($field), field_size(|s: &$ty| &s.$field)));
        )+
        defines
    }};
}

fn check_header_layout(out: &Path) {
    // The numbers come from this build script, which runs on the host; they describe the
    // target only when the two are the same.
    if std::env::var("HOST").ok() != std::env::var("TARGET").ok() {
        println!("cargo:warning=cross build: dlscan_oracle.h is not checked against oracle_api::abi");
        return;
    }
    let source = Path::new("tests/fixtures/header_layout.c");
    let mut defines = layout_defines!(
        "SHAPE",
        RawShape {
            n_inputs,
            n_outputs,
            output_names
        }
    );
    defines.extend(layout_defines!(
        "DESCRIPTOR",
        OracleDescriptor {
            abi_version,
            abi_minor,
            reserved,
            struct_size,
            name,
            version,
            create,
            describe,
            evaluate,
            point_error,
            last_error,
            destroy,
            config_format,
            files_dir,
        }
    ));
    defines.push(format!("-DRUST_CONFIG_TOML={}", abi::CONFIG_TOML));
    defines.push(format!("-DRUST_CONFIG_FLAT={}", abi::CONFIG_FLAT));
    defines.push(format!("-DRUST_ABI_VERSION={}", abi::ABI_VERSION));
    defines.push(format!("-DRUST_ABI_MINOR={}", abi::ABI_MINOR));
    let status = cc::Build::new()
        .get_compiler()
        .to_command()
        .args(["-std=c11", "-Wall", "-Werror", INCLUDE, "-c"])
        .args(&defines)
        .arg(source)
        .arg("-o")
        .arg(out.join("header_layout.o"))
        .status()
        .expect("run the C compiler");
    assert!(
        status.success(),
        "crates/oracle-api/include/dlscan_oracle.h disagrees with oracle_api::abi (see the compiler's messages)"
    );
}

/// Builds the C++ and Fortran example plugins with the system's `c++` and `gfortran`. A
/// missing compiler leaves its plugin out (the tests that need it then say so); `make test`
/// installs both.
fn build_foreign(out: &Path) {
    let cpp = Path::new("plugins/cpp-rosenbrock/rosenbrock_oracle.cpp");
    let fortran = [
        Path::new("plugins/fortran-spectrum/toy_spectrum.f90"),
        Path::new("plugins/fortran-spectrum/dlscan_plugin.f90"),
    ];
    for input in std::iter::once(cpp).chain(fortran) {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    let compile = |name: &str, program: &str, args: &[&str], sources: &[&Path]| {
        let lib = out.join(format!("libdlscan_{name}.so"));
        let status = std::process::Command::new(program)
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror"])
            .args(args)
            .args(sources)
            .arg("-o")
            .arg(&lib)
            .status();
        match status {
            Ok(s) => {
                assert!(s.success(), "compiling the {name} example plugin with {program} failed");
                println!("cargo:rustc-env=DLSCAN_TEST_{}={}", name.to_uppercase(), lib.display());
            }
            Err(e) => println!("cargo:warning=the {name} example plugin is not built: cannot run {program} ({e})"),
        }
    };
    compile("cpp_rosenbrock", "c++", &["-std=c++17", INCLUDE], &[cpp]);
    let modules = out.join("fortran-modules");
    std::fs::create_dir_all(&modules).expect("create the Fortran module directory");
    let j = format!("-J{}", modules.display());
    compile("fortran_spectrum", "gfortran", &[&j], &fortran);
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    build_foreign(&out);
    let sphere = Path::new("plugins/c-sphere/sphere_oracle.c");
    let variants = Path::new("tests/fixtures/descriptor_variants.c");
    let crashing = Path::new("tests/fixtures/crashing_oracle.c");
    for input in [
        sphere,
        variants,
        crashing,
        Path::new("tests/fixtures/header_layout.c"),
        Path::new("tests/fixtures/not_a_plugin.c"),
        Path::new("crates/oracle-api/include/dlscan_oracle.h"),
    ] {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    check_header_layout(&out);
    build(&out, "c_sphere", &[], sphere);
    let variant = |name, define| build(&out, name, &["-Iplugins/c-sphere", define], variants);
    variant("c_sphere_abi99", "-DVARIANT_ABI_VERSION=99u");
    variant("c_sphere_reserved", "-DVARIANT_RESERVED=0x5a");
    variant("c_sphere_short", "-DVARIANT_SHORT");
    variant("c_sphere_later_minor", "-DVARIANT_LATER_MINOR");
    variant("c_sphere_minor_0", "-DVARIANT_MINOR_0");
    variant("c_sphere_format7", "-DVARIANT_FORMAT=7u");
    build(&out, "not_a_plugin", &[], Path::new("tests/fixtures/not_a_plugin.c"));
    build(&out, "c_crash", &["-Iplugins/c-sphere"], crashing);
}
