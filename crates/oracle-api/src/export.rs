//! The plugin side of the ABI: C entry points generated for a Rust [`Oracle`].
//!
//! Plugin authors use [`export_oracle!`](crate::export_oracle); this module holds the
//! generic `extern "C"` functions it points the descriptor at. Every one of them runs the
//! Rust code under `catch_unwind`, so a panic becomes an error status and never unwinds
//! into the host.

use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::abi::{self, OracleDescriptor, RawShape};
use crate::oracle::{FromConfig, Oracle, PointFailure, PointResult, install_quiet_panic_hook, panic_message};

/// State behind one C handle.
struct Handle<T> {
    oracle: T,
    /// The last call's files directory, as `files_dir` hands it out.
    files_dir: Option<CString>,
    /// Output names as C strings; `name_ptrs` points into them.
    _names: Vec<CString>,
    name_ptrs: Vec<*const c_char>,
    last_error: Option<CString>,
    point_errors: Vec<Option<CString>>,
    results: Vec<PointResult>,
}

/// Build the descriptor for oracle type `T`; used by [`export_oracle!`](crate::export_oracle).
///
/// `name` and `version` must point to static NUL-terminated strings.
#[doc(hidden)]
pub const fn descriptor<T: Oracle + FromConfig + 'static>(
    name: *const c_char,
    version: *const c_char,
) -> OracleDescriptor {
    OracleDescriptor {
        abi_version: abi::ABI_VERSION,
        abi_minor: abi::ABI_MINOR,
        reserved: 0,
        struct_size: std::mem::size_of::<OracleDescriptor>(),
        name,
        version,
        create: Some(create::<T>),
        describe: Some(describe::<T>),
        evaluate: Some(evaluate::<T>),
        point_error: Some(point_error::<T>),
        last_error: Some(last_error::<T>),
        destroy: Some(destroy::<T>),
        config_format: abi::CONFIG_TOML,
        files_dir: Some(files_dir::<T>),
    }
}

/// A C string from arbitrary text (interior NULs would truncate it, so they are replaced).
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
}

/// Copy `msg` into the caller's buffer, truncated to fit, NUL-terminated.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes.
unsafe fn write_message(buf: *mut c_char, len: usize, msg: &str) {
    if buf.is_null() || len == 0 {
        return;
    }
    let mut n = msg.len().min(len - 1);
    while !msg.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: the caller guarantees `len` writable bytes at `buf`; we write `n + 1 <= len`.
    unsafe {
        std::ptr::copy_nonoverlapping(msg.as_ptr().cast::<c_char>(), buf, n);
        *buf.add(n) = 0;
    }
}

unsafe extern "C" fn create<T: Oracle + FromConfig + 'static>(
    config: *const c_char,
    err: *mut c_char,
    err_len: usize,
) -> *mut c_void {
    install_quiet_panic_hook();
    let built = catch_unwind(|| {
        let text = if config.is_null() {
            ""
        } else {
            // SAFETY: the ABI requires `config` to be NULL or a NUL-terminated string.
            unsafe { CStr::from_ptr(config) }
                .to_str()
                .map_err(|e| format!("configuration text is not UTF-8: {e}"))?
        };
        let oracle = T::from_config(text)?;
        let names: Vec<CString> = oracle.shape().output_names.iter().map(|n| c_string(n)).collect();
        let name_ptrs = names.iter().map(|n| n.as_ptr()).collect();
        Ok::<_, String>(Box::new(Handle {
            oracle,
            files_dir: None,
            _names: names,
            name_ptrs,
            last_error: None,
            point_errors: Vec::new(),
            results: Vec::new(),
        }))
    });
    let message = match built {
        Ok(Ok(handle)) => return Box::into_raw(handle).cast(),
        Ok(Err(message)) => message,
        Err(payload) => panic_message(&*payload),
    };
    // SAFETY: the ABI requires `err` to be NULL or valid for `err_len` bytes.
    unsafe { write_message(err, err_len, &message) };
    std::ptr::null_mut()
}

/// # Safety
/// `handle` is NULL or a live handle made by `create::<T>`, used by one thread at a time.
unsafe fn handle_mut<'a, T>(handle: *mut c_void) -> Option<&'a mut Handle<T>> {
    // SAFETY: by the caller's contract the pointer came from `Box::into_raw` in `create::<T>`
    // and no other reference to it is live.
    unsafe { handle.cast::<Handle<T>>().as_mut() }
}

unsafe extern "C" fn describe<T: Oracle + FromConfig + 'static>(handle: *mut c_void, shape: *mut RawShape) -> i32 {
    // SAFETY: the host passes a handle from `create` (ABI contract).
    let Some(h) = (unsafe { handle_mut::<T>(handle) }) else {
        return abi::CALL_ERROR;
    };
    if shape.is_null() {
        h.last_error = Some(c_string("describe: shape pointer is NULL"));
        return abi::CALL_ERROR;
    }
    let raw = RawShape {
        n_inputs: h.oracle.shape().n_inputs,
        n_outputs: h.name_ptrs.len(),
        output_names: h.name_ptrs.as_ptr(),
    };
    // SAFETY: `shape` is non-NULL and points to a host-owned RawShape (ABI contract).
    unsafe { shape.write(raw) };
    abi::CALL_OK
}

unsafe extern "C" fn evaluate<T: Oracle + FromConfig + 'static>(
    handle: *mut c_void,
    n: usize,
    x: *const f64,
    outputs: *mut f64,
    status: *mut i32,
) -> i32 {
    // SAFETY: the host passes a handle from `create` (ABI contract).
    let Some(h) = (unsafe { handle_mut::<T>(handle) }) else {
        return abi::CALL_ERROR;
    };
    h.last_error = None;
    if n == 0 {
        return abi::CALL_OK;
    }
    if x.is_null() || outputs.is_null() || status.is_null() {
        h.last_error = Some(c_string("evaluate: NULL buffer"));
        return abi::CALL_ERROR;
    }
    let (ni, no) = (h.oracle.shape().n_inputs, h.name_ptrs.len());
    // SAFETY: the ABI requires `x` to hold n*n_inputs values, `outputs` room for
    // n*n_outputs and `status` room for n, all owned by the host for this call.
    let (xs, outs, codes) = unsafe {
        (
            std::slice::from_raw_parts(x, n * ni),
            std::slice::from_raw_parts_mut(outputs, n * no),
            std::slice::from_raw_parts_mut(status, n),
        )
    };
    h.results.clear();
    h.results.resize(n, Ok(()));
    let called = catch_unwind(AssertUnwindSafe(|| h.oracle.evaluate_batch(xs, outs, &mut h.results)));
    let failure = match called {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.0),
        Err(payload) => Some(panic_message(&*payload)),
    };
    if let Some(message) = failure {
        codes.fill(abi::POINT_FAILED);
        h.point_errors.clear();
        h.last_error = Some(c_string(&message));
        return abi::CALL_ERROR;
    }
    h.point_errors.clear();
    h.point_errors.extend(
        h.results
            .iter()
            .map(|r| r.as_ref().err().map(|f| c_string(f.message()))),
    );
    for (code, result) in codes.iter_mut().zip(&h.results) {
        *code = match result {
            Ok(()) => abi::POINT_OK,
            Err(PointFailure::Failed(_) | PointFailure::Crashed(_)) => abi::POINT_FAILED,
            Err(PointFailure::Timeout(_)) => abi::POINT_TIMEOUT,
        };
    }
    abi::CALL_OK
}

unsafe extern "C" fn point_error<T: Oracle + FromConfig + 'static>(handle: *mut c_void, index: usize) -> *const c_char {
    // SAFETY: the host passes a handle from `create` (ABI contract).
    match unsafe { handle_mut::<T>(handle) } {
        Some(h) => h
            .point_errors
            .get(index)
            .and_then(|e| e.as_ref())
            .map_or(std::ptr::null(), |e| e.as_ptr()),
        None => std::ptr::null(),
    }
}

unsafe extern "C" fn last_error<T: Oracle + FromConfig + 'static>(handle: *mut c_void) -> *const c_char {
    // SAFETY: the host passes a handle from `create` (ABI contract).
    match unsafe { handle_mut::<T>(handle) } {
        Some(h) => h.last_error.as_ref().map_or(std::ptr::null(), |e| e.as_ptr()),
        None => std::ptr::null(),
    }
}

unsafe extern "C" fn files_dir<T: Oracle + FromConfig + 'static>(handle: *mut c_void) -> *const c_char {
    // SAFETY: the host passes a handle from `create` (ABI contract).
    let Some(h) = (unsafe { handle_mut::<T>(handle) }) else {
        return std::ptr::null();
    };
    let dir = catch_unwind(AssertUnwindSafe(|| h.oracle.files_dir())).unwrap_or(None);
    h.files_dir = dir.map(|d| c_string(&d.to_string_lossy()));
    h.files_dir.as_ref().map_or(std::ptr::null(), |d| d.as_ptr())
}

unsafe extern "C" fn destroy<T: Oracle + FromConfig + 'static>(handle: *mut c_void) {
    if handle.is_null() {
        return;
    }
    // SAFETY: the handle came from `Box::into_raw` in `create::<T>` and the host destroys it
    // exactly once.
    let boxed = unsafe { Box::from_raw(handle.cast::<Handle<T>>()) };
    // A panicking Drop must not unwind into the host; the memory is lost in that case.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
}

/// Export a Rust oracle type as a dlscan plugin.
///
/// The type must implement [`Oracle`](crate::Oracle) and [`FromConfig`](crate::FromConfig);
/// the crate must be built as a `cdylib`. The plugin's name and version are the crate's
/// (`CARGO_PKG_NAME`, `CARGO_PKG_VERSION`) unless given.
///
/// ```text
/// oracle_api::export_oracle!(MyOracle);
/// oracle_api::export_oracle!(MyOracle, name = "my-oracle", version = "1.2.0");
/// ```
#[macro_export]
macro_rules! export_oracle {
    ($ty:ty) => {
        $crate::export_oracle!(
            $ty,
            name = env!("CARGO_PKG_NAME"),
            version = env!("CARGO_PKG_VERSION")
        );
    };
    ($ty:ty, name = $name:expr, version = $version:expr) => {
        /// The dlscan plugin entry point.
        #[unsafe(no_mangle)]
        pub extern "C" fn dlscan_oracle_entry() -> *const $crate::abi::OracleDescriptor {
            static DESCRIPTOR: $crate::abi::OracleDescriptor = $crate::export::descriptor::<$ty>(
                concat!($name, "\0").as_ptr().cast(),
                concat!($version, "\0").as_ptr().cast(),
            );
            &DESCRIPTOR
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Shape;

    struct Unit(Shape);

    impl FromConfig for Unit {
        fn from_config(_config: &str) -> Result<Self, String> {
            Ok(Unit(Shape::new(1, ["y"])))
        }
    }

    impl Oracle for Unit {
        fn shape(&self) -> &Shape {
            &self.0
        }
        fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
            out[0] = x[0];
            Ok(())
        }
    }

    crate::export_oracle!(Unit, name = "unit", version = "0.0.1");

    /// What the host checks first: a Rust plugin declares this crate's version and its
    /// own descriptor's size, with `reserved` zero.
    #[test]
    fn exported_descriptor_declares_this_abi() {
        // SAFETY: the entry returns a pointer to a static descriptor.
        let d = unsafe { &*dlscan_oracle_entry() };
        assert_eq!(
            (d.abi_version, d.abi_minor, d.reserved),
            (abi::ABI_VERSION, abi::ABI_MINOR, 0)
        );
        assert_eq!(d.struct_size, std::mem::size_of::<OracleDescriptor>());
        assert!(d.struct_size >= abi::DESCRIPTOR_MIN_SIZE);
        // SAFETY: `name` and `version` are the static NUL-terminated strings given above.
        let (name, version) = unsafe { (CStr::from_ptr(d.name), CStr::from_ptr(d.version)) };
        assert_eq!((name.to_str(), version.to_str()), (Ok("unit"), Ok("0.0.1")));
        assert!(d.create.is_some() && d.describe.is_some() && d.evaluate.is_some());
        assert!(d.point_error.is_some() && d.last_error.is_some() && d.destroy.is_some());
    }
}
