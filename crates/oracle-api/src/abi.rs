//! The raw C ABI shared with `include/dlscan_oracle.h`.
//!
//! A plugin exports one symbol, [`ENTRY_SYMBOL`], a function returning a pointer to a
//! static [`OracleDescriptor`]. The host reads only [`OracleDescriptor::abi_version`]
//! until it has accepted the version, then the rest of the header, and only then the
//! function pointers.
//!
//! # Versions and growth
//! The ABI has a major version ([`ABI_VERSION`]) and a minor version ([`ABI_MINOR`]).
//! Within one major version the descriptor only grows: a minor version may append
//! entries after the last field, never move, resize or remove one. The descriptor starts
//! with a header that every minor version of the major version shares (`abi_version`,
//! `abi_minor`, `reserved`, `struct_size`), and `struct_size` tells the host how much of
//! the descriptor the plugin provides. The host (see [`Plugin::load`](crate::Plugin::load))
//! applies these rules, all before it calls any function of the plugin:
//!
//! - `abi_version` other than [`ABI_VERSION`]: refused (the layout may differ anywhere).
//! - `reserved` not zero: refused. It stays zero throughout this major version (new
//!   fields go at the end), so a non-zero value means a descriptor from a different
//!   header.
//! - `struct_size` below [`DESCRIPTOR_MIN_SIZE`], the size of the 2.0 descriptor whose
//!   entries are all required: refused.
//! - `abi_minor` newer than the host's: accepted. The host reads only the fields it
//!   knows; what lies beyond them, up to `struct_size`, is ignored.
//! - `abi_minor` older than the host's: accepted. Entries that a later minor version
//!   appends are optional; the host treats one as absent unless `struct_size` covers it
//!   (`struct_size >= offset + size` of the entry).
//!
//! Layout on 64-bit targets (on 32-bit ones, pointers and `usize` take 4 bytes and the
//! offsets from `name` on shrink accordingly; there is no padding on either):
//!
//! | offset | field | type |
//! |---:|---|---|
//! | 0 | `abi_version` | `u32` |
//! | 4 | `abi_minor` | `u16` |
//! | 6 | `reserved` | `u16` |
//! | 8 | `struct_size` | `usize` (`size_t`) |
//! | 16 | `name` | `*const c_char` |
//! | 24 | `version` | `*const c_char` |
//! | 32 | `create` | function pointer |
//! | 40 | `describe` | function pointer |
//! | 48 | `evaluate` | function pointer |
//! | 56 | `point_error` | function pointer |
//! | 64 | `last_error` | function pointer |
//! | 72 | `destroy` | function pointer |
//! | 80 | `config_format` (since 2.1) | `u64` |
//! | 88 | `files_dir` (since 2.1, may be NULL) | function pointer |
//!
//! The workspace's build script compiles a C file that checks every size and offset of
//! the header's structs against these Rust definitions, so the two cannot drift apart.
//!
//! # Ownership
//! - The descriptor and its `name`/`version` strings are static: they live as long as the
//!   library stays loaded.
//! - A handle is created by `create` and released by `destroy`; the host never frees it.
//! - Buffers passed to `evaluate` belong to the host; the plugin only reads `x` and writes
//!   `outputs` and `status` during the call.
//! - Strings returned by `describe`, `point_error` and `last_error` belong to the plugin.
//!   Output names stay valid until `destroy`; error strings until the next call on the same
//!   handle.
//! - Neither side frees memory allocated by the other.
//!
//! # Threads
//! One handle is used by one thread at a time (the host creates one handle per worker
//! thread). Different handles may be used from different threads at the same time, so a
//! plugin's global state must be thread safe.

use std::ffi::{c_char, c_void};

/// Major version of this ABI. The host refuses a plugin reporting any other value.
pub const ABI_VERSION: u32 = 2;

/// Minor version of this ABI: how many times the descriptor of major version
/// [`ABI_VERSION`] has grown. Plugins of any minor version load (see the module docs).
pub const ABI_MINOR: u16 = 1;

/// Name of the symbol every plugin exports (`const dlscan_oracle_descriptor *dlscan_oracle_entry(void)`).
pub const ENTRY_SYMBOL: &str = "dlscan_oracle_entry";

/// Per-point status: outputs are valid.
pub const POINT_OK: i32 = 0;
/// Per-point status: the oracle could not evaluate this point (reason via `point_error`).
pub const POINT_FAILED: i32 = 1;
/// Per-point status: the oracle gave up on this point after its own time limit.
pub const POINT_TIMEOUT: i32 = 2;

/// `config_format`: `create` gets the `[oracle.config]` table as TOML text (the 2.0
/// behaviour, and what a descriptor without the field gets).
pub const CONFIG_TOML: u64 = 0;
/// `config_format`: `create` gets the table in the flat form of [`crate::flat_config`], one
/// `key = value` per line, for plugins without a TOML parser.
pub const CONFIG_FLAT: u64 = 1;

/// Call status: the call succeeded.
pub const CALL_OK: i32 = 0;
/// Call status: the call failed as a whole (reason via `last_error`).
pub const CALL_ERROR: i32 = 1;

/// The shape of an oracle instance, filled by `describe`.
#[repr(C)]
#[derive(Debug)]
pub struct RawShape {
    /// Number of inputs per point (the dimension of the parameter box).
    pub n_inputs: usize,
    /// Number of outputs per point.
    pub n_outputs: usize,
    /// `n_outputs` NUL-terminated UTF-8 names, owned by the handle, valid until `destroy`.
    pub output_names: *const *const c_char,
}

/// `create(config, err, err_len)`: build a handle from the UTF-8, NUL-terminated
/// configuration text (TOML for the Rust plugins; its meaning is the plugin's).
/// On failure returns NULL and writes a NUL-terminated message of at most `err_len` bytes
/// into `err`.
pub type CreateFn = unsafe extern "C" fn(config: *const c_char, err: *mut c_char, err_len: usize) -> *mut c_void;
/// `describe(handle, shape)`: fill `shape`; returns a call status.
pub type DescribeFn = unsafe extern "C" fn(handle: *mut c_void, shape: *mut RawShape) -> i32;
/// `evaluate(handle, n, x, outputs, status)`: evaluate `n` points. `x` holds `n * n_inputs`
/// values row-major, `outputs` has room for `n * n_outputs`, `status` for `n` per-point
/// statuses. Returns a call status; on `CALL_ERROR` every point counts as failed.
pub type EvaluateFn =
    unsafe extern "C" fn(handle: *mut c_void, n: usize, x: *const f64, outputs: *mut f64, status: *mut i32) -> i32;
/// `point_error(handle, i)`: reason for the failure of point `i` of the last `evaluate`
/// call, or NULL.
pub type PointErrorFn = unsafe extern "C" fn(handle: *mut c_void, index: usize) -> *const c_char;
/// `last_error(handle)`: message of the last failed call on this handle, or NULL.
pub type LastErrorFn = unsafe extern "C" fn(handle: *mut c_void) -> *const c_char;
/// `destroy(handle)`: release the handle.
pub type DestroyFn = unsafe extern "C" fn(handle: *mut c_void);
/// `files_dir(handle)` (since 2.1, optional): the directory holding the files the last
/// `evaluate` call left, NUL-terminated, valid until the next call on the handle; or NULL.
/// A host that keeps files of chosen points (`[[oracle.keep]]`) evaluates one point per
/// call and copies what it keeps before the next call.
pub type FilesDirFn = unsafe extern "C" fn(handle: *mut c_void) -> *const c_char;

/// The versioned table a plugin's entry symbol returns.
///
/// Function pointers are nullable at the ABI level (a C author can leave one out); the host
/// refuses a descriptor with any NULL entry of ABI 2.0.
#[repr(C)]
#[derive(Debug)]
pub struct OracleDescriptor {
    /// Must equal [`ABI_VERSION`]; read before anything else.
    pub abi_version: u32,
    /// The minor version the plugin was built against ([`ABI_MINOR`] of its headers).
    pub abi_minor: u16,
    /// Zero; the host refuses anything else.
    pub reserved: u16,
    /// `size_of` the descriptor as the plugin built it: at least [`DESCRIPTOR_MIN_SIZE`],
    /// larger when the plugin was built against a later minor version. All of its bytes
    /// must be readable.
    pub struct_size: usize,
    /// Plugin name, static NUL-terminated UTF-8.
    pub name: *const c_char,
    /// Plugin version, static NUL-terminated UTF-8.
    pub version: *const c_char,
    pub create: Option<CreateFn>,
    pub describe: Option<DescribeFn>,
    pub evaluate: Option<EvaluateFn>,
    pub point_error: Option<PointErrorFn>,
    pub last_error: Option<LastErrorFn>,
    pub destroy: Option<DestroyFn>,
    /// Since 2.1: the form in which `create` wants its configuration, [`CONFIG_TOML`] or
    /// [`CONFIG_FLAT`]; absent (a 2.0 descriptor) means TOML.
    pub config_format: u64,
    /// Since 2.1, optional: see [`FilesDirFn`].
    pub files_dir: Option<FilesDirFn>,
}

/// Size of the descriptor of ABI 2.0, which every plugin of this major version provides:
/// it ends with `destroy`, the last required entry. Fields appended by later minor
/// versions lie beyond it and are optional.
pub const DESCRIPTOR_MIN_SIZE: usize =
    std::mem::offset_of!(OracleDescriptor, destroy) + std::mem::size_of::<Option<DestroyFn>>();

// SAFETY: the descriptor is immutable static data (pointers to static strings and
// functions); sharing it between threads cannot race.
unsafe impl Sync for OracleDescriptor {}

/// Signature of the exported entry symbol.
pub type EntryFn = unsafe extern "C" fn() -> *const OracleDescriptor;

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;

    /// The table in the module docs, which plugin authors in other languages rely on.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn descriptor_layout_is_the_documented_one() {
        let offsets = [
            offset_of!(OracleDescriptor, abi_version),
            offset_of!(OracleDescriptor, abi_minor),
            offset_of!(OracleDescriptor, reserved),
            offset_of!(OracleDescriptor, struct_size),
            offset_of!(OracleDescriptor, name),
            offset_of!(OracleDescriptor, version),
            offset_of!(OracleDescriptor, create),
            offset_of!(OracleDescriptor, describe),
            offset_of!(OracleDescriptor, evaluate),
            offset_of!(OracleDescriptor, point_error),
            offset_of!(OracleDescriptor, last_error),
            offset_of!(OracleDescriptor, destroy),
        ];
        assert_eq!(offsets, [0, 4, 6, 8, 16, 24, 32, 40, 48, 56, 64, 72]);
        assert_eq!(offset_of!(OracleDescriptor, config_format), 80);
        assert_eq!(offset_of!(OracleDescriptor, files_dir), 88);
        assert_eq!(size_of::<OracleDescriptor>(), 96);
        assert_eq!(DESCRIPTOR_MIN_SIZE, 80);
        assert_eq!(
            [
                offset_of!(RawShape, n_inputs),
                offset_of!(RawShape, n_outputs),
                offset_of!(RawShape, output_names)
            ],
            [0, 8, 16]
        );
        assert_eq!(size_of::<RawShape>(), 24);
    }

    /// The header's fields keep their places in every minor version: the major version
    /// must change if the first field moves or the header stops fitting before `name`.
    #[test]
    fn header_precedes_the_entries_without_padding() {
        assert_eq!(offset_of!(OracleDescriptor, abi_version), 0);
        assert_eq!(
            offset_of!(OracleDescriptor, abi_minor),
            offset_of!(OracleDescriptor, abi_version) + size_of::<u32>()
        );
        assert_eq!(
            offset_of!(OracleDescriptor, reserved),
            offset_of!(OracleDescriptor, abi_minor) + size_of::<u16>()
        );
        assert_eq!(
            offset_of!(OracleDescriptor, struct_size),
            offset_of!(OracleDescriptor, reserved) + size_of::<u16>()
        );
        assert_eq!(
            offset_of!(OracleDescriptor, name),
            offset_of!(OracleDescriptor, struct_size) + size_of::<usize>()
        );
    }
}
