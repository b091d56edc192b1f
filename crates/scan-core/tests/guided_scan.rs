//! The surrogate-guided strategies find a thin target far more efficiently than uniform
//! sampling, through the library API with an in-process oracle.

mod common;

use std::sync::Arc;

use oracle_api::{FnOracle, Oracle, OracleError};
use scan_core::{
    ClassifierModel, ClassifierSurrogate, Guided, GuidedSettings, Origin, Parameter, RegressorSurrogate, ScanSettings,
    Scanner, Selection, Space, StopRules, Target,
};
use surrogate_mlp::{LrSchedule, MlpParams};

fn settings() -> ScanSettings {
    ScanSettings {
        batch_size: 200,
        initial_points: 300,
        seed: 5,
        stop: StopRules {
            max_oracle_calls: Some(1900),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn network() -> MlpParams {
    MlpParams::default()
        .hidden(&[32, 32])
        .epochs(40)
        .update_epochs(20)
        .batch_size(64)
        .learning_rate(3e-3)
        .schedule(LrSchedule::Cosine { final_factor: 0.1 })
}

fn guided(selection: Selection) -> GuidedSettings {
    GuidedSettings {
        candidates: 5000,
        vegas_fraction: 0.2,
        local_fraction: 0.2,
        local_sigma: scan_core::LocalSigma::Fixed(0.01),
        random_fraction: 0.1,
        exploration: scan_core::Exploration::Uniform,
        vegas_exploration: 0.0,
        selection,
        threshold: 0.5,
        region_link: None,
        training_points: None,
        probe_inputs: false,
    }
}

/// In-target rate among the points the surrogate chose.
fn surrogate_precision(scanner: &Scanner) -> f64 {
    let h = scanner.history();
    let picked: Vec<usize> = (0..h.len()).filter(|&i| h.origins()[i] == Origin::Surrogate).collect();
    assert!(picked.len() > 1000, "the surrogate chose {} points", picked.len());
    picked.iter().filter(|&&i| h.in_target()[i]).count() as f64 / picked.len() as f64
}

#[test]
fn regressor_strategy_beats_uniform_sampling() {
    let (space, target, factory) = common::ring(0.02);
    let scanner = Scanner::new(space, &target, factory, settings()).unwrap();
    let bound = target.bind(scanner.output_names()).unwrap();
    let surrogate = RegressorSurrogate::new(
        vec![(0, scan_core::Transform::Identity)],
        network(),
        bound,
        vec!["O".into()],
    )
    .unwrap();
    let mut scanner = scanner.with_strategy(Box::new(
        Guided::new(Box::new(surrogate), guided(Selection::Spread)).unwrap(),
    ));
    let summary = scanner.run().unwrap();
    assert_eq!(summary.oracle_calls, 1900);
    let precision = surrogate_precision(&scanner);
    assert!(
        precision > 0.5,
        "surrogate precision {precision} (uniform sampling: about 0.045)"
    );
    assert!(
        scanner
            .iterations()
            .iter()
            .skip(1)
            .all(|r| r.training_loss.is_some() && r.predicted_in_target.is_some())
    );
}

#[test]
fn classifier_strategy_with_smote_beats_uniform_sampling() {
    let (space, target, factory) = common::ring(0.02);
    let scanner = Scanner::new(space, &target, factory, settings()).unwrap();
    let surrogate = ClassifierSurrogate::new(2, ClassifierModel::Mlp(network()), Some(3), 5).unwrap();
    let mut scanner = scanner.with_strategy(Box::new(
        Guided::new(Box::new(surrogate), guided(Selection::Top)).unwrap(),
    ));
    scanner.run().unwrap();
    let precision = surrogate_precision(&scanner);
    assert!(
        precision > 0.2,
        "surrogate precision {precision} (uniform sampling: about 0.045)"
    );
}

#[test]
fn regressor_must_predict_every_output_the_target_reads() {
    let (_, target, _) = common::ring(0.02);
    let bound = target.bind(&["r".to_string(), "other".to_string()]).unwrap();
    let names = vec!["r".to_string(), "other".to_string()];
    let e = RegressorSurrogate::new(vec![(1, scan_core::Transform::Identity)], network(), bound, names)
        .unwrap_err()
        .to_string();
    assert!(e.contains("output `r`"), "{e}");
}

/// Four discs of different sizes (radii 0.3, 0.2, 0.15, 0.15) in [-1, 1]²; output `g` is
/// the distance to the nearest centre in units of that disc's radius.
fn islands() -> (Space, Target, Arc<dyn scan_core::OracleFactory>) {
    let space = Space::new(vec![
        Parameter::linear("x", -1.0, 1.0),
        Parameter::linear("y", -1.0, 1.0),
    ])
    .unwrap();
    let target = Target {
        ranges: vec![scan_core::RangeCondition {
            output: "g".into(),
            min: None,
            max: Some(1.0),
        }],
        chi2: vec![],
        likelihood: None,
    };
    let factory = Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(FnOracle::new(2, ["g"], |x: &[f64], out: &mut [f64]| {
            out[0] = ISLANDS
                .iter()
                .map(|(cx, cy, r)| (x[0] - cx).hypot(x[1] - cy) / r)
                .fold(f64::INFINITY, f64::min);
            Ok(())
        })))
    });
    (space, target, factory)
}

const ISLANDS: [(f64, f64, f64); 4] = [(-0.5, -0.5, 0.3), (0.5, -0.5, 0.2), (0.5, 0.5, 0.15), (-0.5, 0.5, 0.15)];

/// In-target points per island.
fn island_counts(scanner: &Scanner) -> Vec<usize> {
    let h = scanner.history();
    let mut counts = vec![0; ISLANDS.len()];
    for (_, x) in h.unit().chunks(2).enumerate().filter(|(i, _)| h.in_target()[*i]) {
        let (px, py) = (2.0 * x[0] - 1.0, 2.0 * x[1] - 1.0);
        let k = (0..ISLANDS.len())
            .min_by(|&a, &b| {
                let d = |j: usize| (px - ISLANDS[j].0).hypot(py - ISLANDS[j].1);
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        counts[k] += 1;
    }
    counts
}

/// A surrogate that knows the islands exactly: isolates what the selection does.
struct KnowsTheIslands;

impl scan_core::Surrogate for KnowsTheIslands {
    fn name(&self) -> &str {
        "exact"
    }
    fn train(&mut self, _: scan_core::TrainingSet<'_>) -> Result<scan_core::TrainInfo, scan_core::ScanError> {
        Ok(scan_core::TrainInfo::default())
    }
    fn score(&self, unit: ndarray::ArrayView2<f64>) -> Result<ndarray::Array1<f64>, scan_core::ScanError> {
        Ok(unit
            .rows()
            .into_iter()
            .map(|u| {
                let (x, y) = (2.0 * u[0] - 1.0, 2.0 * u[1] - 1.0);
                let inside = ISLANDS.iter().any(|(cx, cy, r)| (x - cx).hypot(y - cy) < *r);
                f64::from(u8::from(inside))
            })
            .collect())
    }
    fn save(&self, _: &std::path::Path) -> Result<(), scan_core::ScanError> {
        Ok(())
    }
    fn load(&mut self, _: &std::path::Path) -> Result<(), scan_core::ScanError> {
        Ok(())
    }
}

fn island_scan(region_link: Option<f64>) -> Vec<usize> {
    let (space, target, factory) = islands();
    let scanner = Scanner::new(space, &target, factory, settings()).unwrap();
    let mut g = guided(Selection::Sample);
    g.region_link = region_link;
    let mut scanner = scanner.with_strategy(Box::new(Guided::new(Box::new(KnowsTheIslands), g).unwrap()));
    scanner.run().unwrap();
    island_counts(&scanner)
}

#[test]
fn region_balancing_fills_islands_of_different_sizes_evenly() {
    // Without balancing, picks fall in proportion to the islands' areas (9 : 4 : 2.25 : 2.25).
    let free = island_scan(None);
    let ratio = |c: &[usize]| *c.iter().max().unwrap() as f64 / (*c.iter().min().unwrap()).max(1) as f64;
    assert!(ratio(&free) > 3.0, "unbalanced {free:?}");
    let balanced = island_scan(Some(0.1));
    assert!(ratio(&balanced) < 1.1, "balanced {balanced:?}");
    assert!(balanced.iter().sum::<usize>() > 1500, "balanced {balanced:?}");
}

/// A thin ring in the first two of six coordinates (output `r`) times a shell in the other
/// four (output `s`): each output ignores the other's coordinates.
fn ring_times_shell() -> (Space, Target, Arc<dyn scan_core::OracleFactory>) {
    let space = Space::new((0..6).map(|j| Parameter::linear(format!("x{j}"), -1.0, 1.0)).collect()).unwrap();
    let (_, mut target, _) = common::ring(0.02);
    target.ranges.push(scan_core::RangeCondition {
        output: "s".into(),
        min: Some(0.8),
        max: Some(1.1),
    });
    let factory = Arc::new(|| -> Result<Box<dyn Oracle>, OracleError> {
        Ok(Box::new(FnOracle::new(6, ["r", "s"], |x: &[f64], out: &mut [f64]| {
            out[0] = x[0].hypot(x[1]);
            out[1] = x[2..].iter().map(|v| v * v).sum::<f64>().sqrt();
            Ok(())
        })))
    });
    (space, target, factory)
}

#[test]
fn the_regressor_finds_which_parameters_each_output_ignores_and_still_maps_the_target() {
    let (space, target, factory) = ring_times_shell();
    let scanner = Scanner::new(space, &target, factory, settings()).unwrap();
    let bound = target.bind(scanner.output_names()).unwrap();
    let surrogate = RegressorSurrogate::new(
        vec![(0, scan_core::Transform::Identity), (1, scan_core::Transform::Identity)],
        network(),
        bound,
        vec!["r".into(), "s".into()],
    )
    .unwrap();
    let mut scanner = scanner.with_strategy(Box::new(
        Guided::new(Box::new(surrogate), GuidedSettings::defaults(200)).unwrap(),
    ));
    scanner.run().unwrap();
    let h = scanner.history();
    let probes: Vec<usize> = (0..h.len()).filter(|&i| h.origins()[i] == Origin::Probe).collect();
    assert_eq!(probes.len(), 12 * 6, "twelve probes per parameter, once");
    // At most an eighth of a batch each, in the first batches after a hit.
    let per_iteration: Vec<usize> = (0..=8)
        .map(|t| probes.iter().filter(|&&i| h.iterations()[i] == t).count())
        .collect();
    assert!(per_iteration.iter().all(|&n| n <= 25), "{per_iteration:?}");
    assert_eq!(per_iteration.iter().sum::<usize>(), probes.len(), "{per_iteration:?}");
    let relevance = scan_core::relevance::Relevance::measure(h);
    assert_eq!(relevance.inputs_of(0), vec![0, 1]);
    assert_eq!(relevance.inputs_of(1), vec![2, 3, 4, 5]);
    // The models of those inputs still map the whole target set: every sixteenth of the
    // ring and every orthant of the shell holds in-target points.
    let mut orthants = std::collections::HashSet::new();
    let mut sectors = std::collections::HashSet::new();
    let hits: Vec<&[f64]> = h
        .unit()
        .chunks(6)
        .enumerate()
        .filter(|(i, _)| h.in_target()[*i])
        .map(|(_, u)| u)
        .collect();
    for u in &hits {
        orthants.insert(u[2..].iter().map(|v| *v > 0.5).collect::<Vec<_>>());
        sectors.insert(((u[1] - 0.5).atan2(u[0] - 0.5) * 16.0 / std::f64::consts::TAU).floor() as i32);
    }
    assert!(
        hits.len() > 600,
        "{} in target (uniform sampling: about 20)",
        hits.len()
    );
    assert_eq!((orthants.len(), sectors.len()), (16, 16));
}
