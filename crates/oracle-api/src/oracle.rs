//! The safe Rust side of the contract: what an oracle is, independent of where it runs.
//!
//! Both in-process oracles (a Rust type, a closure) and loaded plugins implement
//! [`Oracle`], so the scanner drives them the same way.

use std::fmt;

/// Input dimension and output names of an oracle instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Number of inputs per point.
    pub n_inputs: usize,
    /// Names of the outputs, in the order they are written.
    pub output_names: Vec<String>,
}

impl Shape {
    /// A shape with `n_inputs` inputs and the given output names.
    pub fn new<S: Into<String>>(n_inputs: usize, output_names: impl IntoIterator<Item = S>) -> Self {
        Shape {
            n_inputs,
            output_names: output_names.into_iter().map(Into::into).collect(),
        }
    }

    /// Number of outputs per point.
    pub fn n_outputs(&self) -> usize {
        self.output_names.len()
    }
}

/// Why one point has no valid outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointFailure {
    /// The oracle could not compute the point (bad physics, crashed program, panic…).
    Failed(String),
    /// The oracle, or the host on its behalf, gave up after a time limit.
    Timeout(String),
    /// The process computing the point died (a segfault, abort, exit or stack overflow in
    /// the oracle): reported by a host that runs oracles in worker processes.
    Crashed(String),
}

impl PointFailure {
    /// The human-readable reason.
    pub fn message(&self) -> &str {
        match self {
            PointFailure::Failed(m) | PointFailure::Timeout(m) | PointFailure::Crashed(m) => m,
        }
    }
}

impl fmt::Display for PointFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointFailure::Failed(m) => write!(f, "failed: {m}"),
            PointFailure::Timeout(m) => write!(f, "timeout: {m}"),
            PointFailure::Crashed(m) => write!(f, "crashed: {m}"),
        }
    }
}

/// Result of evaluating one point: `Ok(())` when the outputs slot holds valid values.
pub type PointResult = Result<(), PointFailure>;

/// An error affecting a whole call, not one point. The scanner then retries the call's points
/// one by one, so only the points that fail on their own are recorded as failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OracleError(pub String);

/// A function from a point of an n-dimensional box to named observables.
///
/// An instance is used by one thread at a time; the scanner creates one per worker.
pub trait Oracle: Send {
    /// Input dimension and output names.
    fn shape(&self) -> &Shape;

    /// Evaluate one point `x` (`n_inputs` values), writing `n_outputs` values to `out`.
    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult;

    /// Evaluate `results.len()` points stored row-major in `x`, writing row-major outputs.
    ///
    /// The default calls [`Oracle::evaluate`] point by point and turns a panic into a
    /// failure of that point, so one bad point never takes down its neighbours. Override
    /// it for oracles that are cheaper per batch (one external program run for many
    /// points, vectorised code).
    fn evaluate_batch(&mut self, x: &[f64], out: &mut [f64], results: &mut [PointResult]) -> Result<(), OracleError> {
        let shape = self.shape();
        let (ni, no) = (shape.n_inputs, shape.n_outputs());
        check_batch_lengths(ni, no, x.len(), out.len(), results.len())?;
        for (i, result) in results.iter_mut().enumerate() {
            let xi = &x[i * ni..(i + 1) * ni];
            let oi = &mut out[i * no..(i + 1) * no];
            *result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.evaluate(xi, oi)))
                .unwrap_or_else(|payload| Err(PointFailure::Failed(panic_message(&*payload))));
        }
        Ok(())
    }

    /// The directory holding the files the last call left (a spectrum, a log), for a host
    /// that keeps some of them; valid until the next call. `None`: nothing to keep.
    fn files_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}

impl<O: Oracle + ?Sized> Oracle for Box<O> {
    fn shape(&self) -> &Shape {
        (**self).shape()
    }
    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        (**self).evaluate(x, out)
    }
    fn files_dir(&self) -> Option<std::path::PathBuf> {
        (**self).files_dir()
    }
    fn evaluate_batch(&mut self, x: &[f64], out: &mut [f64], results: &mut [PointResult]) -> Result<(), OracleError> {
        (**self).evaluate_batch(x, out, results)
    }
}

/// An oracle built from a configuration text: what a plugin exports.
pub trait FromConfig: Sized {
    /// Build an instance from the plugin's configuration text (TOML for Rust plugins;
    /// an empty string means "defaults").
    fn from_config(config: &str) -> Result<Self, String>;
}

/// Check that buffer lengths agree with a batch of `n` points.
pub fn check_batch_lengths(
    n_inputs: usize,
    n_outputs: usize,
    x_len: usize,
    out_len: usize,
    n: usize,
) -> Result<(), OracleError> {
    if x_len != n * n_inputs || out_len != n * n_outputs {
        return Err(OracleError(format!(
            "batch of {n} points needs {} inputs and {} outputs, got {x_len} and {out_len}",
            n * n_inputs,
            n * n_outputs
        )));
    }
    Ok(())
}

thread_local! {
    /// Where the last panic on this thread happened, recorded by the quiet hook.
    static PANIC_LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Replace the panic hook by one that prints nothing and records the panic's location for
/// [`panic_message`].
///
/// Plugins install it on their first `create`: a panic inside a plugin is reported as the
/// failure of its points, message and location included, so printing it to stderr for
/// every point as well would only bury the scan's output. A cdylib links its own copy of
/// std, so this hook is the plugin's own and the host's hook is untouched.
pub fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|p| *p.borrow_mut() = location);
        }))
    });
}

/// Text of a panic payload, for error messages, with the panic's location when the quiet
/// hook recorded one.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic with a non-string payload".to_string()
    };
    match PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
        Some(location) => format!("{message} (at {location})"),
        None => message,
    }
}

/// An in-process oracle from a closure, for library users and tests.
///
/// ```
/// use oracle_api::{FnOracle, Oracle};
/// let mut sphere = FnOracle::new(2, ["r2"], |x: &[f64], out: &mut [f64]| {
///     out[0] = x.iter().map(|v| v * v).sum();
///     Ok(())
/// });
/// let mut out = [0.0];
/// sphere.evaluate(&[3.0, 4.0], &mut out).unwrap();
/// assert_eq!(out[0], 25.0);
/// ```
pub struct FnOracle<F> {
    shape: Shape,
    f: F,
}

impl<F> FnOracle<F>
where
    F: FnMut(&[f64], &mut [f64]) -> PointResult + Send,
{
    /// Wrap `f` as an oracle of `n_inputs` inputs and the named outputs.
    pub fn new<S: Into<String>>(n_inputs: usize, output_names: impl IntoIterator<Item = S>, f: F) -> Self {
        FnOracle {
            shape: Shape::new(n_inputs, output_names),
            f,
        }
    }
}

impl<F> fmt::Debug for FnOracle<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnOracle")
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

impl<F> Oracle for FnOracle<F>
where
    F: FnMut(&[f64], &mut [f64]) -> PointResult + Send,
{
    fn shape(&self) -> &Shape {
        &self.shape
    }
    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        (self.f)(x, out)
    }
}
