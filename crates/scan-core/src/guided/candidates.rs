//! The candidates a batch is picked from: uniform points, Gaussian steps around the
//! in-target points found so far (then walked through the predicted target set by
//! `walk`), and draws from a VEGAS map of the points.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, ArrayViewMut1, Axis};
use rand::RngExt;
use rand::distr::weighted::WeightedIndex;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use vegas_map::{AdaptiveMap, TrainingParams};

use super::Found;
use super::settings::{GuidedSettings, LocalSigma};
use crate::coverage::{index_error, kd_tree, median_nn_distance};
use crate::error::ScanError;
use crate::history::History;
use crate::strategy::uniform_points;

/// Bounds of the automatic local width (fractions of the box): below, steps would only
/// duplicate points; above, they would no longer be local.
pub(super) const AUTO_SIGMA_RANGE: (f64, f64) = (0.002, 0.1);
/// Found points the automatic width is estimated from (a uniform subsample beyond), and
/// walk starts are drawn from.
const AUTO_SIGMA_SAMPLE: usize = 20_000;
/// Weighted points the VEGAS map adapts to at most (a uniform subsample beyond).
const VEGAS_SAMPLE: usize = 50_000;
/// The automatic width in median nearest-neighbour spacings of the in-target points.
const SPACINGS: f64 = 1.0;
/// Half of the automatic steps take the automatic width, the other half widths spread
/// log-uniformly over this many halvings below it: a thin target set (a shell in many
/// dimensions) is left by nearly every step of the full width, and the narrower ones keep
/// candidates inside it. Even selection still prefers the farther of the survivors.
const AUTO_OCTAVES: f64 = 3.0;

/// What drawing the candidates produced.
pub(super) struct Candidates {
    pub points: Array2<f64>,
    pub seconds_vegas: f64,
    /// The local width used, when local steps were drawn.
    pub local_sigma: Option<f64>,
    /// The median spacing of the in-target points (NaN for fewer than two).
    pub spacing: f64,
    /// Each found point's [`isolation`] weight.
    pub isolation: Vec<f64>,
    /// The first `uniform` candidates are drawn uniformly over the box.
    pub uniform: usize,
    /// The local steps: candidates `uniform..uniform + widths.len()`, with their widths.
    pub widths: Vec<f64>,
    /// Whether the walks adapt their widths (automatic width).
    pub adapt: bool,
}

/// Steps each local candidate takes through the predicted target set before the batch is
/// picked: a chain started at a found point wanders along a thin or curved target set,
/// where one long step would leave it, and reaches the parts no point has been found in.
pub(super) const WALK_STEPS: usize = 8;
/// A walker's width grows by this factor after a kept step and shrinks by its square after
/// a refused one (when widths adapt), so it settles where about a third of its steps are
/// kept: in a set far thinner than the found points' spacing (a shell in many dimensions)
/// the steps shrink to the set's thickness instead of leaving it every time.
const WIDTH_GROWTH: f64 = 1.5;
/// Adapted widths stay within this many halvings below the widest automatic width.
const ADAPT_OCTAVES: f64 = 10.0;

/// The walkers among the candidates: rows `first..first + widths.len()`, their starting
/// widths, and whether the widths adapt.
pub(super) struct Walkers<'a> {
    pub first: usize,
    pub widths: &'a [f64],
    pub adapt: bool,
}

/// Move the `walkers` among the candidates `cand` by [`WALK_STEPS`] Gaussian steps of their
/// widths, each step kept when the score there stays above `threshold` (or improves on a
/// score below it); when widths adapt, each walker's width grows after a kept step and
/// shrinks after a refused one. `score` scores a block of points; `scores` holds the
/// candidates' scores and is kept up to date.
pub(super) fn walk(
    cand: &mut Array2<f64>,
    scores: &mut Array1<f64>,
    walkers: Walkers<'_>,
    threshold: f64,
    mut score: impl FnMut(&Array2<f64>) -> Result<Array1<f64>, ScanError>,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(), ScanError> {
    let Walkers { first, widths, adapt } = walkers;
    let rows = first..first + widths.len();
    let mut widths = widths.to_vec();
    let widest = AUTO_SIGMA_RANGE.1;
    let narrowest = widest * (-ADAPT_OCTAVES).exp2();
    for _ in 0..WALK_STEPS {
        let mut next = cand.slice(ndarray::s![rows.clone(), ..]).to_owned();
        for (row, w) in next.rows_mut().into_iter().zip(&widths) {
            step(row, *w, rng);
        }
        let next_scores = score(&next)?;
        for (k, r) in rows.clone().enumerate() {
            let (now, then) = (scores[r], next_scores[k]);
            let kept = then > threshold || then > now;
            if kept {
                cand.row_mut(r).assign(&next.row(k));
                scores[r] = then;
            }
            if adapt {
                let factor = if kept { WIDTH_GROWTH } else { WIDTH_GROWTH.powi(-2) };
                widths[k] = (widths[k] * factor).clamp(narrowest, widest);
            }
        }
    }
    Ok(())
}

/// Found points within this many spacings of a found point count as its neighbours when
/// walk starts are weighted (see [`isolation`]).
const NEIGHBOURHOOD_SPACINGS: f64 = 2.0;

/// Each found point's weight as a walk start: one over the found points (itself included)
/// within [`NEIGHBOURHOOD_SPACINGS`] spacings. Walks then start evenly over the found
/// part of the target set instead of in proportion to the points already there: a point
/// found alone in a new region gets as many walks as a crowded patch elsewhere. Points
/// left out of the sample (beyond [`AUTO_SIGMA_SAMPLE`]) weigh 0.
pub(super) fn isolation(found: &Found, spacing: f64, rng: &mut Xoshiro256PlusPlus) -> Result<Vec<f64>, ScanError> {
    let n = found.points.nrows();
    if n < 2 || !spacing.is_finite() {
        return Ok(vec![1.0; n]);
    }
    // Beyond the sample size, walks start from a uniform sample of the found points, and
    // the neighbours are counted within the sample at its own (wider) spacing: the cost
    // stays bounded however many points are found.
    let (rows, radius) = if n <= AUTO_SIGMA_SAMPLE {
        ((0..n).collect::<Vec<_>>(), NEIGHBOURHOOD_SPACINGS * spacing)
    } else {
        let mut rows = rand::seq::index::sample(rng, n, AUTO_SIGMA_SAMPLE).into_vec();
        rows.sort_unstable();
        let d = found.points.ncols() as f64;
        let wider = (n as f64 / AUTO_SIGMA_SAMPLE as f64).powf(1.0 / d);
        (rows, NEIGHBOURHOOD_SPACINGS * spacing * wider)
    };
    let sample = found.points.select(Axis(0), &rows);
    let index = kd_tree(&sample)?;
    let weights: Vec<f64> = (0..rows.len())
        .into_par_iter()
        .map(|i| {
            index
                .within_range(sample.row(i), radius)
                .map(|near| 1.0 / near.len().max(1) as f64)
                .map_err(index_error)
        })
        .collect::<Result<_, _>>()?;
    let mut all = vec![0.0; n];
    for (&r, w) in rows.iter().zip(weights) {
        all[r] = w;
    }
    Ok(all)
}

/// Move `point` (unit cube) by a Gaussian step of `width`, in place.
pub(super) fn step(mut point: ArrayViewMut1<f64>, width: f64, rng: &mut Xoshiro256PlusPlus) {
    for v in point.iter_mut() {
        let z: f64 = rng.sample(StandardNormal);
        *v = (*v + width * z).clamp(0.0, 1.0 - f64::EPSILON);
    }
}

/// The median nearest-neighbour distance among (a sample of) the in-target points, scaled
/// to their full number; NaN for fewer than two.
pub(super) fn found_spacing(points: &Array2<f64>, rng: &mut Xoshiro256PlusPlus) -> Result<f64, ScanError> {
    let (n, d) = points.dim();
    if n <= AUTO_SIGMA_SAMPLE {
        return median_nn_distance(points.view());
    }
    let rows = rand::seq::index::sample(rng, n, AUTO_SIGMA_SAMPLE).into_vec();
    let nn = median_nn_distance(points.select(Axis(0), &rows).view())?;
    // A subsample is sparser than the whole: scale its spacing back to the full count.
    Ok(nn * (AUTO_SIGMA_SAMPLE as f64 / n as f64).powf(1.0 / d as f64))
}

/// The local width: fixed, or one median spacing of the in-target points (bounded).
fn local_width(setting: LocalSigma, spacing: f64) -> f64 {
    match setting {
        LocalSigma::Fixed(s) => s,
        LocalSigma::Auto(_) => {
            let (lo, hi) = AUTO_SIGMA_RANGE;
            if spacing.is_finite() {
                (SPACINGS * spacing).clamp(lo, hi)
            } else {
                hi
            }
        }
    }
}

/// L candidates: uniform, then the local share (Gaussian steps around found points), then
/// the VEGAS share drawn through a map adapted to the points weighted by likelihood (when
/// the target has one) or in-target flag.
///
/// With regions, each local step starts from a point of a region drawn uniformly, so a
/// region just found gets as many candidates as one holding thousands of points.
pub(super) fn draw(
    settings: &GuidedSettings,
    history: &History,
    found: &Found,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Candidates, ScanError> {
    let (l, d) = (settings.candidates, history.dim());
    let n_vegas = ((settings.vegas_fraction * l as f64).round() as usize).min(l);
    let n_local = ((settings.local_fraction * l as f64).round() as usize).min(l - n_vegas);
    let mut cand = Array2::from_shape_vec((l, d), uniform_points(d, l, rng)).expect("l × d");
    let mut local_sigma = None;
    let mut widths = Vec::new();
    let spacing = found.spacing;
    let isolation = isolation(found, spacing, rng)?;
    if n_local > 0 && !found.ids.is_empty() {
        let unit = history.unit();
        let sigma = local_width(settings.local_sigma, spacing);
        local_sigma = Some(sigma);
        let octaves = match settings.local_sigma {
            LocalSigma::Fixed(_) => 0.0,
            LocalSigma::Auto(_) => AUTO_OCTAVES,
        };
        let start = l - n_vegas - n_local;
        let weighted = WeightedIndex::new(&isolation).map_err(|e| ScanError::Training(format!("walk starts: {e}")))?;
        for r in start..start + n_local {
            let base = match &found.members {
                Some(members) => {
                    let m = &members[rng.random_range(0..members.len())];
                    found.ids[m[rng.random_range(0..m.len())]]
                }
                None => found.ids[rng.sample(&weighted)],
            };
            let u = (2.0 * rng.random::<f64>() - 1.0).max(0.0);
            let width = sigma * (-octaves * u).exp2();
            widths.push(width);
            let mut row = cand.row_mut(r);
            row.assign(&ArrayView1::from(&unit[base * d..(base + 1) * d]));
            step(row, width, rng);
        }
    }
    let started = Instant::now();
    if n_vegas > 0 && history.len() >= 20 {
        let all = history.unit_rows();
        let likelihood = history.likelihood();
        let weight = |i: usize| match likelihood[i] {
            l if l.is_finite() && l > 0.0 => l,
            _ => f64::from(u8::from(history.in_target()[i])),
        };
        // Beyond the sample size, the map adapts to a uniform sample of the weighted points
        // (they estimate the same weighted histogram) and as many of the rest: a cost
        // independent of the history's size.
        let mut rows: Vec<usize> = (0..history.len()).collect();
        if rows.len() > VEGAS_SAMPLE {
            let (weighted, rest): (Vec<usize>, Vec<usize>) = rows.into_iter().partition(|&i| weight(i) > 0.0);
            let mut sample = |from: Vec<usize>, k: usize| -> Vec<usize> {
                if from.len() <= k {
                    return from;
                }
                rand::seq::index::sample(rng, from.len(), k)
                    .into_iter()
                    .map(|j| from[j])
                    .collect()
            };
            rows = sample(weighted, VEGAS_SAMPLE / 2);
            let room = VEGAS_SAMPLE - rows.len();
            rows.extend(sample(rest, room));
            rows.sort_unstable();
        }
        let unit = all.select(Axis(0), &rows);
        let weights: Array1<f64> = rows.iter().map(|&i| weight(i)).collect();
        if weights.iter().any(|w| *w > 0.0) {
            let mut map = AdaptiveMap::uniform(&vec![(0.0, 1.0); d], 100)?;
            map.adapt_to_samples(unit.view(), weights.view(), &TrainingParams::default())?;
            let mut jac = Array1::zeros(n_vegas);
            let mut tail = cand.slice_mut(ndarray::s![l - n_vegas.., ..]);
            map.sample_into(tail.view_mut(), jac.view_mut(), rng)?;
        }
    }
    Ok(Candidates {
        points: cand,
        seconds_vegas: started.elapsed().as_secs_f64(),
        local_sigma,
        spacing,
        isolation,
        uniform: l - n_vegas - n_local,
        widths,
        adapt: matches!(settings.local_sigma, LocalSigma::Auto(_)),
    })
}
