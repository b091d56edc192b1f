//! A run's settings and its termination conditions.

use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::evaluator::EvaluatorOptions;
use crate::strategy::InitialSampling;

/// When to stop; whichever rule holds first ends the run. At least one must be set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// Where a run stands, as the stopping rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunState {
    pub oracle_calls: u64,
    pub in_target: u64,
    /// Iterations completed (the next one's number).
    pub iterations: u32,
    pub seconds: f64,
}

impl StopRules {
    /// Check that at least one rule is set and every limit is positive.
    pub fn check(&self) -> Result<(), ScanError> {
        if *self == StopRules::default() {
            return Err(ScanError::setting(
                "stop",
                "no stopping rule: set max_oracle_calls, max_in_target, max_iterations or max_seconds",
            ));
        }
        for (key, zero) in [
            ("max_oracle_calls", self.max_oracle_calls == Some(0)),
            ("max_in_target", self.max_in_target == Some(0)),
            ("max_iterations", self.max_iterations == Some(0)),
        ] {
            if zero {
                return Err(ScanError::setting(format!("stop.{key}"), "must be positive"));
            }
        }
        if let Some(t) = self.max_seconds
            && !(t.is_finite() && t > 0.0)
        {
            return Err(ScanError::setting(
                "stop.max_seconds",
                format!("{t} must be a positive number"),
            ));
        }
        Ok(())
    }

    /// The first rule that holds in `state`, if any.
    pub fn reason(&self, state: &RunState) -> Option<StopReason> {
        if self.max_oracle_calls.is_some_and(|m| state.oracle_calls >= m) {
            Some(StopReason::OracleCalls)
        } else if self.max_in_target.is_some_and(|m| state.in_target >= m) {
            Some(StopReason::InTarget)
        } else if self.max_iterations.is_some_and(|m| state.iterations >= m) {
            Some(StopReason::Iterations)
        } else if self.max_seconds.is_some_and(|m| state.seconds >= m) {
            Some(StopReason::WallTime)
        } else {
            None
        }
    }

    /// Oracle calls still allowed after `calls`.
    pub fn remaining_calls(&self, calls: u64) -> u64 {
        self.max_oracle_calls.map_or(u64::MAX, |m| m.saturating_sub(calls))
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
    /// Propose each batch while the one before is evaluated: batch j ≥ 2 is proposed from
    /// the points of iterations up to j − 2, with batch j − 1 pending, so the oracle
    /// workers never wait for training. Which points a proposal sees is fixed by the
    /// iteration number, never by timing.
    pub pipeline: bool,
    /// Files of the oracle's to keep for chosen points, in the run directory's `files/`
    /// (only with a run directory).
    pub keep: Vec<crate::kept_files::KeepRule>,
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
            pipeline: false,
            keep: Vec::new(),
        }
    }
}

impl ScanSettings {
    /// Check the batch sizes (the stopping rules are checked by [`StopRules::check`]).
    pub fn check(&self) -> Result<(), ScanError> {
        if self.batch_size == 0 {
            return Err(ScanError::setting("batch_size", "must be at least 1"));
        }
        if self.initial_points == 0 {
            return Err(ScanError::setting("initial_points", "must be at least 1"));
        }
        self.keep.iter().try_for_each(crate::kept_files::KeepRule::check)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(calls: u64, found: u64, iterations: u32, seconds: f64) -> RunState {
        RunState {
            oracle_calls: calls,
            in_target: found,
            iterations,
            seconds,
        }
    }

    #[test]
    fn the_first_rule_that_holds_ends_the_run() {
        let rules = StopRules {
            max_oracle_calls: Some(100),
            max_in_target: Some(10),
            max_iterations: Some(5),
            max_seconds: Some(60.0),
        };
        assert_eq!(rules.reason(&state(99, 9, 4, 59.0)), None);
        assert_eq!(rules.reason(&state(100, 9, 4, 59.0)), Some(StopReason::OracleCalls));
        assert_eq!(rules.reason(&state(50, 10, 4, 59.0)), Some(StopReason::InTarget));
        assert_eq!(rules.reason(&state(50, 9, 5, 59.0)), Some(StopReason::Iterations));
        assert_eq!(rules.reason(&state(50, 9, 4, 60.0)), Some(StopReason::WallTime));
        assert_eq!(rules.remaining_calls(30), 70);
        assert_eq!(rules.remaining_calls(130), 0);
        assert_eq!(StopRules::default().remaining_calls(7), u64::MAX);
    }

    #[test]
    fn rules_must_exist_and_be_positive() {
        assert!(StopRules::default().check().is_err());
        let zero = StopRules {
            max_iterations: Some(0),
            ..Default::default()
        };
        assert!(zero.check().unwrap_err().to_string().contains("max_iterations"));
        let nan = StopRules {
            max_seconds: Some(f64::NAN),
            ..Default::default()
        };
        assert!(nan.check().is_err());
        let ok = StopRules {
            max_in_target: Some(3),
            ..Default::default()
        };
        assert!(ok.check().is_ok());
    }
}
