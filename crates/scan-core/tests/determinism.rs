//! Same settings and seed ⇒ the same points, for every strategy, whatever the thread
//! timing of the workers.

mod common;

use scan_core::{
    EvaluatorOptions, NetworkOptions, RegressOptions, ScanOptions, Scanner, StopRules, StrategyContext, StrategyKind,
};

fn options(strategy: StrategyKind) -> ScanOptions {
    let guided = strategy != StrategyKind::Random;
    ScanOptions {
        strategy,
        initial_points: Some(200),
        batch_size: Some(100),
        candidates: guided.then_some(2000),
        local_fraction: guided.then_some(0.3),
        regress: (strategy == StrategyKind::MlpRegressor).then(|| {
            vec![RegressOptions {
                output: "r".into(),
                transform: Default::default(),
            }]
        }),
        network: guided.then(|| NetworkOptions {
            hidden: (strategy != StrategyKind::SiameseClassifier).then(|| vec![16, 16]),
            epochs: Some(5),
            update_epochs: Some(2),
            batch_size: Some(64),
            threads: Some(1),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Every recorded row of a 500-point scan: id, origin, coordinates, outputs, verdict.
fn rows(strategy: StrategyKind) -> Vec<String> {
    let (space, target, factory) = common::ring(0.03);
    let opts = options(strategy);
    let mut settings = opts.scan_settings(11);
    settings.stop = StopRules {
        max_oracle_calls: Some(500),
        ..Default::default()
    };
    settings.evaluator = EvaluatorOptions {
        workers: 3,
        chunk_size: Some(7),
        timeout: None,
        keep_files: Vec::new(),
    };
    let scanner = Scanner::new(space, &target, factory, settings).unwrap();
    let names = scanner.output_names().to_vec();
    let context = StrategyContext {
        dim: 2,
        seed: 11,
        output_names: &names,
        target: scanner.target(),
    };
    let strategy = opts.build(context).unwrap();
    let mut scanner = scanner.with_strategy(strategy);
    scanner.run().unwrap();
    let h = scanner.history();
    (0..h.len())
        .map(|i| {
            format!(
                "{} {:?} {:?} {:?} {}",
                h.ids()[i],
                h.origins()[i],
                &h.x()[2 * i..2 * i + 2],
                h.outputs()[i],
                h.in_target()[i]
            )
        })
        .collect()
}

#[test]
fn every_strategy_repeats_its_points_for_the_same_seed() {
    for strategy in StrategyKind::ALL {
        let (a, b) = (rows(strategy), rows(strategy));
        assert_eq!(a.len(), 500, "{strategy:?}");
        assert!(a == b, "{strategy:?}: two runs with seed 11 differ");
    }
}
