//! Points numbered in the order they come, sorted into grid cells of a fixed side over their
//! first few coordinates, to find the points near a place without looking at the others.
//! A point closer than the side to a place lies in the place's cell or a neighbouring one.

use std::collections::HashMap;

use ndarray::ArrayView1;

/// Coordinates a cell is indexed by: a neighbourhood is 3^4 = 81 cells at most; in more
/// dimensions the cells are slabs, and the caller's exact distance decides.
const AXES: usize = 4;

type Cell = [i64; AXES];

/// A grid of cells of side `side`, each holding the numbers of the points in it.
#[derive(Debug, Clone)]
pub(crate) struct CellGrid {
    side: f64,
    cells: HashMap<Cell, Vec<usize>>,
}

impl CellGrid {
    pub(crate) fn new(side: f64) -> Self {
        CellGrid {
            side,
            cells: HashMap::new(),
        }
    }

    fn cell(&self, point: ArrayView1<f64>) -> Cell {
        let mut c = [0; AXES];
        for (slot, v) in c.iter_mut().zip(point.iter()) {
            *slot = (v / self.side).floor() as i64;
        }
        c
    }

    /// Record point number `id` at `point`; numbers must come in increasing order.
    pub(crate) fn insert(&mut self, id: usize, point: ArrayView1<f64>) {
        let c = self.cell(point);
        self.cells.entry(c).or_default().push(id);
    }

    /// Call `visit` with the number of every point from `since` on in the cell of `point`
    /// and the cells around it.
    pub(crate) fn near(&self, point: ArrayView1<f64>, since: usize, mut visit: impl FnMut(usize)) {
        let centre = self.cell(point);
        let axes = point.len().min(AXES);
        for offset in 0..3usize.pow(axes as u32) {
            let mut c = centre;
            let mut rest = offset;
            for slot in c.iter_mut().take(axes) {
                *slot += (rest % 3) as i64 - 1;
                rest /= 3;
            }
            if let Some(ids) = self.cells.get(&c) {
                let from = ids.partition_point(|&id| id < since);
                ids[from..].iter().for_each(|&id| visit(id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn every_point_closer_than_the_side_is_visited() {
        let points = array![
            [0.10, 0.10, 0.5, 0.5, 0.9],
            [0.14, 0.12, 0.5, 0.5, 0.1],
            [0.35, 0.10, 0.5, 0.5, 0.5],
            [0.11, 0.19, 0.52, 0.48, 0.5]
        ];
        let mut grid = CellGrid::new(0.1);
        for (id, p) in points.rows().into_iter().enumerate() {
            grid.insert(id, p);
        }
        let mut seen = Vec::new();
        grid.near(array![0.12, 0.11, 0.5, 0.5, 0.5].view(), 0, |id| seen.push(id));
        seen.sort_unstable();
        // Points 0, 1 and 3 are within 0.1 of the place in the first four coordinates; point
        // 2 is two cells away.
        assert_eq!(seen, vec![0, 1, 3]);
        let mut later = Vec::new();
        grid.near(array![0.12, 0.11, 0.5, 0.5, 0.5].view(), 2, |id| later.push(id));
        assert_eq!(later, vec![3]);
    }
}
