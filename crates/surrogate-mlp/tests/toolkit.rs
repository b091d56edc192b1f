//! The toolkit other surrogates are built from: the training loop with drawn items and its
//! optimiser policy, chunked inference, seed streams.

use std::collections::HashMap;

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use surrogate_mlp::LrSchedule;
use surrogate_mlp::toolkit::{Batches, Network, Snapshot, TrainSettings, forward_chunked, split_seed, train_loop};
use tch::{Device, Kind, Tensor};

fn settings(epochs: usize, learning_rate: f64, update_learning_rate: Option<f64>) -> TrainSettings {
    TrainSettings {
        epochs,
        batch_size: 32,
        learning_rate,
        update_learning_rate,
        weight_decay: 0.0,
        schedule: LrSchedule::Constant,
        early_stopping: None,
        seed: 3,
    }
}

fn max_difference(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

/// The largest change of any weight of `net` since `before`.
fn largest_change(net: &Network, before: &Snapshot) -> f64 {
    let now: HashMap<String, Tensor> = net.snapshot().into_iter().collect();
    before
        .iter()
        .map(|(name, b)| max_difference(&now[name], b))
        .fold(0.0, f64::max)
}

/// Train `net` to map points drawn afresh every epoch to the sum of their coordinates.
fn fit_sum(net: &mut Network, settings: &TrainSettings) -> f64 {
    let points = std::cell::RefCell::new(Tensor::zeros([0, 2], (Kind::Float, Device::Cpu)));
    let mut draw = |rng: &mut Xoshiro256PlusPlus| {
        let values: Vec<f32> = (0..256).map(|_| rng.random::<f32>()).collect();
        *points.borrow_mut() = Tensor::from_slice(&values).view([128, 2]);
        128
    };
    let loss = |net: &Network, idx: &Tensor| {
        let x = points.borrow().index_select(0, idx);
        let target = x.sum_dim_intlist(1, true, Kind::Float);
        net.forward(&x).mse_loss(&target, tch::Reduction::Mean)
    };
    train_loop(net, Batches::Drawn(&mut draw), &loss, None, settings, false)
        .unwrap()
        .train_loss
}

#[test]
fn the_loop_trains_on_drawn_items_and_keeps_the_optimiser_for_updates() {
    let mut net = Network::new(Device::Cpu, 2, &[16], 1, 1);
    assert!(net.optimizer.is_none());
    let loss = fit_sum(&mut net, &settings(200, 1e-2, None));
    assert!(loss < 1e-3, "mean squared error {loss}");
    assert!(net.optimizer.is_some());

    // A kept optimiser runs at the update rate, here one too small to move anything;
    // without one, the same call starts afresh at the full rate.
    let before = net.snapshot();
    fit_sum(&mut net, &settings(5, 1e-2, Some(1e-12)));
    let kept = largest_change(&net, &before);
    net.restore(&before);
    net.optimizer = None;
    fit_sum(&mut net, &settings(5, 1e-2, Some(1e-12)));
    let fresh = largest_change(&net, &before);
    assert!(
        kept < 1e-6 && fresh > 1e-3,
        "largest weight change: kept {kept}, fresh {fresh}"
    );
}

#[test]
fn chunked_forward_matches_one_pass() {
    let net = Network::new(Device::Cpu, 3, &[8, 8], 4, 2);
    let x = Tensor::rand([50, 3], (Kind::Float, Device::Cpu));
    let whole = tch::no_grad(|| net.forward(&x));
    for chunk in [1, 7, 50, 64] {
        let chunked = forward_chunked(&x, chunk, |t| net.forward(t));
        assert_eq!(chunked.size(), vec![50, 4]);
        assert!(!chunked.requires_grad());
        let d = max_difference(&chunked, &whole);
        assert!(d < 1e-6, "chunks of {chunk}: differs by {d}");
    }
}

#[test]
fn seed_streams_are_reproducible_and_distinct() {
    let first = Xoshiro256PlusPlus::seed_from_u64(5).random::<u64>();
    assert_eq!(split_seed(5, 0), first);
    assert_eq!(split_seed(5, 3), split_seed(5, 3));
    let streams: std::collections::HashSet<u64> = (0..100).map(|s| split_seed(5, s)).collect();
    assert_eq!(streams.len(), 100);
}
