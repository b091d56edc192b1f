//! How evenly a scan's in-target points cover the target set.
//!
//! *Target-set recall at radius r*: the share of a reference sample, drawn uniformly over
//! the true target set, that has a scan point within Euclidean distance r (all coordinates
//! in the unit cube). An even sample of the target set of the scan's size is the best a
//! scan of that size can do; a scan that piles points into patches scores far below it.
//!
//! Where no reference can be drawn (a real oracle), [`spacing_ratio`] compares the median
//! nearest-neighbour distance among the scan's points with what an even spread of as many
//! points over the same occupied cells would give.

use std::collections::BTreeSet;

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::error::ScanError;

/// Points per k-d tree leaf: larger leaves than linfa-nn's default pay off for batched
/// queries in a few dimensions.
const LEAF_SIZE: usize = 64;

/// A k-d tree over the rows of `points`, for nearest-neighbour and range queries.
pub(crate) fn kd_tree(
    points: &Array2<f64>,
) -> Result<Box<dyn linfa_nn::NearestNeighbourIndex<f64> + Send + Sync + '_>, ScanError> {
    use linfa_nn::{CommonNearestNeighbour, NearestNeighbour, distance::L2Dist};
    CommonNearestNeighbour::KdTree
        .from_batch_with_leaf_size(points, LEAF_SIZE, L2Dist)
        .map_err(index_error)
}

pub(crate) fn index_error(e: impl std::fmt::Display) -> ScanError {
    ScanError::NeighbourIndex(e.to_string())
}

fn euclidean(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Distance from each row of `queries` to its `k`-th nearest row of `points` (infinite
/// when there is none).
fn kth_distances(points: ArrayView2<f64>, queries: ArrayView2<f64>, k: usize) -> Result<Vec<f64>, ScanError> {
    use rayon::prelude::*;
    if points.nrows() == 0 {
        return Ok(vec![f64::INFINITY; queries.nrows()]);
    }
    let owned = points.to_owned();
    let index = kd_tree(&owned)?;
    (0..queries.nrows())
        .into_par_iter()
        .map(|i| {
            let q = queries.row(i);
            let found = index.k_nearest(q, k).map_err(index_error)?;
            Ok(found.get(k - 1).map_or(f64::INFINITY, |(p, _)| euclidean(p.view(), q)))
        })
        .collect()
}

/// Distance from each row of `queries` to its nearest row of `points` (infinite when
/// `points` is empty).
pub fn nearest_distances(points: ArrayView2<f64>, queries: ArrayView2<f64>) -> Result<Vec<f64>, ScanError> {
    kth_distances(points, queries, 1)
}

/// Target-set recall at each radius of `radii`: the share of `reference` rows with a row of
/// `points` within that distance.
pub fn recall(points: ArrayView2<f64>, reference: ArrayView2<f64>, radii: &[f64]) -> Result<Vec<f64>, ScanError> {
    let d = nearest_distances(points, reference)?;
    let m = d.len().max(1) as f64;
    Ok(radii
        .iter()
        .map(|&r| d.iter().filter(|&&x| x <= r).count() as f64 / m)
        .collect())
}

/// Median distance from each point to its nearest other point (NaN for fewer than two).
pub fn median_nn_distance(points: ArrayView2<f64>) -> Result<f64, ScanError> {
    let n = points.nrows();
    if n < 2 {
        return Ok(f64::NAN);
    }
    // The nearest row to a point is the point itself (or a duplicate at distance 0).
    let mut d = kth_distances(points, points, 2)?;
    d.sort_by(f64::total_cmp);
    Ok(if n % 2 == 1 {
        d[n / 2]
    } else {
        0.5 * (d[n / 2 - 1] + d[n / 2])
    })
}

/// As many points as `points` has, drawn uniformly over the grid cells (of side `cell`,
/// unit cube) that `points` occupy: what an even map of the occupied region looks like.
pub fn even_spread(points: ArrayView2<f64>, cell: f64, rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Array2<f64> {
    use rand::RngExt;
    let (n, d) = points.dim();
    let occupied: Vec<Vec<i64>> = points
        .rows()
        .into_iter()
        .map(|row| row.iter().map(|v| (v / cell).floor() as i64).collect())
        // Ordered, so the same points give the same spread in every process.
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut even = Array2::zeros((n, d));
    if occupied.is_empty() {
        return even;
    }
    for mut row in even.rows_mut() {
        let c = &occupied[rng.random_range(0..occupied.len())];
        for (v, k) in row.iter_mut().zip(c) {
            *v = (*k as f64 + rng.random::<f64>()) * cell;
        }
    }
    even
}

/// Uniformity of a point set without a reference: the median nearest-neighbour distance of
/// the points divided by that of their [`even_spread`]. About 1 for an even map of the
/// occupied region; far below 1 when the points pile up in patches inside it.
pub fn spacing_ratio(
    points: ArrayView2<f64>,
    cell: f64,
    rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
) -> Result<f64, ScanError> {
    if points.nrows() < 2 {
        return Ok(f64::NAN);
    }
    Ok(median_nn_distance(points)? / median_nn_distance(even_spread(points, cell, rng).view())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn recall_counts_reference_points_within_each_radius() {
        // Scan points at (0, 0) and (1, 0); reference points at distances 0.1, 0.3, 0.25
        // and 0.6 from their nearest scan point.
        let points = array![[0.0, 0.0], [1.0, 0.0]];
        let reference = array![[0.1, 0.0], [0.0, 0.3], [0.75, 0.0], [0.4, 0.6]];
        // Nearest distances: 0.1, 0.3, 0.25, hypot(0.4, 0.6) = 0.7211.
        let r = recall(points.view(), reference.view(), &[0.05, 0.2, 0.28, 0.5, 1.0]).unwrap();
        assert_eq!(r, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let none = recall(Array2::<f64>::zeros((0, 2)).view(), reference.view(), &[1.0]).unwrap();
        assert_eq!(none, vec![0.0]);
    }

    #[test]
    fn median_nn_distance_of_a_grid_is_its_spacing() {
        let grid: Vec<f64> = (0..5)
            .flat_map(|i| (0..5).flat_map(move |j| [i as f64 * 0.2, j as f64 * 0.2]))
            .collect();
        let grid = Array2::from_shape_vec((25, 2), grid).unwrap();
        assert!((median_nn_distance(grid.view()).unwrap() - 0.2).abs() < 1e-12);
        assert!(median_nn_distance(array![[0.5, 0.5]].view()).unwrap().is_nan());
    }

    #[test]
    fn spacing_ratio_tells_patches_from_an_even_spread() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        use rand::RngExt;
        let even: Vec<f64> = (0..2000).map(|_| rng.random::<f64>()).collect();
        let even = Array2::from_shape_vec((1000, 2), even).unwrap();
        // Every point doubled in a tight pair: the same cells, but clumped.
        let mut clumped = Vec::new();
        for row in even.rows().into_iter().take(500) {
            clumped.extend([row[0], row[1], (row[0] + 1e-4).min(0.999), row[1]]);
        }
        let clumped = Array2::from_shape_vec((1000, 2), clumped).unwrap();
        let e = spacing_ratio(even.view(), 0.1, &mut rng).unwrap();
        let c = spacing_ratio(clumped.view(), 0.1, &mut rng).unwrap();
        assert!((0.8..1.25).contains(&e), "even: {e}");
        assert!(c < 0.05, "clumped: {c}");
    }
}
