//! The document model: blocks of entries and decay tables, with the text they came from,
//! and the queries on them.

use std::fmt;

use crate::{Problem, SlhaError, Value};

/// One data line of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub(crate) line: usize,
    pub(crate) index: Vec<i64>,
    pub(crate) values: Vec<Value>,
    /// Byte range of each token (index tokens first) within the line.
    pub(crate) spans: Vec<(usize, usize)>,
    pub(crate) comment: Option<String>,
}

impl Entry {
    /// The leading integers (all but the last token at most): `[25]` in `25 1.25E+02`,
    /// `[1, 2]` in a matrix line, empty for a bare value or a text-first line.
    pub fn index(&self) -> &[i64] {
        &self.index
    }

    /// The tokens after the index.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The first token after the index.
    pub fn value(&self) -> &Value {
        &self.values[0]
    }

    /// The comment after `#`, trimmed.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// 1-based line number.
    pub fn line(&self) -> usize {
        self.line + 1
    }
}

/// A `BLOCK name [Q= scale]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub(crate) name: String,
    pub(crate) scale: Option<f64>,
    pub(crate) line: usize,
    pub(crate) entries: Vec<Entry>,
    /// Index in [`Slha::problems`] of what is wrong with the header (unreadable, or a
    /// repeat): a leniently read document keeps such blocks but will not read values
    /// from any block of their name.
    pub(crate) problem: Option<usize>,
}

impl Block {
    /// The name as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `Q=` scale, if given.
    pub fn scale(&self) -> Option<f64> {
        self.scale
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this index (the last one, should it repeat).
    pub fn get(&self, index: &[i64]) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.index == index)
    }

    /// The number at this index.
    pub fn value(&self, index: &[i64]) -> Option<f64> {
        self.get(index).and_then(|e| e.value().as_f64())
    }

    /// Whether a line of the block starts with this integer: flag lines such as SPheno's
    /// `SPINFO 4` (failure) carry no value, so they have no index in pyslha's sense.
    pub fn has_flag(&self, flag: i64) -> bool {
        self.entries
            .iter()
            .any(|e| e.index.first().or(e.values.first().and_then(|v| v.as_i64()).as_ref()) == Some(&flag))
    }

    /// 1-based line number of the header.
    pub fn line(&self) -> usize {
        self.line + 1
    }
}

/// One decay channel: `BR NDA ID1 … IDn`.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub branching_ratio: f64,
    pub ids: Vec<i64>,
    pub comment: Option<String>,
}

/// A `DECAY pdg width` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Decay {
    pub(crate) pdg: i64,
    pub(crate) width: f64,
    pub(crate) line: usize,
    pub(crate) channels: Vec<Channel>,
}

impl Decay {
    pub fn pdg(&self) -> i64 {
        self.pdg
    }

    /// Total width (NaN when the writer printed one).
    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The branching ratio into these products, in any order (0 if absent).
    pub fn branching_ratio(&self, ids: &[i64]) -> f64 {
        let mut want = ids.to_vec();
        want.sort_unstable();
        self.channels
            .iter()
            .filter(|c| {
                let mut have = c.ids.clone();
                have.sort_unstable();
                have == want
            })
            .map(|c| c.branching_ratio)
            .sum()
    }

    /// 1-based line number of the header.
    pub fn line(&self) -> usize {
        self.line + 1
    }
}

/// A parsed SLHA document that remembers its text, so edits keep everything else.
#[derive(Debug, Clone, PartialEq)]
pub struct Slha {
    pub(crate) lines: Vec<String>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) decays: Vec<Decay>,
    pub(crate) problems: Vec<Problem>,
}

impl Slha {
    /// Lines left out by [`Slha::parse_lenient`].
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Every block, in file order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The blocks with this name (any case), in file order: a spectrum can hold the same
    /// block at several scales.
    pub fn blocks_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.name.eq_ignore_ascii_case(name))
    }

    /// The block with this name (any case); the last one when it appears at several scales,
    /// as pyslha does (use [`Slha::blocks_named`] and [`Block::scale`] for another).
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().rev().find(|b| b.name.eq_ignore_ascii_case(name))
    }

    /// The problem with a header of block `name`, as an error, if a leniently read
    /// document has one: values of such a block may come from the wrong copy, or from a
    /// block at an unknown scale.
    pub(crate) fn header_problem(&self, name: &str) -> Result<(), SlhaError> {
        match self.blocks_named(name).find_map(|b| b.problem) {
            Some(p) => Err(SlhaError::Parse {
                line: self.problems[p].line,
                message: self.problems[p].message.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The number at `index` of block `name` (the last block of that name, as
    /// [`Slha::block`]). In a document read by [`Slha::parse_lenient`], a block whose
    /// header was unreadable or repeated is an error naming that line.
    pub fn value(&self, name: &str, index: &[i64]) -> Result<f64, SlhaError> {
        self.header_problem(name)?;
        let block = self.block(name).ok_or_else(|| SlhaError::NoBlock(name.to_string()))?;
        let entry = block.get(index).ok_or_else(|| SlhaError::NoEntry {
            block: name.to_string(),
            index: index.to_vec(),
        })?;
        entry.value().as_f64().ok_or_else(|| SlhaError::NotANumber {
            block: name.to_string(),
            index: index.to_vec(),
            text: format!("{:?}", entry.value()),
        })
    }

    /// Every decay table, in file order.
    pub fn decays(&self) -> &[Decay] {
        &self.decays
    }

    /// The decay table of this particle ([`Slha::parse`] refuses a repeated one; the last
    /// in a leniently read document).
    pub fn decay(&self, pdg: i64) -> Option<&Decay> {
        self.decays.iter().rev().find(|d| d.pdg == pdg)
    }
}

impl fmt::Display for Slha {
    /// The document's text, edits included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            f.write_str(l)?;
        }
        Ok(())
    }
}
