//! Balanced pair sampling.

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

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
