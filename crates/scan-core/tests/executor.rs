//! The scanner as an executor: the events its observers see, in order, and a run directory
//! continued by a second scanner.

use std::sync::{Arc, Mutex};

use oracle_api::{FnOracle, Oracle, OracleError};
use scan_core::{
    BatchProgress, EvaluatorOptions, IterationRecord, Observer, Parameter, PointRecord, RangeCondition, ScanError,
    ScanSettings, Scanner, Space, StopReason, StopRules, Summary, Target,
};

/// Records every event as a line.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Observer for Recorder {
    fn on_iteration_start(&mut self, iteration: u32, batch: usize) -> Result<(), ScanError> {
        self.0.lock().unwrap().push(format!("start {iteration} {batch}"));
        Ok(())
    }
    fn on_points(&mut self, points: &[PointRecord], p: BatchProgress) -> Result<(), ScanError> {
        let ids: Vec<u64> = points.iter().map(|r| r.id).collect();
        self.0
            .lock()
            .unwrap()
            .push(format!("points {ids:?} {}/{}", p.done, p.batch));
        Ok(())
    }
    fn on_iteration_end(&mut self, r: &IterationRecord, s: &Summary) -> Result<(), ScanError> {
        self.0.lock().unwrap().push(format!(
            "end {} {} {}",
            r.iteration, r.total_oracle_calls, s.oracle_calls
        ));
        Ok(())
    }
    fn on_finish(&mut self, s: &Summary) -> Result<(), ScanError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("finish {:?} {}", s.stop_reason, s.oracle_calls));
        Ok(())
    }
}

fn scanner(stop: StopRules) -> Scanner {
    let space = Space::new(vec![Parameter::linear("x", 0.0, 1.0)]).unwrap();
    let target = Target {
        ranges: vec![RangeCondition {
            output: "y".into(),
            min: None,
            max: Some(0.5),
        }],
        chi2: vec![],
        likelihood: None,
    };
    let factory = Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(FnOracle::new(1, ["y"], |x: &[f64], out: &mut [f64]| {
            out[0] = x[0];
            Ok(())
        })))
    });
    let settings = ScanSettings {
        initial_points: 4,
        batch_size: 3,
        seed: 9,
        stop,
        evaluator: EvaluatorOptions {
            workers: 1,
            chunk_size: Some(2),
            timeout: None,
            keep_files: Vec::new(),
        },
        ..Default::default()
    };
    Scanner::new(space, &target, factory, settings).unwrap()
}

#[test]
fn observers_see_each_iteration_in_order_then_the_finish() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut s = scanner(StopRules {
        max_oracle_calls: Some(8),
        ..Default::default()
    });
    s.add_observer(Box::new(Recorder(Arc::clone(&events))));
    let summary = s.run().unwrap();
    assert_eq!(summary.stop_reason, Some(StopReason::OracleCalls));
    // 4 initial points in chunks of 2, then 3 points, then the last 1 of the budget.
    let expected = [
        "start 0 4",
        "points [0, 1] 2/4",
        "points [2, 3] 4/4",
        "end 0 4 4",
        "start 1 3",
        "points [4, 5] 2/3",
        "points [6] 3/3",
        "end 1 7 7",
        "start 2 1",
        "points [7] 1/1",
        "end 2 8 8",
        "finish Some(OracleCalls) 8",
    ];
    assert_eq!(*events.lock().unwrap(), expected);
}

#[test]
fn a_second_scanner_continues_a_run_directory_where_the_first_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let mut first = scanner(StopRules {
        max_iterations: Some(2),
        ..Default::default()
    })
    .with_fingerprint("cfg")
    .with_run_dir(&run)
    .unwrap();
    first.run().unwrap();
    assert_eq!(first.history().len(), 7);
    let once: Vec<u64> = first.history().ids().to_vec();
    drop(first);
    // The same directory cannot hold a second run.
    assert!(scanner(StopRules::default_calls()).with_run_dir(&run).is_err());
    let mut second = scanner(StopRules {
        max_iterations: Some(4),
        ..Default::default()
    })
    .with_fingerprint("cfg")
    .resume_run_dir(&run)
    .unwrap();
    assert_eq!(second.history().ids(), &once[..]);
    second.run().unwrap();
    assert_eq!(second.history().ids(), (0..13).collect::<Vec<u64>>());
    assert_eq!(second.iterations().len(), 4);
    // While a scanner uses the directory, no other may.
    let busy = scanner(StopRules::default_calls())
        .with_fingerprint("cfg")
        .resume_run_dir(&run);
    assert!(busy.unwrap_err().to_string().contains("in use"));
    drop(second);
    // Another configuration's fingerprint is refused.
    let other = scanner(StopRules::default_calls())
        .with_fingerprint("other")
        .resume_run_dir(&run);
    assert!(other.unwrap_err().to_string().contains("configuration changed"));
}

trait DefaultCalls {
    fn default_calls() -> StopRules;
}

impl DefaultCalls for StopRules {
    fn default_calls() -> StopRules {
        StopRules {
            max_oracle_calls: Some(100),
            ..Default::default()
        }
    }
}

/// Sets the stop flag once it has seen the point with id `at`: an interruption in the
/// middle of an iteration.
struct StopAt(u64, Arc<std::sync::atomic::AtomicBool>);

impl Observer for StopAt {
    fn on_points(&mut self, points: &[PointRecord], _: BatchProgress) -> Result<(), ScanError> {
        if points.iter().any(|r| r.id == self.0) {
            self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }
}

fn rows(s: &Scanner) -> Vec<(u64, Vec<f64>)> {
    let h = s.history();
    let mut rows: Vec<(u64, Vec<f64>)> = (0..h.len())
        .map(|i| (h.ids()[i], h.unit()[i..i + 1].to_vec()))
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

#[test]
fn an_iteration_interrupted_midway_resumes_with_its_own_batch_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let four = || StopRules {
        max_iterations: Some(4),
        ..Default::default()
    };
    let mut whole = scanner(four());
    whole.run().unwrap();
    let mut first = scanner(four())
        .with_fingerprint("cfg")
        .with_run_dir(dir.path().join("run"))
        .unwrap();
    // Iteration 2 holds ids 7, 8, 9 in chunks [7, 8], [9]: stop after the first chunk.
    let stop = first.stop_handle();
    first.add_observer(Box::new(StopAt(7, stop)));
    let summary = first.run().unwrap();
    assert_eq!(summary.stop_reason, Some(StopReason::Interrupted));
    assert_eq!(first.history().ids(), (0..9).collect::<Vec<u64>>());
    assert_eq!(first.iterations().len(), 2, "the interrupted iteration has no row yet");
    drop(first);
    let mut second = scanner(four())
        .with_fingerprint("cfg")
        .resume_run_dir(dir.path().join("run"))
        .unwrap();
    second.run().unwrap();
    // The same points under the same ids as the uninterrupted run: id 9 was evaluated
    // after the resume, as part of iteration 2's own batch.
    assert_eq!(rows(&second), rows(&whole));
    let calls = |s: &Scanner| {
        s.iterations()
            .iter()
            .map(|r| (r.iteration, r.oracle_calls))
            .collect::<Vec<_>>()
    };
    assert_eq!(calls(&second), calls(&whole));
    assert_eq!(calls(&second), [(0, 4), (1, 3), (2, 3), (3, 3)]);
    let table = std::fs::read_to_string(dir.path().join("run/iterations.csv")).unwrap();
    assert_eq!(table.lines().count(), 5, "a header and one row per iteration:\n{table}");
}
