//! Training and sampling costs, at the sizes of the Python `vegas` reference
//! (`benches/reference/vegas_reference.py` at the workspace root measures the same work).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use vegas_map::{AdaptiveMap, TrainingParams};

fn peaked_sample(n: usize, dim: usize) -> (Array2<f64>, Array1<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let x = AdaptiveMap::uniform(&vec![(0.0, 1.0); dim], 1)
        .unwrap()
        .sample(n, &mut rng)
        .x;
    let centre: Vec<f64> = (0..dim).map(|d| 0.2 + 0.6 * d as f64 / (dim - 1) as f64).collect();
    let f = x
        .rows()
        .into_iter()
        .map(|p| (-20.0 * p.iter().zip(&centre).map(|(v, c)| (v - c) * (v - c)).sum::<f64>()).exp())
        .collect();
    (x, f)
}

fn adapt(c: &mut Criterion) {
    let mut group = c.benchmark_group("adapt_to_samples");
    group.sample_size(30);
    for n in [1_000usize, 10_000, 100_000] {
        let (x, f) = peaked_sample(n, 5);
        group.bench_with_input(BenchmarkId::new("5d_ninc100_nitn5", n), &n, |b, _| {
            b.iter(|| {
                let mut map = AdaptiveMap::uniform(&[(0.0, 1.0); 5], 100).unwrap();
                map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default())
                    .unwrap();
                black_box(map)
            })
        });
    }
    group.finish();
}

fn sample(c: &mut Criterion) {
    let (x, f) = peaked_sample(10_000, 5);
    let mut map = AdaptiveMap::uniform(&[(0.0, 1.0); 5], 100).unwrap();
    map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default())
        .unwrap();
    let mut group = c.benchmark_group("sample_5d");
    group.sample_size(20);
    for n in [10_000usize, 100_000, 1_000_000] {
        group.bench_with_input(BenchmarkId::new("sequential", n), &n, |b, &n| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            b.iter(|| black_box(map.sample(n, &mut rng)))
        });
        group.bench_with_input(BenchmarkId::new("sequential_reused_buffer", n), &n, |b, &n| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let mut x = ndarray::Array2::zeros((n, 5));
            let mut jac = ndarray::Array1::zeros(n);
            b.iter(|| map.sample_into(x.view_mut(), jac.view_mut(), &mut rng).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("parallel", n), &n, |b, &n| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            b.iter(|| black_box(map.sample_parallel(n, &mut rng)))
        });
        group.bench_with_input(BenchmarkId::new("parallel_reused_buffer", n), &n, |b, &n| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            let mut x = ndarray::Array2::zeros((n, 5));
            let mut jac = ndarray::Array1::zeros(n);
            b.iter(|| {
                map.sample_parallel_into(x.view_mut(), jac.view_mut(), &mut rng)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, adapt, sample);
criterion_main!(benches);
