//! The surrogate-guided strategy (DLScanner's loop, without its defects): train the
//! surrogate on every point so far, draw L candidates — uniform, and a fraction from a
//! VEGAS map adapted to the points weighted by their in-target label or likelihood —,
//! score them, and pick the batch: a fraction uniformly at random for exploration, the rest
//! by the selection rule among the candidates predicted in target.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2};
use std::collections::HashMap;

use rand::RngExt;
use rand::seq::index;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use vegas_map::{AdaptiveMap, TrainingParams};

use crate::error::ScanError;
use crate::evaluator::Status;
use crate::history::History;
use crate::regions::{Regions, fill_evenly};
use crate::strategy::{Origin, Proposal, ProposalReport, Strategy, uniform_points};
use crate::surrogate::{Surrogate, TrainingSet};

/// How the surrogate's picks are chosen among the candidates scoring above the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// The highest scores: the most precise, but piles points where the model is surest.
    Top,
    /// A uniform draw among them: spreads points over every region the model accepts.
    #[default]
    Sample,
    /// A draw among them weighted by score / (1 + in-target points already found in the
    /// candidate's grid cell of 6 % of the box per side): crowded regions give way to
    /// sparse ones, evening out the coverage of disconnected target regions.
    Spread,
}

/// Side of the grid cells of [`Selection::Spread`], in unit-cube coordinates.
const SPREAD_CELL: f64 = 0.06;

fn cell_of(point: ndarray::ArrayView1<f64>) -> Vec<i32> {
    point.iter().map(|v| (v / SPREAD_CELL).floor() as i32).collect()
}

/// Settings of [`Guided`], validated by [`GuidedSettings::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuidedSettings {
    /// Candidates scored per iteration (L).
    pub candidates: usize,
    /// Fraction of the candidates drawn from the VEGAS map (0 disables it).
    pub vegas_fraction: f64,
    /// Fraction of the candidates drawn as Gaussian perturbations (σ = `local_sigma` of the
    /// box per coordinate) of in-target points found so far (0 disables it).
    #[serde(default)]
    pub local_fraction: f64,
    #[serde(default = "default_local_sigma")]
    pub local_sigma: f64,
    /// Fraction of each batch drawn uniformly, for exploration.
    pub random_fraction: f64,
    pub selection: Selection,
    /// A candidate counts as predicted in target when its score exceeds this.
    pub threshold: f64,
    /// Balance the picks across the disconnected target regions found so far: in-target
    /// points closer than this (Euclidean distance in the unit cube) form one region, and
    /// each batch goes to the regions holding the fewest in-target points first (candidates
    /// far from every found point count as one more region, as full as the emptiest one).
    /// Within a region the selection rule orders the candidates. `None` disables it.
    #[serde(default)]
    pub region_link: Option<f64>,
}

fn default_local_sigma() -> f64 {
    0.01
}

impl GuidedSettings {
    /// DLScanner's defaults for a batch of `k` points: L = 100·K, VEGAS fraction 0.1,
    /// random fraction 0.1, threshold 0.5.
    pub fn dlscanner(k: usize) -> Self {
        GuidedSettings {
            candidates: 100 * k,
            vegas_fraction: 0.1,
            local_fraction: 0.0,
            local_sigma: default_local_sigma(),
            random_fraction: 0.1,
            selection: Selection::Sample,
            threshold: 0.5,
            region_link: None,
        }
    }

    /// Check every setting; the error names the key.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.candidates == 0 {
            return Err(ScanError::setting("candidates", "must be at least 1"));
        }
        for (name, v) in [
            ("vegas_fraction", self.vegas_fraction),
            ("local_fraction", self.local_fraction),
            ("random_fraction", self.random_fraction),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ScanError::setting(name, format!("{v} must lie in [0, 1]")));
            }
        }
        if !(self.local_sigma > 0.0 && self.local_sigma.is_finite()) {
            return Err(ScanError::setting(
                "local_sigma",
                format!("{} must be a positive fraction of the box", self.local_sigma),
            ));
        }
        if !self.threshold.is_finite() {
            return Err(ScanError::setting("threshold", "must be a number"));
        }
        if let Some(link) = self.region_link
            && !(link > 0.0 && link.is_finite())
        {
            return Err(ScanError::setting(
                "region_link",
                format!("{link} must be a positive distance"),
            ));
        }
        Ok(())
    }
}

/// The in-target points found so far and, when balancing, their regions.
struct Found {
    /// History indices of the in-target points.
    ids: Vec<usize>,
    regions: Option<Regions>,
    /// Per region, positions in `ids` of its points.
    members: Option<Vec<Vec<usize>>>,
}

impl Found {
    fn new(history: &History, region_link: Option<f64>) -> Result<Self, ScanError> {
        let ids: Vec<usize> = (0..history.len()).filter(|&i| history.in_target()[i]).collect();
        let Some(link) = region_link else {
            return Ok(Found {
                ids,
                regions: None,
                members: None,
            });
        };
        let d = history.dim();
        let rows: Vec<f64> = ids
            .iter()
            .flat_map(|&i| history.unit()[i * d..(i + 1) * d].iter().copied())
            .collect();
        let points = Array2::from_shape_vec((ids.len(), d), rows).expect("rows of d");
        let regions = Regions::new(points.view(), link)?;
        let mut members = vec![Vec::new(); regions.count()];
        for (p, r) in regions.labels().iter().enumerate() {
            members[*r].push(p);
        }
        Ok(Found {
            ids,
            regions: Some(regions),
            members: Some(members),
        })
    }
}

/// The surrogate-guided strategy.
pub struct Guided {
    surrogate: Box<dyn Surrogate>,
    settings: GuidedSettings,
    name: String,
}

impl std::fmt::Debug for Guided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guided")
            .field("name", &self.name)
            .field("settings", &self.settings)
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
            settings,
            name,
        })
    }

    /// Candidates: uniform, then the local share (Gaussian steps around found points),
    /// then the VEGAS share drawn through a map adapted to the points weighted by likelihood
    /// (when the target has one) or in-target flag.
    ///
    /// With regions, each local candidate starts from a point of a region drawn uniformly,
    /// so a region just found gets as many candidates as one holding thousands of points.
    fn candidates(
        &self,
        history: &History,
        found: &Found,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(Array2<f64>, f64), ScanError> {
        let (l, d) = (self.settings.candidates, history.dim());
        let n_vegas = ((self.settings.vegas_fraction * l as f64).round() as usize).min(l);
        let n_local = ((self.settings.local_fraction * l as f64).round() as usize).min(l - n_vegas);
        let mut cand = Array2::from_shape_vec((l, d), uniform_points(d, l, rng)).expect("l × d");
        if n_local > 0 && !found.ids.is_empty() {
            let unit = history.unit();
            let sigma = self.settings.local_sigma;
            let start = l - n_vegas - n_local;
            for r in start..start + n_local {
                let base = match &found.members {
                    Some(members) => {
                        let m = &members[rng.random_range(0..members.len())];
                        found.ids[m[rng.random_range(0..m.len())]]
                    }
                    None => found.ids[rng.random_range(0..found.ids.len())],
                };
                for c in 0..d {
                    let z: f64 = rng.sample(StandardNormal);
                    cand[[r, c]] = (unit[base * d + c] + sigma * z).clamp(0.0, 1.0 - f64::EPSILON);
                }
            }
        }
        let started = Instant::now();
        if n_vegas > 0 && history.len() >= 20 {
            let unit = ArrayView2::from_shape((history.len(), d), history.unit()).expect("history rows");
            let likelihood = history.likelihood();
            let weights: Array1<f64> = (0..history.len())
                .map(|i| match likelihood[i] {
                    l if l.is_finite() && l > 0.0 => l,
                    _ => f64::from(u8::from(history.in_target()[i])),
                })
                .collect();
            if weights.iter().any(|w| *w > 0.0) {
                let mut map = AdaptiveMap::uniform(&vec![(0.0, 1.0); d], 100)?;
                map.adapt_to_samples(unit, weights.view(), &TrainingParams::default())?;
                let mut jac = Array1::zeros(n_vegas);
                let mut tail = cand.slice_mut(ndarray::s![l - n_vegas.., ..]);
                map.sample_into(tail.view_mut(), jac.view_mut(), rng)?;
            }
        }
        Ok((cand, started.elapsed().as_secs_f64()))
    }
}

impl Guided {
    /// The survivors grouped by the region of the found points they fall in (the last group:
    /// far from every found point), each group's share of `n` picks (emptiest regions
    /// first), or one group taking all `n` when regions are off.
    fn groups(
        &self,
        found: &Found,
        cand: &Array2<f64>,
        survivors: &[usize],
        n: usize,
    ) -> Result<Vec<(Vec<usize>, usize)>, ScanError> {
        let Some(regions) = &found.regions else {
            return Ok(vec![(survivors.to_vec(), n)]);
        };
        let unknown = regions.count();
        let region_of = regions.assign(cand.select(ndarray::Axis(0), survivors).view())?;
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); unknown + 1];
        for (&c, region) in survivors.iter().zip(region_of) {
            groups[region.unwrap_or(unknown)].push(c);
        }
        // Candidates far from every found point may open a new region, or may lie on an
        // unvisited side of a known one: they rank with the emptiest region, not before it.
        let mut held = regions.sizes().to_vec();
        held.push(held.iter().copied().min().unwrap_or(0));
        let available: Vec<usize> = groups.iter().map(Vec::len).collect();
        let shares = fill_evenly(&held, &available, n);
        Ok(groups.into_iter().zip(shares).collect())
    }

    /// `k` of the candidates `group` by the selection rule.
    fn choose(
        &self,
        group: &[usize],
        k: usize,
        scores: &Array1<f64>,
        crowding: &dyn Fn(usize) -> f64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<Vec<usize>, ScanError> {
        let k = k.min(group.len());
        Ok(match self.settings.selection {
            Selection::Top => {
                let mut ranked = group.to_vec();
                ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
                ranked.truncate(k);
                ranked
            }
            Selection::Sample => index::sample(rng, group.len(), k)
                .into_iter()
                .map(|i| group[i])
                .collect(),
            Selection::Spread => {
                let weight = |i: usize| scores[group[i]].max(1e-12) / crowding(group[i]);
                index::sample_weighted(rng, group.len(), weight, k)
                    .map_err(|e| ScanError::Training(format!("spread selection: {e}")))?
                    .into_iter()
                    .map(|i| group[i])
                    .collect()
            }
        })
    }
}

impl Strategy for Guided {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose(&mut self, history: &History, n: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Proposal, ScanError> {
        let d = history.dim();
        let mut report = ProposalReport::default();

        let t = Instant::now();
        let unit = ArrayView2::from_shape((history.len(), d), history.unit()).expect("history rows");
        let outputs =
            ArrayView2::from_shape((history.len(), history.n_outputs()), history.outputs()).expect("output rows");
        let ok: Array1<bool> = history.status().iter().map(|s| *s == Status::Ok).collect();
        let in_target = Array1::from(history.in_target().to_vec());
        let info = self.surrogate.train(TrainingSet {
            unit,
            in_target: in_target.view(),
            outputs,
            ok: ok.view(),
        })?;
        report.seconds_training = t.elapsed().as_secs_f64();
        report.training_loss = info.loss;
        report.validation_metric = info.validation_metric;

        let t = Instant::now();
        let found = Found::new(history, self.settings.region_link)?;
        let (cand, seconds_vegas) = self.candidates(history, &found, rng)?;
        report.seconds_vegas = seconds_vegas;
        let scores = self.surrogate.score(cand.view())?;
        let survivors: Vec<usize> = (0..scores.len())
            .filter(|&i| scores[i] > self.settings.threshold)
            .collect();
        report.predicted_in_target = Some(survivors.len());

        let n_random = ((self.settings.random_fraction * n as f64).round() as usize).min(n);
        let n_model = n - n_random;
        // Spread: in-target points already found in a candidate's grid cell crowd it out.
        let mut crowd: HashMap<Vec<i32>, u32> = HashMap::new();
        if self.settings.selection == Selection::Spread {
            for &i in &found.ids {
                *crowd.entry(cell_of(unit.row(i))).or_default() += 1;
            }
        }
        let crowding = |c: usize| 1.0 + f64::from(crowd.get(&cell_of(cand.row(c))).copied().unwrap_or(0));
        let mut picked = Vec::with_capacity(n_model);
        for (group, k) in self.groups(&found, &cand, &survivors, n_model)? {
            picked.extend(self.choose(&group, k, &scores, &crowding, rng)?);
        }
        picked.sort_unstable();
        report.seconds_prediction = t.elapsed().as_secs_f64() - seconds_vegas;

        let mut unit_out = Vec::with_capacity(n * d);
        let mut origin = Vec::with_capacity(n);
        for &i in &picked {
            unit_out.extend(cand.row(i).iter());
            origin.push(Origin::Surrogate);
        }
        // Exploration, plus whatever the surrogate could not fill.
        let fill = n - picked.len();
        unit_out.extend(uniform_points(d, fill, rng));
        origin.extend(std::iter::repeat_n(Origin::Random, fill));
        Ok(Proposal {
            unit: unit_out,
            origin,
            report,
        })
    }

    fn save_state(&self, dir: &std::path::Path) -> Result<(), ScanError> {
        self.surrogate.save(dir)
    }

    fn load_state(&mut self, dir: &std::path::Path) -> Result<(), ScanError> {
        self.surrogate.load(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::PointRecord;
    use crate::surrogate::TrainInfo;
    use ndarray::ArrayView2;
    use rand::SeedableRng;
    use std::path::Path;

    /// Scores every candidate 1: isolates the selection rule.
    struct Flat;

    impl Surrogate for Flat {
        fn name(&self) -> &str {
            "flat"
        }
        fn train(&mut self, _: TrainingSet<'_>) -> Result<TrainInfo, ScanError> {
            Ok(TrainInfo::default())
        }
        fn score(&self, unit: ArrayView2<f64>) -> Result<Array1<f64>, ScanError> {
            Ok(Array1::ones(unit.nrows()))
        }
        fn save(&self, _: &Path) -> Result<(), ScanError> {
            Ok(())
        }
        fn load(&mut self, _: &Path) -> Result<(), ScanError> {
            Ok(())
        }
    }

    /// A history of in-target points at these unit-square positions.
    fn found_at(points: impl Iterator<Item = [f64; 2]>) -> History {
        let mut h = History::new(2, 1);
        for (i, u) in points.enumerate() {
            let r = PointRecord {
                id: i as u64,
                iteration: 0,
                origin: Origin::Initial,
                x: u.to_vec(),
                outputs: vec![1.0],
                likelihood: None,
                status: Status::Ok,
                in_target: true,
                message: None,
            };
            h.push(&r, &u);
        }
        h
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
            local_sigma: 0.01,
            random_fraction: 0.0,
            selection,
            threshold: 0.5,
            region_link,
        };
        Guided::new(Box::new(Flat), settings).unwrap()
    }

    fn left_share(selection: Selection) -> f64 {
        let mut g = surrogate_only(selection, None);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let p = g.propose(&crowded_history(), 2000, &mut rng).unwrap();
        assert_eq!(p.unit.len(), 4000);
        assert!(p.origin.iter().all(|o| *o == Origin::Surrogate));
        // Share of picks in grid cells that already hold found points.
        let h = crowded_history();
        let occupied: std::collections::HashSet<Vec<i32>> = (0..h.len())
            .map(|i| cell_of(ArrayView2::from_shape((h.len(), 2), h.unit()).unwrap().row(i)))
            .collect();
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
            local_sigma: 0.01,
            random_fraction: 0.2,
            selection: Selection::Top,
            threshold: 0.5,
            region_link: None,
        };
        let mut g = Guided::new(Box::new(Flat), settings).unwrap();
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
        assert!(Guided::new(Box::new(Flat), s.clone()).is_err());
        s.vegas_fraction = 0.1;
        s.region_link = Some(0.0);
        assert!(Guided::new(Box::new(Flat), s).is_err());
    }
}
