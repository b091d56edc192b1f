//! Settings of the surrogate-guided strategy.

use serde::{Deserialize, Serialize};

use crate::error::ScanError;

/// How the surrogate's picks are chosen among the candidates scoring above the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Selection {
    /// Farthest-point picks: each pick is the candidate farthest from every in-target
    /// point found and every earlier pick (distance times score), so the batch fills the
    /// emptiest parts of the predicted target set first and maps it evenly.
    #[default]
    Even,
    /// The highest scores: the most precise, but piles points where the model is surest.
    Top,
    /// A uniform draw among them: follows the density of the candidates.
    Sample,
    /// A draw among them weighted by score / (1 + in-target points already found in the
    /// candidate's grid cell of 6 % of the box per side).
    Spread,
}

/// How the exploration share of each batch is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exploration {
    /// Among the uniformly drawn candidates the surrogate scores best (a few times as many
    /// as needed), the ones farthest from every point evaluated so far: probes of where the
    /// target may be but nothing has been tried, such as modes no point has hit yet.
    #[default]
    Guided,
    /// Uniform points over the box.
    Uniform,
}

/// Width of the local proposals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LocalSigma {
    /// A fixed fraction of the box per coordinate.
    Fixed(f64),
    /// `"auto"`: up to the median distance between neighbouring in-target points (half the
    /// steps that wide, half narrower down to an eighth), so steps reach the gaps of a sparse
    /// map and stay close once the map is dense; each candidate takes a short walk of such
    /// steps through the predicted target set.
    Auto(AutoSigma),
}

/// The `"auto"` marker of [`LocalSigma::Auto`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoSigma {
    Auto,
}

impl Default for LocalSigma {
    fn default() -> Self {
        LocalSigma::Auto(AutoSigma::Auto)
    }
}

/// The default share of the exploration picks drawn from the VEGAS map. Measured (seed 1)
/// on a lattice of 1 296 balls of radius 0.5 in [-10, 10]^4 with 10 000 calls (125 balls
/// in 3-D, 5 000 calls): without it the defaults find 7 balls (45) with 56 % (60 %) of the
/// calls after the initial sample in target, with 0.25 they find 244 (65) with 34 % (60 %),
/// where uniform sampling finds 21 (29). On O_3d (seeds 1–3), three 3-D shells, F_2d, four
/// islands, O_3d on a lopsided box and a 5-D Rosenbrock valley the in-target counts change
/// by −5 % to +1 %, and the ratio of recall at the smallest radius to an even sample's by
/// at most 0.02.
pub const VEGAS_EXPLORATION: f64 = 0.25;

/// Points an update trains on by default: a scan's first 20 000 points train whole, as
/// before; beyond, the cost of an update stays that of 20 000 points (120 epochs of them:
/// about 14 s on 2 cores) instead of growing with every point stored.
pub const TRAINING_POINTS: usize = 20_000;

/// Settings of [`super::Guided`], validated by [`GuidedSettings::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuidedSettings {
    /// Candidates scored per iteration (L).
    pub candidates: usize,
    /// Fraction of the candidates drawn from the VEGAS map (0 disables it).
    pub vegas_fraction: f64,
    /// Fraction of the candidates drawn as Gaussian steps around in-target points found so
    /// far, each then walked a few steps through the predicted target set (0 disables it).
    pub local_fraction: f64,
    /// Width of those steps.
    pub local_sigma: LocalSigma,
    /// Fraction of each batch spent on exploration.
    pub random_fraction: f64,
    /// How the exploration share is chosen.
    pub exploration: Exploration,
    /// Share of the exploration picks (guided exploration) taken among the candidates drawn
    /// from the VEGAS map, farthest from every evaluated point whatever their score: the
    /// map is a product of one-dimensional densities of the points found, so its draws
    /// combine coordinate values that lead to the target in new ways, and reach modes
    /// the surrogate does not predict (a lattice of small modes, say).
    pub vegas_exploration: f64,
    pub selection: Selection,
    /// A candidate counts as predicted in target when its score exceeds this.
    pub threshold: f64,
    /// Balance the picks across the disconnected target regions found so far: in-target
    /// points closer than this (Euclidean distance in the unit cube) form one region, and
    /// each batch goes to the regions holding the fewest in-target points first (candidates
    /// far from every found point count as one more region, as full as the emptiest one).
    /// Within a region the selection rule orders the candidates. `None` disables it.
    pub region_link: Option<f64>,
    /// Points each update of the surrogate trains on at most: the newest iteration's and a
    /// stratified replay sample of the older ones ([`crate::replay`]). `None` trains on the
    /// whole history every time.
    pub training_points: Option<usize>,
    /// Measure which inputs each output ignores ([`crate::relevance`]: twelve probes per
    /// parameter, once per run) and let a surrogate of outputs read only the inputs each
    /// output depends on. Surrogates that cannot use it are sent no probes.
    pub probe_inputs: bool,
}

impl GuidedSettings {
    /// The defaults for a batch of `k` points: L = 100·K candidates, half of them local
    /// walks of automatic width, a tenth from the VEGAS map; a fifth of each batch on
    /// guided exploration; even (farthest-point) selection above score 0.5.
    pub fn defaults(k: usize) -> Self {
        GuidedSettings {
            candidates: 100 * k,
            vegas_fraction: 0.1,
            local_fraction: 0.5,
            local_sigma: LocalSigma::default(),
            random_fraction: 0.2,
            exploration: Exploration::Guided,
            vegas_exploration: VEGAS_EXPLORATION,
            selection: Selection::Even,
            threshold: 0.5,
            region_link: None,
            training_points: Some(TRAINING_POINTS),
            probe_inputs: true,
        }
    }

    /// DLScanner's settings for a batch of `k` points: L = 100·K, VEGAS fraction 0.1,
    /// random fraction 0.1, no local steps, a uniform draw above score 0.5, no probes.
    pub fn dlscanner(k: usize) -> Self {
        GuidedSettings {
            local_fraction: 0.0,
            local_sigma: LocalSigma::Fixed(0.01),
            random_fraction: 0.1,
            exploration: Exploration::Uniform,
            vegas_exploration: 0.0,
            selection: Selection::Sample,
            training_points: None,
            probe_inputs: false,
            ..GuidedSettings::defaults(k)
        }
    }

    /// Check every setting; the error names the key.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.candidates == 0 {
            return Err(ScanError::setting("candidates", "must be at least 1"));
        }
        if self.training_points == Some(0) {
            return Err(ScanError::setting("training_points", "must be at least 1"));
        }
        for (name, v) in [
            ("vegas_fraction", self.vegas_fraction),
            ("local_fraction", self.local_fraction),
            ("random_fraction", self.random_fraction),
            ("vegas_exploration", self.vegas_exploration),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ScanError::setting(name, format!("{v} must lie in [0, 1]")));
            }
        }
        if self.vegas_fraction + self.local_fraction > 1.0 + 1e-12 {
            return Err(ScanError::setting(
                "local_fraction",
                format!(
                    "vegas_fraction + local_fraction = {} + {} exceeds 1: they are shares of the same candidates",
                    self.vegas_fraction, self.local_fraction
                ),
            ));
        }
        if let LocalSigma::Fixed(s) = self.local_sigma
            && !(s > 0.0 && s.is_finite())
        {
            return Err(ScanError::setting(
                "local_sigma",
                format!("{s} must be a positive fraction of the box, or \"auto\""),
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
