//! Read and edit SUSY Les Houches Accord files (SLHA1 and SLHA2).
//!
//! ```
//! let text = "\
//! Block MASS   # Mass spectrum
//!        25     1.26726537E+02   # h0
//!   1000022     4.97811425E+02   # ~chi_10
//! Block gauge Q=  2.00000000E+03  # (SUSY scale)
//!    1    3.63773060E-01  # g'(Q)^DRbar
//! DECAY   1000022     0.00000000E+00   # ~chi_10
//! ";
//! let mut doc = slha::Slha::parse(text).unwrap();
//! assert_eq!(doc.value("MASS", &[25]).unwrap(), 126.726537);
//! assert_eq!(doc.block("Gauge").unwrap().scale(), Some(2000.0));
//! assert_eq!(doc.decay(1000022).unwrap().width(), 0.0);
//!
//! // Editing one entry leaves every other byte as it was.
//! doc.set_value("mass", &[25], 125.0).unwrap();
//! assert_eq!(doc.value("MASS", &[25]).unwrap(), 125.0);
//! assert_eq!(doc.to_string(), text.replace("1.26726537E+02", "      1.25E+02"));
//! ```
//!
//! The reader follows pyslha's interpretation of entries (leading integers are the index,
//! the rest is the value) and agrees with pyslha 3.3.2 on real SPheno, NMSSMTools and
//! 2HDMC output; it also reads what pyslha refuses: flag lines without a value
//! (`SPINFO 4`), `NaN` widths, Fortran `D` exponents and stray text inside decay tables
//! (reported as [`Problem`]s by [`Slha::parse_lenient`]).

mod number;

use std::fmt;

pub use number::{Value, format_fortran, parse_real};

/// What can go wrong reading or editing a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlhaError {
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("no block {0}")]
    NoBlock(String),
    #[error("block {block} has no entry {index:?}")]
    NoEntry { block: String, index: Vec<i64> },
    #[error("block {block} entry {index:?} is not a number: {text:?}")]
    NotANumber {
        block: String,
        index: Vec<i64>,
        text: String,
    },
}

/// A line [`Slha::parse_lenient`] could not make sense of and left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

/// One data line of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    line: usize,
    index: Vec<i64>,
    values: Vec<Value>,
    /// Byte range of each token (index tokens first) within the line.
    spans: Vec<(usize, usize)>,
    comment: Option<String>,
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
    name: String,
    scale: Option<f64>,
    line: usize,
    entries: Vec<Entry>,
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
    pdg: i64,
    width: f64,
    line: usize,
    channels: Vec<Channel>,
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
    lines: Vec<String>,
    blocks: Vec<Block>,
    decays: Vec<Decay>,
    problems: Vec<Problem>,
}

enum Section {
    None,
    Block(usize),
    Decay(usize),
    /// XSECTION or a section type this reader does not interpret: skipped.
    Other,
}

/// Tokens of the part before `#`, with their byte ranges.
fn tokens(content: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in content.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, content.len()));
    }
    out
}

fn split_comment(line: &str) -> (&str, Option<String>) {
    let body = line.trim_end_matches(['\n', '\r']);
    match body.find('#') {
        Some(i) => (&body[..i], Some(body[i + 1..].trim().to_string())),
        None => (body, None),
    }
}

/// Index and values of an entry line, pyslha's way: leading integers other than the last
/// token are the index.
fn entry_of(line_no: usize, line: &str) -> Entry {
    let (content, comment) = split_comment(line);
    let spans = tokens(content);
    let typed: Vec<Value> = spans.iter().map(|&(a, b)| Value::parse(&content[a..b])).collect();
    let n_index = typed[..typed.len() - 1]
        .iter()
        .take_while(|v| matches!(v, Value::Int(_)))
        .count();
    Entry {
        line: line_no,
        index: typed[..n_index].iter().filter_map(Value::as_i64).collect(),
        values: typed[n_index..].to_vec(),
        spans,
        comment,
    }
}

/// `Q= 2.0E+03`, `Q=2e3`, `q = 2` after the block name.
fn scale_of(rest: &str) -> Result<Option<f64>, String> {
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(None);
    }
    let Some(after) = rest.strip_prefix(['Q', 'q']) else {
        return Err(format!("unexpected {rest:?} after the block name"));
    };
    let Some(value) = after.trim_start().strip_prefix('=') else {
        return Err(format!("expected `Q= scale`, found {rest:?}"));
    };
    let value = value.split_whitespace().next().unwrap_or("");
    parse_real(value)
        .map(Some)
        .ok_or_else(|| format!("the scale {value:?} is not a number"))
}

impl Slha {
    /// Parses a document; the first line that cannot be read is an error naming it.
    pub fn parse(text: &str) -> Result<Slha, SlhaError> {
        let doc = Slha::parse_lenient(text);
        match doc.problems.first() {
            Some(p) => Err(SlhaError::Parse {
                line: p.line,
                message: p.message.clone(),
            }),
            None => Ok(doc),
        }
    }

    /// Parses a document, leaving out (and listing in [`Slha::problems`]) the lines it
    /// cannot read — real generator output sometimes holds stray text.
    pub fn parse_lenient(text: &str) -> Slha {
        let mut doc = Slha {
            lines: text.split_inclusive('\n').map(str::to_string).collect(),
            blocks: Vec::new(),
            decays: Vec::new(),
            problems: Vec::new(),
        };
        let mut section = Section::None;
        for i in 0..doc.lines.len() {
            let line = &doc.lines[i];
            let (content, comment) = split_comment(line);
            if content.trim().is_empty() {
                continue;
            }
            let problem = |message: String| Problem { line: i + 1, message };
            let indented = content.starts_with(char::is_whitespace);
            let first = content.split_whitespace().next().unwrap_or("");
            if !indented && first.eq_ignore_ascii_case("block") {
                let after = content.trim_start()[first.len()..].trim_start();
                let name_len = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let name = &after[..name_len];
                if name.is_empty() {
                    doc.problems.push(problem("BLOCK without a name".into()));
                    section = Section::Other;
                    continue;
                }
                match scale_of(&after[name_len..]) {
                    Ok(scale) => {
                        doc.blocks.push(Block {
                            name: name.to_string(),
                            scale,
                            line: i,
                            entries: Vec::new(),
                        });
                        section = Section::Block(doc.blocks.len() - 1);
                    }
                    Err(m) => {
                        doc.problems.push(problem(format!("block {name}: {m}")));
                        section = Section::Other;
                    }
                }
            } else if !indented && first.eq_ignore_ascii_case("decay") {
                let t: Vec<&str> = content.split_whitespace().collect();
                let pdg = t.get(1).and_then(|s| s.parse::<i64>().ok());
                let width = t.get(2).and_then(|s| parse_real(s));
                match (pdg, width) {
                    (Some(pdg), Some(width)) => {
                        doc.decays.push(Decay {
                            pdg,
                            width,
                            line: i,
                            channels: Vec::new(),
                        });
                        section = Section::Decay(doc.decays.len() - 1);
                    }
                    _ => {
                        doc.problems.push(problem(format!(
                            "expected `DECAY pdg width`, found {:?}",
                            content.trim()
                        )));
                        section = Section::Other;
                    }
                }
            } else if !indented && parse_real(first).is_none() {
                // XSECTION and unknown section types: skipped up to the next header.
                section = Section::Other;
            } else {
                match section {
                    Section::Block(b) => {
                        let entry = entry_of(i, line);
                        doc.blocks[b].entries.push(entry);
                    }
                    Section::Decay(d) => {
                        let t: Vec<&str> = content.split_whitespace().collect();
                        let br = parse_real(t[0]);
                        let nda = t.get(1).and_then(|s| s.parse::<usize>().ok());
                        let ids: Option<Vec<i64>> = t.get(2..).and_then(|r| r.iter().map(|s| s.parse().ok()).collect());
                        match (br, nda, ids) {
                            (Some(br), Some(nda), Some(ids)) if ids.len() == nda => {
                                doc.decays[d].channels.push(Channel {
                                    branching_ratio: br,
                                    ids,
                                    comment,
                                });
                            }
                            _ => doc.problems.push(problem(format!(
                                "expected `BR NDA ID1 … IDn` in the decay table of {}, found {:?}",
                                doc.decays[d].pdg,
                                content.trim()
                            ))),
                        }
                    }
                    Section::Other => {}
                    Section::None => doc
                        .problems
                        .push(problem(format!("data outside any block: {:?}", content.trim()))),
                }
            }
        }
        doc
    }

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
    /// as pyslha does.
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().rev().find(|b| b.name.eq_ignore_ascii_case(name))
    }

    /// The number at `index` of block `name`.
    pub fn value(&self, name: &str, index: &[i64]) -> Result<f64, SlhaError> {
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

    /// The decay table of this particle (the last, should it repeat).
    pub fn decay(&self, pdg: i64) -> Option<&Decay> {
        self.decays.iter().rev().find(|d| d.pdg == pdg)
    }

    /// The entry [`Slha::set_value`] would edit: the one at `index` in the last block named
    /// `name` that holds that index.
    pub fn editable_entry(&self, name: &str, index: &[i64]) -> Result<&Entry, SlhaError> {
        let (b, e) = self.locate(name, index)?;
        Ok(&self.blocks[b].entries[e])
    }

    /// (block, entry) positions of [`Slha::editable_entry`].
    fn locate(&self, name: &str, index: &[i64]) -> Result<(usize, usize), SlhaError> {
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

impl fmt::Display for Slha {
    /// The document's text, edits included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            f.write_str(l)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

/// The README's example, compiled and run as a doctest so it cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
