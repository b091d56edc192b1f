//! Right-sided search over sorted edges in O(1) on average.
//!
//! Training inverts the map at every sample point along every direction, which makes the
//! search for "how many edges are ≤ x" the hot loop. A table over equal slices of the
//! range gives a starting index close to the answer; a short scan finishes exactly, so the
//! result equals a binary search's whatever the rounding of the slice computation.

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EdgeLookup {
    lo: f64,
    scale: f64,
    /// start[b] = number of edges ≤ the lower end of slice b (a lower bound for any x in it).
    start: Vec<u32>,
}

impl EdgeLookup {
    pub(crate) fn new(edges: &[f64]) -> Self {
        let lo = edges[0];
        let hi = *edges.last().expect("non-empty");
        let slices = (2 * edges.len()).max(16);
        let scale = slices as f64 / (hi - lo);
        let mut start = Vec::with_capacity(slices + 1);
        let mut k = 0usize;
        for b in 0..=slices {
            let left = lo + b as f64 / scale;
            while k < edges.len() && edges[k] <= left {
                k += 1;
            }
            start.push(k as u32);
        }
        EdgeLookup { lo, scale, start }
    }

    /// The number of edges ≤ x (`edges` must be the slice the table was built from).
    #[inline(always)]
    pub(crate) fn count_le(&self, edges: &[f64], x: f64) -> usize {
        let t = (x - self.lo) * self.scale;
        let b = if t > 0.0 { (t as usize).min(self.start.len() - 1) } else { 0 };
        let mut k = self.start[b] as usize;
        // Walk back if rounding put us past the answer, then forward to it.
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
        let edges: Vec<f64> = (0..=50).map(|i| ((i as f64) / 50.0).powi(3) * 7.0 - 2.0).collect();
        let lookup = EdgeLookup::new(&edges);
        let mut probes: Vec<f64> = edges.clone();
        probes.extend((0..5000).map(|i| -3.0 + 11.0 * i as f64 / 4999.0));
        probes.extend(edges.iter().map(|e| e.next_up()));
        probes.extend(edges.iter().map(|e| e.next_down()));
        probes.extend([f64::NEG_INFINITY, f64::INFINITY, -1e300, 1e300]);
        for x in probes {
            assert_eq!(lookup.count_le(&edges, x), edges.partition_point(|&g| g <= x), "x = {x}");
        }
    }
}
