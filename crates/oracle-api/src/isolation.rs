//! Oracles in worker processes, so that a crash costs a point, not the scan.
//!
//! A plugin runs inside the host's process: a segfault, `abort()`, `exit()` or stack
//! overflow in it ends the host. With isolation the host starts a *worker* process per
//! oracle instance (a program that loads the plugin and calls [`serve_plugin`]) and talks to
//! it over its standard input and output. [`ProcessOracle`] is the host's side: when the
//! worker dies during a call, the call's points are tried again one by one in a fresh worker
//! and the point that kills it is reported as [`PointFailure::Crashed`]; when a call takes
//! longer than the time limit, the worker is killed (nothing keeps running) and its points
//! time out.
//!
//! The protocol (all integers little-endian `u64`, numbers `f64`, texts a length and UTF-8
//! bytes):
//! - host → worker, once: the configuration text; worker → host: `0`, the number of
//!   inputs and the output names, or `1` and an error text;
//! - host → worker, per call: the number of points `n`, then `n × inputs` numbers;
//! - worker → host, per call: `n`, the number of outputs `m`, a call status (`0`, or `1`
//!   and an error text), and when `0`: `n × m` numbers, per point a code (`0` ok,
//!   `1` failed, `2` timeout, `3` crashed) with a text unless ok, and the oracle's files
//!   directory for the call (a text, empty for none).

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::wire::{read_f64s, read_len, read_text, read_u64, write_f64s, write_text, write_u64};
use crate::{Oracle, OracleError, Plugin, PointFailure, PointResult, Shape};

/// Bytes of a dead worker's standard error kept for the crash message.
const STDERR_TAIL: usize = 1024;

/// The worker's side: answer calls on `input` with `oracle` until `input` ends.
pub fn serve(oracle: &mut dyn Oracle, input: impl Read, output: impl Write) -> io::Result<()> {
    let (mut input, mut output) = (BufReader::new(input), BufWriter::new(output));
    let (ni, no) = (oracle.shape().n_inputs, oracle.shape().n_outputs());
    loop {
        let n = match read_u64(&mut input) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let x = read_f64s(&mut input, n * ni)?;
        let mut out = vec![f64::NAN; n * no];
        let mut results: Vec<PointResult> = vec![Ok(()); n];
        // A panic is caught like in process; only what cannot be caught ends the worker.
        let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            oracle.evaluate_batch(&x, &mut out, &mut results)
        }))
        .unwrap_or_else(|payload| Err(OracleError(crate::panic_message(&*payload))));
        write_u64(&mut output, n as u64)?;
        write_u64(&mut output, no as u64)?;
        match call {
            Err(e) => {
                output.write_all(&[1])?;
                write_text(&mut output, &e.0)?;
            }
            Ok(()) => {
                output.write_all(&[0])?;
                write_f64s(&mut output, &out)?;
                for r in &results {
                    match r {
                        Ok(()) => output.write_all(&[0])?,
                        Err(f) => {
                            let code = match f {
                                PointFailure::Failed(_) => 1,
                                PointFailure::Timeout(_) => 2,
                                PointFailure::Crashed(_) => 3,
                            };
                            output.write_all(&[code])?;
                            write_text(&mut output, f.message())?;
                        }
                    }
                }
                let files = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| oracle.files_dir()))
                    .unwrap_or(None)
                    .map(|d| d.to_string_lossy().into_owned());
                write_text(&mut output, files.as_deref().unwrap_or(""))?;
            }
        }
        output.flush()?;
    }
}

/// A worker's whole life for the plugin at `path`: read the configuration text from
/// standard input, create the instance, send its shape (or the error), then [`serve`].
pub fn serve_plugin(path: &Path) -> Result<(), String> {
    let stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut input = BufReader::new(stdin);
    let config = read_text(&mut input).map_err(|e| format!("reading the configuration: {e}"))?;
    let created = Plugin::load(path)
        .map_err(|e| e.to_string())
        .and_then(|p| p.instantiate(&config).map_err(|e| e.to_string()));
    let mut oracle = match created {
        Ok(o) => o,
        Err(e) => {
            let _ = stdout.write_all(&[1]).and_then(|()| write_text(&mut stdout, &e));
            let _ = stdout.flush();
            return Err(e);
        }
    };
    let shape = oracle.shape().clone();
    let handshake = (|| {
        stdout.write_all(&[0])?;
        write_u64(&mut stdout, shape.n_inputs as u64)?;
        write_u64(&mut stdout, shape.output_names.len() as u64)?;
        for name in &shape.output_names {
            write_text(&mut stdout, name)?;
        }
        stdout.flush()
    })();
    handshake.map_err(|e| format!("answering the host: {e}"))?;
    serve(&mut oracle, input, stdout).map_err(|e| format!("talking to the host: {e}"))
}

/// How to start a worker: a program and its arguments (e.g. the `dlscan` executable,
/// `oracle-worker` and the plugin's path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// One call's answer.
struct Response {
    outputs: Vec<f64>,
    results: Vec<PointResult>,
    call: Result<(), OracleError>,
    files_dir: Option<PathBuf>,
}

fn read_response(r: &mut impl Read) -> io::Result<Response> {
    let n = read_len(r, 1 << 32, "a batch")?;
    let m = read_len(r, 1 << 20, "an output count")?;
    let mut status = [0u8];
    r.read_exact(&mut status)?;
    if status[0] != 0 {
        return Ok(Response {
            outputs: vec![f64::NAN; n * m],
            results: vec![Ok(()); n],
            call: Err(OracleError(read_text(r)?)),
            files_dir: None,
        });
    }
    let outputs = read_f64s(r, n * m)?;
    let mut results = Vec::with_capacity(n);
    for _ in 0..n {
        let mut code = [0u8];
        r.read_exact(&mut code)?;
        results.push(match code[0] {
            0 => Ok(()),
            1 => Err(PointFailure::Failed(read_text(r)?)),
            2 => Err(PointFailure::Timeout(read_text(r)?)),
            _ => Err(PointFailure::Crashed(read_text(r)?)),
        });
    }
    let files_dir = Some(read_text(r)?).filter(|d| !d.is_empty()).map(PathBuf::from);
    Ok(Response {
        outputs,
        results,
        call: Ok(()),
        files_dir,
    })
}

/// A started worker.
struct Worker {
    /// Its temporary directory (its `TMPDIR`): removed when it ends, however it ends, so
    /// that a worker killed at a time limit leaves none of its oracle's files behind.
    scratch: Scratch,
    child: Child,
    stdin: BufWriter<ChildStdin>,
    responses: Receiver<io::Result<Response>>,
    /// The end of its standard error, for messages about its death.
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// A directory removed when dropped.
struct Scratch(PathBuf);

/// Workers' temporary directories are `<prefix><host pid>-<n>` in the system's.
const SCRATCH_PREFIX: &str = "dlscan-worker-";

/// Remove the workers' temporary directories of hosts that are gone: a host killed
/// outright (SIGKILL) cannot remove its own, so the next one does.
fn sweep_stale_scratch() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(host) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if host != std::process::id() && !Path::new(&format!("/proc/{host}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Scratch {
    fn new() -> io::Result<Scratch> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n == 0 {
            sweep_stale_scratch();
        }
        let dir = std::env::temp_dir().join(format!("{SCRATCH_PREFIX}{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Worker {
    /// Kill the worker's process and everything it started, and reap it; returns how it
    /// ended.
    fn kill(mut self) -> Option<ExitStatus> {
        kill_tree(&mut self.child);
        self.child.wait().ok()
    }

    /// Reap a worker that died by itself and say how.
    fn death(mut self) -> String {
        // Its output ended: the process is gone or going; give it a moment to be reaped.
        let started = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if started.elapsed() < Duration::from_secs(2) => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        let mut text = status.map_or_else(|| "the worker process died".to_string(), describe);
        let tail = String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer"))
            .trim()
            .to_string();
        if !tail.is_empty() {
            text.push_str(&format!("; its last error output: {tail}"));
        }
        text
    }
}

/// Kill `child` and all its descendants: a worker stuck in a call may be waiting for
/// programs (a physics code, a shell and what it sent to the background) that would
/// otherwise outlive it. Everything is stopped first, so nothing forks or is orphaned
/// (and so lost from the tree) while the tree is collected.
fn kill_tree(child: &mut Child) {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, kill_process};
        let send = |pid: u32, signal: Signal| {
            if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, signal);
            }
        };
        let root = child.id();
        send(root, Signal::STOP);
        let mut stopped: Vec<u32> = Vec::new();
        for _ in 0..64 {
            let fresh: Vec<u32> = descendants(root).into_iter().filter(|p| !stopped.contains(p)).collect();
            if fresh.is_empty() {
                break;
            }
            for &pid in &fresh {
                send(pid, Signal::STOP);
            }
            stopped.extend(fresh);
        }
        for &pid in &stopped {
            send(pid, Signal::KILL);
        }
    }
    let _ = child.kill();
}

/// Every process below `root`, by the parent links in /proc.
#[cfg(target_os = "linux")]
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.remove(0);
    found
}

/// How a worker process ended, in words.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                4 => " (SIGILL)",
                6 => " (SIGABRT: abort)",
                7 => " (SIGBUS)",
                8 => " (SIGFPE)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV: invalid memory access, or a stack overflow)",
                _ => "",
            };
            return format!("the worker process was killed by signal {signal}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("the worker process exited with status {code} in the middle of a call"),
        None => "the worker process died".into(),
    }
}

/// An oracle whose instance lives in a worker process; see the module documentation.
pub struct ProcessOracle {
    command: WorkerCommand,
    config: String,
    /// Time limit per point; a call of n points may take n times as long.
    timeout: Option<Duration>,
    shape: Shape,
    worker: Option<Worker>,
    /// The files directory the worker reported for the last call.
    files_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ProcessOracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessOracle")
            .field("command", &self.command)
            .field("shape", &self.shape)
            .field("running", &self.worker.is_some())
            .finish_non_exhaustive()
    }
}

impl ProcessOracle {
    /// Start a worker with `command`, give it `config`, and learn the oracle's shape.
    pub fn start(command: WorkerCommand, config: &str, timeout: Option<Duration>) -> Result<Self, OracleError> {
        let (worker, shape) = spawn(&command, config)?;
        Ok(ProcessOracle {
            command,
            config: config.to_string(),
            timeout,
            shape,
            worker: Some(worker),
            files_dir: None,
        })
    }

    /// The process id of the running worker, if one runs.
    pub fn worker_pid(&self) -> Option<u32> {
        self.worker.as_ref().map(|w| w.child.id())
    }

    fn running(&mut self) -> Result<&mut Worker, OracleError> {
        if self.worker.is_none() {
            let (worker, shape) = spawn(&self.command, &self.config)?;
            if shape != self.shape {
                let _ = worker.kill();
                return Err(OracleError(
                    "a restarted worker reports another shape than the first".into(),
                ));
            }
            self.worker = Some(worker);
        }
        Ok(self.worker.as_mut().expect("just started"))
    }

    /// One call in the worker: the response, or why there is none.
    fn call(&mut self, x: &[f64], n: usize) -> Result<Result<Response, Ended>, OracleError> {
        let deadline = self
            .timeout
            .and_then(|t| t.checked_mul(u32::try_from(n).unwrap_or(u32::MAX)));
        let worker = self.running()?;
        let sent = write_u64(&mut worker.stdin, n as u64)
            .and_then(|()| write_f64s(&mut worker.stdin, x))
            .and_then(|()| worker.stdin.flush());
        let answer = match (sent, deadline) {
            (Err(_), _) => None,
            (Ok(()), None) => worker.responses.recv().ok(),
            (Ok(()), Some(limit)) => match worker.responses.recv_timeout(limit) {
                Ok(r) => Some(r),
                Err(RecvTimeoutError::Timeout) => {
                    let worker = self.worker.take().expect("running");
                    worker.kill();
                    return Ok(Err(Ended::TimedOut(limit)));
                }
                Err(RecvTimeoutError::Disconnected) => None,
            },
        };
        match answer {
            Some(Ok(response)) => Ok(Ok(response)),
            _ => {
                let worker = self.worker.take().expect("running");
                Ok(Err(Ended::Died(worker.death())))
            }
        }
    }
}

/// Why a call got no answer.
enum Ended {
    TimedOut(Duration),
    Died(String),
}

fn spawn(command: &WorkerCommand, config: &str) -> Result<(Worker, Shape), OracleError> {
    let scratch =
        Scratch::new().map_err(|e| OracleError(format!("cannot make a worker's temporary directory: {e}")))?;
    let mut cmd = Command::new(&command.program);
    cmd.args(&command.args)
        .env("TMPDIR", &scratch.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the forked child before exec and makes one prctl
        // system call, which is async-signal-safe; it touches no memory of the parent. The
        // worker then dies with the thread that started it, so a host killed outright
        // (SIGKILL) leaves no worker running, and the worker's programs die with it.
        unsafe {
            cmd.pre_exec(|| {
                rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                    .map_err(io::Error::from)
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        OracleError(format!(
            "cannot start the oracle worker {}: {e}",
            command.program.display()
        ))
    })?;
    let mut stdin = BufWriter::new(child.stdin.take().expect("piped stdin"));
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let tail = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&tail);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut t = kept.lock().expect("stderr buffer");
            t.extend_from_slice(&buf[..n]);
            let excess = t.len().saturating_sub(STDERR_TAIL);
            t.drain(..excess);
        }
    });
    let fail = |child: &mut Child, message: String| {
        let _ = child.kill();
        let _ = child.wait();
        OracleError(message)
    };
    if let Err(e) = write_text(&mut stdin, config).and_then(|()| stdin.flush()) {
        return Err(fail(&mut child, format!("cannot configure the oracle worker: {e}")));
    }
    let handshake = (|| -> io::Result<Result<Shape, String>> {
        let mut ok = [0u8];
        stdout.read_exact(&mut ok)?;
        if ok[0] != 0 {
            return Ok(Err(read_text(&mut stdout)?));
        }
        let n_inputs = read_len(&mut stdout, 1 << 20, "an input count")?;
        let n_outputs = read_len(&mut stdout, 1 << 20, "an output count")?;
        let names = (0..n_outputs)
            .map(|_| read_text(&mut stdout))
            .collect::<io::Result<Vec<String>>>()?;
        Ok(Ok(Shape::new(n_inputs, names)))
    })();
    let shape = match handshake {
        Ok(Ok(shape)) => shape,
        Ok(Err(message)) => return Err(fail(&mut child, message)),
        Err(e) => {
            let _ = child.wait();
            let tail = String::from_utf8_lossy(&tail.lock().expect("stderr buffer"))
                .trim()
                .to_string();
            return Err(fail(
                &mut child,
                format!("the oracle worker did not start ({e}): {tail}"),
            ));
        }
    };
    let (tx, responses) = mpsc::channel();
    std::thread::spawn(move || {
        loop {
            let r = read_response(&mut stdout);
            let end = r.is_err();
            if tx.send(r).is_err() || end {
                break;
            }
        }
    });
    Ok((
        Worker {
            scratch,
            child,
            stdin,
            responses,
            stderr: tail,
        },
        shape,
    ))
}

impl Oracle for ProcessOracle {
    fn shape(&self) -> &Shape {
        &self.shape
    }

    fn files_dir(&self) -> Option<PathBuf> {
        self.files_dir.clone()
    }

    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        let mut results = [Ok(())];
        match self.evaluate_batch(x, out, &mut results) {
            Ok(()) => results[0].clone(),
            Err(e) => Err(PointFailure::Failed(e.0)),
        }
    }

    fn evaluate_batch(&mut self, x: &[f64], out: &mut [f64], results: &mut [PointResult]) -> Result<(), OracleError> {
        let (ni, no, n) = (self.shape.n_inputs, self.shape.n_outputs(), results.len());
        crate::check_batch_lengths(ni, no, x.len(), out.len(), n)?;
        self.files_dir = None;
        match self.call(x, n)? {
            Ok(response) => {
                if response.outputs.len() != out.len() || response.results.len() != n {
                    return Err(OracleError("the worker answered a different batch".into()));
                }
                out.copy_from_slice(&response.outputs);
                results.clone_from_slice(&response.results);
                self.files_dir = response.files_dir;
                response.call
            }
            Err(Ended::TimedOut(limit)) => {
                let message = format!(
                    "no answer within {:.3} s; the worker process was killed",
                    limit.as_secs_f64()
                );
                results.fill(Err(PointFailure::Timeout(message)));
                Ok(())
            }
            Err(Ended::Died(how)) if n == 1 => {
                results[0] = Err(PointFailure::Crashed(how));
                Ok(())
            }
            Err(Ended::Died(_)) => {
                // Which point killed it is unknown: each is tried alone in a fresh worker.
                for i in 0..n {
                    let mut one = [Ok(())];
                    let call = self.evaluate_batch(&x[i * ni..(i + 1) * ni], &mut out[i * no..(i + 1) * no], &mut one);
                    results[i] = match call {
                        Ok(()) => one[0].clone(),
                        Err(e) => Err(PointFailure::Failed(e.0)),
                    };
                }
                Ok(())
            }
        }
    }
}

impl Drop for ProcessOracle {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            // Closing its input ends a healthy worker; one stuck in a call is killed. Its
            // temporary directory goes when `scratch` drops, after the process is gone.
            let scratch = worker.scratch;
            drop(worker.stdin);
            let mut child = worker.child;
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(500) {
                if let Ok(Some(_)) = child.try_wait() {
                    drop(scratch);
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            kill_tree(&mut child);
            let _ = child.wait();
            drop(scratch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FnOracle;

    #[test]
    fn a_served_call_reads_back_with_outputs_statuses_and_messages() {
        let mut oracle = FnOracle::new(2, ["sum", "inv"], |x: &[f64], out: &mut [f64]| {
            if x[0] < 0.0 {
                return Err(PointFailure::Failed("negative".into()));
            }
            out[0] = x[0] + x[1];
            out[1] = 1.0 / x[1];
            Ok(())
        });
        let mut request = Vec::new();
        write_u64(&mut request, 3).unwrap();
        write_f64s(&mut request, &[1.0, 2.0, -1.0, 1.0, 3.0, 0.0]).unwrap();
        let mut answer = Vec::new();
        serve(&mut oracle, &request[..], &mut answer).unwrap();
        let r = read_response(&mut &answer[..]).unwrap();
        assert_eq!(r.call, Ok(()));
        assert_eq!(r.outputs[..2], [3.0, 0.5]);
        assert_eq!(r.outputs[4..], [3.0, f64::INFINITY]);
        assert_eq!(r.results[1], Err(PointFailure::Failed("negative".into())));
        assert_eq!(r.results[2], Ok(()));
        // The stream ends where the worker's input ended: nothing more to read.
        assert!(read_response(&mut &answer[answer.len()..]).is_err());
    }

    #[test]
    fn exit_statuses_are_described() {
        use std::os::unix::process::ExitStatusExt;
        assert!(describe(ExitStatus::from_raw(11)).contains("signal 11 (SIGSEGV"));
        assert!(describe(ExitStatus::from_raw(3 << 8)).contains("exited with status 3"));
    }
}
