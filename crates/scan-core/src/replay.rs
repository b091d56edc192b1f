//! Which points an update trains on. Training on the whole history every iteration makes
//! each iteration cost more than the one before (the cost per update grows with the points
//! stored, the total quadratically). With a budget of `n` points an update trains on the
//! newest iteration's points and a replay sample of the older ones, drawn per stratum (in
//! target, failed, the rest) so that the rare kinds stay represented: each stratum first
//! gets up to a fifth of the replay sample, the rest goes out in proportion to what is left.
//! The sample depends only on the history and the generator, never on timing.

use rand::seq::index;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::evaluator::Status;
use crate::history::History;

/// Each stratum's guaranteed share of the replay sample (when it holds that many points).
const STRATUM_FLOOR: f64 = 0.2;

/// The rows (sorted) an update with a budget of `budget` points trains on, or `None` when
/// the whole history fits.
pub fn training_rows(history: &History, budget: usize, rng: &mut Xoshiro256PlusPlus) -> Option<Vec<usize>> {
    let n = history.len();
    if n <= budget {
        return None;
    }
    let newest_iteration = history.iterations().iter().copied().max().unwrap_or(0);
    let (newest, older): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| history.iterations()[i] == newest_iteration);
    // The newest points, but never more than half the budget: the rest is replay.
    let replay = budget.saturating_sub(newest.len()).max(budget / 2);
    let mut rows = sample(&newest, budget - replay.min(budget), rng);
    let strata = strata(history, &older);
    let sizes: Vec<usize> = strata.iter().map(Vec::len).collect();
    for (stratum, k) in strata.iter().zip(allocate(&sizes, replay)) {
        rows.extend(sample(stratum, k, rng));
    }
    rows.sort_unstable();
    Some(rows)
}

/// `rows` split into in-target, failed and other points.
fn strata(history: &History, rows: &[usize]) -> [Vec<usize>; 3] {
    let mut s: [Vec<usize>; 3] = Default::default();
    for &i in rows {
        let k = if history.in_target()[i] {
            0
        } else if history.status()[i] != Status::Ok {
            1
        } else {
            2
        };
        s[k].push(i);
    }
    s
}

/// `total` draws shared among strata of `sizes`: each up to [`STRATUM_FLOOR`] of the total
/// first, the rest in proportion to what each has left (largest remainders), never more
/// than a stratum holds.
fn allocate(sizes: &[usize], total: usize) -> Vec<usize> {
    let total = total.min(sizes.iter().sum());
    let floor = (STRATUM_FLOOR * total as f64) as usize;
    let mut take: Vec<usize> = sizes.iter().map(|&s| s.min(floor)).collect();
    let mut rest = total - take.iter().sum::<usize>();
    let left: Vec<usize> = sizes.iter().zip(&take).map(|(s, t)| s - t).collect();
    let pool: usize = left.iter().sum();
    if pool > 0 {
        let exact: Vec<f64> = left.iter().map(|&l| rest as f64 * l as f64 / pool as f64).collect();
        for (t, e) in take.iter_mut().zip(&exact) {
            *t += e.floor() as usize;
        }
        rest = total - take.iter().sum::<usize>();
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        for k in order.into_iter().cycle().take(sizes.len() * 2) {
            if rest == 0 {
                break;
            }
            if take[k] < sizes[k] {
                take[k] += 1;
                rest -= 1;
            }
        }
    }
    take
}

/// `k` of `rows`, uniformly without replacement (all of them when `k` covers them).
fn sample(rows: &[usize], k: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    if k >= rows.len() {
        return rows.to_vec();
    }
    index::sample(rng, rows.len(), k).into_iter().map(|i| rows[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::PointRecord;
    use crate::strategy::Origin;
    use rand::SeedableRng;

    /// `n` points over `iterations` iterations; every 50th in target, every 20th failed.
    fn history(n: usize, iterations: u32) -> History {
        let mut h = History::new(1, 1);
        for i in 0..n {
            let failed = i % 20 == 7;
            let r = PointRecord {
                id: i as u64,
                iteration: (i * iterations as usize / n) as u32,
                origin: Origin::Random,
                x: vec![i as f64 / n as f64],
                outputs: vec![if failed { f64::NAN } else { 1.0 }],
                likelihood: None,
                status: if failed { Status::Failed } else { Status::Ok },
                in_target: i % 50 == 0,
                message: None,
            };
            h.push(&r, &[i as f64 / n as f64]);
        }
        h
    }

    #[test]
    fn a_history_within_the_budget_trains_whole() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(training_rows(&history(1000, 4), 1000, &mut rng), None);
    }

    #[test]
    fn the_newest_points_and_every_rare_kind_are_in_the_replay_sample() {
        let h = history(100_000, 100);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let rows = training_rows(&h, 10_000, &mut rng).unwrap();
        assert_eq!(rows.len(), 10_000);
        assert!(rows.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        // The newest iteration (1000 points) is there whole.
        assert_eq!(rows.iter().filter(|&&i| h.iterations()[i] == 99).count(), 1000);
        // Of the 9000 replayed: in target 2 % and failed 5 % of the history, but each gets
        // a fifth (1800) of the replay sample, plus its proportional part of what is left
        // after the floors: 1980, 4950 and 92 070 older points leave 180, 3150 and 90 270
        // beyond the floors, and the 3600 left go 6.9, 121.2 and 3471.9 (largest remainders).
        let older = |f: &dyn Fn(usize) -> bool| rows.iter().filter(|&&i| h.iterations()[i] < 99 && f(i)).count();
        let in_target = older(&|i| h.in_target()[i]);
        let failed = older(&|i| h.status()[i] != Status::Ok);
        assert_eq!((in_target, failed), (1807, 1921));
        assert_eq!(older(&|_| true), 9000);
    }

    #[test]
    fn the_replay_sample_is_fixed_by_the_seed() {
        let h = history(50_000, 10);
        let draw = |seed| training_rows(&h, 8000, &mut Xoshiro256PlusPlus::seed_from_u64(seed)).unwrap();
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn allocation_never_exceeds_a_stratum_and_fills_the_total() {
        assert_eq!(allocate(&[10, 10, 1000], 100), vec![10, 10, 80]);
        assert_eq!(allocate(&[500, 500, 500], 300), vec![100, 100, 100]);
        assert_eq!(allocate(&[1, 2, 3], 100), vec![1, 2, 3]);
        let a = allocate(&[40, 300, 7000], 1000);
        assert_eq!(a.iter().sum::<usize>(), 1000);
        assert!(a[0] == 40 && a[1] >= 200, "{a:?}");
    }
}
