//! The map type: construction, accessors, and the forward and inverse maps.

use ndarray::{Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use serde::{Deserialize, Serialize};

use crate::VegasError;
use crate::lookup::EdgeLookup;
use crate::stored::SerializedMap;
use crate::training::Accumulators;

/// A separable piecewise-linear map from [0,1]^D to a box. See the crate documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SerializedMap", into = "SerializedMap")]
pub struct AdaptiveMap {
    /// Edges g_{d,0} < … < g_{d,N_d} per direction.
    pub(crate) grid: Vec<Vec<f64>>,
    /// Widths Δ_{d,i} = g_{d,i+1} − g_{d,i}.
    pub(crate) inc: Vec<Vec<f64>>,
    /// Fast right-sided search over each direction's edges.
    pub(crate) lookup: Vec<EdgeLookup>,
    pub(crate) training: Option<Accumulators>,
}

/// Map one coordinate: (x, dx/dy).
#[inline(always)]
pub(crate) fn map_1d(grid: &[f64], inc: &[f64], y: f64) -> (f64, f64) {
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
    pub(crate) fn refresh(&mut self) {
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

    pub(crate) fn check_cols(&self, what: &str, cols: usize) -> Result<(), VegasError> {
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
}
