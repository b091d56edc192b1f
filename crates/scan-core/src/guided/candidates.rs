//! The candidates a batch is picked from: uniform points, Gaussian steps around the
//! in-target points found so far (then walked through the predicted target set by
//! `walk`), and draws from a VEGAS map of the points.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::RngExt;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use vegas_map::{AdaptiveMap, TrainingParams};

use super::Found;
use super::settings::{GuidedSettings, LocalSigma};
use crate::coverage::median_nn_distance;
use crate::error::ScanError;
use crate::history::History;
use crate::strategy::uniform_points;

/// Bounds of the automatic local width (fractions of the box): below, steps would only
/// duplicate points; above, they would no longer be local.
pub(super) const AUTO_SIGMA_RANGE: (f64, f64) = (0.002, 0.1);
/// Found points the automatic width is estimated from (a uniform subsample beyond).
const AUTO_SIGMA_SAMPLE: usize = 20_000;
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
    /// The first `uniform` candidates are drawn uniformly over the box.
    pub uniform: usize,
    /// The local steps: candidates `uniform..uniform + widths.len()`, with their widths.
    pub widths: Vec<f64>,
}

/// Steps each local candidate takes through the predicted target set before the batch is
/// picked: a chain started at a found point wanders along a thin or curved target set,
/// where one long step would leave it, and reaches the parts no point has been found in.
pub(super) const WALK_STEPS: usize = 8;

/// Move the local candidates `uniform..uniform + widths.len()` by [`WALK_STEPS`] Gaussian
/// steps of their widths, each step kept when the score there stays above `threshold`
/// (or improves on a score below it). `score` scores a block of points; `scores` holds
/// the candidates' scores and is kept up to date.
pub(super) fn walk(
    cand: &mut Array2<f64>,
    scores: &mut Array1<f64>,
    uniform: usize,
    widths: &[f64],
    threshold: f64,
    mut score: impl FnMut(&Array2<f64>) -> Result<Array1<f64>, ScanError>,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(), ScanError> {
    let d = cand.ncols();
    let rows = uniform..uniform + widths.len();
    for _ in 0..WALK_STEPS {
        let mut next = cand.slice(ndarray::s![rows.clone(), ..]).to_owned();
        for (mut row, w) in next.rows_mut().into_iter().zip(widths) {
            for c in 0..d {
                let z: f64 = rng.sample(StandardNormal);
                row[c] = (row[c] + w * z).clamp(0.0, 1.0 - f64::EPSILON);
            }
        }
        let next_scores = score(&next)?;
        for (k, r) in rows.clone().enumerate() {
            let (now, then) = (scores[r], next_scores[k]);
            if then > threshold || then > now {
                cand.row_mut(r).assign(&next.row(k));
                scores[r] = then;
            }
        }
    }
    Ok(())
}

/// The median nearest-neighbour distance among (a sample of) the in-target points, scaled
/// to their full number; NaN for fewer than two.
fn found_spacing(found: &Found, rng: &mut Xoshiro256PlusPlus) -> Result<f64, ScanError> {
    let (n, d) = found.points.dim();
    if n <= AUTO_SIGMA_SAMPLE {
        return median_nn_distance(found.points.view());
    }
    let rows = rand::seq::index::sample(rng, n, AUTO_SIGMA_SAMPLE).into_vec();
    let nn = median_nn_distance(found.points.select(Axis(0), &rows).view())?;
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
    let spacing = found_spacing(found, rng)?;
    if n_local > 0 && !found.ids.is_empty() {
        let unit = history.unit();
        let sigma = local_width(settings.local_sigma, spacing);
        local_sigma = Some(sigma);
        let octaves = match settings.local_sigma {
            LocalSigma::Fixed(_) => 0.0,
            LocalSigma::Auto(_) => AUTO_OCTAVES,
        };
        let start = l - n_vegas - n_local;
        for r in start..start + n_local {
            let base = match &found.members {
                Some(members) => {
                    let m = &members[rng.random_range(0..members.len())];
                    found.ids[m[rng.random_range(0..m.len())]]
                }
                None => found.ids[rng.random_range(0..found.ids.len())],
            };
            let u = (2.0 * rng.random::<f64>() - 1.0).max(0.0);
            let width = sigma * (-octaves * u).exp2();
            widths.push(width);
            for c in 0..d {
                let z: f64 = rng.sample(StandardNormal);
                cand[[r, c]] = (unit[base * d + c] + width * z).clamp(0.0, 1.0 - f64::EPSILON);
            }
        }
    }
    let started = Instant::now();
    if n_vegas > 0 && history.len() >= 20 {
        let unit = ArrayView2::from_shape((history.len(), d), history.unit()).expect("history rows");
        let likelihood = history.likelihood();
        let weights: Array1<f64> = (0..history.len())
            .map(|i| match likelihood[i] {
                l if l.is_finite() && l > 0.0 => l,
                _ => f64::from(u8::from(history.in_target()[i])),
            })
            .collect();
        if weights.iter().any(|w| *w > 0.0) {
            let mut map = AdaptiveMap::uniform(&vec![(0.0, 1.0); d], 100)?;
            map.adapt_to_samples(unit, weights.view(), &TrainingParams::default())?;
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
        uniform: l - n_vegas - n_local,
        widths,
    })
}
