//! Picking the batch among the scored candidates.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use ndarray::{Array1, Array2, ArrayView1};
use rand::seq::index;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::Found;
use super::settings::Selection;
use crate::cell_grid::CellGrid;
use crate::error::ScanError;
use crate::regions::fill_evenly;

/// Even selection weighs distance by score to this power: candidates the model is sure of
/// go before those on the edge of its predicted target set, where it errs most.
const SCORE_POWER: i32 = 8;

/// Side of the grid cells of [`Selection::Spread`], in unit-cube coordinates.
pub(super) const SPREAD_CELL: f64 = 0.06;

pub(super) fn cell_of(point: ArrayView1<f64>) -> Vec<i32> {
    point.iter().map(|v| (v / SPREAD_CELL).floor() as i32).collect()
}

/// What the rules need to know about the candidates.
pub(super) struct Scored<'a> {
    pub cand: &'a Array2<f64>,
    pub scores: &'a Array1<f64>,
    /// Distance from each candidate to the nearest in-target point found (even
    /// selection; infinite when none is known).
    pub distance: &'a [f64],
    /// Distances beyond this count as this (even selection): far enough is far enough,
    /// and among candidates that far the surer one goes first. Without it the picks would
    /// chase the model's false positives in unexplored parts of the box.
    pub reach: f64,
    /// Per candidate, the measured hit rate of the model's picks at its distance from the
    /// points found (even selection; empty: the same everywhere).
    pub trust: &'a [f64],
    /// In-target points found per grid cell (spread selection).
    pub crowd: &'a HashMap<Vec<i32>, u32>,
}

/// The candidates `pool` grouped by the region of the found points they fall in (the last
/// group: far from every found point), each group's share of `n` picks (emptiest regions
/// first), or one group taking all `n` when regions are off.
pub(super) fn groups(
    found: &Found,
    cand: &Array2<f64>,
    pool: &[usize],
    n: usize,
) -> Result<Vec<(Vec<usize>, usize)>, ScanError> {
    let Some(regions) = &found.regions else {
        return Ok(vec![(pool.to_vec(), n)]);
    };
    let unknown = regions.count();
    let region_of = regions.assign(cand.select(ndarray::Axis(0), pool).view())?;
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); unknown + 1];
    for (&c, region) in pool.iter().zip(region_of) {
        groups[region.unwrap_or(unknown)].push(c);
    }
    // Candidates far from every found point may open a new region, or may lie on an
    // unvisited side of a known one: they rank with the emptiest region, not before it.
    let mut held = regions.sizes().to_vec();
    held.push(held.iter().copied().min().unwrap_or(0));
    let available: Vec<usize> = groups.iter().map(Vec::len).collect();
    let shares = fill_evenly(&held, &available, n);
    Ok(groups.into_iter().zip(shares).collect())
}

/// `k` of the candidates `group` by the selection rule.
pub(super) fn choose(
    rule: Selection,
    group: &[usize],
    k: usize,
    s: &Scored<'_>,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Vec<usize>, ScanError> {
    let k = k.min(group.len());
    Ok(match rule {
        Selection::Even => farthest(group, k, s),
        Selection::Top => {
            let mut ranked = group.to_vec();
            ranked.sort_by(|&a, &b| s.scores[b].total_cmp(&s.scores[a]).then(a.cmp(&b)));
            ranked.truncate(k);
            ranked
        }
        Selection::Sample => index::sample(rng, group.len(), k)
            .into_iter()
            .map(|i| group[i])
            .collect(),
        Selection::Spread => {
            let crowding = |c: usize| 1.0 + f64::from(s.crowd.get(&cell_of(s.cand.row(c))).copied().unwrap_or(0));
            let weight = |i: usize| s.scores[group[i]].max(1e-12) / crowding(group[i]);
            index::sample_weighted(rng, group.len(), weight, k)
                .map_err(|e| ScanError::Training(format!("spread selection: {e}")))?
                .into_iter()
                .map(|i| group[i])
                .collect()
        }
    })
}

/// A heap entry: `key` = distance to the nearest known or picked point × weight, computed
/// when `seen` points had been picked.
#[derive(PartialEq)]
struct Entry {
    key: f64,
    candidate: usize,
    seen: usize,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Larger keys first; among equals the lower candidate index, for reproducibility.
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Greedy farthest-point picks: `k` of `group`, each the candidate whose distance to the
/// nearest found point or earlier pick (capped at the reach), times its weight (score and
/// trust), is largest.
/// Distances only shrink as picks are added, so a stale key is an upper bound: a popped
/// entry is brought up to date against the picks made since and pushed back unless it still
/// leads. Only picks within the cap can shorten a distance, so the update looks at the picks
/// in the neighbouring cells of a grid of that side.
fn farthest(group: &[usize], k: usize, s: &Scored<'_>) -> Vec<usize> {
    let dist2 = |a: usize, b: usize| -> f64 {
        s.cand
            .row(a)
            .iter()
            .zip(s.cand.row(b).iter())
            .map(|(x, y)| (x - y) * (x - y))
            .sum()
    };
    // No two points of the unit cube are farther apart than this: it stands in for the
    // infinite distance of a candidate when nothing has been found yet.
    let far = s.reach.min((s.cand.ncols() as f64).sqrt() + 1.0);
    let weight = |c: usize| s.scores[c].max(0.0).powi(SCORE_POWER) * s.trust.get(c).copied().unwrap_or(1.0);
    let mut nearest: HashMap<usize, f64> = group.iter().map(|&c| (c, s.distance[c].min(far))).collect();
    let mut heap: BinaryHeap<Entry> = group
        .iter()
        .map(|&c| Entry {
            key: nearest[&c] * weight(c),
            candidate: c,
            seen: 0,
        })
        .collect();
    let mut picks: Vec<usize> = Vec::with_capacity(k);
    let mut grid = CellGrid::new(far);
    while picks.len() < k {
        let Some(top) = heap.pop() else { break };
        if top.seen == picks.len() {
            grid.insert(picks.len(), s.cand.row(top.candidate));
            picks.push(top.candidate);
            continue;
        }
        let d = nearest.get_mut(&top.candidate).expect("a candidate of the group");
        grid.near(s.cand.row(top.candidate), top.seen, |position| {
            *d = d.min(dist2(top.candidate, picks[position]).sqrt());
        });
        heap.push(Entry {
            key: *d * weight(top.candidate),
            candidate: top.candidate,
            seen: picks.len(),
        });
    }
    picks
}
