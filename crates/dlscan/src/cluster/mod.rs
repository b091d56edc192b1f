//! Cluster scans over MPI (the `mpi` feature). Under `mpirun -n N` or `srun`, rank 0 runs
//! the scanner and alone writes the run directory; ranks 1..N-1 each load the oracle with
//! their own worker threads and evaluate the chunks of each batch rank 0 hands them, a
//! rank getting its next chunk as soon as it returns one. Each rank decides its points'
//! outcomes (statuses, time limits, messages) with the same evaluator as a single process,
//! and results land at their point's index, so the points do not depend on the ranks.
//!
//! Rank 0 sends each other rank the configuration's text, not its path: a resumed run's
//! configuration lives in the run directory, which only rank 0 needs to see.

mod wire;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use mpi::Tag;
use mpi::environment::Universe;
use mpi::point_to_point::Source;
use mpi::topology::{Rank, SimpleCommunicator};
use mpi::traits::*;
use oracle_api::Shape;
use scan_core::{BatchResult, ChunkSink, EvaluatePoints, Evaluator, Outcome, ScanError, Status};

use wire::{Reader, Writer};

/// Rank 0 → others: the configuration (path, directory its relative paths resolve
/// against, text).
const SETUP: Tag = 1;
/// Others → rank 0: the loaded oracle's shape and workers, or why it did not load.
const HELLO: Tag = 2;
/// Rank 0 → others: points to evaluate.
const CHUNK: Tag = 3;
/// Others → rank 0: a chunk's outputs and outcomes.
const RESULT: Tag = 4;
/// Rank 0 → others: the run is over.
const QUIT: Tag = 5;

/// Environment variables that MPI launchers (OpenMPI's mpirun, MPICH's hydra, SLURM's
/// srun through PMI or PMIx) set in the processes they start.
const LAUNCHER_VARIABLES: [&str; 4] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"];

/// This process's part in an MPI job of more than one rank.
pub struct Cluster {
    world: SimpleCommunicator,
    released: std::cell::Cell<bool>,
    /// Kept for last: dropping it finalizes MPI.
    _universe: Universe,
}

/// Join the MPI job this process was started in, if it was started by an MPI launcher
/// with other ranks; a plain start (or a job of one rank) runs as a single process.
pub fn join() -> Result<Option<Cluster>> {
    if !LAUNCHER_VARIABLES.iter().any(|v| std::env::var_os(v).is_some()) {
        return Ok(None);
    }
    // Only the main thread calls MPI: rank 0 evaluates on it while proposals train on others.
    let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
        .ok_or_else(|| anyhow!("MPI was initialized already"))?;
    if threading == mpi::Threading::Single {
        bail!("the MPI library offers no thread support (MPI_THREAD_FUNNELED is needed)");
    }
    let world = universe.world();
    if world.size() < 2 {
        return Ok(None);
    }
    Ok(Some(Cluster {
        world,
        released: std::cell::Cell::new(false),
        _universe: universe,
    }))
}

/// The next message from `source` (tagged `tag`, or any tag), looked for with pauses in
/// between: a blocking receive polls without rest, taking a core that the scanner's
/// training (on rank 0) or the oracle workers (on the others) need, which matters most
/// when ranks share a node.
fn receive(source: &impl Source, tag: Option<Tag>) -> (Vec<u8>, mpi::point_to_point::Status) {
    let mut pause = Duration::from_micros(20);
    loop {
        let found = match tag {
            Some(tag) => source.immediate_matched_probe_with_tag(tag),
            None => source.immediate_matched_probe(),
        };
        if let Some(message) = found {
            return message.matched_receive_vec();
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

/// This host's name, as MPI knows it.
fn host() -> String {
    mpi::environment::processor_name().unwrap_or_else(|_| "an unknown host".into())
}

fn worker_error(message: impl std::fmt::Display) -> ScanError {
    ScanError::Worker(message.to_string())
}

impl Cluster {
    pub fn rank(&self) -> Rank {
        self.world.rank()
    }

    /// Ranks that evaluate: all but rank 0.
    pub fn evaluating_ranks(&self) -> Range<Rank> {
        1..self.world.size()
    }

    /// Rank 1 and above: wait for rank 0's configuration, build the evaluator from it with
    /// `make`, say whether that worked, then evaluate chunks until rank 0 says the run is
    /// over. A failure to start is reported to rank 0, which names this rank and host.
    pub fn serve(&self, make: impl FnOnce(&Path, &Path, String) -> Result<Evaluator>) -> Result<()> {
        let rank0 = self.world.process_at_rank(0);
        let (bytes, status) = receive(&rank0, None);
        if status.tag() == QUIT {
            return Ok(());
        }
        let mut r = Reader::new(&bytes);
        let (path, base_dir, text) = (PathBuf::from(r.str()?), PathBuf::from(r.str()?), r.str()?);
        let mut evaluator = match make(&path, &base_dir, text) {
            Ok(evaluator) => {
                let shape = evaluator.shape();
                let mut w = Writer::default()
                    .u64(1)
                    .str(&host())
                    .u64(evaluator.workers() as u64)
                    .u64(shape.n_inputs as u64)
                    .u64(shape.output_names.len() as u64);
                for name in &shape.output_names {
                    w = w.str(name);
                }
                rank0.send_with_tag(&w.bytes()[..], HELLO);
                evaluator
            }
            Err(e) => {
                let w = Writer::default().u64(0).str(&host()).str(&format!("{e:#}"));
                rank0.send_with_tag(&w.bytes()[..], HELLO);
                // Rank 0 reports it, naming this rank and host, and ends the job.
                while receive(&rank0, None).1.tag() != QUIT {}
                return Ok(());
            }
        };
        let never = AtomicBool::new(false);
        loop {
            let (bytes, status) = receive(&rank0, None);
            match status.tag() {
                QUIT => return Ok(()),
                CHUNK => {}
                tag => bail!("rank {}: unexpected message (tag {tag}) from rank 0", self.rank()),
            }
            let mut r = Reader::new(&bytes);
            let (serial, chunk, x) = (r.u64()?, r.u64()?, r.f64s()?);
            // A chunk is evaluated as a single process evaluates a batch.
            let batch = evaluator.evaluate(&x, &never, |_, _, _| Ok(()))?;
            let mut w = Writer::default().u64(serial).u64(chunk).f64s(&batch.outputs);
            for outcome in &batch.outcomes {
                let outcome = outcome.as_ref().expect("a chunk is never stopped");
                w = w.str(outcome.status.as_str()).opt_str(outcome.message.as_deref());
            }
            rank0.send_with_tag(&w.bytes()[..], RESULT);
        }
    }

    /// Rank 0: send the configuration to every other rank, and gather what each loaded.
    /// A rank that could not load the oracle stops the job with an error naming it.
    pub fn start_workers(&self, config_path: &Path, base_dir: &Path, text: &str) -> Result<Remote> {
        let setup = Writer::default()
            .str(&config_path.to_string_lossy())
            .str(&base_dir.to_string_lossy())
            .str(text)
            .bytes();
        for r in self.evaluating_ranks() {
            self.world.process_at_rank(r).send_with_tag(&setup[..], SETUP);
        }
        let mut workers = Vec::new();
        let mut shape: Option<(Shape, Rank)> = None;
        let mut failures = Vec::new();
        for r in self.evaluating_ranks() {
            let (bytes, _) = receive(&self.world.process_at_rank(r), Some(HELLO));
            let mut m = Reader::new(&bytes);
            let (ok, host) = (m.u64()?, m.str()?);
            if ok == 0 {
                failures.push(format!("rank {r} on {host}: {}", m.str()?));
                continue;
            }
            workers.push((r, m.u64()? as usize));
            let n_inputs = m.u64()? as usize;
            let names = (0..m.u64()?).map(|_| m.str()).collect::<Result<Vec<_>>>()?;
            let this = Shape {
                n_inputs,
                output_names: names,
            };
            match &shape {
                None => shape = Some((this, r)),
                Some((first, r0)) if *first != this => failures.push(format!(
                    "rank {r} on {host}: its oracle's shape {this:?} differs from rank {r0}'s {first:?}"
                )),
                Some(_) => {}
            }
        }
        if !failures.is_empty() {
            bail!(
                "the oracle could not be started on every rank:\n  {}",
                failures.join("\n  ")
            );
        }
        let (shape, _) = shape.context("no rank evaluates")?;
        Ok(Remote {
            world: SimpleCommunicator::world(),
            shape,
            workers,
            serial: 0,
        })
    }

    /// Rank 0: tell every other rank the job is over (once; a rank still waiting for its
    /// configuration quits too).
    pub fn release(&self) {
        if !self.released.replace(true) {
            for r in self.evaluating_ranks() {
                self.world.process_at_rank(r).send_with_tag(&[0u8][..], QUIT);
            }
        }
    }
}

/// Rank 0's view of the evaluating ranks: a pool of oracle instances for the scanner.
pub struct Remote {
    world: SimpleCommunicator,
    shape: Shape,
    /// Evaluating ranks and their worker threads.
    workers: Vec<(Rank, usize)>,
    /// Which `evaluate` call this is: a result of an earlier call (left in flight when that
    /// call failed) is told apart and dropped.
    serial: u64,
}

impl Remote {
    /// Evaluating ranks.
    pub fn ranks(&self) -> usize {
        self.workers.len()
    }

    fn send_chunk(&self, rank: Rank, chunk: usize, x: &[f64]) {
        let bytes = Writer::default().u64(self.serial).u64(chunk as u64).f64s(x).bytes();
        self.world.process_at_rank(rank).send_with_tag(&bytes[..], CHUNK);
    }

    /// A chunk's result: the call it belongs to, its index, outputs and outcomes.
    fn read_result(&self, bytes: &[u8], n_outputs: usize) -> Result<(u64, usize, Vec<f64>, Vec<Outcome>)> {
        let mut m = Reader::new(bytes);
        let (serial, chunk) = (m.u64()?, m.u64()? as usize);
        let outputs = m.f64s()?;
        let n = outputs.len() / n_outputs.max(1);
        let outcomes = (0..n)
            .map(|_| {
                let status = m.str()?;
                Ok(Outcome {
                    status: Status::parse(&status).ok_or_else(|| anyhow!("unknown status `{status}`"))?,
                    message: m.opt_str()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((serial, chunk, outputs, outcomes))
    }
}

impl EvaluatePoints for Remote {
    fn shape(&self) -> &Shape {
        &self.shape
    }

    fn workers(&self) -> usize {
        self.workers.iter().map(|(_, w)| w).sum()
    }

    /// Rank 0 evaluates nothing: its cores are the scanner's.
    fn local_workers(&self) -> usize {
        0
    }

    fn evaluate(
        &mut self,
        x: &[f64],
        stop: &AtomicBool,
        on_chunk: &mut ChunkSink<'_>,
    ) -> Result<BatchResult, ScanError> {
        let started = std::time::Instant::now();
        self.serial += 1;
        let (ni, no) = (self.shape.n_inputs.max(1), self.shape.n_outputs());
        let n = x.len() / ni;
        // About four chunks per rank: a rank that is slower (or has slower points) takes
        // fewer, and the last chunks to finish are short.
        let size = n.div_ceil(4 * self.ranks()).max(1);
        let chunks = scan_core::evaluator::chunk_ranges(n, size);
        let mut next = 0;
        let mut in_flight = 0;
        let mut outputs = vec![f64::NAN; n * no];
        let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
        let stopped = || stop.load(std::sync::atomic::Ordering::Relaxed);
        for &(rank, _) in &self.workers {
            if next < chunks.len() && !stopped() {
                let range = chunks[next].clone();
                self.send_chunk(rank, next, &x[range.start * ni..range.end * ni]);
                next += 1;
                in_flight += 1;
            }
        }
        while in_flight > 0 {
            let (bytes, status) = receive(&self.world.any_process(), Some(RESULT));
            let (serial, chunk, chunk_outputs, chunk_outcomes) = self
                .read_result(&bytes, no)
                .map_err(|e| worker_error(format!("rank {}: {e:#}", status.source_rank())))?;
            if serial != self.serial {
                continue;
            }
            in_flight -= 1;
            let range = chunks
                .get(chunk)
                .filter(|r| r.len() == chunk_outcomes.len() && chunk_outputs.len() == r.len() * no)
                .cloned()
                .ok_or_else(|| worker_error(format!("rank {}: a result for no chunk sent", status.source_rank())))?;
            if next < chunks.len() && !stopped() {
                let r = chunks[next].clone();
                self.send_chunk(status.source_rank(), next, &x[r.start * ni..r.end * ni]);
                next += 1;
                in_flight += 1;
            }
            outputs[range.start * no..range.end * no].copy_from_slice(&chunk_outputs);
            on_chunk(range.clone(), &chunk_outputs, &chunk_outcomes)?;
            for (slot, o) in outcomes[range].iter_mut().zip(chunk_outcomes) {
                *slot = Some(o);
            }
        }
        Ok(BatchResult {
            outputs,
            outcomes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
