//! What a run reports: one record per iteration and the run's totals.

use serde::{Deserialize, Serialize};

use super::rules::StopReason;
use crate::evaluator::Status;
use crate::history::{History, PointRecord};
use crate::strategy::{Origin, ProposalReport};

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
    /// The surrogate's points the oracle failed on (failed, NaN or timed out), and their
    /// share of its points.
    #[serde(default)]
    pub surrogate_failures: u64,
    #[serde(default)]
    pub failure_share_surrogate: Option<f64>,
    /// Uniform points (exploration, fill-up, initial sample), and how many were in target.
    pub random_points: u64,
    pub random_in_target: u64,
    pub precision_random: Option<f64>,
    /// Candidates the surrogate predicted in target.
    pub predicted_in_target: Option<usize>,
    /// Width of the local proposals, as a fraction of the box.
    #[serde(default)]
    pub local_sigma: Option<f64>,
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

impl IterationRecord {
    /// The record of iteration `iteration` from its evaluated points, the strategy's report
    /// and the timings; totals are taken from `history`, which already holds the points.
    pub fn tally(
        iteration: u32,
        points: &[PointRecord],
        report: &ProposalReport,
        seconds_proposal: f64,
        seconds_oracle: f64,
        history: &History,
    ) -> IterationRecord {
        let count = |f: &dyn Fn(&PointRecord) -> bool| points.iter().filter(|p| f(p)).count() as u64;
        // The surrogate's share of the batch: its picks and the checks spent from it.
        let surrogate = |p: &PointRecord| matches!(p.origin, Origin::Surrogate | Origin::Check);
        let surrogate_points = count(&surrogate);
        let surrogate_in_target = count(&|p| surrogate(p) && p.in_target);
        let surrogate_failures = count(&|p| surrogate(p) && p.status != Status::Ok);
        let random_points = points.len() as u64 - surrogate_points;
        let random_in_target = count(&|p| !surrogate(p) && p.in_target);
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        IterationRecord {
            iteration,
            oracle_calls: points.len() as u64,
            new_in_target: count(&|p| p.in_target),
            total_oracle_calls: history.len() as u64,
            total_in_target: history.count_in_target() as u64,
            failures: count(&|p| p.status != Status::Ok),
            surrogate_points,
            surrogate_in_target,
            precision_surrogate: ratio(surrogate_in_target, surrogate_points),
            surrogate_failures,
            failure_share_surrogate: ratio(surrogate_failures, surrogate_points),
            random_points,
            random_in_target,
            precision_random: ratio(random_in_target, random_points),
            predicted_in_target: report.predicted_in_target,
            local_sigma: report.local_sigma,
            training_loss: report.training_loss,
            validation_metric: report.validation_metric,
            seconds_training: report.seconds_training,
            seconds_prediction: report.seconds_prediction,
            seconds_vegas: report.seconds_vegas,
            seconds_proposal,
            seconds_oracle,
        }
    }
}

/// Counts of point outcomes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok: u64,
    pub failed: u64,
    pub nan: u64,
    pub timeout: u64,
    /// Points whose worker process died (isolation = "process").
    #[serde(default)]
    pub crashed: u64,
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
    /// How evenly the in-target points map what they cover, written when the run ends.
    #[serde(default)]
    pub spacing: Option<Spacing>,
}

/// The spacing of the in-target points (unit-cube coordinates): the median distance to
/// the nearest other in-target point, and its ratio to that of an even spread of as many
/// points over the grid cells they occupy (cells of 1/32 of the box per side up to three
/// dimensions, 1/8 up to six, 1/4 beyond). About 1 for an even map; far below 1 when the
/// points pile up in patches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spacing {
    pub median_nn_distance: f64,
    pub ratio_to_even: f64,
}

impl Spacing {
    /// The spacing of the in-target points of `history` (None for fewer than two).
    pub(crate) fn of(history: &History) -> Result<Option<Spacing>, crate::error::ScanError> {
        use rand::SeedableRng;
        let d = history.dim();
        let rows: Vec<f64> = (0..history.len())
            .filter(|&i| history.in_target()[i])
            .flat_map(|i| history.unit()[i * d..(i + 1) * d].iter().copied())
            .collect();
        let n = rows.len() / d.max(1);
        if n < 2 {
            return Ok(None);
        }
        let points = ndarray::ArrayView2::from_shape((n, d), &rows).expect("rows of d");
        let cell = match d {
            0..=3 => 1.0 / 32.0,
            4..=6 => 1.0 / 8.0,
            _ => 0.25,
        };
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
        let median = crate::coverage::median_nn_distance(points)?;
        let even = crate::coverage::even_spread(points, cell, &mut rng);
        Ok(Some(Spacing {
            median_nn_distance: median,
            ratio_to_even: median / crate::coverage::median_nn_distance(even.view())?,
        }))
    }
}

/// What [`Summary::of`] needs beyond the history and the iteration records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunFacts<'a> {
    pub strategy: &'a str,
    pub iterations: u32,
    pub stop_reason: Option<StopReason>,
    pub seconds_total: f64,
    pub workers: usize,
    pub abandoned_workers: usize,
}

impl Summary {
    pub(crate) fn of(history: &History, records: &[IterationRecord], facts: RunFacts<'_>) -> Summary {
        let calls = history.len() as u64;
        let in_target = history.count_in_target() as u64;
        let seconds_oracle: f64 = records.iter().map(|r| r.seconds_oracle).sum();
        let count = |s| history.count_status(s) as u64;
        Summary {
            strategy: facts.strategy.to_string(),
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
                crashed: count(Status::Crashed),
            },
            iterations: facts.iterations,
            stop_reason: facts.stop_reason,
            seconds_total: facts.seconds_total,
            seconds_oracle,
            seconds_proposal: records.iter().map(|r| r.seconds_proposal).sum(),
            seconds_training: records.iter().map(|r| r.seconds_training).sum(),
            oracle_calls_per_second: if seconds_oracle > 0.0 {
                calls as f64 / seconds_oracle
            } else {
                0.0
            },
            workers: facts.workers,
            abandoned_workers: facts.abandoned_workers,
            spacing: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: u64, origin: Origin, status: Status, in_target: bool) -> PointRecord {
        PointRecord {
            id,
            iteration: 1,
            origin,
            x: vec![0.5],
            outputs: vec![1.0],
            likelihood: None,
            status,
            in_target,
            message: None,
        }
    }

    #[test]
    fn tally_counts_origins_hits_and_failures() {
        let points = vec![
            point(0, Origin::Surrogate, Status::Ok, true),
            point(1, Origin::Surrogate, Status::Ok, false),
            point(2, Origin::Surrogate, Status::Failed, false),
            point(3, Origin::Surrogate, Status::Ok, true),
            point(4, Origin::Random, Status::Timeout, false),
        ];
        let mut history = History::new(1, 1);
        for p in &points {
            history.push(p, &[0.5]);
        }
        let report = ProposalReport {
            predicted_in_target: Some(42),
            ..Default::default()
        };
        let r = IterationRecord::tally(1, &points, &report, 0.25, 2.0, &history);
        assert_eq!((r.oracle_calls, r.new_in_target, r.failures), (5, 2, 2));
        assert_eq!((r.surrogate_points, r.surrogate_in_target), (4, 2));
        assert_eq!(r.precision_surrogate, Some(0.5));
        assert_eq!((r.surrogate_failures, r.failure_share_surrogate), (1, Some(0.25)));
        assert_eq!((r.random_points, r.random_in_target), (1, 0));
        assert_eq!(r.precision_random, Some(0.0));
        assert_eq!(r.predicted_in_target, Some(42));
        assert_eq!((r.total_oracle_calls, r.total_in_target), (5, 2));
        let s = Summary::of(
            &history,
            &[r],
            RunFacts {
                strategy: "x",
                iterations: 2,
                stop_reason: None,
                seconds_total: 3.0,
                workers: 1,
                abandoned_workers: 0,
            },
        );
        assert_eq!(
            s.status,
            StatusCounts {
                ok: 3,
                failed: 1,
                nan: 0,
                timeout: 1,
                crashed: 0,
            }
        );
        assert_eq!(s.efficiency, 0.4);
        assert_eq!(s.oracle_calls_per_second, 2.5);
    }
}
