//! The scanner: runs a strategy against an oracle, batch after batch, until a stopping rule
//! holds, recording every point.
//!
//! In argmin's terms the [`Scanner`] is the executor and a [`Strategy`] the solver: the
//! strategy only proposes points. Evaluation and the loop belong to the scanner; what
//! watches the run (the run directory's files, progress displays) is an [`Observer`];
//! when to stop is a [`StopRules`] termination condition; checkpoints are written by the
//! run directory's checkpointer.

mod observer;
mod records;
mod rules;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use observer::{BatchProgress, Observer};
pub use records::{IterationRecord, Spacing, StatusCounts, Summary};
pub use rules::{RunState, ScanSettings, StopReason, StopRules};

use crate::error::ScanError;
use crate::evaluator::{EvaluatePoints, Evaluator, EvaluatorOptions, OracleFactory, Status};
use crate::history::{History, PointRecord};
use crate::journal;
use crate::kept_files::KeptFiles;
use crate::run_dir::{self, CheckpointState, Layout, PendingBatch, RunFiles};
use crate::space::Space;
use crate::strategy::{
    InitialSampling, Origin, Proposal, ProposalReport, Strategy, Uniform, iteration_stream, latin_hypercube_points,
    uniform_points,
};
use crate::target::{BoundTarget, Target};
use records::RunFacts;

/// The scan loop.
pub struct Scanner {
    space: Space,
    target: BoundTarget,
    settings: ScanSettings,
    evaluator: Box<dyn EvaluatePoints>,
    strategy: Box<dyn Strategy>,
    history: History,
    iterations: Vec<IterationRecord>,
    /// The run directory's observers come first, then those added by the caller.
    observers: Vec<Box<dyn Observer>>,
    run: Option<RunFiles>,
    stop_flag: Arc<AtomicBool>,
    next_iteration: u32,
    next_id: u64,
    clock: Clock,
    fingerprint: Option<String>,
    stop_reason: Option<StopReason>,
    /// The in-target points' spacing, measured when the run ends.
    spacing: Option<records::Spacing>,
    /// A resumed run's interrupted batch, and its points evaluated before the interruption.
    resumed: Option<(PendingBatch, Vec<PointRecord>)>,
    /// A pipelined scan's next batch, proposed while the last one was evaluated.
    ahead: Option<Ahead>,
    /// Where kept oracle files go (with `settings.keep` and a run directory).
    kept: Option<KeptFiles>,
}

/// A batch proposed ahead of its iteration, and the seconds that took.
struct Ahead {
    iteration: u32,
    proposal: Result<Proposal, ScanError>,
    seconds: f64,
}

/// What evaluating a batch needs of the scanner: borrowed apart from the strategy, so that
/// a pipelined scan can propose the next batch meanwhile.
struct Evaluation<'a> {
    space: &'a Space,
    evaluator: &'a mut dyn EvaluatePoints,
    target: &'a BoundTarget,
    observers: &'a mut [Box<dyn Observer>],
    stop_flag: &'a Arc<AtomicBool>,
    kept: Option<&'a KeptFiles>,
    n_outputs: usize,
    calls_before: u64,
    in_target_before: u64,
}

/// Evaluate the points `todo` of `proposal` (point `i` gets id `first_id + i`), handing
/// each chunk's records to the observers as it arrives; returns the records in proposal
/// order and the seconds spent.
fn evaluate(
    parts: Evaluation<'_>,
    iteration: u32,
    proposal: &Proposal,
    first_id: u64,
    todo: &[usize],
) -> Result<(Vec<PointRecord>, f64), ScanError> {
    let n = todo.len();
    let Evaluation {
        space,
        evaluator,
        target,
        observers,
        stop_flag,
        kept,
        n_outputs: m,
        calls_before,
        in_target_before,
    } = parts;
    let staged = evaluator.staged_files();
    let d = space.dim();
    let unit: Vec<f64> = todo
        .iter()
        .flat_map(|&i| proposal.unit[i * d..(i + 1) * d].iter().copied())
        .collect();
    let x = space.from_unit_rows(&unit);
    let mut records: Vec<Option<PointRecord>> = vec![None; n];
    let (mut done, mut found) = (0usize, 0u64);
    let batch = evaluator.evaluate(&x, stop_flag, &mut |range, outputs, outcomes| {
        let mut chunk = Vec::with_capacity(range.len());
        for (k, j) in range.clone().enumerate() {
            let out = &outputs[k * m..(k + 1) * m];
            let verdict = target.judge((outcomes[k].status == Status::Ok).then_some(out));
            chunk.push(PointRecord {
                id: first_id + todo[j] as u64,
                iteration,
                origin: proposal.origin[todo[j]],
                x: x[j * d..(j + 1) * d].to_vec(),
                outputs: out.to_vec(),
                likelihood: verdict.likelihood,
                status: outcomes[k].status,
                in_target: verdict.in_target,
                message: outcomes[k].message.clone(),
            });
        }
        done += range.len();
        found += chunk.iter().filter(|r| r.in_target).count() as u64;
        let progress = BatchProgress {
            done,
            batch: n,
            total_calls: calls_before + done as u64,
            total_in_target: in_target_before + found,
        };
        for o in observers.iter_mut() {
            o.on_points(&chunk, progress)?;
        }
        if let (Some(kept), Some(staged)) = (kept, &staged) {
            for (j, r) in range.clone().zip(&chunk) {
                kept.keep(r.id, r.in_target, r.status, &staged.join(j.to_string()))?;
            }
        }
        for (j, r) in range.zip(chunk) {
            records[j] = Some(r);
        }
        Ok(())
    })?;
    // Points not evaluated (a stop request) are left out; the rest in proposal order.
    Ok((records.into_iter().flatten().collect(), batch.seconds))
}

/// Wall time of a run across the processes that ran it.
#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
    /// Seconds run before this process (resumed runs).
    before: f64,
}

impl Clock {
    fn seconds(&self) -> f64 {
        self.before + self.started.elapsed().as_secs_f64()
    }
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("space", &self.space)
            .field("settings", &self.settings)
            .field("points", &self.history.len())
            .field("next_iteration", &self.next_iteration)
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// A scanner sampling uniformly; start the oracle's workers and check that the oracle
    /// fits the space and the target.
    pub fn new(
        space: Space,
        target: &Target,
        factory: Arc<dyn OracleFactory>,
        settings: ScanSettings,
    ) -> Result<Self, ScanError> {
        settings.check()?;
        settings.stop.check()?;
        let options = EvaluatorOptions {
            keep_files: crate::kept_files::files_named(&settings.keep),
            ..settings.evaluator.clone()
        };
        let evaluator = Evaluator::new(factory, options)?;
        Self::assemble(space, target, Box::new(evaluator), settings)
    }

    /// A scanner sampling uniformly whose batches `evaluator` evaluates (for pools other
    /// than this process's worker threads; `settings.evaluator` is then not used); check
    /// that the oracle fits the space and the target.
    pub fn with_evaluator(
        space: Space,
        target: &Target,
        evaluator: Box<dyn EvaluatePoints>,
        settings: ScanSettings,
    ) -> Result<Self, ScanError> {
        settings.check()?;
        settings.stop.check()?;
        Self::assemble(space, target, evaluator, settings)
    }

    /// The scanner of checked settings and a started evaluator.
    fn assemble(
        space: Space,
        target: &Target,
        evaluator: Box<dyn EvaluatePoints>,
        settings: ScanSettings,
    ) -> Result<Self, ScanError> {
        if !settings.keep.is_empty() && evaluator.staged_files().is_none() {
            return Err(ScanError::setting(
                "oracle.keep",
                "this evaluation pool keeps no files (kept files work in a single process)",
            ));
        }
        let shape = evaluator.shape().clone();
        if shape.n_inputs != space.dim() {
            return Err(ScanError::OracleMismatch(format!(
                "the oracle takes {} inputs but the run scans {} parameter(s)",
                shape.n_inputs,
                space.dim()
            )));
        }
        let names: Vec<String> = space.parameters().iter().map(|p| p.name.clone()).collect();
        crate::journal::check_columns(&names, &shape.output_names)?;
        let target = target.bind(&shape.output_names)?;
        Ok(Scanner {
            history: History::new(space.dim(), shape.n_outputs()),
            space,
            target,
            settings,
            evaluator,
            strategy: Box::new(Uniform),
            iterations: Vec::new(),
            observers: Vec::new(),
            run: None,
            stop_flag: Arc::new(AtomicBool::new(false)),
            next_iteration: 0,
            next_id: 0,
            clock: Clock {
                started: Instant::now(),
                before: 0.0,
            },
            fingerprint: None,
            stop_reason: None,
            spacing: None,
            resumed: None,
            ahead: None,
            kept: None,
        })
    }

    /// Use `strategy` for the iterations after the initial sample.
    pub fn with_strategy(mut self, strategy: Box<dyn Strategy>) -> Self {
        self.strategy = strategy;
        self
    }

    /// Tag the run's checkpoints with a fingerprint of its configuration; resuming checks
    /// that it still matches. Set it before [`Scanner::with_run_dir`] or
    /// [`Scanner::resume_run_dir`].
    pub fn with_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = Some(fingerprint.into());
        self
    }

    fn layout(&self) -> Layout {
        let names: Vec<String> = self.space.parameters().iter().map(|p| p.name.clone()).collect();
        let with_likelihood = self.target.has_likelihood();
        Layout {
            header: journal::header(&names, self.output_names(), with_likelihood),
            dim: self.space.dim(),
            n_outputs: self.history.n_outputs(),
            with_likelihood,
        }
    }

    fn attach(&mut self, mut run: RunFiles) {
        // The files come before any observer added so far: points are durable before
        // anything reports them.
        run.observers.append(&mut self.observers);
        self.observers = std::mem::take(&mut run.observers);
        self.run = Some(run);
    }

    /// Record the run in `dir` (created; must not hold a previous run): `points.csv` and
    /// `in_target.csv` streamed as points arrive, `iterations.csv`, `summary.json` and
    /// `checkpoint/` after every iteration.
    pub fn with_run_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        let run = run_dir::create(dir.as_ref(), &self.layout(), self.fingerprint.clone())?;
        self.kept = KeptFiles::new(self.settings.keep.clone(), dir.as_ref());
        self.attach(run);
        Ok(self)
    }

    /// Continue the run recorded in `dir` (made by [`Scanner::with_run_dir`] with the same
    /// space, target and oracle): replay `points.csv` (dropping a torn last line), restore
    /// the checkpoint (wall time, surrogate weights), and append to the run's files.
    /// An interrupted iteration goes on with the batch it had proposed: its points not yet
    /// on record are evaluated under their own ids, so ids stay contiguous, no point is
    /// evaluated twice, none is lost, and the iteration gets its row in `iterations.csv`.
    /// (A run interrupted before its batch was saved proposes that batch afresh.)
    pub fn resume_run_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        let (layout, fingerprint) = (self.layout(), self.fingerprint.clone());
        self.kept = KeptFiles::new(self.settings.keep.clone(), dir.as_ref());
        let (history, space) = (&mut self.history, &self.space);
        let (run, replay) = run_dir::reopen(dir.as_ref(), &layout, fingerprint, |r| {
            history.push(r, &space.to_unit_rows(&r.x))
        })?;
        self.next_id = replay.next_id;
        self.next_iteration = replay.next_iteration;
        self.iterations = replay.iterations;
        if let Some(state) = &replay.checkpoint {
            self.clock.before = state.seconds;
            run.checkpointer.restore_strategy(state, self.strategy.as_mut())?;
            // A pending batch whose row is written already (an interruption between the
            // row and the checkpoint) is complete: all its points are on record.
            let row_written = self.iterations.iter().any(|r| r.iteration == state.next_iteration);
            if let (Some(pending), true) = (&state.pending, row_written) {
                self.next_iteration = state.next_iteration + 1;
                self.next_id = pending.first_id + pending.origin.len() as u64;
            } else if let Some(pending) = &state.pending {
                self.next_iteration = state.next_iteration;
                self.next_id = pending.first_id;
                self.resumed = Some((pending.clone(), replay.pending_done));
            }
        }
        self.attach(run);
        Ok(self)
    }

    /// Add an observer; it sees every event after those of the run directory's files.
    pub fn add_observer(&mut self, observer: Box<dyn Observer>) {
        self.observers.push(observer);
    }

    /// A flag that, once set (e.g. from a Ctrl-C handler), stops the run after the points
    /// in flight: nothing evaluated is lost.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop_flag)
    }

    /// All evaluated points.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Per-iteration records.
    pub fn iterations(&self) -> &[IterationRecord] {
        &self.iterations
    }

    /// The parameter box.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// Oracle instances evaluating at once.
    pub fn workers(&self) -> usize {
        self.evaluator.workers()
    }

    /// Names of the oracle outputs.
    pub fn output_names(&self) -> &[String] {
        &self.evaluator.shape().output_names
    }

    /// The target, bound to the oracle's outputs.
    pub fn target(&self) -> &BoundTarget {
        &self.target
    }

    fn state(&self) -> RunState {
        RunState {
            oracle_calls: self.history.len() as u64,
            in_target: self.history.count_in_target() as u64,
            iterations: self.next_iteration,
            seconds: self.clock.seconds(),
        }
    }

    /// The stopping rule that holds now, if any.
    pub fn stop_reason(&self) -> Option<StopReason> {
        if self.stop_flag.load(Ordering::Relaxed) {
            return Some(StopReason::Interrupted);
        }
        self.settings.stop.reason(&self.state())
    }

    /// Run up to `n` iterations; returns the stopping rule if one ended the run earlier.
    pub fn advance(&mut self, n: u32) -> Result<Option<StopReason>, ScanError> {
        for _ in 0..n {
            if let Some(reason) = self.stop_reason() {
                return self.finish(reason).map(Some);
            }
            self.iterate()?;
        }
        Ok(self.stop_reason())
    }

    /// Run until a stopping rule holds; returns the summary.
    pub fn run(&mut self) -> Result<Summary, ScanError> {
        loop {
            if let Some(reason) = self.stop_reason() {
                self.finish(reason)?;
                return Ok(self.summary());
            }
            self.iterate()?;
        }
    }

    fn finish(&mut self, reason: StopReason) -> Result<StopReason, ScanError> {
        if self.stop_reason.is_none() {
            self.stop_reason = Some(reason);
            self.spacing = records::Spacing::of(&self.history)?;
            let summary = self.summary();
            for o in &mut self.observers {
                o.on_finish(&summary)?;
            }
        }
        Ok(reason)
    }

    /// The batch of iteration `iteration`: the initial sample, then the strategy's.
    fn propose(&mut self, iteration: u32, n: usize) -> Result<Proposal, ScanError> {
        let dim = self.space.dim();
        let mut rng = iteration_stream(self.settings.seed, iteration);
        let proposal = if iteration == 0 {
            Proposal {
                unit: match self.settings.initial_sampling {
                    InitialSampling::Uniform => uniform_points(dim, n, &mut rng),
                    InitialSampling::LatinHypercube => latin_hypercube_points(dim, n, &mut rng),
                },
                origin: vec![Origin::Initial; n],
                report: ProposalReport::default(),
            }
        } else if self.settings.pipeline && iteration >= 2 {
            // What a pipelined scan proposed this batch from: the points up to iteration
            // j − 2, with batch j − 1 pending (see `iterate`).
            let cut = self.history.iterations().partition_point(|&i| i + 1 < iteration);
            let pending = &self.history.unit()[cut * dim..];
            let earlier = self.history.prefix(cut);
            // With the thread count of a proposal made beside the evaluation: a different
            // count sums in a different order, and the network would differ in its last bits.
            let own = crate::cpus::compute_threads();
            crate::cpus::set_compute_threads(self.ahead_threads());
            let proposal = self.strategy.propose_ahead(&earlier, pending, n, &mut rng);
            crate::cpus::set_compute_threads(own);
            proposal?
        } else {
            self.strategy.propose(&self.history, n, &mut rng)?
        };
        self.checked(proposal, n)
    }

    /// `proposal` when it holds `n` points of the space's dimension.
    fn checked(&self, proposal: Proposal, n: usize) -> Result<Proposal, ScanError> {
        let dim = self.space.dim();
        if proposal.unit.len() != n * dim || proposal.origin.len() != n {
            return Err(ScanError::BadProposal {
                strategy: self.strategy.name().to_string(),
                values: proposal.unit.len(),
                origins: proposal.origin.len(),
                points: n,
                dim,
            });
        }
        Ok(proposal)
    }

    /// Evaluate the points `todo` (indices into the proposal; point `i` gets id
    /// `first_id + i`), handing each chunk's records to the observers as it arrives; returns
    /// the records in proposal order and the seconds spent.
    fn evaluate(
        &mut self,
        iteration: u32,
        proposal: &Proposal,
        first_id: u64,
        todo: &[usize],
    ) -> Result<(Vec<PointRecord>, f64), ScanError> {
        let (parts, _, _) = self.evaluation_parts();
        evaluate(parts, iteration, proposal, first_id, todo)
    }

    /// What evaluating a batch borrows, and apart from it the strategy and the history.
    fn evaluation_parts(&mut self) -> (Evaluation<'_>, &mut Box<dyn Strategy>, &History) {
        let parts = Evaluation {
            space: &self.space,
            evaluator: self.evaluator.as_mut(),
            target: &self.target,
            observers: &mut self.observers,
            stop_flag: &self.stop_flag,
            kept: self.kept.as_ref(),
            n_outputs: self.history.n_outputs(),
            calls_before: self.history.len() as u64,
            in_target_before: self.history.count_in_target() as u64,
        };
        (parts, &mut self.strategy, &self.history)
    }

    /// The size of the batch after iteration `iteration` to propose while it is evaluated
    /// (0 for none): a pipelined scan's, once the strategy has points to learn from, unless
    /// it is proposed already or the budget ends with `calls` points.
    fn look_ahead(&self, iteration: u32, calls: usize) -> usize {
        if !self.settings.pipeline
            || iteration == 0
            || self.ahead.as_ref().is_some_and(|a| a.iteration == iteration + 1)
        {
            return 0;
        }
        (self.settings.batch_size as u64).min(self.settings.stop.remaining_calls(calls as u64)) as usize
    }

    /// The training threads of a pipelined proposal. The oracle workers run meanwhile, so
    /// training gets the rest of the budget, at least one thread: training threads waiting
    /// at every operation for a core held by a worker made a pipelined scan slower than a
    /// sequential one.
    fn ahead_threads(&self) -> usize {
        crate::cpus::compute_threads()
            .saturating_sub(self.evaluator.local_workers())
            .max(1)
    }

    /// [`Scanner::evaluate`], while the strategy proposes the `next` points of the following
    /// iteration from the history's first `before` points (those before this batch) with
    /// this batch pending, at the unit coordinates of the x they are recorded at: what a
    /// resumed run proposes from too (see `propose`).
    fn evaluate_while_proposing(
        &mut self,
        iteration: u32,
        proposal: &Proposal,
        first_id: u64,
        todo: &[usize],
        before: usize,
        next: usize,
    ) -> Result<(Vec<PointRecord>, f64), ScanError> {
        let pending = self.space.to_unit_rows(&self.space.from_unit_rows(&proposal.unit));
        let earlier = (before < self.history.len()).then(|| self.history.prefix(before));
        let seed = self.settings.seed;
        let threads = self.ahead_threads();
        let (parts, strategy, whole) = self.evaluation_parts();
        let history: &History = earlier.as_ref().unwrap_or(whole);
        let (evaluated, (ahead, seconds)) = std::thread::scope(|s| {
            let proposing = s.spawn(move || {
                crate::cpus::set_compute_threads(threads);
                let t = Instant::now();
                let mut rng = iteration_stream(seed, iteration + 1);
                let p = strategy.propose_ahead(history, &pending, next, &mut rng);
                (p, t.elapsed().as_secs_f64())
            });
            let evaluated = evaluate(parts, iteration, proposal, first_id, todo);
            let ahead = proposing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (evaluated, ahead)
        });
        // Kept even when the evaluation stopped early: the same batch would be proposed
        // again from the same points.
        self.ahead = Some(Ahead {
            iteration: iteration + 1,
            proposal: ahead,
            seconds,
        });
        evaluated
    }

    fn iterate(&mut self) -> Result<(), ScanError> {
        let iteration = self.next_iteration;
        let first_id = self.next_id;
        let (pending, earlier) = match self.resumed.take() {
            Some((pending, earlier)) => {
                for o in &mut self.observers {
                    o.on_iteration_start(iteration, pending.origin.len() - earlier.len())?;
                }
                (pending, earlier)
            }
            None => {
                let wanted = if iteration == 0 {
                    self.settings.initial_points
                } else {
                    self.settings.batch_size
                };
                let n = (wanted as u64).min(self.settings.stop.remaining_calls(self.history.len() as u64)) as usize;
                for o in &mut self.observers {
                    o.on_iteration_start(iteration, n)?;
                }
                let (proposal, seconds_proposal) = match self.ahead.take() {
                    Some(a) if a.iteration == iteration && a.proposal.as_ref().is_ok_and(|p| p.origin.len() == n) => {
                        (self.checked(a.proposal?, n)?, a.seconds)
                    }
                    Some(Ahead { proposal: Err(e), .. }) => return Err(e),
                    _ => {
                        let t0 = Instant::now();
                        (self.propose(iteration, n)?, t0.elapsed().as_secs_f64())
                    }
                };
                let pending = PendingBatch {
                    first_id,
                    unit: proposal.unit,
                    origin: proposal.origin,
                    report: proposal.report,
                    seconds_proposal,
                };
                // The batch is on disk before any of it is evaluated: an interruption from
                // here on resumes with this very batch.
                self.checkpoint(Some(pending.clone()), true)?;
                (pending, Vec::new())
            }
        };
        let proposal = Proposal {
            unit: pending.unit.clone(),
            origin: pending.origin.clone(),
            report: pending.report.clone(),
        };
        let n = proposal.origin.len();
        let todo: Vec<usize> = (0..n)
            .filter(|&i| !earlier.iter().any(|r| r.id == first_id + i as u64))
            .collect();
        // The points of this iteration evaluated before an interruption are the last ones
        // on record.
        let before = self.history.len() - earlier.len();
        let next = self.look_ahead(iteration, before + n);
        let (fresh, seconds_oracle) = if next > 0 {
            self.evaluate_while_proposing(iteration, &proposal, first_id, &todo, before, next)?
        } else {
            self.evaluate(iteration, &proposal, first_id, &todo)?
        };
        let stopped = fresh.len() < todo.len();
        let mut points = earlier;
        points.extend(fresh);
        points.sort_by_key(|r| r.id);
        // On record in id order, at the unit coordinates of their recorded x: what a resumed
        // run rebuilds from points.csv, so that it trains and proposes on the same data.
        self.history.truncate(before);
        for r in &points {
            self.history.push(r, &self.space.to_unit_rows(&r.x));
        }
        if stopped {
            // Interrupted: the iteration is not over. Its batch stays pending (on disk, with
            // the time spent so far, and here for a later call in this process).
            self.checkpoint(Some(pending.clone()), false)?;
            self.resumed = Some((pending, points));
            return Ok(());
        }
        self.next_id = first_id + n as u64;
        let seconds_proposal = pending.seconds_proposal;
        let record = IterationRecord::tally(
            iteration,
            &points,
            &proposal.report,
            seconds_proposal,
            seconds_oracle,
            &self.history,
        );
        self.next_iteration += 1;
        self.iterations.push(record.clone());
        let summary = self.summary();
        for o in &mut self.observers {
            o.on_iteration_end(&record, &summary)?;
        }
        // The strategy is as it was saved with the proposal: only the counters change.
        self.checkpoint(None, false)
    }

    /// Save the checkpoint: the counters, the strategy's state (written anew only when it
    /// `changed` since the last save) and the batch in progress.
    fn checkpoint(&self, pending: Option<PendingBatch>, changed: bool) -> Result<(), ScanError> {
        if let Some(run) = &self.run {
            let state = CheckpointState {
                next_iteration: self.next_iteration,
                next_id: self.next_id,
                points: self.history.len(),
                seconds: self.clock.seconds(),
                pending,
            };
            if changed {
                run.checkpointer.save(&state, self.strategy.as_ref())?;
            } else {
                run.checkpointer.save_unchanged(&state, self.strategy.as_ref())?;
            }
        }
        Ok(())
    }

    /// The run's totals so far.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::of(
            &self.history,
            &self.iterations,
            RunFacts {
                strategy: self.strategy.name(),
                iterations: self.next_iteration,
                stop_reason: self.stop_reason,
                seconds_total: self.clock.seconds(),
                workers: self.evaluator.workers(),
                abandoned_workers: self.evaluator.abandoned_workers(),
            },
        );
        summary.spacing = self.spacing.clone();
        summary
    }
}
