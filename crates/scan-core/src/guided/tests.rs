//! Tests of the candidate and selection rules with fixed scoring rules in place of a model.

use super::*;
use crate::history::PointRecord;
use crate::surrogate::TrainInfo;
use ndarray::{ArrayView1, ArrayView2};
use rand::SeedableRng;
use std::path::Path;

/// A fixed scoring rule standing in for a trained model: isolates the strategy's rules.
struct Rule {
    score: fn(ArrayView1<f64>) -> f64,
    /// Whether the rule stands for a model that means nothing before its first hit.
    needs_hits: bool,
}

impl Surrogate for Rule {
    fn name(&self) -> &str {
        "rule"
    }
    fn train(&mut self, _: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
        Ok(TrainInfo::default())
    }
    fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
        Ok(unit.rows().into_iter().map(self.score).collect())
    }
    fn needs_hits(&self) -> bool {
        self.needs_hits
    }
    fn save(&self, _: &Path) -> Result<(), ScanError> {
        Ok(())
    }
    fn load(&mut self, _: &Path) -> Result<(), ScanError> {
        Ok(())
    }
}

fn rule(score: fn(ArrayView1<f64>) -> f64) -> Box<dyn Surrogate> {
    Box::new(Rule {
        score,
        needs_hits: false,
    })
}

/// Scores every candidate 1: isolates the selection rule.
fn flat(_: ArrayView1<f64>) -> f64 {
    1.0
}

/// Scores candidates by how close they are to x = 0.5: none above the threshold.
fn slope(u: ArrayView1<f64>) -> f64 {
    0.4 * (1.0 - (u[0] - 0.5).abs())
}

/// Scores 1 left of x = 0.5 and 0 right of it.
fn left_half(u: ArrayView1<f64>) -> f64 {
    f64::from(u8::from(u[0] < 0.5))
}

/// Scores 1 within 0.05 of two clusters, (0.2, …, 0.2) and (0.8, …, 0.8), else 0.
fn near_clusters(u: ArrayView1<f64>) -> f64 {
    let near = |c: f64| u.iter().map(|v| (v - c) * (v - c)).sum::<f64>().sqrt() < 0.05;
    f64::from(u8::from(near(0.2) || near(0.8)))
}

/// A history of in-target points at these unit-square positions.
fn found_at(points: impl Iterator<Item = [f64; 2]>) -> History {
    history_at(points, true)
}

/// A history of points at these unit-square positions, all in target or all not.
fn history_at(points: impl Iterator<Item = [f64; 2]>, in_target: bool) -> History {
    history_of(points.map(|u| (0, Origin::Initial, u, in_target)))
}

/// 200 in-target points crowded in the left tenth of the square.
fn crowded_history() -> History {
    found_at((0..200).map(|i| [0.05 * (i % 20) as f64 / 20.0, (i / 20) as f64 / 10.0]))
}

/// 20 000 uniform candidates, every pick by the surrogate.
fn surrogate_only(selection: Selection, region_link: Option<f64>) -> Guided {
    let settings = GuidedSettings {
        candidates: 20_000,
        vegas_fraction: 0.0,
        local_fraction: 0.0,
        local_sigma: LocalSigma::Fixed(0.01),
        random_fraction: 0.0,
        exploration: Exploration::Uniform,
        vegas_exploration: 0.0,
        selection,
        threshold: 0.5,
        region_link,
        training_points: None,
        probe_inputs: false,
    };
    Guided::new(rule(flat), settings).unwrap()
}

fn left_share(selection: Selection) -> f64 {
    let mut g = surrogate_only(selection, None);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let p = g.propose(&crowded_history(), 2000, &mut rng).unwrap();
    assert_eq!(p.unit.len(), 4000);
    assert!(p.origin.iter().all(|o| *o == Origin::Surrogate));
    // Share of picks in grid cells that already hold found points.
    let h = crowded_history();
    let occupied: std::collections::HashSet<Vec<i32>> = (0..h.len()).map(|i| cell_of(h.unit_rows().row(i))).collect();
    p.unit
        .chunks(2)
        .filter(|u| occupied.contains(&cell_of(ndarray::aview1(u))))
        .count() as f64
        / 2000.0
}

#[test]
fn spread_avoids_regions_already_found() {
    let sample = left_share(Selection::Sample);
    let spread = left_share(Selection::Spread);
    // 10 cells of 0.06 × 0.06 hold the found points: 3.6 % of the square.
    assert!((sample - 0.036).abs() < 0.015, "uniform among equals: {sample}");
    assert!(
        spread < sample / 5.0,
        "spread keeps away from crowded cells: {spread} vs {sample}"
    );
}

/// Found points: 200 packed around (0.2, 0.2), 10 around (0.8, 0.8).
fn lopsided_history() -> History {
    let centres = std::iter::repeat_n([0.2, 0.2], 200).chain(std::iter::repeat_n([0.8, 0.8], 10));
    found_at(centres.enumerate().map(|(i, c)| {
        let a = i as f64 * 2.399; // golden-angle spiral inside a disc of radius 0.03
        let r = 0.03 * ((i % 200) as f64 / 200.0).sqrt();
        [c[0] + r * a.cos(), c[1] + r * a.sin()]
    }))
}

#[test]
fn balancing_fills_the_emptiest_regions_first() {
    let mut g = surrogate_only(Selection::Sample, Some(0.1));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let h = lopsided_history();
    let p = g.propose(&h, 300, &mut rng).unwrap();
    // Within the link length of one of the points around centre c.
    let near = |u: &[f64], c: f64| {
        h.unit()
            .chunks(2)
            .filter(|f| (f[0] - c).abs() < 0.05)
            .any(|f| (u[0] - f[0]).hypot(u[1] - f[1]) <= 0.1)
    };
    let crowded = p.unit.chunks(2).filter(|u| near(u, 0.2)).count();
    let sparse = p.unit.chunks(2).filter(|u| near(u, 0.8)).count();
    // Levels: the unexplored rest counts as full as the sparse region (10); both rise
    // together by 150 each; the crowded region (200) gets nothing.
    assert_eq!(crowded, 0);
    assert_eq!(sparse, 150);
    assert_eq!(300 - crowded - sparse, 150);
    // Without balancing, the picks fall where the candidates are: mostly elsewhere, and
    // about as many near the crowded region as near the sparse one.
    let mut g = surrogate_only(Selection::Sample, None);
    let p = g.propose(&h, 300, &mut rng).unwrap();
    let crowded = p.unit.chunks(2).filter(|u| near(u, 0.2)).count();
    assert!(crowded > 5, "{crowded}");
}

#[test]
fn exploration_share_and_fill_up_are_random() {
    let settings = GuidedSettings {
        candidates: 50,
        vegas_fraction: 0.0,
        local_fraction: 0.0,
        local_sigma: LocalSigma::Fixed(0.01),
        random_fraction: 0.2,
        exploration: Exploration::Uniform,
        vegas_exploration: 0.0,
        selection: Selection::Top,
        threshold: 0.5,
        region_link: None,
        training_points: None,
        probe_inputs: false,
    };
    let mut g = Guided::new(rule(flat), settings).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    // 100 wanted, 80 by the model but only 50 candidates: 50 surrogate, 50 random.
    let p = g.propose(&crowded_history(), 100, &mut rng).unwrap();
    assert_eq!(p.origin.iter().filter(|o| **o == Origin::Surrogate).count(), 50);
    assert_eq!(p.origin.iter().filter(|o| **o == Origin::Random).count(), 50);
    assert!(p.unit.iter().all(|v| (0.0..1.0).contains(v)));
}

#[test]
fn bad_settings_are_refused() {
    let mut s = GuidedSettings::dlscanner(100);
    assert_eq!(s.candidates, 10_000);
    s.vegas_fraction = 1.5;
    assert!(Guided::new(rule(flat), s.clone()).is_err());
    s.vegas_fraction = 0.6;
    s.local_fraction = 0.5;
    let e = Guided::new(rule(flat), s.clone()).unwrap_err().to_string();
    assert!(e.contains("vegas_fraction + local_fraction"), "{e}");
    s.local_fraction = 0.4;
    assert!(Guided::new(rule(flat), s.clone()).is_ok());
    s.vegas_fraction = 0.1;
    s.region_link = Some(0.0);
    assert!(Guided::new(rule(flat), s).is_err());
}

/// Share of 2000 picks within 0.01 of a point already found (crowded history).
fn near_found_share(selection: Selection) -> f64 {
    let h = crowded_history();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let p = surrogate_only(selection, None).propose(&h, 2000, &mut rng).unwrap();
    let near = |u: &[f64]| h.unit().chunks(2).any(|f| (u[0] - f[0]).hypot(u[1] - f[1]) < 0.01);
    p.unit.chunks(2).filter(|u| near(u)).count() as f64 / 2000.0
}

#[test]
fn even_picks_fill_the_gaps_first() {
    let sample = near_found_share(Selection::Sample);
    let even = near_found_share(Selection::Even);
    assert!(sample > 0.005, "a uniform draw lands near found points: {sample}");
    assert!(
        even < sample / 5.0,
        "even keeps away from found points: {even} vs {sample}"
    );
}

/// The smallest distance between two of the proposed points.
fn min_spacing(p: &Proposal) -> f64 {
    let pts: Vec<&[f64]> = p.unit.chunks(2).collect();
    let mut best = f64::INFINITY;
    for i in 0..pts.len() {
        for j in i + 1..pts.len() {
            best = best.min((pts[i][0] - pts[j][0]).hypot(pts[i][1] - pts[j][1]));
        }
    }
    best
}

#[test]
fn even_picks_keep_apart_from_each_other() {
    let one_far_point = found_at(std::iter::once([0.99, 0.99]));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    let even = surrogate_only(Selection::Even, None)
        .propose(&one_far_point, 200, &mut rng)
        .unwrap();
    let sample = surrogate_only(Selection::Sample, None)
        .propose(&one_far_point, 200, &mut rng)
        .unwrap();
    // 200 points evenly spread over the unit square are ~0.07 apart; a uniform draw puts
    // some pair within a few thousandths.
    assert!(min_spacing(&even) > 0.04, "{}", min_spacing(&even));
    assert!(min_spacing(&sample) < 0.01, "{}", min_spacing(&sample));
}

#[test]
fn with_nothing_predicted_in_target_the_nearest_misses_are_picked() {
    let settings = GuidedSettings {
        candidates: 10_000,
        random_fraction: 0.0,
        local_fraction: 0.0,
        vegas_fraction: 0.0,
        ..GuidedSettings::defaults(100)
    };
    let mut g = Guided::new(rule(slope), settings).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let p = g.propose(&crowded_history(), 100, &mut rng).unwrap();
    assert!(p.origin.iter().all(|o| *o == Origin::Surrogate));
    assert_eq!(p.report.predicted_in_target, Some(0));
    // The best-scored 400 of 10 000 candidates lie within 0.02 of x = 0.5.
    assert!(
        p.unit.chunks(2).all(|u| (u[0] - 0.5).abs() < 0.03),
        "{:?}",
        &p.unit[..10]
    );
}

#[test]
fn a_model_that_has_seen_no_hit_spreads_the_batch_over_the_box() {
    let settings = GuidedSettings {
        candidates: 10_000,
        local_fraction: 0.0,
        vegas_fraction: 0.0,
        ..GuidedSettings::defaults(100)
    };
    let mut g = Guided::new(
        Box::new(Rule {
            score: slope,
            needs_hits: true,
        }),
        settings,
    )
    .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    // 200 misses crowd x < 0.05; the scores, which mean nothing yet, peak at x = 0.5.
    let misses = history_at(
        (0..200).map(|i| [0.05 * (i % 20) as f64 / 20.0, (i / 20) as f64 / 10.0]),
        false,
    );
    let p = g.propose(&misses, 100, &mut rng).unwrap();
    assert!(p.origin.iter().all(|o| *o == Origin::Explore));
    // Farthest-point picks over the whole square, away from the misses: every cell of a
    // 5 × 5 grid is probed, none of the picks lies close to a miss, and no two are close.
    let cells: std::collections::HashSet<(usize, usize)> = p
        .unit
        .chunks(2)
        .map(|u| ((u[0] * 5.0) as usize, (u[1] * 5.0) as usize))
        .collect();
    assert_eq!(cells.len(), 25, "{cells:?}");
    let nearest_miss = |u: &[f64]| {
        misses
            .unit()
            .chunks(2)
            .map(|m| (u[0] - m[0]).hypot(u[1] - m[1]))
            .fold(f64::INFINITY, f64::min)
    };
    assert!(p.unit.chunks(2).all(|u| nearest_miss(u) > 0.03), "{:?}", &p.unit[..10]);
    assert!(min_spacing(&p) > 0.05, "{}", min_spacing(&p));
    // The same scores from a model that ranks without hits (a regressor) steer the picks.
    let mut g = Guided::new(
        rule(slope),
        GuidedSettings {
            candidates: 10_000,
            local_fraction: 0.0,
            vegas_fraction: 0.0,
            ..GuidedSettings::defaults(100)
        },
    )
    .unwrap();
    let p = g.propose(&misses, 100, &mut rng).unwrap();
    let near_peak = p.unit.chunks(2).filter(|u| (u[0] - 0.5).abs() < 0.03).count();
    assert!(near_peak >= 80, "{near_peak} of 100 near the best scores");
}

#[test]
fn guided_exploration_probes_well_scored_places_far_from_every_evaluated_point() {
    let settings = GuidedSettings {
        candidates: 10_000,
        random_fraction: 1.0,
        local_fraction: 0.0,
        vegas_fraction: 0.0,
        ..GuidedSettings::defaults(50)
    };
    assert_eq!(settings.exploration, Exploration::Guided);
    let mut g = Guided::new(rule(slope), settings).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    // Evaluated points crowd x < 0.05; the best scores lie around x = 0.5.
    let h = crowded_history();
    let p = g.propose(&h, 50, &mut rng).unwrap();
    assert!(p.origin.iter().all(|o| *o == Origin::Explore));
    // The pool is the best-scored 200 of 10 000 uniform candidates: within 0.02 of x = 0.5.
    assert!(
        p.unit.chunks(2).all(|u| (u[0] - 0.5).abs() < 0.03),
        "{:?}",
        &p.unit[..10]
    );
    // Spread along that strip by farthest-point picks: no two probes close together.
    assert!(min_spacing(&p) > 0.005, "{}", min_spacing(&p));
    let ys: Vec<f64> = p.unit.chunks(2).map(|u| u[1]).collect();
    let covered = (0..10)
        .filter(|b| ys.iter().any(|y| (y * 10.0).floor() as usize == *b))
        .count();
    assert_eq!(covered, 10, "probes cover every tenth of the strip: {ys:?}");
    // Uniform exploration ignores the scores.
    let mut g = Guided::new(
        rule(slope),
        GuidedSettings {
            exploration: Exploration::Uniform,
            vegas_exploration: 0.0,
            ..g.settings.clone()
        },
    )
    .unwrap();
    let p = g.propose(&h, 50, &mut rng).unwrap();
    assert!(p.origin.iter().all(|o| *o == Origin::Random));
    assert!(p.unit.chunks(2).any(|u| (u[0] - 0.5).abs() > 0.1));
}

#[test]
fn walks_shrink_their_steps_to_stay_inside_a_thin_predicted_set() {
    // 400 walkers in 5-D start inside a slab 0.002 thick (|x0 - 0.5| < 0.001), with steps
    // of 0.05: nearly every step of that width leaves the slab.
    let (walkers, d) = (400, 5);
    let inside = |u: ArrayView1<f64>| (u[0] - 0.5).abs() < 0.001;
    let score = |block: &Array2<f64>| {
        Ok(block
            .rows()
            .into_iter()
            .map(|r| f64::from(u8::from(inside(r))))
            .collect())
    };
    let moved_inside = |adapt: bool| {
        let mut cand = Array2::from_elem((walkers, d), 0.5);
        let mut scores = Array1::ones(walkers);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let widths = vec![0.05; walkers];
        let all = candidates::Walkers {
            first: 0,
            widths: &widths,
            adapt,
        };
        candidates::walk(&mut cand, &mut scores, all, 0.5, score, &mut rng).unwrap();
        assert!(cand.rows().into_iter().all(inside), "a walker left the predicted set");
        let moved = cand
            .rows()
            .into_iter()
            .filter(|r| r.iter().any(|v| (v - 0.5).abs() > 1e-6))
            .count();
        moved as f64 / walkers as f64
    };
    let adapted = moved_inside(true);
    let fixed = moved_inside(false);
    assert!(adapted > 0.8, "adapted widths: {adapted} of the walkers moved");
    assert!(fixed < 0.3, "fixed widths: {fixed} of the walkers moved");
}

#[test]
fn walks_start_evenly_over_the_found_part_of_the_target_set() {
    // 300 found points crowd around (0.2, 0.2); one was found alone at (0.8, 0.8).
    let cluster = (0..300).map(|i| [0.2 + 0.002 * (i % 20) as f64, 0.2 + 0.002 * (i / 20) as f64]);
    let h = found_at(cluster.chain(std::iter::once([0.8, 0.8])));
    let settings = GuidedSettings {
        candidates: 4000,
        vegas_fraction: 0.0,
        local_fraction: 0.5,
        ..GuidedSettings::defaults(40)
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let found = Found::new(&h, None, None, &mut rng).unwrap();
    let drawn = candidates::draw(&settings, &h, &found, &mut rng).unwrap();
    assert_eq!(drawn.widths.len(), 2000);
    let lone = (drawn.uniform..drawn.uniform + drawn.widths.len())
        .filter(|&r| (drawn.points[[r, 0]] - 0.8).abs() < 0.1 && (drawn.points[[r, 1]] - 0.8).abs() < 0.1)
        .count();
    // Each start weighs one over the found points within two spacings (0.004) of it: the
    // lone point 1, one inside the grid about 1/13 (9 to 13 neighbours, borders rounding).
    assert_eq!(drawn.isolation[300], 1.0);
    assert!(
        (1.0 / 14.0..1.0 / 8.0).contains(&drawn.isolation[210]),
        "{}",
        drawn.isolation[210]
    );
    let expected = 1.0 / drawn.isolation.iter().sum::<f64>();
    let share = lone as f64 / 2000.0;
    assert!(
        (share - expected).abs() < 0.3 * expected,
        "share of walks from the lone point {share}, expected {expected}"
    );
    // Drawn in proportion to the points, the lone one would start 1 walk in 301.
    assert!(expected > 10.0 / 301.0, "{expected}");
}

#[test]
fn hits_the_surrogate_does_not_explain_are_checked_nearby() {
    // 200 found points the surrogate explains (x < 0.05), and three on the right it scores 0.
    let lone = [[0.9, 0.1], [0.7, 0.5], [0.9, 0.9]];
    let h = found_at(
        (0..200)
            .map(|i| [0.05 * (i % 20) as f64 / 20.0, (i / 20) as f64 / 10.0])
            .chain(lone),
    );
    let settings = GuidedSettings {
        candidates: 10_000,
        random_fraction: 0.0,
        ..GuidedSettings::defaults(96)
    };
    let mut g = Guided::new(rule(left_half), settings).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let p = g.propose(&h, 96, &mut rng).unwrap();
    let checks: Vec<&[f64]> = p
        .unit
        .chunks(2)
        .zip(&p.origin)
        .filter(|(_, o)| **o == Origin::Check)
        .map(|(u, _)| u)
        .collect();
    // An eighth of the batch: four around each unexplained hit, near it.
    assert_eq!(checks.len(), 12);
    for hit in lone {
        let near = checks
            .iter()
            .filter(|u| (u[0] - hit[0]).hypot(u[1] - hit[1]) < 0.2)
            .count();
        assert_eq!(near, 4, "checks near {hit:?}: {checks:?}");
    }
    // The rest are the surrogate's picks, all predicted in target.
    assert!(
        p.unit
            .chunks(2)
            .zip(&p.origin)
            .all(|(u, o)| *o == Origin::Check || (*o == Origin::Surrogate && u[0] < 0.5))
    );
}

#[test]
fn exploration_from_the_vegas_map_probes_new_combinations_of_the_coordinates_found() {
    // In 4-D, 100 in-target points within 0.03 of (0.2, …, 0.2) and 100 of (0.8, …, 0.8):
    // the map's densities peak at 0.2 and 0.8 in every coordinate, so its draws also fall
    // around the 14 other corners of that lattice, where nothing has been tried and the
    // model sees nothing.
    let d = 4;
    let mut h = History::new(d, 1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    for i in 0..200 {
        let c = if i < 100 { 0.2 } else { 0.8 };
        let u: Vec<f64> = (0..d)
            .map(|_| c + 0.03 * (2.0 * rng.random::<f64>() - 1.0) / 2.0)
            .collect();
        let r = PointRecord {
            id: i,
            iteration: 0,
            origin: Origin::Initial,
            x: u.clone(),
            outputs: vec![1.0],
            likelihood: None,
            status: Status::Ok,
            in_target: true,
            message: None,
        };
        h.push(&r, &u);
    }
    let unseen_corner = |u: &[f64]| {
        let corner: Vec<f64> = u.iter().map(|v| if *v < 0.5 { 0.2 } else { 0.8 }).collect();
        let distinct = corner.iter().any(|c| *c != corner[0]);
        let dist = u
            .iter()
            .zip(&corner)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        distinct && dist < 0.1
    };
    let probes = |vegas_exploration: f64, rng: &mut Xoshiro256PlusPlus| {
        let settings = GuidedSettings {
            candidates: 20_000,
            vegas_fraction: 0.5,
            local_fraction: 0.0,
            random_fraction: 1.0,
            vegas_exploration,
            ..GuidedSettings::defaults(40)
        };
        let mut g = Guided::new(rule(near_clusters), settings).unwrap();
        let p = g.propose(&h, 40, rng).unwrap();
        assert!(p.origin.iter().all(|o| *o == Origin::Explore));
        p.unit.chunks(d).filter(|u| unseen_corner(u)).count()
    };
    let from_map = probes(1.0, &mut rng);
    let from_scores = probes(0.0, &mut rng);
    // The 14 corners' neighbourhoods are 0.4 % of the box: uniform probes would put 0.2
    // of 40 there.
    assert!(from_map >= 6, "{from_map} of 40 map probes by the unseen corners");
    assert_eq!(from_scores, 0, "the best-scored probes stay by the clusters found");
}

#[test]
fn the_reach_of_even_picks_keeps_its_share_of_volume_in_more_dimensions() {
    // Up to three dimensions: a tenth of the box, half of the gap.
    for dim in 1..=3 {
        assert_eq!((reach_cap(dim), reach_scale(dim)), (0.1, 0.5), "dim {dim}");
    }
    assert!((ball_volume(2) - std::f64::consts::PI).abs() < 1e-12);
    assert!((ball_volume(3) - 4.0 / 3.0 * std::f64::consts::PI).abs() < 1e-12);
    // Beyond: the cap's ball holds the share of the box the three-dimensional one holds,
    // and half the gap holds an eighth of the gap's ball, as in three dimensions.
    let share = ball_volume(3) * 0.1_f64.powi(3);
    for dim in 4..=40 {
        let cap = reach_cap(dim);
        assert!(
            (ball_volume(dim) * cap.powi(dim as i32) / share - 1.0).abs() < 1e-9,
            "dim {dim}"
        );
        assert!((reach_scale(dim).powi(dim as i32) - 0.125).abs() < 1e-12, "dim {dim}");
        assert!(cap > reach_cap(dim - 1) && reach_scale(dim) > reach_scale(dim - 1));
    }
    assert!((reach_cap(10) - 0.527).abs() < 1e-3, "{}", reach_cap(10));
}

/// A history of points at unit-square positions, each with its iteration, origin and
/// verdict.
pub(super) fn history_of(points: impl Iterator<Item = (u32, Origin, [f64; 2], bool)>) -> History {
    let mut h = History::new(2, 1);
    for (i, (iteration, origin, u, in_target)) in points.enumerate() {
        let r = PointRecord {
            id: i as u64,
            iteration,
            origin,
            x: u.to_vec(),
            outputs: vec![1.0],
            likelihood: None,
            status: Status::Ok,
            in_target,
            message: None,
        };
        h.push(&r, &u);
    }
    h
}

/// Points of a grid of `step` over [x0, x1) × [0, 1).
fn grid(x0: f64, x1: f64, step: f64) -> impl Iterator<Item = [f64; 2]> {
    let (nx, ny) = (((x1 - x0) / step).round() as usize, (1.0 / step).round() as usize);
    (0..nx * ny).map(move |k| [x0 + step * (k % nx) as f64, step * (k / nx) as f64])
}

#[test]
fn picks_keep_away_from_misses_the_model_still_predicts_in_target() {
    // Hits fill x < 0.3, misses x in [0.3, 0.5); the model calls the whole square in target.
    let hits = grid(0.0, 0.3, 0.02).map(|u| (0, Origin::Initial, u, true));
    let misses = grid(0.3, 0.5, 0.02).map(|u| (0, Origin::Initial, u, false));
    let h = history_of(hits.chain(misses));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let p = surrogate_only(Selection::Even, None)
        .propose(&h, 200, &mut rng)
        .unwrap();
    assert_eq!(p.unit.len(), 400);
    // The strip of misses lies as far from the hits as the open right half, and without the
    // misses even picks would fill it like any other gap.
    let inside_misses = p.unit.chunks(2).filter(|u| (0.33..0.47).contains(&u[0])).count();
    assert_eq!(
        inside_misses,
        0,
        "{:?}",
        p.unit.chunks(2).find(|u| (0.33..0.47).contains(&u[0]))
    );
    let right = p.unit.chunks(2).filter(|u| u[0] > 0.55).count();
    assert!(right > 150, "the open half takes the picks: {right}");
}

/// Share of 100 even picks within 0.03 of the hits around (0.5, 0.5), after one iteration
/// of surrogate picks: those 0.03 to 0.045 from the centre land in target, those 0.2 and
/// more away (all over the square) as `far_hit` says.
fn share_near_cluster(far_hit: bool) -> f64 {
    let cluster = (0..25).map(|k| [0.48 + 0.01 * (k % 5) as f64, 0.48 + 0.01 * (k / 5) as f64]);
    let near = (0..160).map(|k| {
        let (radius, angle) = (0.03 + 0.005 * (k % 4) as f64, 2.4 * k as f64);
        [0.5 + radius * angle.cos(), 0.5 + radius * angle.sin()]
    });
    let hits: Vec<[f64; 2]> = cluster.clone().chain(near.clone()).collect();
    let far = grid(0.0, 1.0, 0.1).filter(|u| (u[0] - 0.5).hypot(u[1] - 0.5) > 0.2);
    let h = history_of(
        cluster
            .map(|u| (0, Origin::Initial, u, true))
            .chain(near.map(|u| (1, Origin::Surrogate, u, true)))
            .chain(far.map(|u| (1, Origin::Surrogate, u, far_hit))),
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let p = surrogate_only(Selection::Even, None)
        .propose(&h, 100, &mut rng)
        .unwrap();
    let close = |u: &[f64]| hits.iter().any(|c| (u[0] - c[0]).hypot(u[1] - c[1]) < 0.03);
    p.unit.chunks(2).filter(|u| close(u)).count() as f64 / 100.0
}

#[test]
fn where_far_picks_have_missed_the_picks_stay_where_they_hit() {
    let trusted_far = share_near_cluster(true);
    let distrusted_far = share_near_cluster(false);
    assert!(
        trusted_far < 0.1,
        "far picks that hit keep the batch spread: {trusted_far}"
    );
    assert!(
        distrusted_far > 0.5,
        "far picks that missed: {distrusted_far} near the hits"
    );
}
