//! SMOTE at the sizes of the imbalanced-learn reference
//! (`benches/reference/smote_reference.py bench` at the workspace root times the same work).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use smote::{Adasyn, BorderlineSmote, Oversample, SamplingStrategy, Smote};
use std::hint::black_box;

/// `n_min` minority points around 0 and `n_maj` majority points around 2 (Gaussian-like).
fn data(n_min: usize, n_maj: usize, dim: usize) -> (Array2<f64>, Array1<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut normal = || (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
    let x = Array2::from_shape_fn((n_min + n_maj, dim), |(i, _)| {
        normal() + if i < n_min { 0.0 } else { 2.0 }
    });
    let y = Array1::from_shape_fn(n_min + n_maj, |i| usize::from(i < n_min));
    (x, y)
}

fn oversampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("smote");
    group.sample_size(10);
    for (n_min, n_out, dim) in [(200usize, 5_000usize, 5usize), (10_000, 100_000, 10)] {
        let (x, y) = data(n_min, n_out, dim);
        let id = format!("{n_min}_to_{n_out}_in_{dim}d");
        let strategy = SamplingStrategy::Count(n_out - n_min);
        let smote = Smote::params().strategy(strategy).check().unwrap();
        group.bench_function(BenchmarkId::new("smote", &id), |b| {
            b.iter(|| black_box(smote.resample(x.view(), y.view()).unwrap()))
        });
        let borderline = BorderlineSmote::params().strategy(strategy).check().unwrap();
        group.bench_function(BenchmarkId::new("borderline1", &id), |b| {
            b.iter(|| black_box(borderline.resample(x.view(), y.view()).unwrap()))
        });
        let adasyn = Adasyn::params().strategy(strategy).check().unwrap();
        group.bench_function(BenchmarkId::new("adasyn", &id), |b| {
            b.iter(|| black_box(adasyn.resample(x.view(), y.view()).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, oversampling);
criterion_main!(benches);
