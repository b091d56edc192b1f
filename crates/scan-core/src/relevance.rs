//! Which inputs each oracle output depends on, measured with the oracle itself.
//!
//! A *probe* is a copy of an in-target point with one coordinate redrawn uniformly. An
//! output that comes back unchanged from every probe along a coordinate ignores that
//! coordinate; one changed value (or a failed call) shows that it does not. A model of the
//! output then needs only the coordinates it depends on, and predicts the same value over
//! the whole range of the others instead of only near the values it has seen: with outputs
//! that each depend on a few of many parameters, a model of all of them learns spurious
//! dependences from a scan's concentrated points and keeps the scan where it has been.
//!
//! The probes are found again in the history (a probe differs from an earlier in-target
//! point in exactly one coordinate), so the measurement survives an interrupted run.

use ndarray::ArrayView1;
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::evaluator::Status;
use crate::history::History;
use crate::strategy::Origin;

/// Probes per coordinate before its outputs are judged: an output that depends on the
/// coordinate over a share `s` of its range passes them all unchanged with probability
/// about (1 − s)^12, below 1 % for s ≥ 0.32.
pub const PROBES_PER_INPUT: usize = 12;
/// Probes start from the first this many in-target points of the history only, which
/// bounds the search for a probe's starting point.
const PROBE_BASES: usize = 1000;
/// Unit coordinates closer than this count as equal (a probe's copied coordinates pass
/// through the parameter box and back).
const SAME_COORDINATE: f64 = 1e-9;
/// Outputs whose values differ by less than this, relative to their size, count as
/// unchanged (codes that print their outputs round them).
const SAME_OUTPUT: f64 = 1e-9;

/// What the probes in a history show.
#[derive(Debug, Clone, PartialEq)]
pub struct Relevance {
    dim: usize,
    /// Probes found per coordinate.
    probes: Vec<usize>,
    /// `changed[o * dim + j]`: some probe along coordinate `j` changed output `o` (or failed).
    changed: Vec<bool>,
    /// Probe points in the history, whether or not their starting point was found.
    recorded: usize,
    /// Probes per coordinate in a batch still being evaluated (see [`Relevance::expect`]).
    in_flight: Vec<usize>,
    /// The history indices probes start from (see [`bases`]).
    bases: Vec<usize>,
}

impl Relevance {
    /// Find the probes of `history` and what they changed.
    pub fn measure(history: &History) -> Relevance {
        let (d, m) = (history.dim(), history.n_outputs());
        let mut relevance = Relevance {
            dim: d,
            probes: vec![0; d],
            changed: vec![false; m * d],
            recorded: 0,
            in_flight: vec![0; d],
            bases: bases(history),
        };
        let row = |i: usize| ArrayView1::from(&history.unit()[i * d..(i + 1) * d]);
        for (p, _) in history
            .origins()
            .iter()
            .enumerate()
            .filter(|(_, o)| **o == Origin::Probe)
        {
            relevance.recorded += 1;
            let Some((base, axis)) = relevance.base_of(history, row(p), p) else {
                continue;
            };
            relevance.probes[axis] += 1;
            let failed = history.status()[p] != Status::Ok;
            for o in 0..m {
                let (a, b) = (history.outputs()[p * m + o], history.outputs()[base * m + o]);
                let same = a == b || (a - b).abs() <= SAME_OUTPUT * a.abs().max(b.abs());
                if failed || !same {
                    relevance.changed[o * d + axis] = true;
                }
            }
        }
        relevance
    }

    /// Count the probes among `pending` (unit rows, flat: a batch still being evaluated,
    /// proposed after `history`), so that no more are proposed for them. What they show
    /// counts once they are in the history.
    pub fn expect(&mut self, history: &History, pending: &[f64]) {
        for point in pending.chunks_exact(self.dim) {
            if let Some((_, axis)) = self.base_of(history, ArrayView1::from(point), history.len()) {
                self.in_flight[axis] += 1;
            }
        }
    }

    /// The base before history index `before` that `point` differs from in exactly one
    /// coordinate, and that coordinate.
    fn base_of(&self, history: &History, point: ArrayView1<f64>, before: usize) -> Option<(usize, usize)> {
        let d = self.dim;
        self.bases.iter().take_while(|&&b| b < before).find_map(|&b| {
            single_difference(ArrayView1::from(&history.unit()[b * d..(b + 1) * d]), point).map(|axis| (b, axis))
        })
    }

    /// Whether every coordinate has had its probes.
    pub fn is_known(&self) -> bool {
        self.probes.iter().all(|&n| n >= PROBES_PER_INPUT)
    }

    /// Every coordinate.
    pub fn all_inputs(&self) -> Vec<usize> {
        (0..self.dim).collect()
    }

    /// The coordinates output `output` depends on, once every coordinate has had its probes:
    /// all of them before, and all of them when the probes changed the output along none
    /// (a constant output, or too few probes to tell).
    pub fn inputs_of(&self, output: usize) -> Vec<usize> {
        let all = self.all_inputs();
        if !self.is_known() {
            return all;
        }
        let used: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&j| self.changed[output * self.dim + j])
            .collect();
        if used.is_empty() { all } else { used }
    }

    /// Up to `n` probes for the coordinates still short of [`PROBES_PER_INPUT`] (unit rows,
    /// flat), each from an in-target point drawn among the first ones of `history`.
    pub fn propose(&self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
        let d = self.dim;
        let bases = &self.bases;
        // Probes whose starting point could not be found again count towards the limit,
        // so a history that lost them never probes forever.
        let in_flight: usize = self.in_flight.iter().sum();
        let left = (PROBES_PER_INPUT * d).saturating_sub(self.recorded + in_flight);
        if bases.is_empty() || left == 0 {
            return Vec::new();
        }
        let mut short: Vec<usize> = self
            .probes
            .iter()
            .zip(&self.in_flight)
            .map(|(&c, &f)| PROBES_PER_INPUT.saturating_sub(c + f))
            .collect();
        let mut out = Vec::new();
        let mut axis = 0;
        while out.len() < n.min(left) * d && short.iter().any(|&s| s > 0) {
            if short[axis] > 0 {
                short[axis] -= 1;
                let base = bases[rng.random_range(0..bases.len())];
                let mut point = history.unit()[base * d..(base + 1) * d].to_vec();
                point[axis] = rng.random::<f64>();
                out.extend(point);
            }
            axis = (axis + 1) % d;
        }
        out
    }
}

/// The history indices probes start from: its first [`PROBE_BASES`] in-target points
/// that are not probes themselves.
fn bases(history: &History) -> Vec<usize> {
    (0..history.len())
        .filter(|&i| history.in_target()[i] && history.origins()[i] != Origin::Probe)
        .take(PROBE_BASES)
        .collect()
}

/// The one coordinate in which `a` and `b` differ, if they differ in exactly one.
fn single_difference(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Option<usize> {
    let mut differing = a
        .iter()
        .zip(b.iter())
        .enumerate()
        .filter(|(_, (x, y))| (*x - *y).abs() > SAME_COORDINATE)
        .map(|(j, _)| j);
    match (differing.next(), differing.next()) {
        (Some(j), None) => Some(j),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::history::PointRecord;

    /// A history of `dim`-D points evaluated by `f` (outputs, or `None` for a failure):
    /// `hits` in-target points, then as many rounds of probes as `rounds` asks for.
    pub(crate) fn probed_history(
        dim: usize,
        f: impl Fn(&[f64]) -> Option<Vec<f64>>,
        n_outputs: usize,
        rounds: usize,
    ) -> History {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut h = History::new(dim, n_outputs);
        let push = |h: &mut History, u: &[f64], origin: Origin| {
            let outputs = f(u);
            let r = PointRecord {
                id: h.len() as u64,
                iteration: 0,
                origin,
                x: u.to_vec(),
                status: if outputs.is_some() { Status::Ok } else { Status::Failed },
                outputs: outputs.unwrap_or_else(|| vec![f64::NAN; n_outputs]),
                likelihood: None,
                in_target: origin == Origin::Initial,
                message: None,
            };
            h.push(&r, u);
        };
        for _ in 0..5 {
            let u: Vec<f64> = (0..dim).map(|_| rng.random()).collect();
            push(&mut h, &u, Origin::Initial);
        }
        for _ in 0..rounds {
            let probes = Relevance::measure(&h).propose(&h, 7, &mut rng);
            for u in probes.chunks(dim) {
                push(&mut h, u, Origin::Probe);
            }
        }
        h
    }

    /// Output 0 reads coordinates 0 and 1, output 1 coordinate 2, output 2 none.
    fn separable(u: &[f64]) -> Option<Vec<f64>> {
        Some(vec![u[0] * u[1], (3.0 * u[2]).sin(), 4.0])
    }

    #[test]
    fn probes_show_which_coordinates_each_output_reads() {
        let h = probed_history(4, separable, 3, 100);
        let r = Relevance::measure(&h);
        assert!(r.is_known());
        assert_eq!(r.inputs_of(0), vec![0, 1]);
        assert_eq!(r.inputs_of(1), vec![2]);
        // An output no probe changed tells nothing: its model reads every coordinate.
        assert_eq!(r.inputs_of(2), vec![0, 1, 2, 3]);
        let probes = h.origins().iter().filter(|o| **o == Origin::Probe).count();
        assert_eq!(probes, 4 * PROBES_PER_INPUT, "then no more probes are proposed");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert!(r.propose(&h, 10, &mut rng).is_empty());
    }

    #[test]
    fn until_every_coordinate_has_its_probes_models_read_every_coordinate() {
        let h = probed_history(4, separable, 3, 3);
        let r = Relevance::measure(&h);
        assert_eq!(h.origins().iter().filter(|o| **o == Origin::Probe).count(), 21);
        assert!(!r.is_known());
        assert_eq!(r.inputs_of(1), vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_probe_that_fails_makes_its_coordinate_count_for_every_output() {
        // The oracle fails wherever coordinate 3 exceeds 0.9: output 1 ignores it where
        // the oracle answers, but a model of it must know where it does not.
        let failing = |u: &[f64]| if u[3] > 0.9 { None } else { separable(u) };
        let h = probed_history(4, failing, 3, 100);
        let r = Relevance::measure(&h);
        assert!(r.is_known());
        assert_eq!(r.inputs_of(0), vec![0, 1, 3]);
        assert_eq!(r.inputs_of(1), vec![2, 3]);
    }

    #[test]
    fn probes_still_being_evaluated_are_not_proposed_again() {
        // A pipelined scan proposes the next batch before the last one comes back.
        let h = probed_history(4, separable, 3, 0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let first = Relevance::measure(&h).propose(&h, 20, &mut rng);
        let mut r = Relevance::measure(&h);
        r.expect(&h, &first);
        let second = r.propose(&h, 100, &mut rng);
        assert_eq!((first.len() / 4, second.len() / 4), (20, 4 * PROBES_PER_INPUT - 20));
        let mut per_axis = [0; 4];
        for p in first.chunks(4).chain(second.chunks(4)) {
            let base = (0..h.len())
                .find_map(|b| single_difference(ArrayView1::from(&h.unit()[b * 4..b * 4 + 4]), ArrayView1::from(p)));
            per_axis[base.expect("a probe of an in-target point")] += 1;
        }
        assert_eq!(per_axis, [PROBES_PER_INPUT; 4]);
        // Until they come back, nothing is concluded from them.
        assert!(!r.is_known());
    }

    #[test]
    fn a_probe_changes_one_coordinate_of_an_in_target_point() {
        let h = probed_history(3, separable, 3, 0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let probes = Relevance::measure(&h).propose(&h, 6, &mut rng);
        assert_eq!(probes.len(), 6 * 3);
        for (k, p) in probes.chunks(3).enumerate() {
            let differs = |b: usize| (0..3).filter(|&j| p[j] != h.unit()[b * 3 + j]).collect::<Vec<_>>();
            // Round robin over the coordinates, each from one of the in-target points.
            assert!((0..h.len()).any(|b| differs(b) == vec![k % 3]), "probe {k}: {p:?}");
        }
    }
}
