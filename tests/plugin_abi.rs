//! The real loader against real plugins: the Rust toy plugin, a plugin written in C,
//! variants of its descriptor (a later minor version to accept, malformed headers to
//! refuse), and libraries that must be refused.

use std::path::Path;

use dlscan_suite::plugin_path;
use oracle_api::{LoadError, Oracle, Plugin, PointFailure, PointResult};

const C_SPHERE: &str = env!("DLSCAN_TEST_C_SPHERE");
const C_SPHERE_ABI99: &str = env!("DLSCAN_TEST_C_SPHERE_ABI99");
const C_SPHERE_RESERVED: &str = env!("DLSCAN_TEST_C_SPHERE_RESERVED");
const C_SPHERE_SHORT: &str = env!("DLSCAN_TEST_C_SPHERE_SHORT");
const C_SPHERE_LATER_MINOR: &str = env!("DLSCAN_TEST_C_SPHERE_LATER_MINOR");
const C_SPHERE_MINOR_0: &str = env!("DLSCAN_TEST_C_SPHERE_MINOR_0");
const C_SPHERE_FORMAT7: &str = env!("DLSCAN_TEST_C_SPHERE_FORMAT7");
const NOT_A_PLUGIN: &str = env!("DLSCAN_TEST_NOT_A_PLUGIN");

#[test]
fn toy_plugin_matches_the_formulas_through_the_abi() {
    let plugin = Plugin::load(plugin_path("toy")).unwrap();
    assert_eq!(plugin.name(), "toy");
    let mut oracle = plugin.instantiate("function = \"O_3d\"").unwrap();
    assert_eq!(oracle.shape().n_inputs, 3);
    assert_eq!(oracle.shape().output_names, ["O", "likelihood"]);
    let x: Vec<f64> = (0..300).map(|i| (i as f64 * 0.37).sin() * 31.0).collect();
    let mut out = vec![0.0; 200];
    let mut results: Vec<PointResult> = vec![Ok(()); 100];
    oracle.evaluate_batch(&x, &mut out, &mut results).unwrap();
    for i in 0..100 {
        let p = &x[3 * i..3 * i + 3];
        let o = dlscan_toy::o_3d(p);
        assert_eq!(out[2 * i], o);
        assert_eq!(out[2 * i + 1], dlscan_toy::o_3d_likelihood(o));
        assert!(results[i].is_ok());
    }
}

#[test]
fn plugin_configuration_errors_come_back_as_messages() {
    let plugin = Plugin::load(plugin_path("toy")).unwrap();
    let err = plugin.instantiate("function = \"O_4d\"").unwrap_err().to_string();
    assert!(err.contains("toy configuration") && err.contains("O_4d"), "{err}");
    assert!(
        err.contains("libdlscan_toy"),
        "the message names the plugin file: {err}"
    );
}

#[test]
fn panics_and_failures_inside_a_plugin_become_point_failures() {
    let plugin = Plugin::load(plugin_path("toy")).unwrap();
    let mut oracle = plugin.instantiate("[faults]\npanic = 0.3\nerror = 0.3").unwrap();
    let n = 400;
    let x: Vec<f64> = (0..3 * n).map(|i| i as f64 * 0.01).collect();
    let mut out = vec![0.0; 2 * n];
    let mut results: Vec<PointResult> = vec![Ok(()); n];
    oracle.evaluate_batch(&x, &mut out, &mut results).unwrap();
    let panics = results
        .iter()
        .filter(|r| matches!(r, Err(PointFailure::Failed(m)) if m.contains("panic: injected panic")))
        .count();
    let errors = results
        .iter()
        .filter(|r| matches!(r, Err(PointFailure::Failed(m)) if m.contains("injected failure")))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(panics + errors + ok, n);
    assert!(panics > 60 && errors > 60 && ok > 60, "{panics} {errors} {ok}");
    // The instance stays usable after a panic.
    let mut one = [0.0; 2];
    let fine = (0..100)
        .map(|i| [i as f64, 1.0, 2.0])
        .find(|p| oracle.evaluate(p, &mut one).is_ok());
    assert!(fine.is_some());
}

#[test]
fn c_plugin_loads_and_evaluates() {
    let plugin = Plugin::load(C_SPHERE).unwrap();
    assert_eq!((plugin.name(), plugin.version()), ("c-sphere", "1.0.0"));
    assert_eq!(plugin.abi_minor(), oracle_api::abi::ABI_MINOR);
    let mut oracle = plugin.instantiate("dim = 3").unwrap();
    assert_eq!(oracle.shape().n_inputs, 3);
    assert_eq!(oracle.shape().output_names, ["r2", "r"]);
    let x = [1.0, 2.0, 2.0, -2e6, 0.0, 0.0, 0.0, 3.0, 4.0];
    let mut out = [0.0; 6];
    let mut results: Vec<PointResult> = vec![Ok(()); 3];
    oracle.evaluate_batch(&x, &mut out, &mut results).unwrap();
    assert_eq!((out[0], out[1]), (9.0, 3.0));
    assert_eq!(
        results[1],
        Err(PointFailure::Failed("first coordinate below -1e+06".into()))
    );
    assert_eq!((out[4], out[5]), (25.0, 5.0));
    assert!(results[0].is_ok() && results[2].is_ok());
    let err = plugin.instantiate("dim = 0").unwrap_err().to_string();
    assert!(err.contains("dim must be a whole number in 1..1000"), "{err}");
}

#[test]
fn loader_refuses_non_plugins_naming_the_file() {
    let missing = Plugin::load("/no/such/libdlscan_x.so").unwrap_err();
    assert!(matches!(missing, LoadError::NotFound { .. }));
    assert!(missing.to_string().contains("/no/such/libdlscan_x.so"));

    let not_a_library = Plugin::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap_err();
    assert!(matches!(not_a_library, LoadError::Open { .. }), "{not_a_library}");
    assert!(not_a_library.to_string().contains("Cargo.toml"));

    let no_entry = Plugin::load(NOT_A_PLUGIN).unwrap_err();
    assert!(matches!(no_entry, LoadError::NoEntry { .. }), "{no_entry}");
    assert!(no_entry.to_string().contains("not a dlscan plugin") && no_entry.to_string().contains("libnot_a_plugin"));

    let wrong_abi = Plugin::load(C_SPHERE_ABI99).unwrap_err();
    match &wrong_abi {
        LoadError::AbiMismatch { found, expected, .. } => assert_eq!((*found, *expected), (99, 2)),
        other => panic!("expected an ABI mismatch, got {other}"),
    }
    assert!(wrong_abi.to_string().contains("libc_sphere_abi99"));
}

#[test]
fn loader_refuses_a_descriptor_with_reserved_bits_set() {
    let err = Plugin::load(C_SPHERE_RESERVED).unwrap_err();
    assert!(matches!(err, LoadError::ReservedNotZero { found: 0x5a, .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("libc_sphere_reserved") && message.contains("reserved field is 0x005a"),
        "{message}"
    );
}

#[test]
fn loader_refuses_a_descriptor_shorter_than_abi_2_0() {
    let err = Plugin::load(C_SPHERE_SHORT).unwrap_err();
    // The variant's struct_size ends where 2.0's last entry, `destroy`, begins.
    let expected = std::mem::offset_of!(oracle_api::abi::OracleDescriptor, destroy);
    match &err {
        LoadError::DescriptorTooSmall { found, minimum, .. } => {
            assert_eq!((*found, *minimum), (expected, oracle_api::abi::DESCRIPTOR_MIN_SIZE));
        }
        other => panic!("expected a too small descriptor, got {other:?}"),
    }
    assert!(err.to_string().contains("libc_sphere_short"), "{err}");
}

#[test]
fn a_plugin_of_a_later_minor_version_loads_and_works() {
    let plugin = Plugin::load(C_SPHERE_LATER_MINOR).unwrap();
    assert_eq!(plugin.abi_minor(), oracle_api::abi::ABI_MINOR + 1);
    let mut oracle = plugin.instantiate("dim = 2").unwrap();
    let mut out = [0.0; 2];
    oracle.evaluate(&[3.0, 4.0], &mut out).unwrap();
    assert_eq!(out, [25.0, 5.0]);
}

#[test]
fn header_constants_match_the_rust_abi() {
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/oracle-api/include/dlscan_oracle.h"),
    )
    .unwrap();
    let define = |name: &str| -> String {
        let line = header
            .lines()
            .find(|l| l.starts_with(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} missing"));
        line.split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches('u')
            .trim_matches('"')
            .to_string()
    };
    use oracle_api::abi;
    assert_eq!(define("DLSCAN_ORACLE_ABI_VERSION"), abi::ABI_VERSION.to_string());
    assert_eq!(define("DLSCAN_ORACLE_ABI_MINOR"), abi::ABI_MINOR.to_string());
    assert_eq!(define("DLSCAN_ORACLE_ENTRY_SYMBOL"), abi::ENTRY_SYMBOL);
    assert_eq!(define("DLSCAN_POINT_OK"), abi::POINT_OK.to_string());
    assert_eq!(define("DLSCAN_POINT_FAILED"), abi::POINT_FAILED.to_string());
    assert_eq!(define("DLSCAN_POINT_TIMEOUT"), abi::POINT_TIMEOUT.to_string());
    assert_eq!(define("DLSCAN_CALL_OK"), abi::CALL_OK.to_string());
    assert_eq!(define("DLSCAN_CALL_ERROR"), abi::CALL_ERROR.to_string());
}

#[test]
fn a_c_plugin_reads_several_keys_of_its_flat_configuration() {
    let plugin = Plugin::load(C_SPHERE).unwrap();
    assert!(plugin.wants_flat_config());
    // The host turns the TOML table into `key = value` lines the plugin reads with the
    // header's helpers: a number, an array, a string with escapes.
    let config = "dim = 3\ncentre = [1.0, 2.0, 3.0]\nfail_below = -5.0\nprefix = \"d\\\"q\"";
    let mut oracle = plugin.instantiate(config).unwrap();
    assert_eq!(oracle.shape().n_inputs, 3);
    assert_eq!(oracle.shape().output_names, ["d\"q2", "d\"q"]);
    let mut out = [0.0; 4];
    let mut results: Vec<PointResult> = vec![Ok(()); 2];
    oracle
        .evaluate_batch(&[1.0, 2.0, 5.0, -6.0, 0.0, 0.0], &mut out, &mut results)
        .unwrap();
    assert_eq!(&out[..2], &[4.0, 2.0]);
    assert!(results[0].is_ok());
    assert!(
        matches!(&results[1], Err(PointFailure::Failed(m)) if m == "first coordinate below -5"),
        "{:?}",
        results[1]
    );
    for (bad, says) in [
        ("dim = 2\ncolour = \"red\"", "unknown setting `colour = \"red\"`"),
        ("dim = 3\ncentre = [1.0, 2.0]", "centre must be a list of 3 numbers"),
        ("dim = 2.5", "dim must be a whole number"),
        ("prefix = 3", "prefix must be a string"),
        (
            &format!("prefix = \"{}\"", "x".repeat(64)),
            "prefix must be at most 63 bytes",
        ),
        ("dim = 2\ncentre = []", ""),
        ("dim = ", "configuration is not TOML"),
    ] {
        match plugin.instantiate(bad) {
            Ok(_) => assert!(says.is_empty(), "{bad} was accepted"),
            Err(e) => assert!(!says.is_empty() && e.to_string().contains(says), "{bad}: {e}"),
        }
    }
}

#[test]
fn a_2_0_plugin_gets_toml_and_an_unknown_configuration_format_is_refused() {
    let plugin = Plugin::load(C_SPHERE_MINOR_0).unwrap();
    assert_eq!(plugin.abi_minor(), 0);
    assert!(!plugin.wants_flat_config());
    // TOML as it is: the plugin's flat reader finds no `dim = ` line in an inline table.
    let mut oracle = plugin.instantiate("dim = 4").unwrap();
    assert_eq!(oracle.shape().n_inputs, 4);
    let err = plugin.instantiate("[nested]\ndim = 4").unwrap_err().to_string();
    assert!(err.contains("unknown setting `[nested]`"), "{err}");
    let mut out = [0.0; 2];
    oracle.evaluate(&[1.0, 1.0, 1.0, 1.0], &mut out).unwrap();
    assert_eq!(out, [4.0, 2.0]);
    match Plugin::load(C_SPHERE_FORMAT7) {
        Err(e @ LoadError::UnknownConfigFormat { found: 7, .. }) => {
            assert!(e.to_string().contains("libc_sphere_format7"), "{e}")
        }
        other => panic!("expected an unknown configuration format, got {other:?}"),
    }
}
