//! Parallel evaluation of batches of points on worker threads, one oracle instance each.
//!
//! A batch is cut into chunks handed to idle workers as they free up (expensive points on
//! one worker do not hold back the others). Results land at their point's index, so the
//! outcome never depends on thread timing. A worker whose call outlives its deadline is
//! abandoned (its points are recorded as timed out) and replaced by a fresh instance, which
//! works for any oracle, including plugins that cannot be interrupted.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oracle_api::{Oracle, OracleError, Plugin, PointFailure, PointResult, Shape, panic_message};
use serde::{Deserialize, Serialize};

use crate::error::ScanError;

/// Makes one oracle instance per worker thread.
pub trait OracleFactory: Send + Sync {
    /// A fresh, independent oracle instance.
    fn create(&self) -> Result<Box<dyn Oracle>, OracleError>;
}

impl<F> OracleFactory for F
where
    F: Fn() -> Result<Box<dyn Oracle>, OracleError> + Send + Sync,
{
    fn create(&self) -> Result<Box<dyn Oracle>, OracleError> {
        self()
    }
}

/// Instances of a loaded plugin, all built from the same configuration text.
#[derive(Debug, Clone)]
pub struct PluginFactory {
    pub plugin: Plugin,
    pub config: String,
}

impl OracleFactory for PluginFactory {
    fn create(&self) -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(self.plugin.instantiate(&self.config)?))
    }
}

/// Instances of a plugin, each in a worker process of its own
/// ([`oracle_api::isolation`]): a crash in the plugin costs the point that caused it, and a
/// point over the time limit has its worker killed.
#[derive(Debug, Clone)]
pub struct IsolatedPluginFactory {
    /// How to start a worker that serves the plugin.
    pub worker: oracle_api::isolation::WorkerCommand,
    pub config: String,
    /// Time limit per point, enforced by killing the worker.
    pub timeout: Option<Duration>,
}

impl OracleFactory for IsolatedPluginFactory {
    fn create(&self) -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(oracle_api::isolation::ProcessOracle::start(
            self.worker.clone(),
            &self.config,
            self.timeout,
        )?))
    }
}

/// What happened to one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Valid outputs.
    Ok,
    /// The oracle reported a failure (or panicked).
    Failed,
    /// The oracle answered, but with a NaN or infinite output.
    Nan,
    /// No answer within the time limit.
    Timeout,
    /// The worker process computing it died (isolation = "process").
    Crashed,
}

impl Status {
    /// The lowercase name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Nan => "nan",
            Status::Timeout => "timeout",
            Status::Crashed => "crashed",
        }
    }

    /// Parse the lowercase name.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Ok,
            Status::Failed,
            Status::Nan,
            Status::Timeout,
            Status::Crashed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The outcome of one point: status and, unless ok, the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub message: Option<String>,
}

impl Outcome {
    fn ok() -> Self {
        Outcome {
            status: Status::Ok,
            message: None,
        }
    }
}

/// How the evaluator runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatorOptions {
    /// Worker threads, each with its own oracle instance.
    pub workers: usize,
    /// Points per oracle call; `None` picks 1 when a timeout is set (so one slow point
    /// does not condemn its neighbours), else about an eighth of a worker's share.
    pub chunk_size: Option<usize>,
    /// Time limit per point; a call of c points may take c times this.
    pub timeout: Option<Duration>,
    /// Files to collect from the oracle's files directory after each point (see
    /// [`EvaluatePoints::staged_files`]); when any, every call holds one point.
    pub keep_files: Vec<String>,
}

impl Default for EvaluatorOptions {
    fn default() -> Self {
        EvaluatorOptions {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: None,
            timeout: None,
            keep_files: Vec::new(),
        }
    }
}

impl EvaluatorOptions {
    /// Check that there is a worker, chunks hold points and a time limit is positive.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.workers == 0 {
            return Err(ScanError::setting("workers", "must be at least 1"));
        }
        if self.chunk_size == Some(0) {
            return Err(ScanError::setting("chunk_size", "must be at least 1"));
        }
        if let Some(t) = self.timeout
            && t.is_zero()
        {
            return Err(ScanError::setting("timeout_s", "must be positive"));
        }
        if let Some(t) = self.timeout
            && t > MAX_TIMEOUT
        {
            return Err(ScanError::setting(
                "timeout_s",
                format!(
                    "{} s is longer than the longest limit, {} s (a year); leave it unset for none",
                    t.as_secs_f64(),
                    MAX_TIMEOUT.as_secs()
                ),
            ));
        }
        Ok(())
    }
}

/// The longest per-point time limit accepted: a year.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Rows `0..n` cut into consecutive chunks of `size` (the last one shorter).
pub fn chunk_ranges(n: usize, size: usize) -> Vec<Range<usize>> {
    (0..n).step_by(size.max(1)).map(|s| s..(s + size).min(n)).collect()
}

/// The time limit of a call with `points` points, `timeout` each (saturating).
fn chunk_limit(timeout: Duration, points: usize) -> Duration {
    timeout.saturating_mul(u32::try_from(points).unwrap_or(u32::MAX))
}

struct Job {
    chunk: usize,
    x: Vec<f64>,
    n: usize,
    /// Where to copy the named files the call leaves (one-point calls only).
    collect: Option<(PathBuf, Arc<[String]>)>,
}

/// Copy the files named in `names` from the oracle's files directory into `dest`; a file
/// the point did not produce is skipped, and a copy that fails only costs the file.
fn collect_files(oracle: &dyn Oracle, dest: &Path, names: &[String]) {
    let Some(src) = oracle.files_dir() else { return };
    for name in names {
        let from = src.join(name);
        if from.is_file() && std::fs::create_dir_all(dest).is_ok() {
            let _ = std::fs::copy(&from, dest.join(name));
        }
    }
}

struct Done {
    worker: usize,
    chunk: usize,
    outputs: Vec<f64>,
    results: Vec<PointResult>,
}

struct Worker {
    id: usize,
    jobs: Sender<Job>,
    thread: JoinHandle<()>,
}

/// The result of one batch: outputs row-major (NaN where unavailable), one outcome per point,
/// `None` for points never evaluated because the run was stopped.
#[derive(Debug, Clone)]
pub struct BatchResult {
    pub outputs: Vec<f64>,
    pub outcomes: Vec<Option<Outcome>>,
    /// Wall time spent on the batch.
    pub seconds: f64,
}

/// Receives each chunk of a batch as it completes: its rows, their outputs and outcomes.
pub type ChunkSink<'a> = dyn FnMut(Range<usize>, &[f64], &[Outcome]) -> Result<(), ScanError> + 'a;

/// Where a scan's batches are evaluated: worker threads of this process ([`Evaluator`]),
/// or any other pool, such as the ranks of an MPI job. Whatever the pool, each point's
/// outcome is decided as [`Evaluator`] decides it, and results land at their point's index.
pub trait EvaluatePoints {
    /// The oracle's shape (the same for every instance in the pool).
    fn shape(&self) -> &Shape;
    /// Oracle instances evaluating at once, in all.
    fn workers(&self) -> usize;
    /// Of those, the ones running on this process's cores (what is left of the CPU budget
    /// for training while a batch is evaluated).
    fn local_workers(&self) -> usize {
        self.workers()
    }
    /// Workers abandoned so far because a call outlived its deadline.
    fn abandoned_workers(&self) -> usize {
        0
    }
    /// Where the files kept of the current batch's points are staged: point `i`'s (of
    /// this `evaluate` call) in `<dir>/<i>/`, there once its chunk has completed and until
    /// the next call. `None` when this pool keeps no files.
    fn staged_files(&self) -> Option<PathBuf> {
        None
    }
    /// Evaluate `x` (row-major, `n_inputs` columns), calling `on_chunk(range, outputs,
    /// outcomes)` as each chunk of rows completes; once `stop` is true no new chunk starts
    /// and the points never started get no outcome.
    fn evaluate(
        &mut self,
        x: &[f64],
        stop: &AtomicBool,
        on_chunk: &mut ChunkSink<'_>,
    ) -> Result<BatchResult, ScanError>;
}

impl EvaluatePoints for Evaluator {
    fn shape(&self) -> &Shape {
        Evaluator::shape(self)
    }

    fn workers(&self) -> usize {
        Evaluator::workers(self)
    }

    fn abandoned_workers(&self) -> usize {
        Evaluator::abandoned_workers(self)
    }

    fn staged_files(&self) -> Option<PathBuf> {
        self.staging.as_ref().map(|d| d.path().to_path_buf())
    }

    fn evaluate(
        &mut self,
        x: &[f64],
        stop: &AtomicBool,
        on_chunk: &mut ChunkSink<'_>,
    ) -> Result<BatchResult, ScanError> {
        Evaluator::evaluate(self, x, stop, on_chunk)
    }
}

/// A pool of workers evaluating batches.
pub struct Evaluator {
    factory: Arc<dyn OracleFactory>,
    shape: Shape,
    options: EvaluatorOptions,
    workers: Vec<Worker>,
    done_tx: Sender<Done>,
    done_rx: Receiver<Done>,
    next_worker_id: usize,
    abandoned: usize,
    /// Threads of abandoned workers, until their stuck call returns.
    stuck: Vec<JoinHandle<()>>,
    /// Where the kept files of the current batch are staged (with `keep_files`).
    staging: Option<tempfile::TempDir>,
}

/// Abandoned worker threads still stuck in a call, per worker, beyond which the evaluator
/// gives up: a thread cannot be stopped, and each may be spinning on a core.
pub const MAX_STUCK_PER_WORKER: usize = 4;

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("shape", &self.shape)
            .field("options", &self.options)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

/// One call of the oracle on `n` points, a panic caught: the outputs, the per-point results,
/// and the message when the whole call failed.
fn call(
    oracle: &mut dyn Oracle,
    x: &[f64],
    n: usize,
    n_outputs: usize,
) -> (Vec<f64>, Vec<PointResult>, Option<String>) {
    let mut outputs = vec![f64::NAN; n * n_outputs];
    let mut results: Vec<PointResult> = vec![Ok(()); n];
    let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        oracle.evaluate_batch(x, &mut outputs, &mut results)
    }));
    let failure = match call {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.0),
        Err(payload) => Some(panic_message(&*payload)),
    };
    (outputs, results, failure)
}

fn spawn_worker(id: usize, mut oracle: Box<dyn Oracle>, done: Sender<Done>) -> Result<Worker, ScanError> {
    let (jobs, job_rx) = mpsc::channel::<Job>();
    let n_outputs = oracle.shape().n_outputs();
    let thread = std::thread::Builder::new()
        .name(format!("oracle-{id}"))
        .spawn(move || {
            for job in job_rx {
                let (mut outputs, mut results, failure) = call(oracle.as_mut(), &job.x, job.n, n_outputs);
                if let Some(message) = failure {
                    if job.n == 1 {
                        results[0] = Err(PointFailure::Failed(message));
                    } else {
                        // The whole call failed: one bad point must not take the healthy
                        // ones of its chunk with it, so each is tried on its own.
                        let n_inputs = job.x.len() / job.n;
                        for i in 0..job.n {
                            let x = &job.x[i * n_inputs..(i + 1) * n_inputs];
                            let (out, mut res, failure) = call(oracle.as_mut(), x, 1, n_outputs);
                            outputs[i * n_outputs..(i + 1) * n_outputs].copy_from_slice(&out);
                            results[i] = match failure {
                                Some(m) => Err(PointFailure::Failed(m)),
                                None => res.remove(0),
                            };
                        }
                    }
                }
                if let Some((dest, names)) = &job.collect {
                    collect_files(oracle.as_ref(), dest, names);
                }
                let message = Done {
                    worker: id,
                    chunk: job.chunk,
                    outputs,
                    results,
                };
                if done.send(message).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| ScanError::Worker(format!("cannot start a worker thread: {e}")))?;
    Ok(Worker { id, jobs, thread })
}

impl Evaluator {
    /// Start `options.workers` workers, each with an instance from `factory`.
    pub fn new(factory: Arc<dyn OracleFactory>, options: EvaluatorOptions) -> Result<Self, ScanError> {
        options.check()?;
        let (done_tx, done_rx) = mpsc::channel();
        let first = factory.create()?;
        let shape = first.shape().clone();
        let mut evaluator = Evaluator {
            factory,
            shape,
            options,
            workers: Vec::new(),
            done_tx,
            done_rx,
            next_worker_id: 0,
            abandoned: 0,
            stuck: Vec::new(),
            staging: None,
        };
        if !evaluator.options.keep_files.is_empty() {
            let staging = tempfile::Builder::new()
                .prefix("dlscan-kept-")
                .tempdir()
                .map_err(|e| ScanError::Worker(format!("cannot make a directory for kept files: {e}")))?;
            evaluator.staging = Some(staging);
        }
        evaluator.add_worker(Some(first))?;
        for _ in 1..evaluator.options.workers {
            evaluator.add_worker(None)?;
        }
        Ok(evaluator)
    }

    fn add_worker(&mut self, oracle: Option<Box<dyn Oracle>>) -> Result<usize, ScanError> {
        let oracle = match oracle {
            Some(o) => o,
            None => self.factory.create()?,
        };
        if *oracle.shape() != self.shape {
            return Err(ScanError::OracleMismatch(format!(
                "oracle instances disagree on their shape: {:?} vs {:?}",
                oracle.shape(),
                self.shape
            )));
        }
        let id = self.next_worker_id;
        self.next_worker_id += 1;
        self.workers.push(spawn_worker(id, oracle, self.done_tx.clone())?);
        Ok(id)
    }

    /// The oracle's shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Number of live workers.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Workers abandoned so far because a call outlived its deadline.
    pub fn abandoned_workers(&self) -> usize {
        self.abandoned
    }

    fn chunk_size(&self, n: usize) -> usize {
        if !self.options.keep_files.is_empty() {
            // One point per call: the files the oracle leaves are that point's.
            return 1;
        }
        self.options.chunk_size.unwrap_or_else(|| {
            if self.options.timeout.is_some() {
                1
            } else {
                n.div_ceil(self.workers.len() * 8).clamp(1, 256)
            }
        })
    }

    /// Evaluate `x` (row-major, `n_inputs` columns). `on_chunk(range, outputs, outcomes)` is
    /// called as each chunk completes, with that chunk's rows, so callers can stream results
    /// to disk. When `stop` becomes true no new chunk starts; chunks in flight finish.
    pub fn evaluate(
        &mut self,
        x: &[f64],
        stop: &AtomicBool,
        mut on_chunk: impl FnMut(Range<usize>, &[f64], &[Outcome]) -> Result<(), ScanError>,
    ) -> Result<BatchResult, ScanError> {
        let started = Instant::now();
        let (ni, no) = (self.shape.n_inputs, self.shape.n_outputs());
        if !x.len().is_multiple_of(ni.max(1)) {
            return Err(ScanError::OracleMismatch(format!(
                "batch length {} is not a multiple of {ni} inputs",
                x.len()
            )));
        }
        let n = x.len().checked_div(ni).unwrap_or(0);
        let mut outputs = vec![f64::NAN; n * no];
        let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
        let size = self.chunk_size(n);
        let chunks = chunk_ranges(n, size);
        let mut pending: VecDeque<usize> = (0..chunks.len()).collect();
        let collect: Option<(PathBuf, Arc<[String]>)> = self.staging.as_ref().map(|d| {
            // Last batch's files are gone: what was kept has been taken.
            let _ = std::fs::remove_dir_all(d.path());
            let _ = std::fs::create_dir_all(d.path());
            (d.path().to_path_buf(), self.options.keep_files.clone().into())
        });
        let mut idle: Vec<usize> = self.workers.iter().map(|w| w.id).rev().collect();
        let mut in_flight: HashMap<usize, (usize, Option<Instant>)> = HashMap::new();
        loop {
            while !stop.load(Ordering::Relaxed) && !pending.is_empty() {
                let Some(worker_id) = idle.pop() else { break };
                let chunk = pending.pop_front().expect("checked non-empty");
                let range = chunks[chunk].clone();
                let job = Job {
                    chunk,
                    x: x[range.start * ni..range.end * ni].to_vec(),
                    n: range.len(),
                    collect: collect
                        .as_ref()
                        .map(|(dir, names)| (dir.join(range.start.to_string()), Arc::clone(names))),
                };
                // A deadline past what the clock can hold is no deadline.
                let deadline = self
                    .options
                    .timeout
                    .and_then(|t| Instant::now().checked_add(chunk_limit(t, range.len())));
                let worker = self
                    .workers
                    .iter()
                    .find(|w| w.id == worker_id)
                    .expect("idle workers are live");
                if worker.jobs.send(job).is_err() {
                    return Err(ScanError::Worker(format!("worker {worker_id} stopped unexpectedly")));
                }
                in_flight.insert(worker_id, (chunk, deadline));
            }
            if in_flight.is_empty() {
                break;
            }
            let now = Instant::now();
            let wait = in_flight
                .values()
                .filter_map(|(_, d)| *d)
                .map(|d| d.saturating_duration_since(now))
                .min()
                .unwrap_or(Duration::from_millis(100))
                .min(Duration::from_millis(100));
            match self.done_rx.recv_timeout(wait) {
                Ok(done) => {
                    let Some(&(chunk, _)) = in_flight.get(&done.worker) else {
                        continue; // an abandoned worker answering late
                    };
                    if chunk != done.chunk {
                        continue;
                    }
                    in_flight.remove(&done.worker);
                    idle.push(done.worker);
                    let range = chunks[chunk].clone();
                    let chunk_outcomes: Vec<Outcome> = done
                        .results
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| self.outcome(r, &done.outputs[i * no..(i + 1) * no]))
                        .collect();
                    outputs[range.start * no..range.end * no].copy_from_slice(&done.outputs);
                    on_chunk(range.clone(), &done.outputs, &chunk_outcomes)?;
                    for (slot, o) in outcomes[range].iter_mut().zip(chunk_outcomes) {
                        *slot = Some(o);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    let expired: Vec<usize> = in_flight
                        .iter()
                        .filter(|(_, (_, d))| d.is_some_and(|d| d <= now))
                        .map(|(w, _)| *w)
                        .collect();
                    for worker_id in expired {
                        let (chunk, _) = in_flight.remove(&worker_id).expect("expired worker is in flight");
                        self.abandon(worker_id)?;
                        let range = chunks[chunk].clone();
                        let limit = chunk_limit(
                            self.options.timeout.expect("deadlines come from a timeout"),
                            range.len(),
                        );
                        let message = format!("no answer within {:.3} s", limit.as_secs_f64());
                        let chunk_outcomes = vec![
                            Outcome {
                                status: Status::Timeout,
                                message: Some(message),
                            };
                            range.len()
                        ];
                        on_chunk(
                            range.clone(),
                            &outputs[range.start * no..range.end * no],
                            &chunk_outcomes,
                        )?;
                        for (slot, o) in outcomes[range].iter_mut().zip(chunk_outcomes) {
                            *slot = Some(o);
                        }
                        idle.push(self.add_worker(None)?);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => unreachable!("the evaluator holds a sender"),
            }
        }
        Ok(BatchResult {
            outputs,
            outcomes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn outcome(&self, result: PointResult, outputs: &[f64]) -> Outcome {
        match result {
            Ok(()) => match outputs.iter().position(|v| !v.is_finite()) {
                None => Outcome::ok(),
                Some(i) => Outcome {
                    status: Status::Nan,
                    message: Some(format!("output `{}` is {}", self.shape.output_names[i], outputs[i])),
                },
            },
            Err(PointFailure::Failed(m)) => Outcome {
                status: Status::Failed,
                message: Some(m),
            },
            Err(PointFailure::Timeout(m)) => Outcome {
                status: Status::Timeout,
                message: Some(m),
            },
            Err(PointFailure::Crashed(m)) => Outcome {
                status: Status::Crashed,
                message: Some(m),
            },
        }
    }

    /// Drop a stuck worker: its channel closes, so the thread exits (dropping its oracle)
    /// once the call in progress returns; we do not wait for it, but we count such threads
    /// and refuse to go on once too many are still stuck.
    fn abandon(&mut self, worker_id: usize) -> Result<(), ScanError> {
        if let Some(pos) = self.workers.iter().position(|w| w.id == worker_id) {
            let worker = self.workers.swap_remove(pos);
            drop(worker.jobs);
            self.stuck.push(worker.thread);
            self.abandoned += 1;
        }
        self.stuck.retain(|t| !t.is_finished());
        let limit = MAX_STUCK_PER_WORKER * self.options.workers;
        if self.stuck.len() > limit {
            return Err(ScanError::Worker(format!(
                "{} oracle calls are still running past their time limit in threads that cannot be \
                 stopped (at most {limit} are tolerated); run the plugin with [oracle] isolation = \
                 \"process\", where a call over the limit has its worker process killed",
                self.stuck.len()
            )));
        }
        Ok(())
    }
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        for worker in self.workers.drain(..) {
            drop(worker.jobs);
            let _ = worker.thread.join();
        }
    }
}

#[cfg(test)]
#[path = "evaluator_tests.rs"]
mod tests;
