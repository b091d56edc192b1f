//! k-nearest-neighbour queries, the machinery every oversampler shares.
//!
//! The index is a linfa-nn k-d tree (Euclidean distance); queries run in parallel with
//! rayon, each independent, so the result does not depend on the thread count.

use linfa_nn::distance::Distance;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::{Array2, ArrayView, ArrayView2, Dimension};
use rayon::prelude::*;

use crate::error::SmoteError;

/// Points per leaf of the k-d tree: larger leaves than linfa-nn's default of 16 trade a
/// few more distance evaluations for far fewer node visits, which pays in 5–10 dimensions
/// (measured: 10^4 queries in 10-D went from 587 ms to 376 ms on one core at 64 points per
/// leaf; 128 took the benches' 10^4 → 10^5 case in 10-D from 231 to 217 ms on two cores
/// and 200 → 5000 in 5-D from 418 to 367 µs; 256 was no better).
const LEAF_SIZE: usize = 128;

/// Squared Euclidean distance on contiguous rows as a plain slice loop. linfa-nn's `L2Dist`
/// goes through ndarray-stats' checked zip, which costs more than the arithmetic at these
/// dimensions; the k-d tree only ever hands over contiguous rows.
#[derive(Debug, Clone, Copy)]
struct SquaredEuclidean;

impl Distance<f64> for SquaredEuclidean {
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(a), Some(b)) => a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
            _ => a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum(),
        }
    }

    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist * dist
    }
}

/// For each query row, the indices (into the indexed points) of its `k` nearest neighbours,
/// nearest first, row-major (`queries × k`).
#[derive(Debug, Clone)]
pub(crate) struct NeighbourTable {
    pub k: usize,
    pub idx: Vec<usize>,
}

impl NeighbourTable {
    /// Neighbours of query `q`.
    pub fn of(&self, q: usize) -> &[usize] {
        &self.idx[q * self.k..(q + 1) * self.k]
    }
}

/// The `k` nearest neighbours in `points` of each row of `queries`. When `self_ids` is
/// given, query q is the point `self_ids[q]` of `points` and is left out of its own list.
pub(crate) fn k_nearest(
    points: &Array2<f64>,
    queries: ArrayView2<f64>,
    k: usize,
    self_ids: Option<&[usize]>,
) -> Result<NeighbourTable, SmoteError> {
    let index = CommonNearestNeighbour::KdTree
        .from_batch_with_leaf_size(points, LEAF_SIZE, SquaredEuclidean)
        .map_err(|e| SmoteError::Neighbours(e.to_string()))?;
    let extra = usize::from(self_ids.is_some());
    let rows: Vec<Result<Vec<usize>, SmoteError>> = (0..queries.nrows())
        .into_par_iter()
        .map(|q| {
            let found = index
                .k_nearest(queries.row(q), k + extra)
                .map_err(|e| SmoteError::Neighbours(e.to_string()))?;
            let mut ids: Vec<usize> = found.into_iter().map(|(_, i)| i).collect();
            if let Some(own) = self_ids {
                // Drop the point itself; with exact duplicates it may not come first.
                match ids.iter().position(|&i| i == own[q]) {
                    Some(p) => {
                        ids.remove(p);
                    }
                    None => {
                        ids.pop();
                    }
                }
            }
            ids.truncate(k);
            Ok(ids)
        })
        .collect();
    let mut idx = Vec::with_capacity(queries.nrows() * k);
    for r in rows {
        idx.extend(r?);
    }
    Ok(NeighbourTable { k, idx })
}
