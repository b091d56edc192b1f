//! The disconnected regions of the target found so far, and a batch allocation that fills
//! them evenly.
//!
//! A target often falls apart into separate islands (O_3d has 13 thin shells). A surrogate
//! left to itself piles its picks where it is surest, so the islands found first, or
//! learnt best, end up with most of the points. Grouping the in-target points by single
//! linkage (points closer than a link length belong to one region) and handing each
//! iteration's picks to the emptiest regions first turns the per-region counts into a
//! controlled quantity instead of an accident of training.
//!
//! The grouping grows with the scan: [`Regions::extend`] links each new point to the points
//! within the link length (found through a grid of cells of that side) by union–find, so an
//! iteration costs time in proportion to its new points and their neighbours, and memory in
//! proportion to the points, never to the pairs of them. Single-linkage regions do not
//! depend on the order the points come in: the grouping grown batch by batch is the one
//! built at once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::ArrayView2;

use crate::cell_grid::CellGrid;
use crate::coverage::nearest_rows_within;
use crate::error::ScanError;

/// Single-linkage regions of a growing set of points.
#[derive(Debug, Clone)]
pub struct Regions {
    dim: usize,
    /// The points, row after row.
    points: Vec<f64>,
    link: f64,
    parent: Vec<usize>,
    /// The points by grid cell of side `link`.
    grid: CellGrid,
    /// Region of each point, numbered 0..count in order of each region's first point.
    label: Vec<usize>,
    /// Points in each region.
    size: Vec<usize>,
}

impl Regions {
    /// Groups `points` (rows) into regions: two points closer than `link` share one.
    pub fn new(points: ArrayView2<f64>, link: f64) -> Result<Self, ScanError> {
        let mut regions = Regions {
            dim: points.ncols(),
            points: Vec::new(),
            link,
            parent: Vec::new(),
            grid: CellGrid::new(link),
            label: Vec::new(),
            size: Vec::new(),
        };
        regions.extend(points)?;
        Ok(regions)
    }

    /// Add `points` (rows), linking each to every earlier point within the link length.
    pub fn extend(&mut self, points: ArrayView2<f64>) -> Result<(), ScanError> {
        if points.ncols() != self.dim {
            return Err(ScanError::Training(format!(
                "regions of {}-dimensional points cannot take {}-dimensional ones",
                self.dim,
                points.ncols()
            )));
        }
        let link2 = self.link * self.link;
        for row in points.rows() {
            let i = self.parent.len();
            self.parent.push(i);
            self.points.extend(row.iter());
            let mut close = Vec::new();
            self.grid.near(row, 0, |j| {
                let d2: f64 = self.row(j).iter().zip(row.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                if d2 <= link2 {
                    close.push(j);
                }
            });
            for j in close {
                union(&mut self.parent, i, j);
            }
            self.grid.insert(i, row);
        }
        self.relabel();
        Ok(())
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.points[i * self.dim..(i + 1) * self.dim]
    }

    /// Number the regions in order of their first point, so labels are reproducible.
    fn relabel(&mut self) {
        let n = self.parent.len();
        let mut number = vec![usize::MAX; n];
        self.label = vec![0; n];
        self.size.clear();
        for i in 0..n {
            let root = find(&mut self.parent, i);
            if number[root] == usize::MAX {
                number[root] = self.size.len();
                self.size.push(0);
            }
            self.label[i] = number[root];
            self.size[self.label[i]] += 1;
        }
    }

    /// Number of points grouped.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether no point is grouped.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Point `i`, as given.
    pub fn point(&self, i: usize) -> &[f64] {
        self.row(i)
    }

    /// The link length.
    pub fn link(&self) -> f64 {
        self.link
    }

    /// Number of regions.
    pub fn count(&self) -> usize {
        self.size.len()
    }

    /// The region of each point.
    pub fn labels(&self) -> &[usize] {
        &self.label
    }

    /// Points in each region.
    pub fn sizes(&self) -> &[usize] {
        &self.size
    }

    /// The region of each query row: that of its nearest point when closer than the link
    /// length, `None` (a region not found yet) otherwise.
    pub fn assign(&self, queries: ArrayView2<f64>) -> Result<Vec<Option<usize>>, ScanError> {
        if self.is_empty() {
            return Ok(vec![None; queries.nrows()]);
        }
        let points = ArrayView2::from_shape((self.len(), self.dim), &self.points).expect("rows of dim");
        Ok(nearest_rows_within(points, queries, self.link)?
            .into_iter()
            .map(|nearest| nearest.map(|j| self.label[j]))
            .collect())
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// Splits `total` picks among groups holding `held[g]` points already and offering
/// `available[g]` candidates, always giving the next pick to the group with the fewest
/// points (held plus picked so far; ties to the lower index) that still has candidates.
/// The result evens out the groups' totals as far as the candidates allow.
pub fn fill_evenly(held: &[usize], available: &[usize], total: usize) -> Vec<usize> {
    let mut picks = vec![0; held.len()];
    let mut queue: BinaryHeap<Reverse<(usize, usize)>> = (0..held.len())
        .filter(|&g| available[g] > 0)
        .map(|g| Reverse((held[g], g)))
        .collect();
    let mut left = total;
    while left > 0 {
        let Some(Reverse((level, g))) = queue.pop() else { break };
        picks[g] += 1;
        left -= 1;
        if picks[g] < available[g] {
            queue.push(Reverse((level + 1, g)));
        }
    }
    picks
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};
    use proptest::prelude::*;

    /// Single linkage by comparing every pair: what the grid and the batches must agree with.
    fn brute_labels(points: &Array2<f64>, link: f64) -> Vec<usize> {
        let n = points.nrows();
        let mut parent: Vec<usize> = (0..n).collect();
        for i in 0..n {
            for j in 0..i {
                let d2: f64 = points
                    .row(i)
                    .iter()
                    .zip(points.row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                if d2 <= link * link {
                    union(&mut parent, i, j);
                }
            }
        }
        let mut number = vec![usize::MAX; n];
        let mut next = 0;
        (0..n)
            .map(|i| {
                let root = find(&mut parent, i);
                if number[root] == usize::MAX {
                    number[root] = next;
                    next += 1;
                }
                number[root]
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn grown_batch_by_batch_the_regions_are_those_built_at_once(
            dim in 1usize..7,
            n in 1usize..150,
            link in 0.02f64..0.4,
            cuts in proptest::collection::vec(0.0f64..1.0, 0..4),
            seed in any::<u64>(),
        ) {
            use rand::{RngExt, SeedableRng};
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
            // Clumps and strays: half the points near a few centres.
            let centres = Array2::from_shape_fn((3, dim), |_| rng.random::<f64>());
            let points = Array2::from_shape_fn((n, dim), |(i, c)| {
                if i % 2 == 0 { centres[[i % 3, c]] + 0.05 * (rng.random::<f64>() - 0.5) } else { rng.random() }
            });
            let whole = Regions::new(points.view(), link).unwrap();
            let mut bounds: Vec<usize> = cuts.iter().map(|c| (c * n as f64) as usize).collect();
            bounds.sort_unstable();
            let mut grown = Regions::new(points.slice(ndarray::s![..bounds.first().copied().unwrap_or(n), ..]), link).unwrap();
            for w in bounds.windows(2).map(|w| (w[0], w[1])).chain(bounds.last().map(|&b| (b, n))) {
                grown.extend(points.slice(ndarray::s![w.0..w.1, ..])).unwrap();
            }
            prop_assert_eq!(grown.labels(), whole.labels());
            prop_assert_eq!(grown.sizes(), whole.sizes());
            prop_assert_eq!(whole.labels(), &brute_labels(&points, link)[..]);
        }
    }

    #[test]
    fn chains_closer_than_the_link_form_one_region() {
        // Two chains of points 0.05 apart, the chains 0.3 apart, and a loner.
        let mut rows = Vec::new();
        for i in 0..5 {
            rows.extend([0.05 * i as f64, 0.0]);
        }
        for i in 0..3 {
            rows.extend([0.05 * i as f64, 0.3]);
        }
        rows.extend([0.9, 0.9]);
        let pts = Array2::from_shape_vec((9, 2), rows).unwrap();
        let r = Regions::new(pts.view(), 0.06).unwrap();
        assert_eq!(r.count(), 3);
        assert_eq!(r.sizes(), &[5, 3, 1]);
        // A link shorter than the spacing leaves every point alone.
        assert_eq!(Regions::new(pts.view(), 0.04).unwrap().count(), 9);

        let q = array![[0.22, 0.01], [0.1, 0.28], [0.9, 0.95], [0.5, 0.5]];
        assert_eq!(r.assign(q.view()).unwrap(), vec![Some(0), Some(1), Some(2), None]);
    }

    #[test]
    fn no_points_no_regions() {
        let r = Regions::new(Array2::zeros((0, 3)).view(), 0.1).unwrap();
        assert_eq!(r.count(), 0);
        assert_eq!(r.assign(Array2::zeros((2, 3)).view()).unwrap(), vec![None, None]);
    }

    #[test]
    fn filling_levels_the_groups() {
        // Enough candidates everywhere: the three emptier groups rise to 8 each; the fullest
        // (10) gets nothing.
        let p = fill_evenly(&[10, 2, 0, 6], &[100, 100, 100, 100], 16);
        assert_eq!(p, vec![0, 6, 8, 2]);
        assert_eq!(p.iter().sum::<usize>(), 16);
        // A group short of candidates gives its share to the others.
        let p = fill_evenly(&[0, 0, 0], &[2, 100, 0], 10);
        assert_eq!(p, vec![2, 8, 0]);
        // Fewer candidates than picks: everything is taken.
        assert_eq!(fill_evenly(&[0, 5], &[3, 4], 100), vec![3, 4]);
    }
}
