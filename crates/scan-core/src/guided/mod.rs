//! The surrogate-guided strategy (DLScanner's loop, without its defects): train the
//! surrogate on every point so far, draw L candidates — uniform, short walks through the
//! predicted target set from the in-target points found, and a share from a VEGAS map of
//! the points —, score them (times the probability that the oracle succeeds there, once it
//! has failed somewhere), and pick the batch: a share for exploration (probes where the
//! surrogate's guess is good and nothing has been tried), the rest by the selection rule
//! among the candidates predicted in target, topped up with the nearest misses when too few
//! are. Even picks also heed the evaluated points: they keep away from the model's known
//! mistakes, and stay as near the points found as the model's measured hit rate by
//! distance says they must to keep landing in target.

mod candidates;
mod select;
mod settings;
mod trust;

use std::collections::HashMap;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis, CowArray, Ix2};
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use settings::{AutoSigma, Exploration, GuidedSettings, LocalSigma, Selection};

use crate::coverage::{nearest_distances, nearest_distances_within};
use crate::error::ScanError;
use crate::evaluator::Status;
use crate::history::History;
use crate::regions::Regions;
use crate::relevance::Relevance;
use crate::replay;
use crate::strategy::{Origin, Proposal, ProposalReport, Strategy, uniform_points};
use crate::surrogate::{Surrogate, TrainingSet};
use select::{Scored, cell_of};

/// Failed points needed before the failure model is trained: fewer say little about where
/// the oracle fails.
const MIN_FAILURES: usize = 5;
/// At most one in this many points of a batch are relevance probes ([`crate::relevance`]):
/// twelve per coordinate are spent once per run, in the first batches after a hit. On the
/// 10-D O_nd toy (K = 1000) an eighth spends them in one batch, a tenth in two; the models
/// then read the right inputs one batch later, and recall falls from 0.63 to 0.60 of an
/// even sample's (r = 0.33).
const PROBE_SHARE: usize = 8;
/// Guided exploration picks among this many times as many best-scored uniform candidates
/// as it needs: enough to spread, few enough that every probe is among the surrogate's
/// better guesses.
const EXPLORE_POOL: usize = 4;
/// Checks around each in-target point the surrogate does not predict in target: enough to
/// give the model a neighbourhood to learn, few enough for many such points per batch.
const CHECKS_PER_HIT: usize = 4;
/// At most one in this many of the surrogate's picks are checks (when local walks are on).
/// Measured on O_3d (16 000 calls, seeds 1–2): checks from an eighth of the share raise the
/// in-target count by 500–900 and lower recall at r = 0.01 by 0.02–0.05; taken from the
/// exploration share instead, they cost the 125-ball toy a third of the modes found.
const CHECK_SHARE: usize = 8;
/// The checks' widths spread log-uniformly over this many halvings below the walks' width:
/// the target set may be far thinner than the found points' spacing (a shell in many
/// dimensions), and a check that lands inside is worth more than an even spread of misses.
const CHECK_OCTAVES: f64 = 8.0;
/// Even picks count distances beyond this share of the reach as equal (in up to three
/// dimensions; see [`reach_scale`]), so among the candidates far enough apart the surer
/// ones go first. Smaller gives more in-target
/// points and a less even map; measured on O_3d (16 000 calls, seeds 1–3): 0.4 gives
/// 8 900–10 000 in target and recall 0.76–0.80 at r = 0.01; 0.5 gives 8 700–9 800 and
/// 0.80–0.82; 0.6 gives 8 700–9 200 and 0.85–0.88 (an even sample: 0.86–0.89).
const REACH_SCALE: f64 = 0.5;
/// The hit rate the surrogate's picks are held to where the measured trust
/// ([`trust::Trust`]) shows a way to reach it. The rates are those of whole distance bands,
/// and the picks crowd to a band's far edge: on the 4-D lattice of 1 296 small balls
/// (10 000 calls) picks expected at 0.6 landed at 0.4–0.6, and 0.6 kept 50 % of the calls
/// after the initial sample in target, 0.8 kept 55 % (without the trust: 43 %). Where
/// every distance does as well (O_3d, the shells, F_2d) or no weighing reaches it (the
/// first batches in 10-D) nothing changes.
const TRUST_PRECISION: f64 = 0.8;
/// How strongly, in turn, the picks may weigh the measured trust against distance (the
/// power of the rate): the first that reaches [`TRUST_PRECISION`] is taken.
const TRUST_POWERS: [i32; 5] = [1, 2, 3, 4, 8];

/// The in-target points found so far and, when balancing, their regions.
pub(super) struct Found {
    /// History indices of the in-target points.
    ids: Vec<usize>,
    /// Their unit-cube coordinates, one row each.
    points: Array2<f64>,
    regions: Option<Regions>,
    /// Per region, positions in `ids` of its points.
    members: Option<Vec<Vec<usize>>>,
    /// The median nearest-neighbour distance among the points (NaN for fewer than two).
    spacing: f64,
}

impl Found {
    /// The found points of `history`; with a link length, their regions, grown from
    /// `earlier` (the regions of an earlier call) when those hold a prefix of the points.
    fn new(
        history: &History,
        region_link: Option<f64>,
        earlier: Option<Regions>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Self, ScanError> {
        let ids: Vec<usize> = (0..history.len()).filter(|&i| history.in_target()[i]).collect();
        let d = history.dim();
        let rows: Vec<f64> = ids
            .iter()
            .flat_map(|&i| history.unit()[i * d..(i + 1) * d].iter().copied())
            .collect();
        let points = Array2::from_shape_vec((ids.len(), d), rows).expect("rows of d");
        let spacing = candidates::found_spacing(&points, rng)?;
        let Some(link) = region_link else {
            return Ok(Found {
                ids,
                points,
                regions: None,
                members: None,
                spacing,
            });
        };
        // The found points only grow at the end (the history is appended to in id order).
        let grows = |r: &Regions| {
            r.link() == link
                && r.len() <= points.nrows()
                && (r.is_empty() || r.point(r.len() - 1) == points.row(r.len() - 1).as_slice().expect("rows"))
        };
        let regions = match earlier {
            Some(mut r) if grows(&r) => {
                r.extend(points.slice(ndarray::s![r.len().., ..]))?;
                r
            }
            _ => Regions::new(points.view(), link)?,
        };
        let mut members = vec![Vec::new(); regions.count()];
        for (p, r) in regions.labels().iter().enumerate() {
            members[*r].push(p);
        }
        Ok(Found {
            ids,
            points,
            regions: Some(regions),
            members: Some(members),
            spacing,
        })
    }
}

/// The surrogate-guided strategy.
pub struct Guided {
    surrogate: Box<dyn Surrogate>,
    /// A classifier of "the oracle succeeds here", trained once failures are seen.
    failure_model: Option<Box<dyn Surrogate>>,
    settings: GuidedSettings,
    name: String,
    /// The regions of the found points at the last proposal, grown at the next.
    regions: Option<Regions>,
    /// A pipelined proposal's batch being evaluated (unit rows): picks keep away from it
    /// as from the points found.
    pending: Array2<f64>,
}

impl std::fmt::Debug for Guided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guided")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .field("learns_failures", &self.failure_model.is_some())
            .finish_non_exhaustive()
    }
}

impl Guided {
    pub fn new(surrogate: Box<dyn Surrogate>, settings: GuidedSettings) -> Result<Self, ScanError> {
        settings.check()?;
        let name = if settings.vegas_fraction > 0.0 {
            format!("{}+vegas", surrogate.name())
        } else {
            surrogate.name().to_string()
        };
        Ok(Guided {
            surrogate,
            failure_model: None,
            settings,
            name,
            regions: None,
            pending: Array2::zeros((0, 0)),
        })
    }

    /// Learn where the oracle fails with `model` (a classifier: its "in target" is "the
    /// oracle succeeded"), and weigh each candidate's score by its probability of success.
    pub fn with_failure_model(mut self, model: Box<dyn Surrogate>) -> Self {
        self.failure_model = Some(model);
        self
    }

    /// Train the surrogate and, when the oracle has failed often enough, the failure model,
    /// on the whole history or, beyond the training budget, on the newest points and a
    /// replay sample of the older ones.
    fn train(
        &mut self,
        history: &History,
        report: &mut ProposalReport,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<bool, ScanError> {
        let t = Instant::now();
        let m = history.n_outputs();
        let rows = self
            .settings
            .training_points
            .and_then(|budget| replay::training_rows(history, budget, rng));
        let all = history.unit_rows();
        let all_outputs = ArrayView2::from_shape((history.len(), m), history.outputs()).expect("output rows");
        // The whole history is used in place; only a replay sample is copied.
        let (unit, outputs): (CowArray<f64, Ix2>, CowArray<f64, Ix2>) = match &rows {
            Some(rows) => (
                all.select(Axis(0), rows).into(),
                all_outputs.select(Axis(0), rows).into(),
            ),
            None => (all.into(), all_outputs.into()),
        };
        let row = |k: usize| rows.as_ref().map_or(k, |r| r[k]);
        let ok: Array1<bool> = (0..unit.nrows())
            .map(|k| history.status()[row(k)] == Status::Ok)
            .collect();
        let in_target: Array1<bool> = (0..unit.nrows()).map(|k| history.in_target()[row(k)]).collect();
        let data = TrainingSet {
            unit: unit.view(),
            in_target: in_target.view(),
            outputs: outputs.view(),
            ok: ok.view(),
        };
        let info = self.surrogate.train(data)?;
        let failures = ok.iter().filter(|o| !**o).count();
        let learn_failures = failures >= MIN_FAILURES && failures < ok.len();
        if let (true, Some(model)) = (learn_failures, self.failure_model.as_mut()) {
            model.train(TrainingSet {
                in_target: ok.view(),
                ..data
            })?;
        }
        report.seconds_training = t.elapsed().as_secs_f64();
        report.training_loss = info.loss;
        report.validation_metric = info.validation_metric;
        Ok(learn_failures && self.failure_model.is_some())
    }

    /// Each candidate's score: the surrogate's, times P(oracle succeeds) when failures are
    /// being learnt.
    fn score(&self, cand: &Array2<f64>, with_failures: bool) -> Result<Array1<f64>, ScanError> {
        let mut scores = self.surrogate.score(cand.view())?;
        if let (true, Some(model)) = (with_failures, &self.failure_model) {
            scores *= &model.score(cand.view())?;
        }
        Ok(scores)
    }

    /// `n_model` picks: the selection rule among the survivors (per region when balancing),
    /// topped up by the same rule among the best-scored other candidates. Even picks leave
    /// out the survivors the data around them refute ([`Self::refuted`]), and weigh the
    /// measured trust in the model at each candidate's distance from the points found
    /// ([`trust`]) as strongly as it takes to keep the picks' expected hit rate at
    /// [`TRUST_PRECISION`], when some weight does.
    #[allow(clippy::too_many_arguments)]
    fn pick(
        &self,
        history: &History,
        found: &Found,
        cand: &Array2<f64>,
        scores: &mut Array1<f64>,
        with_failures: bool,
        n_model: usize,
        drawn: &candidates::Candidates,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(Vec<usize>, usize), ScanError> {
        let (mut survivors, mut misses): (Vec<usize>, Vec<usize>) =
            (0..scores.len()).partition(|&i| scores[i] > self.settings.threshold);
        let selection = self.settings.selection;
        let (to_found, distance) = match selection {
            // Even picks count no distance beyond the reach, and the reach never exceeds
            // its cap or the spacing (see `reach`): farther is as good as infinite, and
            // much cheaper to find.
            Selection::Even => {
                let bound = match drawn.spacing {
                    s if s.is_finite() => s.max(reach_cap(cand.ncols())),
                    _ => f64::INFINITY,
                };
                let near = nearest_distances_within(found.points.view(), cand.view(), bound)?;
                let mut with_pending = near.clone();
                self.keep_from_pending(&mut with_pending, cand, bound)?;
                (near, with_pending)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let reach = reach(&distance, &survivors, drawn, cand.ncols());
        // The measured hit rate of the model's picks at each candidate's distance from the
        // points found (even selection, once the model has picked).
        let rates = trust::Trust::measure(history, reach)?.map(|t| t.of(&to_found));
        if selection == Selection::Even && reach.is_finite() {
            let refuted = self.refuted(history, cand, &survivors, &distance, reach, with_failures)?;
            if !refuted.is_empty() {
                for &c in &refuted {
                    scores[c] = 0.0;
                }
                survivors.retain(|c| refuted.binary_search(c).is_err());
                misses.extend(refuted);
            }
        }
        let mut crowd: HashMap<Vec<i32>, u32> = HashMap::new();
        if selection == Selection::Spread {
            for row in found.points.rows() {
                *crowd.entry(cell_of(row)).or_default() += 1;
            }
        }
        misses.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        let mut choose = |trust: &[f64]| -> Result<Vec<usize>, ScanError> {
            let scored = Scored {
                cand,
                scores,
                distance: &distance,
                reach,
                trust,
                crowd: &crowd,
            };
            let mut picked = Vec::with_capacity(n_model);
            for (group, k) in select::groups(found, cand, &survivors, n_model)? {
                picked.extend(select::choose(selection, &group, k, &scored, rng)?);
            }
            // Too few predicted in target: the nearest misses (a few times as many as
            // needed, best scores first) are the most promising rest, spread by the same rule.
            let missing = n_model - picked.len();
            if missing > 0 && !misses.is_empty() {
                let nearest = &misses[..misses.len().min(4 * missing)];
                picked.extend(select::choose(selection, nearest, missing, &scored, rng)?);
            }
            Ok(picked)
        };
        // The batch by distance alone, unless the rates say it would land in target less
        // often than TRUST_PRECISION and weighing them in reaches it.
        let mut picked = choose(&[])?;
        if let Some(rates) = &rates {
            let expected = |picks: &[usize]| picks.iter().map(|&c| rates[c]).sum::<f64>() / picks.len().max(1) as f64;
            if expected(&picked) < TRUST_PRECISION {
                for power in TRUST_POWERS {
                    let weights: Vec<f64> = rates.iter().map(|r| r.powi(power)).collect();
                    let surer = choose(&weights)?;
                    if expected(&surer) >= TRUST_PRECISION {
                        picked = surer;
                        break;
                    }
                }
            }
        }
        picked.sort_unstable();
        Ok((picked, survivors.len()))
    }
}

impl Guided {
    /// The `survivors` (sorted) the evaluated points around them refute: a candidate within
    /// `reach` of a point the model also predicts in target but the oracle put out (or
    /// failed at), and nearer to it than to any in-target point or point still being
    /// evaluated (`hit_distance`, capped).
    /// The model cannot fit the data there — a target region smaller than its resolution,
    /// a sharp edge — and a pick next to its known mistake is likely another. Where the
    /// model has learnt its misses it no longer predicts them in target, and nothing is
    /// refuted.
    fn refuted(
        &self,
        history: &History,
        cand: &Array2<f64>,
        survivors: &[usize],
        hit_distance: &[f64],
        reach: f64,
        with_failures: bool,
    ) -> Result<Vec<usize>, ScanError> {
        let newest: Vec<usize> = (0..history.len())
            .rev()
            .filter(|&i| !history.in_target()[i])
            .take(self.settings.candidates)
            .collect();
        if newest.is_empty() || survivors.is_empty() {
            return Ok(Vec::new());
        }
        let misses = history.unit_rows().select(Axis(0), &newest);
        let scores = self.score(&misses, with_failures)?;
        let wrong: Vec<usize> = (0..newest.len())
            .filter(|&k| scores[k] > self.settings.threshold)
            .collect();
        if wrong.is_empty() {
            return Ok(Vec::new());
        }
        let wrong = misses.select(Axis(0), &wrong);
        let queries = cand.select(Axis(0), survivors);
        let near_wrong = nearest_distances_within(wrong.view(), queries.view(), reach)?;
        Ok(survivors
            .iter()
            .zip(near_wrong)
            .filter(|(c, w)| w.is_finite() && *w < hit_distance[**c])
            .map(|(c, _)| *c)
            .collect())
    }

    /// Lower each of `near` (distances of `cand` rows) to the distance to the nearest
    /// pending point, where that is within `bound`.
    fn keep_from_pending(&self, near: &mut [f64], cand: &Array2<f64>, bound: f64) -> Result<(), ScanError> {
        if self.pending.nrows() > 0 {
            let pending = nearest_distances_within(self.pending.view(), cand.view(), bound)?;
            for (d, p) in near.iter_mut().zip(pending) {
                *d = d.min(p);
            }
        }
        Ok(())
    }

    /// Up to `n` points (unit rows, flat) around the in-target points the surrogate scores
    /// at or below the threshold, [`CHECKS_PER_HIT`] each, the most isolated hits first, at
    /// widths from the walks' `sigma` down. The model is wrong there, so walks through its
    /// predicted target set leave such points at once, and a region found by one lucky
    /// probe would stay at one point; the checks teach the model the region.
    fn check_unexplained(
        &self,
        found: &Found,
        drawn: &candidates::Candidates,
        sigma: f64,
        with_failures: bool,
        n: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Vec<f64>, ScanError> {
        if n == 0 || found.ids.is_empty() {
            return Ok(Vec::new());
        }
        // The found points walks may start from (all, or a bounded sample of them).
        let sampled: Vec<usize> = (0..found.ids.len()).filter(|&p| drawn.isolation[p] > 0.0).collect();
        let scores = self.score(&found.points.select(Axis(0), &sampled), with_failures)?;
        let mut hits: Vec<usize> = sampled
            .iter()
            .zip(scores)
            .filter(|(_, s)| *s <= self.settings.threshold)
            .map(|(p, _)| *p)
            .collect();
        hits.sort_by(|&a, &b| drawn.isolation[b].total_cmp(&drawn.isolation[a]).then(a.cmp(&b)));
        let d = found.points.ncols();
        let mut out = Vec::new();
        for &p in hits.iter().take(n.div_ceil(CHECKS_PER_HIT)) {
            for _ in 0..CHECKS_PER_HIT {
                if out.len() == n * d {
                    return Ok(out);
                }
                let width = sigma * (-CHECK_OCTAVES * rng.random::<f64>()).exp2();
                let mut row = found.points.row(p).to_owned();
                candidates::step(row.view_mut(), width, rng);
                out.extend(row);
            }
        }
        Ok(out)
    }
}

/// How far apart even picks need to be: a share ([`reach_scale`]) of the found points'
/// spacing or, where the predicted target set has larger gaps, of the median distance from
/// a uniformly drawn candidate predicted in target to the nearest found point. Farther
/// counts as no farther, so among candidates far enough the surer one goes first; without
/// a cap ([`reach_cap`]) the picks would chase the model's false positives in unexplored
/// parts of the box.
fn reach(distance: &[f64], survivors: &[usize], drawn: &candidates::Candidates, dim: usize) -> f64 {
    if distance.is_empty() || !drawn.spacing.is_finite() {
        return f64::INFINITY;
    }
    let mut gaps: Vec<f64> = survivors
        .iter()
        .filter(|&&c| c < drawn.uniform)
        .map(|&c| distance[c])
        .collect();
    if gaps.is_empty() {
        return drawn.spacing;
    }
    let middle = gaps.len() / 2;
    let (_, median, _) = gaps.select_nth_unstable_by(middle, f64::total_cmp);
    // Never beyond the cap: a model trained on few points errs most far from them.
    drawn.spacing.max(*median).min(reach_cap(dim)) * reach_scale(dim)
}

/// The share of the gap [`reach`] counts: [`REACH_SCALE`] up to three dimensions, and in
/// more the radius ratio of balls whose volumes stand as they do in three
/// (`REACH_SCALE`³ = 1/8): a ball of half the radius holds 1/1024 of the volume in ten
/// dimensions, and half the gap would count as far enough nearly every candidate there.
/// On the 10-D O_nd toy (20 000 calls) 0.81 instead of 0.5 raises recall at r = 0.33 from
/// 0.63 to 0.72 of an even sample's, at 58 % of the calls in target either way.
fn reach_scale(dim: usize) -> f64 {
    REACH_SCALE.powf(3.0 / dim.max(3) as f64)
}

/// The largest gap [`reach`] counts: the widest local step in three dimensions, and in
/// more the radius of a ball holding the same share of the box. A fixed length would
/// count a ball of ever smaller share as "far" as the dimension grows: in ten dimensions
/// nearly every candidate lies farther than the widest step from every found point, and
/// the picks would follow the scores alone, into the patch the found points already hold.
fn reach_cap(dim: usize) -> f64 {
    let widest = candidates::AUTO_SIGMA_RANGE.1;
    if dim <= 3 {
        return widest;
    }
    let share = ball_volume(3) * widest.powi(3);
    (share / ball_volume(dim)).powf(1.0 / dim as f64)
}

/// The volume of the unit ball in `dim` dimensions.
fn ball_volume(dim: usize) -> f64 {
    match dim {
        0 => 1.0,
        1 => 2.0,
        d => ball_volume(d - 2) * 2.0 * std::f64::consts::PI / d as f64,
    }
}

/// `n` exploration picks among `candidates` not `picked` (sorted): with `scores`, the
/// [`EXPLORE_POOL`]·n best scored, else all of them, spread by farthest-point picks away
/// from every point evaluated so far, so probes go where the target may be and nothing has
/// been tried. Distances beyond `reach` count as equal: among candidates that far the
/// earlier drawn goes first, so probes follow the density the candidates were drawn from
/// instead of its sparsest tails.
#[allow(clippy::too_many_arguments)]
fn explore(
    history: &History,
    pending: &Array2<f64>,
    cand: &Array2<f64>,
    scores: Option<&Array1<f64>>,
    candidates: &[usize],
    picked: &[usize],
    n: usize,
    reach: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Vec<usize>, ScanError> {
    let mut pool: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| picked.binary_search(i).is_err())
        .collect();
    if n == 0 || pool.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(scores) = scores {
        pool.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        pool.truncate(EXPLORE_POOL * n);
    }
    let evaluated = history.unit_rows();
    let probes = cand.select(ndarray::Axis(0), &pool);
    let mut near = nearest_distances(evaluated, probes.view())?;
    if pending.nrows() > 0 {
        for (d, p) in near.iter_mut().zip(nearest_distances(pending.view(), probes.view())?) {
            *d = d.min(p);
        }
    }
    let mut distance = vec![f64::INFINITY; cand.nrows()];
    for (&c, d) in pool.iter().zip(near) {
        distance[c] = d;
    }
    // Every probe counts the same: the pool already holds only the better guesses.
    let ones = Array1::ones(cand.nrows());
    let scored = Scored {
        cand,
        scores: &ones,
        distance: &distance,
        reach,
        trust: &[],
        crowd: &HashMap::new(),
    };
    select::choose(Selection::Even, &pool, n, &scored, rng)
}

impl Strategy for Guided {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Proposal, ScanError> {
        let d = history.dim();
        let mut report = ProposalReport::default();
        let probes = match self.settings.probe_inputs && self.surrogate.selects_inputs() {
            true => {
                let mut relevance = Relevance::measure(history);
                self.surrogate.use_inputs(&relevance);
                if let Some(pending) = self.pending.as_slice() {
                    relevance.expect(history, pending);
                }
                relevance.propose(history, n.div_ceil(PROBE_SHARE), rng)
            }
            false => Vec::new(),
        };
        let n_probes = probes.len() / d.max(1);
        // The rest of the batch is picked as if it were the whole.
        let n = n - n_probes;
        let with_failures = self.train(history, &mut report, rng)?;

        let t = Instant::now();
        let found = Found::new(history, self.settings.region_link, self.regions.take(), rng)?;
        let mut drawn = candidates::draw(&self.settings, history, &found, rng)?;
        report.seconds_vegas = drawn.seconds_vegas;
        report.local_sigma = drawn.local_sigma;
        let mut cand = std::mem::take(&mut drawn.points);
        let mut scores = self.score(&cand, with_failures)?;
        if !drawn.widths.is_empty() {
            candidates::walk(
                &mut cand,
                &mut scores,
                candidates::Walkers {
                    first: drawn.uniform,
                    widths: &drawn.widths,
                    adapt: drawn.adapt,
                },
                self.settings.threshold,
                |block| self.score(block, with_failures),
                rng,
            )?;
        }
        // A model that has seen no hit ranks nothing: the whole batch spreads over the box.
        let blind = found.ids.is_empty() && self.surrogate.needs_hits();
        let n_random = match blind {
            true => n,
            false => ((self.settings.random_fraction * n as f64).round() as usize).min(n),
        };
        let n_model = n - n_random;
        let checks = match drawn.local_sigma {
            Some(sigma) => self.check_unexplained(&found, &drawn, sigma, with_failures, n_model / CHECK_SHARE, rng)?,
            None => Vec::new(),
        };
        let n_checks = checks.len() / d.max(1);
        let (picked, survivors) = self.pick(
            history,
            &found,
            &cand,
            &mut scores,
            with_failures,
            n_model - n_checks,
            &drawn,
            rng,
        )?;
        report.predicted_in_target = Some(survivors);
        report.seconds_prediction = t.elapsed().as_secs_f64() - drawn.seconds_vegas;

        let mut unit_out = Vec::with_capacity(n * d);
        let mut origin = Vec::with_capacity(n);
        for &i in &picked {
            unit_out.extend(cand.row(i).iter());
            origin.push(Origin::Surrogate);
        }
        unit_out.extend(checks);
        origin.extend(std::iter::repeat_n(Origin::Check, n_checks));
        // Exploration, plus whatever the surrogate could not fill.
        if self.settings.exploration == Exploration::Guided || blind {
            let vegas_start = drawn.uniform + drawn.widths.len();
            let n_explore = n - origin.len();
            // The VEGAS share only once the map has adapted to points found (before, its
            // draws are uniform ones; a blind batch has found none).
            let n_vegas = match found.ids.is_empty() {
                true => 0,
                false => (self.settings.vegas_exploration * n_explore as f64).round() as usize,
            };
            let vegas_pool: Vec<usize> = (vegas_start..cand.nrows()).collect();
            let from_vegas = explore(
                history,
                &self.pending,
                &cand,
                None,
                &vegas_pool,
                &picked,
                n_vegas,
                candidates::AUTO_SIGMA_RANGE.1,
                rng,
            )?;
            let uniform_pool: Vec<usize> = (0..drawn.uniform).collect();
            let from_uniform = explore(
                history,
                &self.pending,
                &cand,
                (!blind).then_some(&scores),
                &uniform_pool,
                &picked,
                n_explore - from_vegas.len(),
                f64::INFINITY,
                rng,
            )?;
            for i in from_vegas.into_iter().chain(from_uniform) {
                unit_out.extend(cand.row(i).iter());
                origin.push(Origin::Explore);
            }
        }
        let fill = n - origin.len();
        unit_out.extend(uniform_points(d, fill, rng));
        origin.extend(std::iter::repeat_n(Origin::Random, fill));
        unit_out.extend(probes);
        origin.extend(std::iter::repeat_n(Origin::Probe, n_probes));
        self.regions = found.regions;
        Ok(Proposal {
            unit: unit_out,
            origin,
            report,
        })
    }

    fn propose_ahead(
        &mut self,
        history: &History,
        pending: &[f64],
        n: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Proposal, ScanError> {
        let d = history.dim();
        self.pending = Array2::from_shape_vec((pending.len() / d.max(1), d), pending.to_vec())
            .map_err(|e| ScanError::Training(format!("pending points: {e}")))?;
        let proposal = self.propose(history, n, rng);
        self.pending = Array2::zeros((0, d));
        proposal
    }

    fn save_state(&self, dir: &std::path::Path) -> Result<(), ScanError> {
        self.surrogate.save(dir)?;
        match &self.failure_model {
            Some(m) => m.save(&dir.join("failures")),
            None => Ok(()),
        }
    }

    fn load_state(&mut self, dir: &std::path::Path) -> Result<(), ScanError> {
        self.surrogate.load(dir)?;
        match self.failure_model.as_mut() {
            Some(m) => m.load(&dir.join("failures")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
