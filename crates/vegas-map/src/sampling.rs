//! Drawing points through a map: serial, into caller-owned buffers, and in parallel with
//! results that do not depend on the thread count.

#[cfg(feature = "parallel")]
use ndarray::Axis;
use ndarray::{Array1, Array2, ArrayViewMut1, ArrayViewMut2};
use rand::{Rng, RngExt};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::VegasError;
use crate::map::{AdaptiveMap, map_1d};

/// Points drawn through a map: `x` (n × D, in the box) and their Jacobians (the density of
/// each point is 1/jac, relative to the box's volume being 1 in y).
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    pub x: Array2<f64>,
    pub jac: Array1<f64>,
}

/// Points per independent random stream in [`AdaptiveMap::sample_parallel`].
pub const SAMPLE_BLOCK: usize = 8192;

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
