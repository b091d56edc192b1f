//! Tests of the evaluator: ordering, failures, timeouts, stops.
use super::*;
use oracle_api::FnOracle;

fn factory<F>(f: F) -> Arc<dyn OracleFactory>
where
    F: Fn(&[f64], &mut [f64]) -> PointResult + Clone + Send + Sync + 'static,
{
    Arc::new(move || -> Result<Box<dyn Oracle>, OracleError> {
        let f = f.clone();
        Ok(Box::new(FnOracle::new(2, ["sum"], move |x: &[f64], o: &mut [f64]| {
            f(x, o)
        })))
    })
}

#[test]
fn results_land_at_their_index_whatever_the_workers() {
    let x: Vec<f64> = (0..2000).map(|i| i as f64).collect();
    for workers in [1, 2, 3] {
        for chunk in [None, Some(1), Some(7)] {
            let mut ev = Evaluator::new(
                factory(|x, o| {
                    o[0] = x[0] + x[1];
                    Ok(())
                }),
                EvaluatorOptions {
                    workers,
                    chunk_size: chunk,
                    timeout: None,
                    keep_files: Vec::new(),
                },
            )
            .unwrap();
            let mut streamed = 0;
            let r = ev
                .evaluate(&x, &AtomicBool::new(false), |range, out, oc| {
                    assert_eq!(out.len(), range.len());
                    assert_eq!(oc.len(), range.len());
                    streamed += range.len();
                    Ok(())
                })
                .unwrap();
            assert_eq!(streamed, 1000);
            for i in 0..1000 {
                assert_eq!(r.outputs[i], (4 * i + 1) as f64);
                assert_eq!(r.outcomes[i].as_ref().unwrap().status, Status::Ok);
            }
        }
    }
}

#[test]
fn failures_nans_and_panics_are_recorded_per_point() {
    let mut ev = Evaluator::new(
        factory(|x, o| {
            match x[0] as i64 % 4 {
                1 => return Err(PointFailure::Failed("bad physics".into())),
                2 => o[0] = f64::NAN,
                3 => panic!("boom"),
                _ => o[0] = 1.0,
            }
            Ok(())
        }),
        EvaluatorOptions {
            workers: 2,
            chunk_size: Some(3),
            timeout: None,
            keep_files: Vec::new(),
        },
    )
    .unwrap();
    let x: Vec<f64> = (0..8).flat_map(|i| [i as f64, 0.0]).collect();
    let r = ev.evaluate(&x, &AtomicBool::new(false), |_, _, _| Ok(())).unwrap();
    let st: Vec<Status> = r.outcomes.iter().map(|o| o.as_ref().unwrap().status).collect();
    let (ok, failed, nan) = (Status::Ok, Status::Failed, Status::Nan);
    assert_eq!(st, [ok, failed, nan, failed, ok, failed, nan, failed]);
    let msg = |i: usize| r.outcomes[i].as_ref().unwrap().message.clone().unwrap();
    assert_eq!(msg(1), "bad physics");
    assert!(msg(2).contains("`sum` is NaN"));
    assert!(msg(3).contains("panic: boom"));
}

#[test]
fn slow_points_time_out_and_workers_are_replaced() {
    let mut ev = Evaluator::new(
        factory(|x, o| {
            if x[0] < 0.0 {
                std::thread::sleep(Duration::from_millis(600));
            }
            o[0] = x[0];
            Ok(())
        }),
        EvaluatorOptions {
            workers: 2,
            chunk_size: None,
            timeout: Some(Duration::from_millis(100)),
            keep_files: Vec::new(),
        },
    )
    .unwrap();
    let x = [1.0, 0.0, -1.0, 0.0, 2.0, 0.0, 3.0, 0.0];
    let started = Instant::now();
    let r = ev.evaluate(&x, &AtomicBool::new(false), |_, _, _| Ok(())).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "the batch waited for the stuck call"
    );
    let st: Vec<Status> = r.outcomes.iter().map(|o| o.as_ref().unwrap().status).collect();
    assert_eq!(st, [Status::Ok, Status::Timeout, Status::Ok, Status::Ok]);
    assert_eq!(r.outputs[3], 3.0);
    assert_eq!(ev.abandoned_workers(), 1);
    assert_eq!(ev.workers(), 2, "the stuck worker was replaced");
}

#[test]
fn stop_flag_leaves_undispatched_points_unevaluated() {
    let stop = AtomicBool::new(false);
    let mut ev = Evaluator::new(
        factory(|_, o| {
            o[0] = 0.0;
            Ok(())
        }),
        EvaluatorOptions {
            workers: 1,
            chunk_size: Some(1),
            timeout: None,
            keep_files: Vec::new(),
        },
    )
    .unwrap();
    let x = vec![0.0; 20];
    let mut seen = 0;
    let r = ev
        .evaluate(&x, &stop, |_, _, _| {
            seen += 1;
            if seen == 3 {
                stop.store(true, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let evaluated = r.outcomes.iter().filter(|o| o.is_some()).count();
    assert_eq!(evaluated, 3);
    assert!(r.outcomes[..3].iter().all(Option::is_some));
}

#[test]
fn bad_options_are_refused() {
    let f = factory(|_, _| Ok(()));
    for options in [
        EvaluatorOptions {
            workers: 0,
            chunk_size: None,
            timeout: None,
            keep_files: Vec::new(),
        },
        EvaluatorOptions {
            workers: 1,
            chunk_size: Some(0),
            timeout: None,
            keep_files: Vec::new(),
        },
        EvaluatorOptions {
            workers: 1,
            chunk_size: None,
            timeout: Some(Duration::ZERO),
            keep_files: Vec::new(),
        },
    ] {
        assert!(matches!(
            Evaluator::new(f.clone(), options),
            Err(ScanError::Setting { .. })
        ));
    }
}

/// Fails a whole batch call when any of its points has x[0] < 0, as a program run for
/// many points at once does when one of them crashes it.
struct AllOrNothing(Shape);

impl Oracle for AllOrNothing {
    fn shape(&self) -> &Shape {
        &self.0
    }
    fn evaluate(&mut self, x: &[f64], out: &mut [f64]) -> PointResult {
        out[0] = x[0] + x[1];
        Ok(())
    }
    fn evaluate_batch(&mut self, x: &[f64], out: &mut [f64], results: &mut [PointResult]) -> Result<(), OracleError> {
        if x.chunks(2).any(|p| p[0] < 0.0) {
            return Err(OracleError("the program crashed on this batch".into()));
        }
        for (i, r) in results.iter_mut().enumerate() {
            *r = self.evaluate(&x[2 * i..2 * i + 2], &mut out[i..i + 1]);
        }
        Ok(())
    }
}

#[test]
fn the_points_of_a_failed_call_are_retried_one_by_one() {
    let factory: Arc<dyn OracleFactory> =
        Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> { Ok(Box::new(AllOrNothing(Shape::new(2, ["sum"])))) });
    let mut ev = Evaluator::new(
        factory,
        EvaluatorOptions {
            workers: 2,
            chunk_size: Some(5),
            timeout: None,
            keep_files: Vec::new(),
        },
    )
    .unwrap();
    // Point 3 poisons its chunk (points 0–4); the other chunk is healthy.
    let x: Vec<f64> = (0..10)
        .flat_map(|i| [if i == 3 { -1.0 } else { i as f64 }, 1.0])
        .collect();
    let r = ev.evaluate(&x, &AtomicBool::new(false), |_, _, _| Ok(())).unwrap();
    for i in 0..10 {
        let o = r.outcomes[i].as_ref().unwrap();
        if i == 3 {
            assert_eq!(o.status, Status::Failed);
            assert_eq!(o.message.as_deref(), Some("the program crashed on this batch"));
        } else {
            assert_eq!(o.status, Status::Ok, "point {i}: {:?}", o.message);
            assert_eq!(r.outputs[i], i as f64 + 1.0);
        }
    }
}

#[test]
fn too_many_stuck_threads_stop_the_batch_with_advice() {
    let mut ev = Evaluator::new(
        factory(|x, o| {
            if x[0] < 0.0 {
                std::thread::sleep(Duration::from_millis(1500));
            }
            o[0] = x[0];
            Ok(())
        }),
        EvaluatorOptions {
            workers: 1,
            chunk_size: None,
            timeout: Some(Duration::from_millis(20)),
            keep_files: Vec::new(),
        },
    )
    .unwrap();
    // Every point hangs: after MAX_STUCK_PER_WORKER abandoned threads, the next is refused.
    let x: Vec<f64> = (0..10).flat_map(|_| [-1.0, 0.0]).collect();
    let mut streamed = 0;
    let e = ev
        .evaluate(&x, &AtomicBool::new(false), |range, _, _| {
            streamed += range.len();
            Ok(())
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("isolation = \"process\""), "{e}");
    assert_eq!(
        streamed, MAX_STUCK_PER_WORKER,
        "the timed-out points before the limit were handed on"
    );
}
