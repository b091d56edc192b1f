//! The disconnected regions of the target found so far, and a batch allocation that fills
//! them evenly.
//!
//! A target often falls apart into separate islands (O_3d has 13 thin shells). A surrogate
//! left to itself piles its picks where it is surest, so the islands found first, or
//! learnt best, end up with most of the points. Grouping the in-target points by single
//! linkage (points closer than a link length belong to one region) and handing each
//! iteration's picks to the emptiest regions first turns the per-region counts into a
//! controlled quantity instead of an accident of training.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::coverage::{index_error, kd_tree};
use crate::error::ScanError;

/// Single-linkage regions of a set of points.
#[derive(Debug, Clone)]
pub struct Regions {
    points: Array2<f64>,
    /// Region of each point, numbered 0..count.
    label: Vec<usize>,
    /// Points in each region.
    size: Vec<usize>,
    link: f64,
}

impl Regions {
    /// Groups `points` (rows) into regions: two points closer than `link` share one.
    pub fn new(points: ArrayView2<f64>, link: f64) -> Result<Self, ScanError> {
        let n = points.nrows();
        let points = points.to_owned();
        let mut parent: Vec<usize> = (0..n).collect();
        if n > 0 {
            let index = kd_tree(&points)?;
            let close: Vec<Vec<usize>> = (0..n)
                .into_par_iter()
                .map(|i| {
                    index
                        .within_range(points.row(i), link)
                        .map(|found| found.into_iter().map(|(_, j)| j).filter(|&j| j > i).collect())
                        .map_err(index_error)
                })
                .collect::<Result<_, _>>()?;
            for (i, js) in close.iter().enumerate() {
                for &j in js {
                    union(&mut parent, i, j);
                }
            }
        }
        // Number the regions in order of their first point, so labels are reproducible.
        let mut number = vec![usize::MAX; n];
        let mut label = vec![0; n];
        let mut size = Vec::new();
        for i in 0..n {
            let root = find(&mut parent, i);
            if number[root] == usize::MAX {
                number[root] = size.len();
                size.push(0);
            }
            label[i] = number[root];
            size[label[i]] += 1;
        }
        Ok(Regions {
            points,
            label,
            size,
            link,
        })
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
        if self.points.nrows() == 0 {
            return Ok(vec![None; queries.nrows()]);
        }
        let index = kd_tree(&self.points)?;
        (0..queries.nrows())
            .into_par_iter()
            .map(|q| {
                let nearest = index.k_nearest(queries.row(q), 1).map_err(index_error)?;
                Ok(nearest.first().and_then(|(p, j)| {
                    let d2: f64 = p.iter().zip(queries.row(q)).map(|(a, b)| (a - b) * (a - b)).sum();
                    (d2 <= self.link * self.link).then_some(self.label[*j])
                }))
            })
            .collect()
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
    use ndarray::array;

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
