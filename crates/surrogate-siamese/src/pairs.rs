//! Balanced pair sampling and the contrastive loss on pairs.

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use surrogate_mlp::toolkit::Network;
use tch::{Device, Kind, Tensor};

/// Distance between two embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    /// ‖e₁ − e₂‖.
    #[default]
    Euclidean,
    /// 1 − cos(e₁, e₂).
    Cosine,
}

impl Distance {
    /// The distance between corresponding rows of `a` and `b`.
    fn between(self, a: &Tensor, b: &Tensor) -> Tensor {
        let sum = |t: Tensor| t.sum_dim_intlist(1, false, Kind::Float);
        match self {
            // Clamped so that the gradient of the root stays finite for equal embeddings.
            Distance::Euclidean => sum((a - b).square()).clamp_min(1e-12).sqrt(),
            Distance::Cosine => {
                let norms = (sum(a.square()) * sum(b.square())).clamp_min(1e-12).sqrt();
                1.0 - sum(a * b) / norms
            }
        }
    }
}

/// One epoch's pairs on the device: row indices of the left and right points and the
/// label (1 for the same class, 0 otherwise).
#[derive(Debug)]
pub(crate) struct Pairs {
    left: Tensor,
    right: Tensor,
    same: Tensor,
}

impl Pairs {
    /// Draw [`balanced_pairs`] and upload them to `device`.
    pub fn draw(
        positives: &[usize],
        negatives: &[usize],
        n_anchors: usize,
        rng: &mut Xoshiro256PlusPlus,
        device: Device,
    ) -> Pairs {
        let (left, right, same) = balanced_pairs(positives, negatives, n_anchors, rng);
        Pairs {
            left: Tensor::from_slice(&left).to_device(device),
            right: Tensor::from_slice(&right).to_device(device),
            same: Tensor::from_slice(&same).to_device(device),
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.same.size()[0] as usize
    }

    /// Mean contrastive loss `y·d² + (1 − y)·max(0, m − d)²` of the pairs `idx` (indices
    /// into these pairs, on the device), with `encoder` embedding the rows of `x` and d
    /// the `distance` of the two embeddings, m the `margin`.
    pub fn loss(&self, encoder: &Network, x: &Tensor, idx: &Tensor, distance: Distance, margin: f64) -> Tensor {
        let len = idx.size()[0];
        let (l, r) = (self.left.index_select(0, idx), self.right.index_select(0, idx));
        let t = self.same.index_select(0, idx);
        // Both sides in one forward pass.
        let both = Tensor::cat(&[x.index_select(0, &l), x.index_select(0, &r)], 0);
        let e = encoder.forward(&both);
        let d = distance.between(&e.narrow(0, 0, len), &e.narrow(0, len, len));
        let pull = &t * d.square();
        let push = ((-&t) + 1.0) * ((-&d) + margin).relu().square();
        (pull + push).mean(Kind::Float)
    }
}

/// `n_anchors` anchors, each from a class picked with equal probability; each gives a
/// same-class pair (label 1) and a different-class pair (label 0). Returns (left, right,
/// label) index lists. `positives`/`negatives` are the row indices of each class; both
/// must be non-empty.
pub(crate) fn balanced_pairs(
    positives: &[usize],
    negatives: &[usize],
    n_anchors: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> (Vec<i64>, Vec<i64>, Vec<f32>) {
    let mut left = Vec::with_capacity(2 * n_anchors);
    let mut right = Vec::with_capacity(2 * n_anchors);
    let mut label = Vec::with_capacity(2 * n_anchors);
    let pick = |rows: &[usize], rng: &mut Xoshiro256PlusPlus| rows[rng.random_range(0..rows.len())] as i64;
    for _ in 0..n_anchors {
        let (own, other) = if rng.random::<bool>() {
            (positives, negatives)
        } else {
            (negatives, positives)
        };
        let anchor = pick(own, rng);
        // A same-class partner other than the anchor when the class has one.
        let mut partner = pick(own, rng);
        if own.len() > 1 {
            while partner == anchor {
                partner = pick(own, rng);
            }
        }
        left.extend([anchor, anchor]);
        right.extend([partner, pick(other, rng)]);
        label.extend([1.0, 0.0]);
    }
    (left, right, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pairs_are_balanced_and_labelled_by_class() {
        let positives: Vec<usize> = (0..5).collect();
        let negatives: Vec<usize> = (5..500).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let (l, r, y) = balanced_pairs(&positives, &negatives, 4000, &mut rng);
        assert_eq!((l.len(), r.len(), y.len()), (8000, 8000, 8000));
        let is_pos = |i: i64| (i as usize) < 5;
        let mut positive_anchors = 0;
        for k in 0..8000 {
            assert_eq!(y[k] == 1.0, is_pos(l[k]) == is_pos(r[k]), "pair {k} label");
            if y[k] == 1.0 {
                assert_ne!(l[k], r[k], "a point is not paired with itself");
                positive_anchors += usize::from(is_pos(l[k]));
            }
        }
        assert!(
            (1800..2200).contains(&positive_anchors),
            "rare class anchors half the pairs: {positive_anchors}"
        );
    }
}
