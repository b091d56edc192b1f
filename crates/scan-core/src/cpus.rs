//! One CPU budget for a scan. libtorch's intra-op threads, rayon's pool and the oracle
//! workers each default to every core; with other work on the machine, threads that
//! outnumber the free cores spin against each other and a scan slows down many times. A
//! scan therefore takes one budget of cores and sizes everything from it. Its phases take
//! turns (train, propose, then evaluate the batch), so training and proposing may each use
//! the whole budget, and the oracle workers may number at most that many.

/// The cores this process may use: its affinity mask and CPU quota (one if unknown).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Size this process's compute threads to `cpus`: rayon's global pool (neighbour searches,
/// candidate bookkeeping) and libtorch's intra-op threads (training, scoring). Call it
/// before either is first used; rayon's pool keeps the size it was first built with.
pub fn limit_threads(cpus: usize) {
    let cpus = cpus.max(1);
    // An error only says the global pool exists already (built by an earlier call or an
    // earlier use); it then keeps its size.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(cpus).build_global();
    #[cfg(feature = "mlp")]
    surrogate_mlp::toolkit::set_threads(Some(cpus));
}

/// libtorch's intra-op threads on the calling thread (1 without the networks).
pub(crate) fn compute_threads() -> usize {
    #[cfg(feature = "mlp")]
    return surrogate_mlp::toolkit::threads();
    #[cfg(not(feature = "mlp"))]
    1
}

/// Give the calling thread `n` libtorch intra-op threads: a thread started to train or
/// propose does not inherit its starter's count.
pub(crate) fn set_compute_threads(n: usize) {
    #[cfg(feature = "mlp")]
    surrogate_mlp::toolkit::set_threads(Some(n.max(1)));
    #[cfg(not(feature = "mlp"))]
    let _ = n;
}
