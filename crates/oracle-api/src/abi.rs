//! The raw C ABI shared with `include/dlscan_oracle.h`.
//!
//! A plugin exports one symbol, [`ENTRY_SYMBOL`], a function returning a pointer to a
//! static [`OracleDescriptor`]. The host reads only [`OracleDescriptor::abi_version`]
//! until it has accepted the version, then uses the function pointers.
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

/// Version of this ABI. The host refuses a plugin reporting any other value.
pub const ABI_VERSION: u32 = 1;

/// Name of the symbol every plugin exports (`const dlscan_oracle_descriptor *dlscan_oracle_entry(void)`).
pub const ENTRY_SYMBOL: &str = "dlscan_oracle_entry";

/// Per-point status: outputs are valid.
pub const POINT_OK: i32 = 0;
/// Per-point status: the oracle could not evaluate this point (reason via `point_error`).
pub const POINT_FAILED: i32 = 1;
/// Per-point status: the oracle gave up on this point after its own time limit.
pub const POINT_TIMEOUT: i32 = 2;

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

/// The versioned table a plugin's entry symbol returns.
///
/// Function pointers are nullable at the ABI level (a C author can leave one out); the host
/// refuses a descriptor with any NULL entry.
#[repr(C)]
#[derive(Debug)]
pub struct OracleDescriptor {
    /// Must equal [`ABI_VERSION`]; read before anything else.
    pub abi_version: u32,
    /// Reserved, zero.
    pub reserved: u32,
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
}

// SAFETY: the descriptor is immutable static data (pointers to static strings and
// functions); sharing it between threads cannot race.
unsafe impl Sync for OracleDescriptor {}

/// Signature of the exported entry symbol.
pub type EntryFn = unsafe extern "C" fn() -> *const OracleDescriptor;
