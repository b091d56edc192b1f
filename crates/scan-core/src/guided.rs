//! The surrogate-guided strategy (DLScanner's loop, without its defects): train the
//! surrogate on every point so far, draw L candidates — uniform, and a fraction from a
//! VEGAS map adapted to the points weighted by their in-target label or likelihood —,
//! score them, and pick the batch: a fraction uniformly at random for exploration, the rest
//! by the selection rule among the candidates predicted in target.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2};
use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use vegas_map::{AdaptiveMap, TrainingParams};

use crate::error::ScanError;
use crate::evaluator::Status;
use crate::history::History;
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
        }
    }

    pub fn check(&self) -> Result<(), ScanError> {
        let bad = |m: String| Err(ScanError::Config(m));
        if self.candidates == 0 {
            return bad("candidates must be at least 1".into());
        }
        for (name, v) in [
            ("vegas_fraction", self.vegas_fraction),
            ("random_fraction", self.random_fraction),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} = {v} must lie in [0, 1]"));
            }
        }
        if !self.threshold.is_finite() {
            return bad("threshold must be a number".into());
        }
        Ok(())
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
    fn candidates(&self, history: &History, rng: &mut Xoshiro256PlusPlus) -> Result<(Array2<f64>, f64), ScanError> {
        let (l, d) = (self.settings.candidates, history.dim());
        let n_vegas = ((self.settings.vegas_fraction * l as f64).round() as usize).min(l);
        let n_local = ((self.settings.local_fraction * l as f64).round() as usize).min(l - n_vegas);
        let mut cand = Array2::from_shape_vec((l, d), uniform_points(d, l, rng)).expect("l × d");
        let found: Vec<usize> = (0..history.len()).filter(|&i| history.in_target()[i]).collect();
        if n_local > 0 && !found.is_empty() {
            let unit = history.unit();
            let sigma = self.settings.local_sigma;
            let start = l - n_vegas - n_local;
            for r in start..start + n_local {
                let base = found[rng.random_range(0..found.len())];
                for c in 0..d {
                    // Box–Muller normal deviate.
                    let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
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
                let mut map =
                    AdaptiveMap::uniform(&vec![(0.0, 1.0); d], 100).map_err(|e| ScanError::Config(e.to_string()))?;
                map.adapt_to_samples(unit, weights.view(), &TrainingParams::default())
                    .map_err(|e| ScanError::Config(e.to_string()))?;
                let mut jac = Array1::zeros(n_vegas);
                let mut tail = cand.slice_mut(ndarray::s![l - n_vegas.., ..]);
                map.sample_into(tail.view_mut(), jac.view_mut(), rng)
                    .map_err(|e| ScanError::Config(e.to_string()))?;
            }
        }
        Ok((cand, started.elapsed().as_secs_f64()))
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
        let (cand, seconds_vegas) = self.candidates(history, rng)?;
        report.seconds_vegas = seconds_vegas;
        let scores = self.surrogate.score(cand.view())?;
        let mut survivors: Vec<usize> = (0..scores.len())
            .filter(|&i| scores[i] > self.settings.threshold)
            .collect();
        report.predicted_in_target = Some(survivors.len());

        let n_random = ((self.settings.random_fraction * n as f64).round() as usize).min(n);
        let n_model = n - n_random;
        let picked: Vec<usize> = match self.settings.selection {
            Selection::Top => {
                survivors.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
                survivors.truncate(n_model);
                survivors
            }
            Selection::Sample => {
                let take = n_model.min(survivors.len());
                for i in 0..take {
                    let j = rng.random_range(i..survivors.len());
                    survivors.swap(i, j);
                }
                survivors.truncate(take);
                survivors
            }
            Selection::Spread => {
                let mut found: std::collections::HashMap<Vec<i32>, u32> = std::collections::HashMap::new();
                for i in (0..history.len()).filter(|&i| history.in_target()[i]) {
                    *found.entry(cell_of(unit.row(i))).or_default() += 1;
                }
                // Weighted sampling without replacement (Efraimidis–Spirakis): the largest
                // keys u^(1/w) win.
                let mut keyed: Vec<(f64, usize)> = survivors
                    .iter()
                    .map(|&c| {
                        let crowd = found.get(&cell_of(cand.row(c))).copied().unwrap_or(0);
                        let w = scores[c].max(1e-12) / (1.0 + f64::from(crowd));
                        (rng.random::<f64>().max(f64::MIN_POSITIVE).ln() / w, c)
                    })
                    .collect();
                keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                keyed.into_iter().take(n_model).map(|(_, c)| c).collect()
            }
        };
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

    /// 200 in-target points crowded in the left tenth of the square.
    fn crowded_history() -> History {
        let mut h = History::new(2, 1);
        for i in 0..200 {
            let u = [0.05 * (i % 20) as f64 / 20.0, (i / 20) as f64 / 10.0];
            let r = PointRecord {
                id: i,
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

    fn left_share(selection: Selection) -> f64 {
        let settings = GuidedSettings {
            candidates: 20_000,
            vegas_fraction: 0.0,
            local_fraction: 0.0,
            local_sigma: 0.01,
            random_fraction: 0.0,
            selection,
            threshold: 0.5,
        };
        let mut g = Guided::new(Box::new(Flat), settings).unwrap();
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
        assert!(Guided::new(Box::new(Flat), s).is_err());
    }
}
