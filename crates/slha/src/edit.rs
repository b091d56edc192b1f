//! Editing a document in place: one token rewritten, every other byte kept.

use crate::parse::entry_of;
use crate::{Entry, Slha, SlhaError};

impl Slha {
    /// The entry [`Slha::set_value`] would edit: the one at `index` in the last block named
    /// `name` that holds that index. Like [`Slha::value`], a block whose header a lenient
    /// read found unreadable or repeated is an error naming that line.
    pub fn editable_entry(&self, name: &str, index: &[i64]) -> Result<&Entry, SlhaError> {
        let (b, e) = self.locate(name, index)?;
        Ok(&self.blocks[b].entries[e])
    }

    /// (block, entry) positions of [`Slha::editable_entry`].
    fn locate(&self, name: &str, index: &[i64]) -> Result<(usize, usize), SlhaError> {
        self.header_problem(name)?;
        self.blocks
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, b)| b.name.eq_ignore_ascii_case(name))
            .find_map(|(bi, b)| b.entries.iter().rposition(|e| e.index == index).map(|ei| (bi, ei)))
            .ok_or_else(|| {
                if self.block(name).is_some() {
                    SlhaError::NoEntry {
                        block: name.to_string(),
                        index: index.to_vec(),
                    }
                } else {
                    SlhaError::NoBlock(name.to_string())
                }
            })
    }

    /// Sets the number at `index` of block `name` (in the last block of that name holding
    /// the index), rewriting only that token: shortest exact spelling with a Fortran
    /// exponent, right-aligned in the old token's width where it fits.
    pub fn set_value(&mut self, name: &str, index: &[i64], x: f64) -> Result<(), SlhaError> {
        let (b, e) = self.locate(name, index)?;
        let entry = &self.blocks[b].entries[e];
        let (start, end) = entry.spans[entry.index.len()];
        let line = &self.lines[entry.line];
        let new = shortest_fortran(x);
        let old_width = end - start;
        let mut rebuilt = String::with_capacity(line.len() + new.len());
        rebuilt.push_str(&line[..start]);
        let rest = &line[end..];
        if new.len() <= old_width {
            rebuilt.push_str(&" ".repeat(old_width - new.len()));
            rebuilt.push_str(&new);
            rebuilt.push_str(rest);
        } else {
            // Borrow the spaces after the token, keeping one before whatever follows.
            let spaces = rest.len() - rest.trim_start_matches(' ').len();
            let follows = !rest.trim().is_empty();
            let borrow = (new.len() - old_width).min(spaces.saturating_sub(usize::from(follows)));
            rebuilt.push_str(&new);
            rebuilt.push_str(&rest[borrow..]);
        }
        let line_no = entry.line;
        self.blocks[b].entries[e] = entry_of(line_no, &rebuilt);
        self.lines[line_no] = rebuilt;
        Ok(())
    }
}

/// The shortest spelling of `x` that reads back exactly, with a Fortran-style exponent
/// (`1.25E+02`), which every Fortran and C reader accepts.
fn shortest_fortran(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let s = format!("{x:E}");
    let (m, e) = s.split_once('E').expect("`{:E}` writes an exponent");
    let m = if m.contains('.') {
        m.to_string()
    } else {
        format!("{m}.0")
    };
    let (sign, mag) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
    format!("{m}E{sign}{mag:0>2}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_real;

    #[test]
    fn shortest_spelling_reads_back() {
        for x in [125.0, -0.1, 1e-100, 6.02214076e23, 0.0, 1.0 / 3.0] {
            let s = shortest_fortran(x);
            assert_eq!(parse_real(&s), Some(x), "{s}");
        }
        assert_eq!(shortest_fortran(125.0), "1.25E+02");
        assert_eq!(shortest_fortran(-1.0), "-1.0E+00");
    }
}
