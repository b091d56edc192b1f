//! Right-sided search over sorted edges in near-constant time.
//!
//! Training inverts the map at every sample point along every direction, which makes the
//! search for "how many edges are ≤ x" the hot loop. A table over equal slices of the
//! range gives, for the slice holding x, the few edges the answer can lie between; a
//! binary search with a fixed number of steps (the widest slice's) and no data-dependent
//! branches finishes, since training points fall anywhere and branchy searches mispredict
//! on most of them. A final check makes the result exact whatever the rounding of the
//! slice computation.

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EdgeLookup {
    lo: f64,
    scale: f64,
    /// start[b] = number of edges ≤ the lower end of slice b.
    start: Vec<u32>,
    /// Largest power of two ≤ the most edges any slice holds (0 if none holds more than 0).
    top_step: usize,
}

impl EdgeLookup {
    pub(crate) fn new(edges: &[f64]) -> Self {
        let lo = edges[0];
        let hi = *edges.last().expect("non-empty");
        let slices = (4 * edges.len()).max(16);
        let scale = slices as f64 / (hi - lo);
        let width = (hi - lo) / slices as f64;
        let mut start = Vec::with_capacity(slices + 2);
        let mut k = 0usize;
        for b in 0..=slices {
            let left = lo + b as f64 * width;
            while k < edges.len() && edges[k] <= left {
                k += 1;
            }
            start.push(k as u32);
        }
        start.push(edges.len() as u32);
        let widest = start.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
        let top_step = if widest == 0 { 0 } else { 1 << widest.ilog2() };
        EdgeLookup {
            lo,
            scale,
            start,
            top_step,
        }
    }

    /// The number of edges ≤ x (`edges` must be the slice the table was built from).
    #[inline(always)]
    pub(crate) fn count_le(&self, edges: &[f64], x: f64) -> usize {
        let t = (x - self.lo) * self.scale;
        let b = if t > 0.0 {
            (t as usize).min(self.start.len() - 2)
        } else {
            0
        };
        let mut k = self.start[b] as usize;
        let mut step = self.top_step;
        while step > 0 {
            let probe = (k + step).min(edges.len());
            k = if edges[probe - 1] <= x { probe } else { k };
            step >>= 1;
        }
        // Exact answer even if rounding picked a neighbouring slice (these almost never run).
        while k > 0 && edges[k - 1] > x {
            k -= 1;
        }
        while k < edges.len() && edges[k] <= x {
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_partition_point() {
        for power in [1, 3, 8] {
            let edges: Vec<f64> = (0..=50).map(|i| ((i as f64) / 50.0).powi(power) * 7.0 - 2.0).collect();
            let lookup = EdgeLookup::new(&edges);
            let mut probes: Vec<f64> = edges.clone();
            probes.extend((0..5000).map(|i| -3.0 + 11.0 * i as f64 / 4999.0));
            probes.extend(edges.iter().map(|e| e.next_up()));
            probes.extend(edges.iter().map(|e| e.next_down()));
            probes.extend([f64::NEG_INFINITY, f64::INFINITY, -1e300, 1e300]);
            for x in probes {
                assert_eq!(
                    lookup.count_le(&edges, x),
                    edges.partition_point(|&g| g <= x),
                    "x = {x}"
                );
            }
        }
    }
}
