//! Training: accumulating weights per increment and re-placing the edges from them, as
//! vegas' `add_training_data`, `adapt` and `adapt_to_samples`.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::map::AdaptiveMap;
use crate::{DEFAULT_MAXINC_AXIS, TINY, VegasError};

/// Training accumulators: per direction and increment, the sum of |w| and the count
/// (which starts at [`TINY`], so an empty increment has mean 0, not NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Accumulators {
    pub(crate) sum: Vec<Vec<f64>>,
    pub(crate) count: Vec<Vec<f64>>,
}

/// Per direction, each training point's increment (or `u32::MAX` on a face of the cube)
/// and Jacobian factor.
type LocatedPoints = (Vec<u32>, Vec<f64>);

/// Settings of [`AdaptiveMap::adapt_to_samples`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingParams {
    /// Training iterations (vegas' `nitn`, default 5).
    pub nitn: usize,
    /// Damping exponent: larger follows the data faster (default 1).
    pub alpha: f64,
    /// Increments per direction at the end are max(current, maxinc_axis) (default 1000,
    /// as vegas).
    pub maxinc_axis: usize,
}

impl Default for TrainingParams {
    fn default() -> Self {
        TrainingParams {
            nitn: 5,
            alpha: 1.0,
            maxinc_axis: DEFAULT_MAXINC_AXIS,
        }
    }
}

impl AdaptiveMap {
    /// Per-increment means of the training weights accumulated since the last adapt, if any.
    pub fn training_means(&self) -> Option<Vec<Vec<f64>>> {
        self.training.as_ref().map(|t| {
            t.sum
                .iter()
                .zip(&t.count)
                .map(|(s, c)| s.iter().zip(c).map(|(s, c)| s / c).collect())
                .collect()
        })
    }

    /// Accumulate training weights `w` (their absolute values) at unit-cube points `y`.
    /// Points on the cube's faces (y_d = 0 or 1, which includes every x outside the box)
    /// are ignored along that direction, as in vegas.
    pub fn add_training_data(&mut self, y: ArrayView2<f64>, w: ArrayView1<f64>) -> Result<(), VegasError> {
        self.check_cols("y", y.ncols())?;
        if w.len() != y.nrows() {
            return Err(VegasError::Shape(format!(
                "{} weights for {} points",
                w.len(),
                y.nrows()
            )));
        }
        let training = self.training.get_or_insert_with(|| Accumulators {
            sum: self.inc.iter().map(|i| vec![0.0; i.len()]).collect(),
            count: self.inc.iter().map(|i| vec![TINY; i.len()]).collect(),
        });
        let per_direction = |(d, (sum, count)): (usize, (&mut Vec<f64>, &mut Vec<f64>))| {
            let n = sum.len() as f64;
            for (&yv, &wv) in y.column(d).iter().zip(w.iter()) {
                if yv > 0.0 && yv < 1.0 {
                    // y > 0, so truncation is floor.
                    let i = (yv * n) as usize;
                    sum[i] += wv.abs();
                    count[i] += 1.0;
                }
            }
        };
        training
            .sum
            .iter_mut()
            .zip(training.count.iter_mut())
            .enumerate()
            .for_each(per_direction);
        Ok(())
    }

    /// Forget accumulated training data.
    pub fn clear(&mut self) {
        self.training = None;
    }

    /// Re-place the edges from the accumulated training data (then cleared).
    ///
    /// `alpha` = 0 keeps the current density and only changes the number of increments to
    /// `ninc` (re-binning); `alpha` > 0 smooths, normalises and damps the per-increment mean
    /// weights before placing edges so that each new increment holds an equal share;
    /// `alpha` < 0 uses the raw means. `ninc` is one value for every direction or one per
    /// direction; `None` keeps the current numbers.
    pub fn adapt(&mut self, alpha: f64, ninc: Option<&[usize]>) -> Result<(), VegasError> {
        if !alpha.is_finite() {
            return Err(VegasError::NonFinite("alpha"));
        }
        let d_count = self.dim();
        let new_ninc: Vec<usize> = match ninc {
            None => self.inc.iter().map(Vec::len).collect(),
            Some([n]) => vec![*n; d_count],
            Some(v) if v.len() == d_count => v.to_vec(),
            Some(v) => {
                return Err(VegasError::NincLength {
                    expected: d_count,
                    got: v.len(),
                });
            }
        };
        if new_ninc.contains(&0) {
            return Err(VegasError::ZeroIncrements);
        }
        let training = self.training.take();
        if new_ninc.iter().all(|&n| n == 1) {
            for g in &mut self.grid {
                *g = vec![g[0], *g.last().expect("non-empty")];
            }
            self.refresh();
            return Ok(());
        }
        for (d, &n_new) in new_ninc.iter().enumerate() {
            let n_old = self.inc[d].len();
            let mut a = vec![1.0; n_old];
            if alpha != 0.0 && n_old > 1 {
                if let Some(t) = &training {
                    for ((ai, s), c) in a.iter_mut().zip(&t.sum[d]).zip(&t.count[d]) {
                        *ai = s / c;
                    }
                }
                if alpha > 0.0 {
                    smooth_and_damp(&mut a, alpha);
                }
            }
            self.grid[d] = place_edges(&self.grid[d], &self.inc[d], &a, n_new);
        }
        self.refresh();
        Ok(())
    }

    /// Train the map on a fixed sample: points `x` (rows, in the box) with integrand values
    /// `f`, as vegas' `AdaptiveMap.adapt_to_samples`.
    ///
    /// The map is first re-binned to N_train = ⌊min(N_final, n/10)⌋ increments, where
    /// N_final = max(current increments, `maxinc_axis`); then `nitn` times the weights
    /// (J·f)² are accumulated at map⁻¹(x) and the map adapted with `alpha`; finally it is
    /// re-binned to N_final. **With the default `maxinc_axis` of 1000, the map ends with at
    /// least 1000 increments per direction whatever it had before**, as in vegas.
    pub fn adapt_to_samples(
        &mut self,
        x: ArrayView2<f64>,
        f: ArrayView1<f64>,
        params: &TrainingParams,
    ) -> Result<(), VegasError> {
        self.check_cols("x", x.ncols())?;
        if f.len() != x.nrows() {
            return Err(VegasError::Shape(format!(
                "{} values of f for {} points",
                f.len(),
                x.nrows()
            )));
        }
        if f.iter().any(|v| !v.is_finite()) {
            return Err(VegasError::NonFinite("f"));
        }
        let n = x.nrows();
        let n_final = self.inc.iter().map(Vec::len).max().unwrap_or(1).max(params.maxinc_axis);
        let n_train = (n_final as f64).min(n as f64 / 10.0) as usize;
        if n_train < 2 {
            return Err(VegasError::NotEnoughSamples { n, ninc: n_train });
        }
        self.adapt(0.0, Some(&[n_train]))?;
        // The sample is fixed across iterations: lay it out once as contiguous columns.
        let columns: Vec<Vec<f64>> = x.columns().into_iter().map(|c| c.to_vec()).collect();
        let f = f.to_vec();
        let mut scratch = vec![(Vec::new(), Vec::new()); self.dim()];
        let mut weights = vec![0.0; n];
        for _ in 0..params.nitn {
            self.train_step(&columns, &f, &mut scratch, &mut weights);
            self.adapt(params.alpha, Some(&[n_train]))?;
        }
        if n_train != n_final {
            self.adapt(0.0, Some(&[n_final]))?;
        }
        Ok(())
    }

    /// One training pass of `adapt_to_samples`: y = map⁻¹(x), weights (J·f)², accumulated
    /// per increment. Same arithmetic as `invmap` followed by `add_training_data`, fused:
    /// each direction first records every point's increment (or that it lies on a face)
    /// and Jacobian factor, then, once J is known, adds the weights, so y is never stored.
    fn train_step(&mut self, columns: &[Vec<f64>], f: &[f64], scratch: &mut [LocatedPoints], weights: &mut [f64]) {
        const ON_FACE: u32 = u32::MAX;
        let locate = |(d, (bins, jd)): (usize, &mut LocatedPoints)| {
            let n = self.inc[d].len() as f64;
            bins.clear();
            jd.clear();
            let (g, inc, lookup) = (&self.grid[d], &self.inc[d], &self.lookup[d]);
            for &xv in &columns[d] {
                let k = lookup.count_le(g, xv);
                // Inside increment i, away from its ends, y = (i + (x−g_i)/Δ_i)/N lies so far
                // from the bin boundaries that ⌊y·N⌋ = i whatever the rounding (the margin
                // of 1e-6 dwarfs the ~1e-13 relative error of the divisions), so the two
                // divisions are only needed near an edge.
                if k >= 1 && k <= inc.len() {
                    let i = k - 1;
                    let dx = xv - g[i];
                    if dx >= 1.000001e-6 * inc[i] && dx <= 0.999999 * inc[i] {
                        bins.push(i as u32);
                        jd.push(inc[i] * n);
                        continue;
                    }
                }
                let (y, j) = self.invmap_1d(d, xv);
                // 0 < y < 1, so truncation is floor.
                bins.push(if y > 0.0 && y < 1.0 { (y * n) as u32 } else { ON_FACE });
                jd.push(j);
            }
        };
        // Sequential on purpose: a pass is well under a millisecond, less than what waking
        // a thread pool twice per iteration costs on small machines.
        scratch.iter_mut().enumerate().for_each(locate);

        // J = Π_d J_d in direction order (vegas' rounding), then w = (J·f)².
        weights.fill(1.0);
        for (_, jd) in scratch.iter() {
            weights.iter_mut().zip(jd).for_each(|(w, j)| *w *= j);
        }
        weights.iter_mut().zip(f).for_each(|(w, f)| *w = (*w * f) * (*w * f));

        let training = self.training.get_or_insert_with(|| Accumulators {
            sum: self.inc.iter().map(|i| vec![0.0; i.len()]).collect(),
            count: self.inc.iter().map(|i| vec![TINY; i.len()]).collect(),
        });
        let weights = &*weights;
        let accumulate = |((sum, count), (bins, _)): ((&mut Vec<f64>, &mut Vec<f64>), &LocatedPoints)| {
            for (&b, &w) in bins.iter().zip(weights) {
                if b != ON_FACE {
                    sum[b as usize] += w.abs();
                    count[b as usize] += 1.0;
                }
            }
        };
        training
            .sum
            .iter_mut()
            .zip(training.count.iter_mut())
            .zip(scratch.iter())
            .for_each(accumulate);
    }
}

/// Smooth the per-increment weights (7:1 at the ends, 1:6:1 inside), normalise them
/// (summing the two ends first, as vegas does), add [`TINY`], then damp each with
/// ((1 − r)/(−ln r))^alpha.
fn smooth_and_damp(a: &mut [f64], alpha: f64) {
    let n = a.len();
    let mut s = vec![0.0; n];
    s[0] = (7.0 * a[0] + a[1]).abs() / 8.0;
    s[n - 1] = (7.0 * a[n - 1] + a[n - 2]).abs() / 8.0;
    for i in 1..n - 1 {
        s[i] = (6.0 * a[i] + a[i - 1] + a[i + 1]).abs() / 8.0;
    }
    let mut total = s[0] + s[n - 1];
    for v in &s[1..n - 1] {
        total += v;
    }
    if total > 0.0 {
        for (ai, si) in a.iter_mut().zip(&s) {
            *ai = si / total + TINY;
        }
    } else {
        a.fill(TINY);
    }
    for ai in a.iter_mut() {
        if *ai > 0.0 && *ai <= 0.99999999 {
            let r = (1.0 - *ai) / -ai.ln();
            // pow(r, 1) is r exactly; skipping the call keeps the result and saves time.
            *ai = if alpha == 1.0 { r } else { r.powf(alpha) };
        }
    }
}

/// New edges so that each of `n_new` increments holds an equal share of the weight `a`,
/// spread uniformly inside each old increment.
fn place_edges(grid: &[f64], inc: &[f64], a: &[f64], n_new: usize) -> Vec<f64> {
    let n_old = inc.len();
    let mut total = 0.0;
    for v in a {
        total += v;
    }
    // Only raw (alpha < 0) all-zero weights can sum to zero; spread uniformly then.
    let uniform;
    let a = if total > 0.0 && total.is_finite() {
        a
    } else {
        uniform = vec![1.0; n_old];
        total = n_old as f64;
        &uniform
    };
    let tau = total / n_new as f64;
    let mut edges = vec![0.0; n_new + 1];
    edges[0] = grid[0];
    edges[n_new] = grid[n_old];
    let mut rho = 0.0;
    let mut j: isize = -1;
    for edge in edges.iter_mut().take(n_new).skip(1) {
        while rho < tau {
            j += 1;
            if j as usize >= n_old {
                break;
            }
            rho += a[j as usize];
        }
        if j as usize >= n_old {
            // Round-off exhausted the weight: the remaining edges sit at the upper end.
            *edge = grid[n_old];
            continue;
        }
        rho -= tau;
        let ju = j as usize;
        *edge = grid[ju + 1] - (rho / a[ju]) * inc[ju];
    }
    edges
}
