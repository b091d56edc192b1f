//! The host side: load a plugin library and drive its oracles through the C ABI.

use std::ffi::{CStr, c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libloading::Library;

use crate::abi::{self, OracleDescriptor, RawShape};
use crate::oracle::{Oracle, OracleError, PointFailure, PointResult, Shape, check_batch_lengths};

/// Why a library could not be used as a plugin. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugin {path}: no such file")]
    NotFound { path: PathBuf },
    #[error("plugin {path}: cannot be loaded as a shared library: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("plugin {path}: not a dlscan plugin (no `{symbol}` symbol)", symbol = abi::ENTRY_SYMBOL)]
    NoEntry { path: PathBuf },
    #[error("plugin {path}: its entry returned NULL")]
    NullDescriptor { path: PathBuf },
    #[error(
        "plugin {path}: built for oracle ABI version {found}, this dlscan speaks version {expected}; rebuild the plugin"
    )]
    AbiMismatch { path: PathBuf, found: u32, expected: u32 },
    #[error(
        "plugin {path}: its descriptor's reserved field is {found:#06x}, not zero; it was not built against dlscan_oracle.h of ABI {major}",
        major = abi::ABI_VERSION
    )]
    ReservedNotZero { path: PathBuf, found: u16 },
    #[error(
        "plugin {path}: its descriptor declares struct_size {found} bytes, ABI {major} needs at least {minimum}; rebuild the plugin",
        major = abi::ABI_VERSION
    )]
    DescriptorTooSmall {
        path: PathBuf,
        found: usize,
        minimum: usize,
    },
    #[error(
        "plugin {path}: its descriptor asks for configuration format {found}, this dlscan knows 0 (TOML) and 1 (flat); rebuild the plugin or update dlscan"
    )]
    UnknownConfigFormat { path: PathBuf, found: u64 },
    #[error("plugin {path}: descriptor lacks the `{missing}` function")]
    Incomplete { path: PathBuf, missing: &'static str },
    #[error("plugin {path}: {what} is not valid UTF-8")]
    BadString { path: PathBuf, what: &'static str },
    #[error("no plugin named `{name}` (looked for {file} in {dirs})")]
    NotInSearchPath { name: String, file: String, dirs: String },
}

// `Plugin::load` reads the descriptor field by field: a plugin built against ABI 2.0
// provides only `DESCRIPTOR_MIN_SIZE` bytes, less than this host's descriptor, so fields
// appended by later minor versions are read only when the plugin's `struct_size` covers
// them, and never through a reference to the whole struct.
const _: () = assert!(std::mem::offset_of!(OracleDescriptor, config_format) == abi::DESCRIPTOR_MIN_SIZE);

#[derive(Clone, Copy)]
struct Functions {
    /// Optional (2.1): absent when the plugin's descriptor does not reach it or is NULL.
    files_dir: Option<abi::FilesDirFn>,
    create: abi::CreateFn,
    describe: abi::DescribeFn,
    evaluate: abi::EvaluateFn,
    point_error: abi::PointErrorFn,
    last_error: abi::LastErrorFn,
    destroy: abi::DestroyFn,
}

/// Opens the shared library at `path`.
fn open_library(path: &Path) -> Result<Library, LoadError> {
    // SAFETY: loading a library runs its initialisers; we only load files the user named
    // as plugins, which is the trust model of any plugin host.
    unsafe { Library::new(path) }.map_err(|e| LoadError::Open {
        path: path.to_path_buf(),
        reason: match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    })
}

/// Calls the library's entry and checks the descriptor's header (ABI version, reserved
/// field, size), reading it field by field, before anything else of it is trusted.
/// Returns the descriptor and the plugin's minor ABI version.
fn checked_descriptor(library: &Library, path: &Path) -> Result<(*const OracleDescriptor, u16, usize), LoadError> {
    // SAFETY: the symbol's type is the documented entry signature; a library exporting the
    // name with another type breaks the plugin contract, which we cannot detect.
    let entry: abi::EntryFn = unsafe { library.get::<abi::EntryFn>(abi::ENTRY_SYMBOL.as_bytes()) }
        .map(|symbol| *symbol)
        .map_err(|_| LoadError::NoEntry {
            path: path.to_path_buf(),
        })?;
    // SAFETY: calling the entry function takes no arguments and returns a static pointer.
    let descriptor: *const OracleDescriptor = unsafe { entry() };
    if descriptor.is_null() {
        return Err(LoadError::NullDescriptor {
            path: path.to_path_buf(),
        });
    }
    // SAFETY: the descriptor is non-NULL; its first field is the version in every ABI
    // version, so reading only that field is valid before the version is accepted.
    let found = unsafe { (&raw const (*descriptor).abi_version).read() };
    if found != abi::ABI_VERSION {
        return Err(LoadError::AbiMismatch {
            path: path.to_path_buf(),
            found,
            expected: abi::ABI_VERSION,
        });
    }
    // SAFETY: the major version matches, and every minor version of it starts with
    // this header; the fields are read one by one, nothing beyond them yet.
    let (abi_minor, reserved, struct_size) = unsafe {
        (
            (&raw const (*descriptor).abi_minor).read(),
            (&raw const (*descriptor).reserved).read(),
            (&raw const (*descriptor).struct_size).read(),
        )
    };
    if reserved != 0 {
        return Err(LoadError::ReservedNotZero {
            path: path.to_path_buf(),
            found: reserved,
        });
    }
    if struct_size < abi::DESCRIPTOR_MIN_SIZE {
        return Err(LoadError::DescriptorTooSmall {
            path: path.to_path_buf(),
            found: struct_size,
            minimum: abi::DESCRIPTOR_MIN_SIZE,
        });
    }
    Ok((descriptor, abi_minor, struct_size))
}

/// The 2.1 entry `files_dir` of an accepted descriptor, if its `struct_size` covers it.
fn optional_files_dir(descriptor: *const OracleDescriptor, struct_size: usize) -> Option<abi::FilesDirFn> {
    let end = std::mem::offset_of!(OracleDescriptor, files_dir) + std::mem::size_of::<Option<abi::FilesDirFn>>();
    if struct_size < end {
        return None;
    }
    // SAFETY: the plugin provides `struct_size` readable bytes of its descriptor, and they
    // cover this field.
    unsafe { (&raw const (*descriptor).files_dir).read() }
}

/// The configuration format an accepted descriptor asks for: TOML unless its
/// `struct_size` covers the 2.1 field `config_format`.
fn config_format(descriptor: *const OracleDescriptor, struct_size: usize, path: &Path) -> Result<u64, LoadError> {
    let end = std::mem::offset_of!(OracleDescriptor, config_format) + std::mem::size_of::<u64>();
    if struct_size < end {
        return Ok(abi::CONFIG_TOML);
    }
    // SAFETY: the plugin provides `struct_size` readable bytes of its descriptor, and they
    // cover this field.
    let found = unsafe { (&raw const (*descriptor).config_format).read() };
    match found {
        abi::CONFIG_TOML | abi::CONFIG_FLAT => Ok(found),
        _ => Err(LoadError::UnknownConfigFormat {
            path: path.to_path_buf(),
            found,
        }),
    }
}

impl Functions {
    /// The function table of a descriptor `checked_descriptor` accepted; a plugin must
    /// provide every entry of ABI 2.0.
    fn from_descriptor(d: *const OracleDescriptor, path: &Path) -> Result<Functions, LoadError> {
        let missing = |what| LoadError::Incomplete {
            path: path.to_path_buf(),
            missing: what,
        };
        // SAFETY: an accepted descriptor provides every field of ABI 2.0, these among them;
        // each is read on its own, nothing beyond the 2.0 fields.
        let (create, describe, evaluate, point_error, last_error, destroy) = unsafe {
            (
                (&raw const (*d).create).read(),
                (&raw const (*d).describe).read(),
                (&raw const (*d).evaluate).read(),
                (&raw const (*d).point_error).read(),
                (&raw const (*d).last_error).read(),
                (&raw const (*d).destroy).read(),
            )
        };
        Ok(Functions {
            files_dir: None,
            create: create.ok_or_else(|| missing("create"))?,
            describe: describe.ok_or_else(|| missing("describe"))?,
            evaluate: evaluate.ok_or_else(|| missing("evaluate"))?,
            point_error: point_error.ok_or_else(|| missing("point_error"))?,
            last_error: last_error.ok_or_else(|| missing("last_error"))?,
            destroy: destroy.ok_or_else(|| missing("destroy"))?,
        })
    }
}

/// A loaded, version-checked plugin library. Cheap to clone; the library stays loaded while
/// any clone or oracle made from it lives.
#[derive(Clone)]
pub struct Plugin {
    library: Arc<Library>,
    functions: Functions,
    path: PathBuf,
    name: String,
    version: String,
    abi_minor: u16,
    config_format: u64,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("abi_minor", &self.abi_minor)
            .field("config_format", &self.config_format)
            .finish_non_exhaustive()
    }
}

/// File name of the plugin called `name` on this platform (`libdlscan_<name>.so` on Linux).
pub fn plugin_file_name(name: &str) -> String {
    format!(
        "{}dlscan_{}{}",
        std::env::consts::DLL_PREFIX,
        name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// Find a plugin: `spec` is either a path to a library (it contains a path separator or
/// ends with the platform's library suffix) or a short name such as `toy`, looked up as
/// [`plugin_file_name`] in each of `dirs` in order.
pub fn locate_plugin(spec: &str, dirs: &[PathBuf]) -> Result<PathBuf, LoadError> {
    if spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || spec.ends_with(std::env::consts::DLL_SUFFIX) {
        return Ok(PathBuf::from(spec));
    }
    let file = plugin_file_name(spec);
    dirs.iter()
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
        .ok_or_else(|| LoadError::NotInSearchPath {
            name: spec.to_string(),
            dirs: dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            file,
        })
}

impl Plugin {
    /// Load the library at `path`, check its ABI version, its descriptor's header and its
    /// function table (the rules are in [`abi`]'s documentation), then read its name and
    /// version. No function of the plugin but its entry runs before all checks pass.
    pub fn load(path: impl AsRef<Path>) -> Result<Plugin, LoadError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(LoadError::NotFound { path });
        }
        let library = open_library(&path)?;
        let (descriptor, abi_minor, struct_size) = checked_descriptor(&library, &path)?;
        let mut functions = Functions::from_descriptor(descriptor, &path)?;
        let config_format = config_format(descriptor, struct_size, &path)?;
        functions.files_dir = optional_files_dir(descriptor, struct_size);
        let read = |ptr: *const c_char, what: &'static str| -> Result<String, LoadError> {
            if ptr.is_null() {
                return Ok(String::new());
            }
            // SAFETY: the ABI requires static NUL-terminated strings in the descriptor.
            unsafe { CStr::from_ptr(ptr) }
                .to_str()
                .map(str::to_owned)
                .map_err(|_| LoadError::BadString {
                    path: path.clone(),
                    what,
                })
        };
        // SAFETY: `checked_descriptor` accepted the descriptor: it provides at least the 2.0
        // fields, which include these two.
        let (name, version) = unsafe {
            (
                (&raw const (*descriptor).name).read(),
                (&raw const (*descriptor).version).read(),
            )
        };
        let name = read(name, "name")?;
        let version = read(version, "version")?;
        Ok(Plugin {
            library: Arc::new(library),
            functions,
            path,
            name,
            version,
            abi_minor,
            config_format,
        })
    }

    /// Path the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The plugin's own name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin's own version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The minor ABI version the plugin was built against (its major version is
    /// [`abi::ABI_VERSION`]); it may be newer than this host's [`abi::ABI_MINOR`].
    pub fn abi_minor(&self) -> u16 {
        self.abi_minor
    }

    /// Whether `create` takes its configuration flat ([`abi::CONFIG_FLAT`]) rather than as
    /// TOML.
    pub fn wants_flat_config(&self) -> bool {
        self.config_format == abi::CONFIG_FLAT
    }

    /// Create an oracle instance from the plugin's configuration: TOML text (the
    /// `[oracle.config]` table), handed over as it is or, to a plugin that asks for it,
    /// in the flat form of [`crate::flat_config`].
    pub fn instantiate(&self, config: &str) -> Result<PluginOracle, OracleError> {
        let flat;
        let config = if self.wants_flat_config() {
            flat = crate::flat_config::flatten(config).map_err(|e| {
                OracleError(format!(
                    "plugin {}: configuration is not TOML: {e}",
                    self.path.display()
                ))
            })?;
            flat.as_str()
        } else {
            config
        };
        let config_c =
            std::ffi::CString::new(config).map_err(|_| OracleError("configuration text contains a NUL byte".into()))?;
        let mut err = vec![0 as c_char; 4096];
        // SAFETY: `config_c` is NUL-terminated and `err` is writable for its length.
        let handle = unsafe { (self.functions.create)(config_c.as_ptr(), err.as_mut_ptr(), err.len()) };
        if handle.is_null() {
            // SAFETY: `create` wrote a NUL-terminated message into `err` (zeroed beforehand, so
            // a plugin that wrote nothing still leaves a valid empty string).
            let message = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned();
            let message = if message.is_empty() {
                "create failed without a message".into()
            } else {
                message
            };
            return Err(OracleError(format!("plugin {}: {message}", self.path.display())));
        }
        let mut oracle = PluginOracle {
            _library: Arc::clone(&self.library),
            functions: self.functions,
            handle,
            shape: Shape::new(0, Vec::<String>::new()),
            status: Vec::new(),
        };
        oracle.shape = oracle
            .describe()
            .map_err(|e| OracleError(format!("plugin {}: {e}", self.path.display())))?;
        Ok(oracle)
    }
}

/// One oracle instance living in a plugin. Used by one thread at a time (it is `Send`,
/// not `Sync`), as the ABI requires.
pub struct PluginOracle {
    // Field order matters: the handle is destroyed in `Drop` before the library unloads.
    _library: Arc<Library>,
    functions: Functions,
    handle: *mut c_void,
    shape: Shape,
    status: Vec<i32>,
}

impl std::fmt::Debug for PluginOracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginOracle")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

// SAFETY: the ABI allows a handle to be used from any thread as long as one thread uses it at
// a time; `&mut self` on every call enforces that, and `PluginOracle` is not `Sync`.
unsafe impl Send for PluginOracle {}

impl PluginOracle {
    fn last_error(&self) -> String {
        // SAFETY: the handle is live; the returned string is valid until the next call.
        let ptr = unsafe { (self.functions.last_error)(self.handle) };
        if ptr.is_null() {
            "unspecified error".into()
        } else {
            // SAFETY: non-NULL error strings are NUL-terminated (ABI contract).
            unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
        }
    }

    fn describe(&mut self) -> Result<Shape, OracleError> {
        let mut raw = RawShape {
            n_inputs: 0,
            n_outputs: 0,
            output_names: std::ptr::null(),
        };
        // SAFETY: the handle is live and `raw` is a valid place to write.
        if unsafe { (self.functions.describe)(self.handle, &mut raw) } != abi::CALL_OK {
            return Err(OracleError(format!("describe failed: {}", self.last_error())));
        }
        if raw.n_outputs > 0 && raw.output_names.is_null() {
            return Err(OracleError("describe returned no output names".into()));
        }
        let mut names = Vec::with_capacity(raw.n_outputs);
        for i in 0..raw.n_outputs {
            // SAFETY: `output_names` holds `n_outputs` pointers, valid until destroy.
            let ptr = unsafe { *raw.output_names.add(i) };
            if ptr.is_null() {
                return Err(OracleError(format!("describe returned a NULL name for output {i}")));
            }
            // SAFETY: each name is NUL-terminated (ABI contract).
            names.push(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned());
        }
        Ok(Shape::new(raw.n_inputs, names))
    }

    fn point_error(&self, index: usize) -> Option<String> {
        // SAFETY: the handle is live; the string is valid until the next call.
        let ptr = unsafe { (self.functions.point_error)(self.handle, index) };
        // SAFETY: non-NULL error strings are NUL-terminated (ABI contract).
        (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
    }
}

impl Oracle for PluginOracle {
    fn shape(&self) -> &Shape {
        &self.shape
    }

    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        let mut result = [Ok(())];
        match self.evaluate_batch(x, out, &mut result) {
            Ok(()) => result[0].clone(),
            Err(e) => Err(PointFailure::Failed(e.0)),
        }
    }

    fn files_dir(&self) -> Option<std::path::PathBuf> {
        self.files_dir_of_last_call()
    }

    fn evaluate_batch(&mut self, x: &[f64], out: &mut [f64], results: &mut [PointResult]) -> Result<(), OracleError> {
        let n = results.len();
        check_batch_lengths(self.shape.n_inputs, self.shape.n_outputs(), x.len(), out.len(), n)?;
        self.status.clear();
        self.status.resize(n, abi::POINT_FAILED);
        // SAFETY: the buffers have the sizes the ABI requires for n points (checked above)
        // and stay borrowed for the duration of the call.
        let code = unsafe {
            (self.functions.evaluate)(self.handle, n, x.as_ptr(), out.as_mut_ptr(), self.status.as_mut_ptr())
        };
        if code != abi::CALL_OK {
            return Err(OracleError(self.last_error()));
        }
        for (i, (result, &status)) in results.iter_mut().zip(&self.status).enumerate() {
            *result = match status {
                abi::POINT_OK => Ok(()),
                abi::POINT_FAILED => Err(PointFailure::Failed(
                    self.point_error(i)
                        .unwrap_or_else(|| "oracle reported a failure".into()),
                )),
                abi::POINT_TIMEOUT => Err(PointFailure::Timeout(
                    self.point_error(i).unwrap_or_else(|| "oracle timed out".into()),
                )),
                other => Err(PointFailure::Failed(format!(
                    "oracle returned unknown status code {other}"
                ))),
            };
        }
        Ok(())
    }
}

impl PluginOracle {
    fn files_dir_of_last_call(&self) -> Option<std::path::PathBuf> {
        let f = self.functions.files_dir?;
        // SAFETY: the handle is live; the string is valid until the next call.
        let ptr = unsafe { f(self.handle) };
        // SAFETY: a non-NULL directory is NUL-terminated (ABI contract).
        (!ptr.is_null()).then(|| PathBuf::from(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()))
    }
}

impl Drop for PluginOracle {
    fn drop(&mut self) {
        // SAFETY: the handle came from `create` and is destroyed exactly once, before the
        // library reference in `_library` is released.
        unsafe { (self.functions.destroy)(self.handle) };
    }
}
