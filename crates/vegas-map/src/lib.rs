//! VEGAS adaptive maps.
//!
//! An [`AdaptiveMap`] is a separable, piecewise-linear map from the unit cube
//! y ∈ [0,1]^D to a box x ∈ Π_d [a_d, b_d]. Along each direction the box is cut into
//! increments that each take up the same share of y, so drawing y uniformly puts more
//! points where increments are narrow: the density of x is 1/J(x), with J the map's
//! Jacobian. Training on weighted samples ([`AdaptiveMap::adapt_to_samples`]) narrows the
//! increments where the weight is large, which is G. P. Lepage's VEGAS algorithm for
//! adaptive importance sampling.
//!
//! The training follows the `AdaptiveMap` of the Python package `vegas` (6.x) step for
//! step, summation orders included, so a map trained here on the same data has the same
//! grid to the last bit.
//!
//! ```
//! use ndarray::{Array1, Array2};
//! use rand::SeedableRng;
//! use rand_xoshiro::Xoshiro256PlusPlus;
//! use vegas_map::{AdaptiveMap, TrainingParams};
//!
//! // Train a map of [0, 1]² on a peak at (0.3, 0.6).
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//! let mut map = AdaptiveMap::uniform(&[(0.0, 1.0), (0.0, 1.0)], 10).unwrap();
//! let x = map.sample(5000, &mut rng).x;
//! let f: Array1<f64> = x.rows().into_iter()
//!     .map(|p| (-50.0 * ((p[0] - 0.3).powi(2) + (p[1] - 0.6).powi(2))).exp())
//!     .collect();
//! map.adapt_to_samples(x.view(), f.view(), &TrainingParams::default()).unwrap();
//!
//! // Points drawn through the trained map crowd around the peak.
//! let s = map.sample(10_000, &mut rng);
//! let near = s.x.rows().into_iter().filter(|p| (p[0] - 0.3).abs() < 0.15 && (p[1] - 0.6).abs() < 0.15).count();
//! assert!(near > 5_000, "{near} of 10000 near the peak (9 % for uniform sampling)");
//! ```

mod lookup;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};
use rand::{Rng, RngExt};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use lookup::EdgeLookup;

/// The floor vegas gives every training weight (10^(min_10_exp + 50) for doubles), so that
/// no increment ever gets a zero share.
pub const TINY: f64 = 1e-257;

/// vegas' default `maxinc_axis`: [`AdaptiveMap::adapt_to_samples`] ends with at least this
/// many increments per direction.
pub const DEFAULT_MAXINC_AXIS: usize = 1000;

/// Errors from building or training a map.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VegasError {
    #[error("a map needs at least one direction")]
    NoDirections,
    #[error("direction {dim}: needs at least 2 edges, got {got}")]
    TooFewEdges { dim: usize, got: usize },
    #[error("direction {dim}: edges must be finite and strictly increasing")]
    BadEdges { dim: usize },
    #[error("the number of increments must be at least 1")]
    ZeroIncrements,
    #[error("expected {expected} values of ninc (one, or one per direction), got {got}")]
    NincLength { expected: usize, got: usize },
    #[error("shape mismatch: {0}")]
    Shape(String),
    #[error("not enough samples to train: {n} points give {ninc} increments (need n >= 20)")]
    NotEnoughSamples { n: usize, ninc: usize },
    #[error("non-finite value in {0}")]
    NonFinite(&'static str),
}

/// Training accumulators: per direction and increment, the sum of |w| and the count
/// (which starts at [`TINY`], so an empty increment has mean 0, not NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Accumulators {
    sum: Vec<Vec<f64>>,
    count: Vec<Vec<f64>>,
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

/// Points drawn through a map: `x` (n × D, in the box) and their Jacobians (the density of
/// each point is 1/jac, relative to the box's volume being 1 in y).
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    pub x: Array2<f64>,
    pub jac: Array1<f64>,
}

/// A separable piecewise-linear map from [0,1]^D to a box. See the crate documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SerializedMap", into = "SerializedMap")]
pub struct AdaptiveMap {
    /// Edges g_{d,0} < … < g_{d,N_d} per direction.
    grid: Vec<Vec<f64>>,
    /// Widths Δ_{d,i} = g_{d,i+1} − g_{d,i}.
    inc: Vec<Vec<f64>>,
    /// Fast right-sided search over each direction's edges.
    lookup: Vec<EdgeLookup>,
    training: Option<Accumulators>,
}

/// The stored form: edges and pending training data; the rest is derived on load.
#[derive(Serialize, Deserialize)]
struct SerializedMap {
    grid: Vec<Vec<f64>>,
    #[serde(default)]
    training: Option<Accumulators>,
}

impl From<AdaptiveMap> for SerializedMap {
    fn from(m: AdaptiveMap) -> Self {
        SerializedMap {
            grid: m.grid,
            training: m.training,
        }
    }
}

impl TryFrom<SerializedMap> for AdaptiveMap {
    type Error = VegasError;
    fn try_from(s: SerializedMap) -> Result<Self, VegasError> {
        let mut m = AdaptiveMap::new(s.grid)?;
        if let Some(t) = &s.training {
            let fits = |v: &Vec<Vec<f64>>| v.len() == m.dim() && v.iter().zip(&m.inc).all(|(a, b)| a.len() == b.len());
            if !fits(&t.sum) || !fits(&t.count) {
                return Err(VegasError::Shape("stored training data does not match the grid".into()));
            }
        }
        m.training = s.training;
        Ok(m)
    }
}

/// Map one coordinate: (x, dx/dy).
#[inline(always)]
fn map_1d(grid: &[f64], inc: &[f64], y: f64) -> (f64, f64) {
    let n = inc.len();
    let nf = n as f64;
    let t = y * nf;
    // Truncation is floor for t ≥ 0 and, unlike `floor`, needs no library call on baseline
    // x86-64; y < 0 lies outside the domain and is clamped to the first increment.
    let i = if t > 0.0 { t as usize } else { 0 };
    if i < n {
        (grid[i] + inc[i] * (t - i as f64), inc[i] * nf)
    } else {
        (grid[n], inc[n - 1] * nf)
    }
}

const LOW_32: u64 = (1 << 32) - 1;

/// Map one coordinate given 32 random bits u (y = u/2^32): (x, dx/dy). The increment
/// index ⌊y·N⌋ and the fraction y·N − ⌊y·N⌋ are exact integer operations on u·N, with no
/// float conversion or rounding (N ≤ 2^20, so that the fraction keeps at least 12 bits).
#[inline(always)]
fn map_bits(grid: &[f64], inc: &[f64], u: u64) -> (f64, f64) {
    const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
    let n = inc.len() as u64;
    let un = u * n;
    let i = (un >> 32) as usize;
    // 1.fraction − 1 is the fraction, exactly.
    let frac = f64::from_bits(((un & LOW_32) << 20) | ONE_BITS) - 1.0;
    (grid[i] + inc[i] * frac, inc[i] * n as f64)
}

/// Unit-interval random number with 53 random bits.
#[inline(always)]
fn unit(rng: &mut Xoshiro256PlusPlus) -> f64 {
    rng.random::<f64>()
}

impl AdaptiveMap {
    /// A map from explicit edges per direction (sorted, at least two each).
    pub fn new(edges: Vec<Vec<f64>>) -> Result<Self, VegasError> {
        if edges.is_empty() {
            return Err(VegasError::NoDirections);
        }
        for (d, e) in edges.iter().enumerate() {
            if e.len() < 2 {
                return Err(VegasError::TooFewEdges { dim: d, got: e.len() });
            }
            if e.iter().any(|v| !v.is_finite()) || e.windows(2).any(|w| w[0] >= w[1]) {
                return Err(VegasError::BadEdges { dim: d });
            }
        }
        let mut map = AdaptiveMap {
            inc: Vec::new(),
            lookup: Vec::new(),
            grid: edges,
            training: None,
        };
        map.refresh();
        Ok(map)
    }

    /// A map of the box `bounds` with `ninc` equal increments per direction: the identity
    /// up to scaling.
    pub fn uniform(bounds: &[(f64, f64)], ninc: usize) -> Result<Self, VegasError> {
        if ninc == 0 {
            return Err(VegasError::ZeroIncrements);
        }
        let edges = bounds
            .iter()
            // As numpy's linspace (i·step + lo), so grids match vegas' to the bit.
            .map(|&(lo, hi)| {
                let step = (hi - lo) / ninc as f64;
                (0..=ninc).map(|i| i as f64 * step + lo).collect()
            })
            .collect();
        let mut map = AdaptiveMap::new(edges)?;
        // Make the end points exact whatever the rounding of lo + (hi - lo)·1.
        for (g, &(_, hi)) in map.grid.iter_mut().zip(bounds) {
            *g.last_mut().expect("non-empty") = hi;
        }
        map.refresh();
        Ok(map)
    }

    /// Recompute the widths and search tables from the edges.
    fn refresh(&mut self) {
        self.inc = self
            .grid
            .iter()
            .map(|g| g.windows(2).map(|w| w[1] - w[0]).collect())
            .collect();
        self.lookup = self.grid.iter().map(|g| EdgeLookup::new(g)).collect();
    }

    /// Number of directions D.
    pub fn dim(&self) -> usize {
        self.grid.len()
    }

    /// Number of increments along direction `d`.
    pub fn ninc(&self, d: usize) -> usize {
        self.inc[d].len()
    }

    /// Edges along direction `d`.
    pub fn edges(&self, d: usize) -> &[f64] {
        &self.grid[d]
    }

    /// Widths of the increments along direction `d`.
    pub fn widths(&self, d: usize) -> &[f64] {
        &self.inc[d]
    }

    /// Lower and upper end of direction `d`.
    pub fn bounds(&self, d: usize) -> (f64, f64) {
        (self.grid[d][0], *self.grid[d].last().expect("non-empty"))
    }

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

    fn check_cols(&self, what: &str, cols: usize) -> Result<(), VegasError> {
        if cols != self.dim() {
            return Err(VegasError::Shape(format!(
                "{what} has {cols} columns, the map has {} directions",
                self.dim()
            )));
        }
        Ok(())
    }

    /// x = map(y) for one point, returning the Jacobian J(y) = Π_d dx_d/dy_d.
    /// `y` should lie in [0,1]^D.
    pub fn map_point(&self, y: &[f64], x: &mut [f64]) -> f64 {
        let mut jac = 1.0;
        for d in 0..self.dim() {
            let (xd, jd) = map_1d(&self.grid[d], &self.inc[d], y[d]);
            x[d] = xd;
            jac *= jd;
        }
        jac
    }

    /// x = map(y) for a batch (rows are points), writing Jacobians to `jac`.
    pub fn map(
        &self,
        y: ArrayView2<f64>,
        mut x: ArrayViewMut2<f64>,
        mut jac: ArrayViewMut1<f64>,
    ) -> Result<(), VegasError> {
        self.check_cols("y", y.ncols())?;
        if x.dim() != y.dim() || jac.len() != y.nrows() {
            return Err(VegasError::Shape("x and jac must match y".into()));
        }
        jac.fill(1.0);
        for d in 0..self.dim() {
            let (g, inc) = (&self.grid[d], &self.inc[d]);
            for ((yv, xv), j) in y.column(d).iter().zip(x.column_mut(d)).zip(jac.iter_mut()) {
                let (xd, jd) = map_1d(g, inc, *yv);
                *xv = xd;
                *j *= jd;
            }
        }
        Ok(())
    }

    /// The per-direction Jacobians dx_d/dy_d for a batch.
    pub fn jac1d(&self, y: ArrayView2<f64>) -> Result<Array2<f64>, VegasError> {
        self.check_cols("y", y.ncols())?;
        let mut out = Array2::zeros(y.dim());
        for d in 0..self.dim() {
            for (yv, o) in y.column(d).iter().zip(out.column_mut(d)) {
                *o = map_1d(&self.grid[d], &self.inc[d], *yv).1;
            }
        }
        Ok(out)
    }

    /// Inverse of one coordinate along `d`: (y, dx/dy). Outside the box y is clamped to 0
    /// or 1 with the end increment's Jacobian; an interior edge belongs to the increment
    /// above it (vegas' right-sided search).
    #[inline(always)]
    pub fn invmap_1d(&self, d: usize, x: f64) -> (f64, f64) {
        let (g, inc) = (&self.grid[d], &self.inc[d]);
        let n = inc.len();
        let k = self.lookup[d].count_le(g, x);
        if k == 0 {
            (0.0, inc[0] * n as f64)
        } else if k > n {
            (1.0, inc[n - 1] * n as f64)
        } else {
            let i = k - 1;
            ((i as f64 + (x - g[i]) / inc[i]) / n as f64, inc[i] * n as f64)
        }
    }

    /// y = map⁻¹(x) for one point, returning the Jacobian at y.
    pub fn invmap_point(&self, x: &[f64], y: &mut [f64]) -> f64 {
        let mut jac = 1.0;
        for d in 0..self.dim() {
            let (yd, jd) = self.invmap_1d(d, x[d]);
            y[d] = yd;
            jac *= jd;
        }
        jac
    }

    /// y = map⁻¹(x) for a batch, writing Jacobians to `jac`.
    pub fn invmap(
        &self,
        x: ArrayView2<f64>,
        mut y: ArrayViewMut2<f64>,
        mut jac: ArrayViewMut1<f64>,
    ) -> Result<(), VegasError> {
        self.check_cols("x", x.ncols())?;
        if y.dim() != x.dim() || jac.len() != x.nrows() {
            return Err(VegasError::Shape("y and jac must match x".into()));
        }
        jac.fill(1.0);
        for d in 0..self.dim() {
            for ((xv, yv), j) in x.column(d).iter().zip(y.column_mut(d)).zip(jac.iter_mut()) {
                let (yd, jd) = self.invmap_1d(d, *xv);
                *yv = yd;
                *j *= jd;
            }
        }
        Ok(())
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

    /// Draw `n` points through the map with `rng` (uniform y, then x = map(y)).
    pub fn sample(&self, n: usize, rng: &mut Xoshiro256PlusPlus) -> Samples {
        let d = self.dim();
        let mut x = Array2::<f64>::zeros((n, d));
        let mut jac = Array1::<f64>::zeros(n);
        self.fill_samples(x.view_mut(), jac.view_mut(), rng);
        Samples { x, jac }
    }

    /// Fill rows of `x` (standard layout) and `jac` with draws through the map.
    ///
    /// The hot loop of candidate generation, where drawing the random numbers costs about
    /// as much as mapping them: each 64-bit draw gives two coordinates of 32 random bits
    /// (y = u/2^32, so an increment of a grid of N holds 2^32/N distinct points: 4·10^6 for
    /// the default N = 1000), mapped with integer arithmetic (`map_bits`). Past 8
    /// dimensions each coordinate takes its own draw; grids of more than 2^20 increments
    /// take a float path with 53 random bits per coordinate.
    fn fill_samples(&self, mut x: ArrayViewMut2<f64>, mut jac: ArrayViewMut1<f64>, rng: &mut Xoshiro256PlusPlus) {
        let x = x.as_slice_mut().expect("sample buffers are contiguous");
        let jac = jac.as_slice_mut().expect("sample buffers are contiguous");
        if self.inc.iter().any(|inc| inc.len() > 1 << 20) {
            self.fill_rows_with(x, jac, |g, inc| map_1d(g, inc, unit(rng)));
            return;
        }
        // Dimensions up to 8 get a loop unrolled for their size (the inner loop over five
        // directions costs as much as its body otherwise).
        match self.dim() {
            1 => self.fill_rows::<1>(x, jac, rng),
            2 => self.fill_rows::<2>(x, jac, rng),
            3 => self.fill_rows::<3>(x, jac, rng),
            4 => self.fill_rows::<4>(x, jac, rng),
            5 => self.fill_rows::<5>(x, jac, rng),
            6 => self.fill_rows::<6>(x, jac, rng),
            7 => self.fill_rows::<7>(x, jac, rng),
            8 => self.fill_rows::<8>(x, jac, rng),
            _ => self.fill_rows_with(x, jac, |g, inc| map_bits(g, inc, rng.next_u64() & LOW_32)),
        }
    }

    /// Rows of any dimension, coordinate by coordinate: `coord(grid, increments)` gives
    /// (x, dx/dy) of one direction, drawing its own random numbers.
    fn fill_rows_with(&self, x: &mut [f64], jac: &mut [f64], mut coord: impl FnMut(&[f64], &[f64]) -> (f64, f64)) {
        for (row, j) in x.chunks_exact_mut(self.dim()).zip(jac.iter_mut()) {
            let mut jj = 1.0;
            for (xv, (g, inc)) in row.iter_mut().zip(self.grid.iter().zip(&self.inc)) {
                let (v, jd) = coord(g, inc);
                *xv = v;
                jj *= jd;
            }
            *j = jj;
        }
    }

    /// [`AdaptiveMap::fill_samples`] for maps of dimension `D`: rows go in pairs, with one
    /// 64-bit draw per two coordinates, in row-major order (a last unpaired row of odd `D`
    /// leaves its last half-draw unused).
    #[inline(always)]
    fn fill_rows<const D: usize>(&self, x: &mut [f64], jac: &mut [f64], rng: &mut Xoshiro256PlusPlus) {
        let grids: [&[f64]; D] = std::array::from_fn(|k| self.grid[k].as_slice());
        let incs: [&[f64]; D] = std::array::from_fn(|k| self.inc[k].as_slice());
        let mut words = [0u64; 8];
        let mut rows = x.chunks_exact_mut(D).zip(jac.iter_mut());
        loop {
            let first = rows.next();
            let second = rows.next();
            let coords = if second.is_some() { 2 * D } else { D };
            for w in words.iter_mut().take(coords.div_ceil(2)) {
                *w = rng.next_u64();
            }
            for (r, row) in [first, second].into_iter().enumerate() {
                let Some((row, j)) = row else {
                    return;
                };
                let mut jj = 1.0;
                for k in 0..D {
                    let c = r * D + k;
                    let u = (words[c >> 1] >> ((c & 1) as u32 * 32)) & LOW_32;
                    let (v, jd) = map_bits(grids[k], incs[k], u);
                    row[k] = v;
                    jj *= jd;
                }
                *j = jj;
            }
        }
    }

    /// Buffers for sampling: contiguous rows of the map's dimension, one Jacobian per row.
    fn check_sample_buffers(&self, x: &ArrayViewMut2<f64>, jac: &ArrayViewMut1<f64>) -> Result<(), VegasError> {
        self.check_cols("x", x.ncols())?;
        if jac.len() != x.nrows() || !x.is_standard_layout() {
            return Err(VegasError::Shape(
                "x must be contiguous rows and jac one value per row".into(),
            ));
        }
        Ok(())
    }

    /// Draw `x.nrows()` points into caller-owned buffers (standard layout), so a caller
    /// drawing every iteration reuses its memory instead of faulting in new pages.
    pub fn sample_into(
        &self,
        x: ArrayViewMut2<f64>,
        jac: ArrayViewMut1<f64>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), VegasError> {
        self.check_sample_buffers(&x, &jac)?;
        self.fill_samples(x, jac, rng);
        Ok(())
    }

    /// Draw `n` points in parallel. The points depend only on `rng`'s state, not on the
    /// number of threads: blocks of [`SAMPLE_BLOCK`] points use generators split off
    /// `rng` by `jump()`, and `rng` is advanced past all of them with `long_jump()`.
    #[cfg(feature = "parallel")]
    pub fn sample_parallel(&self, n: usize, rng: &mut Xoshiro256PlusPlus) -> Samples {
        let mut x = Array2::<f64>::zeros((n, self.dim()));
        let mut jac = Array1::<f64>::zeros(n);
        self.fill_parallel(x.view_mut(), jac.view_mut(), rng);
        Samples { x, jac }
    }

    /// [`AdaptiveMap::sample_parallel`] into caller-owned buffers (see
    /// [`AdaptiveMap::sample_into`] for why reusing them pays).
    #[cfg(feature = "parallel")]
    pub fn sample_parallel_into(
        &self,
        x: ArrayViewMut2<f64>,
        jac: ArrayViewMut1<f64>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), VegasError> {
        self.check_sample_buffers(&x, &jac)?;
        self.fill_parallel(x, jac, rng);
        Ok(())
    }

    #[cfg(feature = "parallel")]
    fn fill_parallel(&self, mut x: ArrayViewMut2<f64>, mut jac: ArrayViewMut1<f64>, rng: &mut Xoshiro256PlusPlus) {
        use rayon::prelude::*;
        let blocks = x.nrows().div_ceil(SAMPLE_BLOCK);
        let mut streams = Vec::with_capacity(blocks);
        let mut stream = rng.clone();
        for _ in 0..blocks {
            streams.push(stream.clone());
            stream.jump();
        }
        rng.long_jump();
        let work: Vec<_> = x
            .axis_chunks_iter_mut(Axis(0), SAMPLE_BLOCK)
            .zip(jac.axis_chunks_iter_mut(Axis(0), SAMPLE_BLOCK))
            .zip(streams)
            .collect();
        work.into_par_iter()
            .for_each(|((xb, jb), mut r)| self.fill_samples(xb, jb, &mut r));
    }
}

/// Points per independent random stream in [`AdaptiveMap::sample_parallel`].
pub const SAMPLE_BLOCK: usize = 8192;

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

/// The README's examples, compiled and run as doctests so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
