//! The scanner: runs a strategy against an oracle, batch after batch, until a stopping rule
//! holds, recording every point.
//!
//! In argmin's terms the [`Scanner`] is the executor and a [`Strategy`] the solver: the
//! strategy only proposes points; evaluation, recording, stopping rules, observers and the
//! run directory belong to the scanner.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::evaluator::{Evaluator, EvaluatorOptions, OracleFactory, Status};
use crate::history::{History, PointRecord};
use crate::journal::{self, Journal};
use crate::space::Space;
use crate::strategy::{
    InitialSampling, Origin, Proposal, ProposalReport, Strategy, Uniform, latin_hypercube_points, uniform_points,
};
use crate::target::{BoundTarget, Target};

/// When to stop; whichever rule holds first ends the run. At least one must be set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StopRules {
    /// Total oracle calls (evaluated points, failures included).
    pub max_oracle_calls: Option<u64>,
    /// In-target points found.
    pub max_in_target: Option<u64>,
    /// Iterations, counting the initial sample as iteration 0.
    pub max_iterations: Option<u32>,
    /// Wall time in seconds (checked between iterations).
    pub max_seconds: Option<f64>,
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    OracleCalls,
    InTarget,
    Iterations,
    WallTime,
    Interrupted,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::OracleCalls => "oracle-call budget reached",
            StopReason::InTarget => "in-target goal reached",
            StopReason::Iterations => "iteration limit reached",
            StopReason::WallTime => "wall-time limit reached",
            StopReason::Interrupted => "interrupted",
        })
    }
}

/// Settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSettings {
    /// Points per iteration after the initial sample (K).
    pub batch_size: usize,
    /// Points of the initial sample (K0).
    pub initial_points: usize,
    /// How the initial sample is drawn (uniform by default).
    pub initial_sampling: InitialSampling,
    /// Seed of every random choice of the run.
    pub seed: u64,
    pub stop: StopRules,
    pub evaluator: EvaluatorOptions,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            batch_size: 100,
            initial_points: 100,
            initial_sampling: InitialSampling::Uniform,
            seed: 0,
            stop: StopRules::default(),
            evaluator: EvaluatorOptions::default(),
        }
    }
}

impl ScanSettings {
    fn check(&self) -> Result<(), ScanError> {
        if self.batch_size == 0 {
            return Err(ScanError::Config("batch_size must be at least 1".into()));
        }
        if self.initial_points == 0 {
            return Err(ScanError::Config("initial_points must be at least 1".into()));
        }
        let s = &self.stop;
        if s.max_oracle_calls.is_none()
            && s.max_in_target.is_none()
            && s.max_iterations.is_none()
            && s.max_seconds.is_none()
        {
            return Err(ScanError::Config(
                "no stopping rule: set max_oracle_calls, max_in_target, max_iterations or max_seconds".into(),
            ));
        }
        if s.max_oracle_calls == Some(0) || s.max_in_target == Some(0) || s.max_iterations == Some(0) {
            return Err(ScanError::Config("stopping limits must be positive".into()));
        }
        if let Some(t) = s.max_seconds
            && !(t.is_finite() && t > 0.0)
        {
            return Err(ScanError::Config(format!(
                "max_seconds = {t} must be a positive number"
            )));
        }
        Ok(())
    }
}

/// What happened in one iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    pub iteration: u32,
    /// Oracle calls made in this iteration.
    pub oracle_calls: u64,
    /// In-target points found in this iteration.
    pub new_in_target: u64,
    /// Oracle calls so far.
    pub total_oracle_calls: u64,
    /// In-target points so far.
    pub total_in_target: u64,
    /// Points of this iteration that failed, were NaN or timed out.
    pub failures: u64,
    /// Points the surrogate chose, and how many of them were in target.
    pub surrogate_points: u64,
    pub surrogate_in_target: u64,
    /// Precision of the surrogate's points (in target / chosen), when it chose any.
    pub precision_surrogate: Option<f64>,
    /// Uniform points (exploration, fill-up, initial sample), and how many were in target.
    pub random_points: u64,
    pub random_in_target: u64,
    pub precision_random: Option<f64>,
    /// Candidates the surrogate predicted in target.
    pub predicted_in_target: Option<usize>,
    /// Surrogate's final training loss and held-out metric.
    pub training_loss: Option<f64>,
    pub validation_metric: Option<f64>,
    /// Seconds training the surrogate, scoring candidates, adapting and sampling the VEGAS
    /// map, proposing the batch in all, and evaluating it.
    pub seconds_training: f64,
    pub seconds_prediction: f64,
    pub seconds_vegas: f64,
    pub seconds_proposal: f64,
    pub seconds_oracle: f64,
}

/// Counts of point outcomes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok: u64,
    pub failed: u64,
    pub nan: u64,
    pub timeout: u64,
}

/// The run's totals, written to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub strategy: String,
    pub oracle_calls: u64,
    pub in_target: u64,
    /// In-target points per oracle call.
    pub efficiency: f64,
    pub status: StatusCounts,
    /// Iterations run, the initial sample included.
    pub iterations: u32,
    pub stop_reason: Option<StopReason>,
    pub seconds_total: f64,
    pub seconds_oracle: f64,
    pub seconds_proposal: f64,
    /// Of which training the surrogate.
    pub seconds_training: f64,
    /// Oracle calls per second of evaluation.
    pub oracle_calls_per_second: f64,
    pub workers: usize,
    pub abandoned_workers: usize,
}

/// Progress events, for progress bars and logs.
pub trait Observer: Send {
    /// An iteration starts; `batch` points will be proposed and evaluated.
    fn on_iteration_start(&mut self, _iteration: u32, _batch: usize) {}
    /// Points of the current batch have been evaluated (`done` of `batch` so far).
    fn on_points(&mut self, _done: usize, _batch: usize, _total_calls: u64, _total_in_target: u64) {}
    /// An iteration ended.
    fn on_iteration_end(&mut self, _record: &IterationRecord) {}
    /// The run stopped.
    fn on_finish(&mut self, _summary: &Summary) {}
}

/// The scan loop.
pub struct Scanner {
    space: Space,
    target: BoundTarget,
    settings: ScanSettings,
    evaluator: Evaluator,
    strategy: Box<dyn Strategy>,
    rng: Xoshiro256PlusPlus,
    history: History,
    iterations: Vec<IterationRecord>,
    journal: Option<Journal>,
    in_target_journal: Option<Journal>,
    iterations_csv: Option<csv::Writer<std::fs::File>>,
    run_dir: Option<PathBuf>,
    observers: Vec<Box<dyn Observer>>,
    stop_flag: Arc<AtomicBool>,
    next_iteration: u32,
    next_id: u64,
    started: Instant,
    /// Wall time of the run before this process (resumed runs).
    seconds_before: f64,
    fingerprint: Option<String>,
    stop_reason: Option<StopReason>,
}

/// What `checkpoint/state.json` holds: everything beyond `points.csv` needed to continue.
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint {
    format: String,
    fingerprint: Option<String>,
    next_iteration: u32,
    next_id: u64,
    points: usize,
    rng: Xoshiro256PlusPlus,
    seconds: f64,
    /// Directory (under `checkpoint/`) holding the strategy's state.
    strategy_state: Option<String>,
}

const CHECKPOINT_FORMAT: &str = "dlscan-checkpoint/1";

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
        let evaluator = Evaluator::new(factory, settings.evaluator.clone())?;
        let shape = evaluator.shape().clone();
        if shape.n_inputs != space.dim() {
            return Err(ScanError::Config(format!(
                "the oracle takes {} inputs but the run scans {} parameter(s)",
                shape.n_inputs,
                space.dim()
            )));
        }
        let target = target.bind(&shape.output_names)?;
        Ok(Scanner {
            rng: Xoshiro256PlusPlus::seed_from_u64(settings.seed),
            history: History::new(space.dim(), shape.n_outputs()),
            space,
            target,
            settings,
            evaluator,
            strategy: Box::new(Uniform),
            iterations: Vec::new(),
            journal: None,
            in_target_journal: None,
            iterations_csv: None,
            run_dir: None,
            observers: Vec::new(),
            stop_flag: Arc::new(AtomicBool::new(false)),
            next_iteration: 0,
            next_id: 0,
            started: Instant::now(),
            seconds_before: 0.0,
            fingerprint: None,
            stop_reason: None,
        })
    }

    /// Use `strategy` for the iterations after the initial sample.
    pub fn with_strategy(mut self, strategy: Box<dyn Strategy>) -> Self {
        self.strategy = strategy;
        self
    }

    /// Record the run in `dir` (created; must not hold a previous run): `points.csv`
    /// streamed as points arrive, `summary.json` after every iteration.
    pub fn with_run_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(ScanError::io(dir))?;
        let points = dir.join("points.csv");
        if points.exists() {
            return Err(ScanError::Config(format!(
                "{} already holds a run (points.csv exists); choose another directory or remove it",
                dir.display()
            )));
        }
        let names: Vec<String> = self.space.parameters().iter().map(|p| p.name.clone()).collect();
        let header = journal::header(
            &names,
            &self.evaluator.shape().output_names,
            self.target.has_likelihood(),
        );
        self.journal = Some(Journal::create(&points, &header, self.target.has_likelihood())?);
        self.in_target_journal = Some(Journal::create(
            &dir.join("in_target.csv"),
            &header,
            self.target.has_likelihood(),
        )?);
        let iterations = dir.join("iterations.csv");
        self.iterations_csv = Some(csv::Writer::from_path(&iterations).map_err(|e| ScanError::Io {
            path: iterations.clone(),
            source: std::io::Error::other(e),
        })?);
        self.run_dir = Some(dir.to_path_buf());
        Ok(self)
    }

    /// Tag the run's checkpoints with a fingerprint of its configuration; resuming checks
    /// that it still matches.
    pub fn with_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = Some(fingerprint.into());
        self
    }

    /// Continue the run recorded in `dir` (made by [`Scanner::with_run_dir`] with the same
    /// space, target and oracle): replay `points.csv` (dropping a torn last line), restore
    /// the checkpoint (random state, counters, surrogate weights) when it matches the
    /// journal, and append to the run's files. Points of an interrupted iteration that
    /// were evaluated are kept; the rest are proposed afresh, so no point is evaluated
    /// twice and none is lost.
    pub fn resume_run_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, ScanError> {
        let dir = dir.as_ref();
        let points = dir.join("points.csv");
        if !points.is_file() {
            return Err(ScanError::Config(format!(
                "{} holds no points.csv: not a run directory",
                dir.display()
            )));
        }
        let names: Vec<String> = self.space.parameters().iter().map(|p| p.name.clone()).collect();
        let with_likelihood = self.target.has_likelihood();
        let header = journal::header(&names, &self.evaluator.shape().output_names, with_likelihood);
        journal::truncate_torn_tail(&points)?;
        let mut records = journal::read_records(
            &points,
            &header,
            self.space.dim(),
            self.history.n_outputs(),
            with_likelihood,
        )?;
        records.sort_by_key(|r| r.id);
        if records.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(ScanError::Journal {
                path: points.clone(),
                message: "a point id appears twice".into(),
            });
        }
        for r in &records {
            self.history.push(r, &self.space.to_unit_rows(&r.x));
        }
        self.next_id = records.iter().map(|r| r.id + 1).max().unwrap_or(0);
        self.next_iteration = records.iter().map(|r| r.iteration + 1).max().unwrap_or(0);

        let state_path = dir.join("checkpoint").join("state.json");
        let mut exact = false;
        if state_path.is_file() {
            let text = std::fs::read_to_string(&state_path).map_err(ScanError::io(&state_path))?;
            let state: Checkpoint = serde_json::from_str(&text).map_err(|e| ScanError::Journal {
                path: state_path.clone(),
                message: e.to_string(),
            })?;
            if state.format != CHECKPOINT_FORMAT {
                return Err(ScanError::Journal {
                    path: state_path,
                    message: format!("unknown checkpoint format `{}`", state.format),
                });
            }
            if state.fingerprint.is_some() && self.fingerprint.is_some() && state.fingerprint != self.fingerprint {
                return Err(ScanError::Config(format!(
                    "{}: the run's configuration changed since the checkpoint; restore config.toml or start a new run",
                    dir.display()
                )));
            }
            self.seconds_before = state.seconds;
            if state.points == self.history.len() && state.next_iteration == self.next_iteration {
                self.rng = state.rng;
                exact = true;
            }
            if let Some(sub) = &state.strategy_state {
                self.strategy.load_state(&dir.join("checkpoint").join(sub))?;
            }
        }
        if !exact {
            // Killed mid-iteration: the random state of the checkpoint is behind the
            // journal; continue from a state derived from the seed and the iteration.
            self.rng = Xoshiro256PlusPlus::seed_from_u64(self.settings.seed ^ (u64::from(self.next_iteration) << 32));
        }

        // in_target.csv is derived from points.csv: rebuild it so both agree.
        let in_target = dir.join("in_target.csv");
        let rebuilt = dir.join("in_target.csv.tmp");
        let _ = std::fs::remove_file(&rebuilt);
        let mut j = Journal::create(&rebuilt, &header, with_likelihood)?;
        for r in records.iter().filter(|r| r.in_target) {
            j.append(r)?;
        }
        j.sync()?;
        drop(j);
        std::fs::rename(&rebuilt, &in_target).map_err(ScanError::io(&in_target))?;

        let iterations = dir.join("iterations.csv");
        if iterations.is_file() {
            journal::truncate_torn_tail(&iterations)?;
            let mut reader = csv::Reader::from_path(&iterations).map_err(|e| ScanError::Journal {
                path: iterations.clone(),
                message: e.to_string(),
            })?;
            for row in reader.deserialize::<IterationRecord>() {
                self.iterations.push(row.map_err(|e| ScanError::Journal {
                    path: iterations.clone(),
                    message: e.to_string(),
                })?);
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&iterations)
            .map_err(ScanError::io(&iterations))?;
        self.iterations_csv = Some(
            csv::WriterBuilder::new()
                .has_headers(self.iterations.is_empty())
                .from_writer(file),
        );
        self.journal = Some(Journal::reopen(&points, with_likelihood)?);
        self.in_target_journal = Some(Journal::reopen(&in_target, with_likelihood)?);
        self.run_dir = Some(dir.to_path_buf());
        Ok(self)
    }

    /// Write `checkpoint/`: the strategy's state in a new directory, then `state.json`
    /// (atomically; it is the commit point), then remove older strategy directories.
    fn write_checkpoint(&self) -> Result<(), ScanError> {
        let Some(dir) = &self.run_dir else { return Ok(()) };
        let cp = dir.join("checkpoint");
        std::fs::create_dir_all(&cp).map_err(ScanError::io(&cp))?;
        let sub = format!("strategy-{}", self.next_iteration);
        let state_dir = cp.join(&sub);
        let _ = std::fs::remove_dir_all(&state_dir);
        self.strategy.save_state(&state_dir)?;
        let state = Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            fingerprint: self.fingerprint.clone(),
            next_iteration: self.next_iteration,
            next_id: self.next_id,
            points: self.history.len(),
            rng: self.rng.clone(),
            seconds: self.elapsed(),
            strategy_state: state_dir.exists().then(|| sub.clone()),
        };
        write_atomically(
            &cp.join("state.json"),
            serde_json::to_string_pretty(&state).expect("serialisable").as_bytes(),
        )?;
        if let Ok(entries) = std::fs::read_dir(&cp) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("strategy-") && name != sub {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(())
    }

    fn elapsed(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }

    /// Add a progress observer.
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

    /// Names of the oracle outputs.
    pub fn output_names(&self) -> &[String] {
        &self.evaluator.shape().output_names
    }

    /// The stopping rule that holds now, if any.
    pub fn stop_reason(&self) -> Option<StopReason> {
        if self.stop_flag.load(Ordering::Relaxed) {
            return Some(StopReason::Interrupted);
        }
        let s = &self.settings.stop;
        let calls = self.history.len() as u64;
        if s.max_oracle_calls.is_some_and(|m| calls >= m) {
            Some(StopReason::OracleCalls)
        } else if s
            .max_in_target
            .is_some_and(|m| self.history.count_in_target() as u64 >= m)
        {
            Some(StopReason::InTarget)
        } else if s.max_iterations.is_some_and(|m| self.next_iteration >= m) {
            Some(StopReason::Iterations)
        } else if s.max_seconds.is_some_and(|m| self.elapsed() >= m) {
            Some(StopReason::WallTime)
        } else {
            None
        }
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
            self.write_summary()?;
            let summary = self.summary();
            for o in &mut self.observers {
                o.on_finish(&summary);
            }
        }
        Ok(reason)
    }

    fn iterate(&mut self) -> Result<(), ScanError> {
        let iteration = self.next_iteration;
        let wanted = if iteration == 0 {
            self.settings.initial_points
        } else {
            self.settings.batch_size
        };
        let remaining = self
            .settings
            .stop
            .max_oracle_calls
            .map_or(u64::MAX, |m| m.saturating_sub(self.history.len() as u64));
        let n = (wanted as u64).min(remaining) as usize;
        for o in &mut self.observers {
            o.on_iteration_start(iteration, n);
        }
        let t0 = Instant::now();
        let proposal = if iteration == 0 {
            Proposal {
                unit: match self.settings.initial_sampling {
                    InitialSampling::Uniform => uniform_points(self.space.dim(), n, &mut self.rng),
                    InitialSampling::LatinHypercube => latin_hypercube_points(self.space.dim(), n, &mut self.rng),
                },
                origin: vec![Origin::Initial; n],
                report: ProposalReport::default(),
            }
        } else {
            self.strategy.propose(&self.history, n, &mut self.rng)?
        };
        let seconds_proposal = t0.elapsed().as_secs_f64();
        if proposal.unit.len() != n * self.space.dim() || proposal.origin.len() != n {
            return Err(ScanError::Config(format!(
                "strategy `{}` proposed {} values and {} origins for {n} points",
                self.strategy.name(),
                proposal.unit.len(),
                proposal.origin.len()
            )));
        }
        let unit = proposal.unit;
        let x = self.space.from_unit_rows(&unit);
        let base_id = self.next_id;
        self.next_id += n as u64;

        let (d, m) = (self.space.dim(), self.history.n_outputs());
        let mut records: Vec<Option<PointRecord>> = vec![None; n];
        let (mut done, calls_before, in_target_before) =
            (0usize, self.history.len() as u64, self.history.count_in_target() as u64);
        let mut in_target_batch = 0u64;
        let Scanner {
            evaluator,
            target,
            journal,
            in_target_journal,
            observers,
            stop_flag,
            ..
        } = self;
        let origins = &proposal.origin;
        let batch = evaluator.evaluate(&x, stop_flag, |range, outputs, outcomes| {
            for (k, i) in range.clone().enumerate() {
                let out = &outputs[k * m..(k + 1) * m];
                let ok = outcomes[k].status == Status::Ok;
                let verdict = target.judge(ok.then_some(out));
                let record = PointRecord {
                    id: base_id + i as u64,
                    iteration,
                    origin: origins[i],
                    x: x[i * d..(i + 1) * d].to_vec(),
                    outputs: out.to_vec(),
                    likelihood: verdict.likelihood,
                    status: outcomes[k].status,
                    in_target: verdict.in_target,
                    message: outcomes[k].message.clone(),
                };
                if let Some(j) = journal.as_mut() {
                    j.append(&record)?;
                }
                if record.in_target
                    && let Some(j) = in_target_journal.as_mut()
                {
                    j.append(&record)?;
                }
                in_target_batch += u64::from(record.in_target);
                records[i] = Some(record);
            }
            if let Some(j) = journal.as_mut() {
                j.flush()?;
            }
            if let Some(j) = in_target_journal.as_mut() {
                j.flush()?;
            }
            done += range.len();
            for o in observers.iter_mut() {
                o.on_points(done, n, calls_before + done as u64, in_target_before + in_target_batch);
            }
            Ok(())
        })?;
        for j in [self.journal.as_mut(), self.in_target_journal.as_mut()]
            .into_iter()
            .flatten()
        {
            j.sync()?;
        }
        // Append in proposal order, whatever order the workers finished in.
        let r = &proposal.report;
        let mut record = IterationRecord {
            iteration,
            oracle_calls: 0,
            new_in_target: 0,
            total_oracle_calls: 0,
            total_in_target: 0,
            failures: 0,
            surrogate_points: 0,
            surrogate_in_target: 0,
            precision_surrogate: None,
            random_points: 0,
            random_in_target: 0,
            precision_random: None,
            predicted_in_target: r.predicted_in_target,
            training_loss: r.training_loss,
            validation_metric: r.validation_metric,
            seconds_training: r.seconds_training,
            seconds_prediction: r.seconds_prediction,
            seconds_vegas: r.seconds_vegas,
            seconds_proposal,
            seconds_oracle: batch.seconds,
        };
        for (i, r) in records.into_iter().enumerate() {
            if let Some(r) = r {
                record.oracle_calls += 1;
                record.new_in_target += u64::from(r.in_target);
                record.failures += u64::from(r.status != Status::Ok);
                if r.origin == Origin::Surrogate {
                    record.surrogate_points += 1;
                    record.surrogate_in_target += u64::from(r.in_target);
                } else {
                    record.random_points += 1;
                    record.random_in_target += u64::from(r.in_target);
                }
                self.history.push(&r, &unit[i * d..(i + 1) * d]);
            }
        }
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        record.precision_surrogate = ratio(record.surrogate_in_target, record.surrogate_points);
        record.precision_random = ratio(record.random_in_target, record.random_points);
        record.total_oracle_calls = self.history.len() as u64;
        record.total_in_target = self.history.count_in_target() as u64;
        self.next_iteration += 1;
        for o in &mut self.observers {
            o.on_iteration_end(&record);
        }
        if let Some(w) = self.iterations_csv.as_mut() {
            let path = self
                .run_dir
                .as_ref()
                .map(|d| d.join("iterations.csv"))
                .unwrap_or_default();
            let io = |e: std::io::Error| ScanError::Io {
                path: path.clone(),
                source: e,
            };
            w.serialize(&record).map_err(|e| io(std::io::Error::other(e)))?;
            w.flush().map_err(io)?;
        }
        self.iterations.push(record);
        self.write_checkpoint()?;
        self.write_summary()
    }

    /// The run's totals so far.
    pub fn summary(&self) -> Summary {
        let calls = self.history.len() as u64;
        let in_target = self.history.count_in_target() as u64;
        let seconds_oracle: f64 = self.iterations.iter().map(|r| r.seconds_oracle).sum();
        let count = |s| self.history.count_status(s) as u64;
        Summary {
            strategy: self.strategy.name().to_string(),
            oracle_calls: calls,
            in_target,
            efficiency: if calls == 0 {
                0.0
            } else {
                in_target as f64 / calls as f64
            },
            status: StatusCounts {
                ok: count(Status::Ok),
                failed: count(Status::Failed),
                nan: count(Status::Nan),
                timeout: count(Status::Timeout),
            },
            iterations: self.next_iteration,
            stop_reason: self.stop_reason,
            seconds_total: self.elapsed(),
            seconds_oracle,
            seconds_proposal: self.iterations.iter().map(|r| r.seconds_proposal).sum(),
            seconds_training: self.iterations.iter().map(|r| r.seconds_training).sum(),
            oracle_calls_per_second: if seconds_oracle > 0.0 {
                calls as f64 / seconds_oracle
            } else {
                0.0
            },
            workers: self.evaluator.workers(),
            abandoned_workers: self.evaluator.abandoned_workers(),
        }
    }

    fn write_summary(&self) -> Result<(), ScanError> {
        let Some(dir) = &self.run_dir else { return Ok(()) };
        let text = serde_json::to_string_pretty(&self.summary()).expect("summary serialises") + "\n";
        write_atomically(&dir.join("summary.json"), text.as_bytes())
    }
}

/// Write `bytes` to `path` through a temporary file and a rename, so readers see either the
/// old or the new content, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ScanError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(ScanError::io(&tmp))?;
    f.write_all(bytes).map_err(ScanError::io(&tmp))?;
    f.sync_data().map_err(ScanError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(ScanError::io(path))
}
