//! How far from the points found the model's "in target" still holds, measured on its own
//! recent picks: the share of them the oracle put in target, by how far each lay from the
//! nearest in-target point known when it was picked.
//!
//! Even picks go as far from the points found as the reach allows. Where the model draws
//! the target set as it is, every distance does as well (O_3d: 0.95 near and far), and the
//! trust is the same for all. Where a target region is smaller than the model can resolve
//! (a lattice of small balls), the model draws each as a blob twice its size: the picks
//! far from the points found, on the blob's rim or in blobs of its own invention, nearly
//! all miss. Weighing each candidate by the measured hit rate of its distance keeps the
//! picks where they pay, until new picks show that farther pays again.

use ndarray::Axis;

use crate::coverage::nearest_distances_within;
use crate::error::ScanError;
use crate::history::History;
use crate::strategy::Origin;

/// Distance bands, in steps of √2 below the reach: [0, reach/64), …, [reach/√2, reach),
/// and beyond the reach. The picks crowd to the far edge of a band, where the rate is
/// lowest: narrow bands keep a band's rate close to its picks'.
const BANDS: usize = 14;
/// The newest iterations whose picks are counted: enough picks for every band in use,
/// recent enough to follow a model that learns.
const ITERATIONS: u32 = 6;
/// A band's hit rate is pulled towards the rate of all counted picks as if this many of
/// them lay in it: a band seldom picked keeps a say, and is tried again.
const PRIOR_PICKS: f64 = 2.0;

/// The measured hit rate per distance band.
pub(super) struct Trust {
    reach: f64,
    rate: [f64; BANDS],
}

impl Trust {
    /// The hit rates of the surrogate's picks of the newest [`ITERATIONS`] iterations by
    /// distance (in bands of `reach`) to the in-target points of the iterations before
    /// each; `None` before there are any such picks, or when `reach` is not finite.
    pub(super) fn measure(history: &History, reach: f64) -> Result<Option<Trust>, ScanError> {
        if !reach.is_finite() || reach <= 0.0 || history.is_empty() {
            return Ok(None);
        }
        let all = history.unit_rows();
        let iterations = history.iterations();
        let newest = iterations.iter().copied().max().unwrap_or(0);
        let first = newest.saturating_sub(ITERATIONS - 1);
        let picked: Vec<usize> = (0..history.len())
            .filter(|&i| iterations[i] >= first && history.origins()[i] == Origin::Surrogate)
            .collect();
        if picked.is_empty() {
            return Ok(None);
        }
        let rows = |ids: &[usize]| all.select(Axis(0), ids);
        // The hits before the counted iterations, in one lookup; then those of the counted
        // iterations before each pick's own.
        let (older, window): (Vec<usize>, Vec<usize>) = (0..history.len())
            .filter(|&i| history.in_target()[i])
            .partition(|&i| iterations[i] < first);
        let mut distance = match older.is_empty() {
            true => vec![f64::INFINITY; picked.len()],
            false => nearest_distances_within(rows(&older).view(), rows(&picked).view(), reach)?,
        };
        for t in first + 1..=newest {
            let recent: Vec<usize> = window.iter().copied().filter(|&i| iterations[i] < t).collect();
            let at_t: Vec<usize> = (0..picked.len()).filter(|&k| iterations[picked[k]] == t).collect();
            if recent.is_empty() || at_t.is_empty() {
                continue;
            }
            let queries: Vec<usize> = at_t.iter().map(|&k| picked[k]).collect();
            let near = nearest_distances_within(rows(&recent).view(), rows(&queries).view(), reach)?;
            for (&k, d) in at_t.iter().zip(near) {
                distance[k] = distance[k].min(d);
            }
        }
        let (mut picks, mut hits) = ([0.0; BANDS], [0.0; BANDS]);
        for (&i, dist) in picked.iter().zip(distance) {
            let band = band(dist, reach);
            picks[band] += 1.0;
            if history.in_target()[i] {
                hits[band] += 1.0;
            }
        }
        let total: f64 = picks.iter().sum();
        if total == 0.0 {
            return Ok(None);
        }
        let overall = hits.iter().sum::<f64>() / total;
        let mut rate = [0.0; BANDS];
        for b in 0..BANDS {
            rate[b] = (hits[b] + PRIOR_PICKS * overall) / (picks[b] + PRIOR_PICKS);
        }
        Ok(Some(Trust { reach, rate }))
    }

    /// Each row's measured hit rate, by its distance to the nearest in-target point
    /// (`distance`, infinite beyond the reach).
    pub(super) fn of(&self, distance: &[f64]) -> Vec<f64> {
        distance.iter().map(|&d| self.rate[band(d, self.reach)]).collect()
    }

    /// The hit rate per band, nearest first.
    #[cfg(test)]
    pub(super) fn rates(&self) -> &[f64; BANDS] {
        &self.rate
    }
}

/// The band of a distance: the last beyond the reach, else by steps of √2 below it.
fn band(distance: f64, reach: f64) -> usize {
    // NaN falls beyond the reach too.
    if distance.partial_cmp(&reach) != Some(std::cmp::Ordering::Less) {
        return BANDS - 1;
    }
    // [reach/√2, reach) is no step, [reach/2, reach/√2) one, …
    let steps = ((2.0 * (reach / distance.max(f64::MIN_POSITIVE)).log2()).ceil() as usize).saturating_sub(1);
    (BANDS - 2).saturating_sub(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guided::tests::history_of;

    /// A hit at the centre, then one iteration of surrogate picks: those within `near` of
    /// it land in target as `near_hit` says, the farther ones as `far_hit` says.
    fn picked(near_hit: bool, far_hit: bool) -> History {
        let (near, far) = (0.004, 0.3);
        let at = |radius: f64, angle: f64| [0.5 + radius * angle.cos(), 0.5 + radius * angle.sin()];
        let picks = (0..40).flat_map(|k| {
            let angle = k as f64;
            [
                (1, Origin::Surrogate, at(near, angle), near_hit),
                (1, Origin::Surrogate, at(far, angle), far_hit),
                // Other origins do not count.
                (1, Origin::Explore, at(far, angle + 0.5), true),
            ]
        });
        history_of(std::iter::once((0, Origin::Initial, [0.5, 0.5], true)).chain(picks))
    }

    #[test]
    fn bands_step_down_from_the_reach_and_gather_everything_beyond_it() {
        assert_eq!(band(0.09, 0.1), BANDS - 2);
        assert_eq!(band(0.0708, 0.1), BANDS - 2);
        assert_eq!(band(0.07, 0.1), BANDS - 3);
        assert_eq!(band(0.05, 0.1), BANDS - 3);
        assert_eq!(band(0.049, 0.1), BANDS - 4);
        assert_eq!(band(0.1, 0.1), BANDS - 1);
        assert_eq!(band(f64::INFINITY, 0.1), BANDS - 1);
        assert_eq!(band(1e-9, 0.1), 0);
        assert_eq!(band(0.0, 0.1), 0);
    }

    #[test]
    fn picks_far_from_the_points_found_that_missed_lower_the_trust_in_far_candidates() {
        let reach = 0.1;
        let trust = Trust::measure(&picked(true, false), reach).unwrap().unwrap();
        let (near, far) = (band(0.004, reach), BANDS - 1);
        assert!(trust.rates()[near] > 0.9, "{:?}", trust.rates());
        assert!(trust.rates()[far] < 0.2, "{:?}", trust.rates());
        assert_eq!(
            trust.of(&[0.004, f64::INFINITY]),
            vec![trust.rates()[near], trust.rates()[far]]
        );
        // A band no pick fell in takes the rate of all picks.
        let unused = band(0.03, reach);
        assert!((trust.rates()[unused] - 0.5).abs() < 1e-12, "{:?}", trust.rates());
    }

    #[test]
    fn where_every_pick_lands_in_target_every_distance_is_trusted_alike() {
        let trust = Trust::measure(&picked(true, true), 0.1).unwrap().unwrap();
        assert!(trust.rates().iter().all(|r| *r == 1.0), "{:?}", trust.rates());
    }

    #[test]
    fn nothing_is_measured_before_the_model_has_picked() {
        let h = history_of(std::iter::once((0, Origin::Initial, [0.5, 0.5], true)));
        assert!(Trust::measure(&h, 0.1).unwrap().is_none());
        assert!(Trust::measure(&picked(true, false), f64::INFINITY).unwrap().is_none());
    }
}
