//! Reading a document: lines into sections, sections into blocks, entries and decay
//! channels, with pyslha's reading of entries.

use std::collections::HashMap;

use crate::{Block, Channel, Decay, Entry, Slha, SlhaError, Value, parse_real};

/// A line [`Slha::parse_lenient`] could not read: a data line it left out, or a block or
/// decay table header that is unreadable or repeats an earlier one (its section is kept;
/// see [`Slha::parse_lenient`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
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
pub(crate) fn entry_of(line_no: usize, line: &str) -> Entry {
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
    let Some(value) = value.split_whitespace().next() else {
        return Err("Q= has no value".into());
    };
    parse_real(value)
        .map(Some)
        .ok_or_else(|| format!("the scale {value:?} is not a number"))
}

impl Slha {
    /// Parses a document; the first line that cannot be read is an error naming it.
    ///
    /// Besides malformed lines, these are errors: `Q=` without a value; a block given
    /// twice (names compare in any case) unless both copies give different `Q=` scales;
    /// a `DECAY` table given twice for one particle.
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

    /// Parses a document, listing in [`Slha::problems`] the lines it cannot read — real
    /// generator output sometimes holds stray text.
    ///
    /// Data lines that cannot be read are left out. A block header that cannot be read
    /// (`BLOCK X Q=` without a value) or that repeats a block without a different scale
    /// keeps its block, so [`Slha::blocks_named`] and [`Block::has_flag`] still see every
    /// line, but [`Slha::value`] and [`Slha::set_value`] refuse every block of that name
    /// with the problem as the error: which copy holds the value is unknown. A repeated
    /// `DECAY` table is kept too; [`Slha::decay`] gives the last.
    pub fn parse_lenient(text: &str) -> Slha {
        let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let mut reader = Reader {
            blocks: Vec::new(),
            decays: Vec::new(),
            problems: Vec::new(),
            section: Section::None,
            seen_blocks: HashMap::new(),
            seen_decays: HashMap::new(),
        };
        for (i, line) in lines.iter().enumerate() {
            reader.read_line(i, line);
        }
        Slha {
            lines,
            blocks: reader.blocks,
            decays: reader.decays,
            problems: reader.problems,
        }
    }
}

/// What the lines read so far hold, and the section the next data line belongs to.
struct Reader {
    blocks: Vec<Block>,
    decays: Vec<Decay>,
    problems: Vec<Problem>,
    section: Section,
    /// Sound block headers by upper-case name, so that spotting a repeat does not cost a
    /// pass over every earlier block (a hostile file can hold many thousands).
    seen_blocks: HashMap<String, SeenBlock>,
    /// Line (0-based) of the first table of each particle.
    seen_decays: HashMap<i64, usize>,
}

/// Indices in `Reader::blocks` of the sound copies of one block name.
struct SeenBlock {
    /// The first copy, whatever its scale.
    first: usize,
    /// The copy without a scale (at most one is sound).
    unscaled: Option<usize>,
    /// The copy at each scale (see [`scale_key`]).
    scaled: HashMap<u64, usize>,
}

/// A scale as a map key: equal scales give equal keys (`-0.0` as `0.0`, every NaN alike).
fn scale_key(q: f64) -> u64 {
    if q.is_nan() {
        f64::NAN.to_bits()
    } else {
        (q + 0.0).to_bits()
    }
}

impl Reader {
    /// Line `i` (0-based): a header opens a section, anything else is data of the open one.
    fn read_line(&mut self, i: usize, line: &str) {
        let (content, comment) = split_comment(line);
        if content.trim().is_empty() {
            return;
        }
        let indented = content.starts_with(char::is_whitespace);
        let first = content.split_whitespace().next().unwrap_or("");
        if !indented && first.eq_ignore_ascii_case("block") {
            self.section = self.open_block(i, content, first);
        } else if !indented && first.eq_ignore_ascii_case("decay") {
            self.section = self.open_decay(i, content);
        } else if !indented && parse_real(first).is_none() {
            // XSECTION and unknown section types: skipped up to the next header.
            self.section = Section::Other;
        } else {
            self.read_data(i, line, content, comment);
        }
    }

    fn problem(&mut self, i: usize, message: String) {
        self.problems.push(Problem { line: i + 1, message });
    }

    /// `BLOCK name [Q= scale]`; `first` is the `BLOCK` token as written.
    ///
    /// A header that cannot be read, or that repeats a block without a different scale,
    /// is a problem, but its block is still kept (without a scale if that was unreadable):
    /// leaving it out could hide a flag such as `SPINFO 4` from [`Block::has_flag`], and
    /// [`Slha::value`] refuses to read any block of that name anyway.
    fn open_block(&mut self, i: usize, content: &str, first: &str) -> Section {
        let after = content.trim_start()[first.len()..].trim_start();
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        if name.is_empty() {
            self.problem(i, "BLOCK without a name".into());
            return Section::Other;
        }
        let (scale, message) = match scale_of(&after[name_len..]) {
            Ok(scale) => (scale, self.repeated_block(name, scale)),
            Err(m) => (None, Some(format!("block {name}: {m}"))),
        };
        let problem = message.map(|m| {
            self.problem(i, m);
            self.problems.len() - 1
        });
        if problem.is_none() {
            let b = self.blocks.len();
            let seen = self
                .seen_blocks
                .entry(name.to_ascii_uppercase())
                .or_insert_with(|| SeenBlock {
                    first: b,
                    unscaled: None,
                    scaled: HashMap::new(),
                });
            match scale {
                None => seen.unscaled = Some(b),
                Some(q) => {
                    seen.scaled.insert(scale_key(q), b);
                }
            }
        }
        self.blocks.push(Block {
            name: name.to_string(),
            scale,
            line: i,
            entries: Vec::new(),
            problem,
        });
        Section::Block(self.blocks.len() - 1)
    }

    /// Why a block `name` at `scale` may not follow the blocks read so far, if it may not:
    /// the same block may appear again only when both copies give different `Q=` scales
    /// (running parameters at the GUT and the SUSY scale); otherwise nothing says which
    /// copy holds the value.
    fn repeated_block(&self, name: &str, scale: Option<f64>) -> Option<String> {
        let seen = self.seen_blocks.get(&name.to_ascii_uppercase())?;
        let earlier = match scale {
            None => Some(seen.first),
            Some(q) => match (seen.unscaled, seen.scaled.get(&scale_key(q))) {
                (Some(a), Some(&b)) => Some(a.min(b)),
                (a, b) => a.or(b.copied()),
            },
        }?;
        let earlier = &self.blocks[earlier];
        let first = earlier.line + 1;
        Some(match (scale, earlier.scale) {
            (Some(q), Some(_)) => {
                format!("block {name} given again (first at line {first}) at the same scale Q= {q:E}")
            }
            _ => format!(
                "block {name} given again (first at line {first}); a block may repeat only when each copy gives a different Q= scale"
            ),
        })
    }

    /// `DECAY pdg width`.
    fn open_decay(&mut self, i: usize, content: &str) -> Section {
        let t: Vec<&str> = content.split_whitespace().collect();
        let pdg = t.get(1).and_then(|s| s.parse::<i64>().ok());
        let width = t.get(2).and_then(|s| parse_real(s));
        match (pdg, width) {
            (Some(pdg), Some(width)) => {
                // Kept, like a repeated block, so that a leniently read document still
                // shows every table; `Slha::parse` refuses the file.
                match self.seen_decays.get(&pdg) {
                    Some(&first) => {
                        let message = format!("DECAY {pdg} given again (first at line {})", first + 1);
                        self.problem(i, message);
                    }
                    None => {
                        self.seen_decays.insert(pdg, i);
                    }
                }
                self.decays.push(Decay {
                    pdg,
                    width,
                    line: i,
                    channels: Vec::new(),
                });
                Section::Decay(self.decays.len() - 1)
            }
            _ => {
                self.problem(i, format!("expected `DECAY pdg width`, found {:?}", content.trim()));
                Section::Other
            }
        }
    }

    /// A line that is not a header: an entry of the open block or a channel of the open
    /// decay table.
    fn read_data(&mut self, i: usize, line: &str, content: &str, comment: Option<String>) {
        match self.section {
            Section::Block(b) => {
                let entry = entry_of(i, line);
                self.blocks[b].entries.push(entry);
            }
            Section::Decay(d) => self.read_channel(i, d, content, comment),
            Section::Other => {}
            Section::None => self.problem(i, format!("data outside any block: {:?}", content.trim())),
        }
    }

    /// `BR NDA ID1 … IDn` in decay table `d`.
    fn read_channel(&mut self, i: usize, d: usize, content: &str, comment: Option<String>) {
        let t: Vec<&str> = content.split_whitespace().collect();
        let br = parse_real(t[0]);
        let nda = t.get(1).and_then(|s| s.parse::<usize>().ok());
        let ids: Option<Vec<i64>> = t.get(2..).and_then(|r| r.iter().map(|s| s.parse().ok()).collect());
        match (br, nda, ids) {
            (Some(br), Some(nda), Some(ids)) if ids.len() == nda => {
                self.decays[d].channels.push(Channel {
                    branching_ratio: br,
                    ids,
                    comment,
                });
            }
            _ => {
                let message = format!(
                    "expected `BR NDA ID1 … IDn` in the decay table of {}, found {:?}",
                    self.decays[d].pdg,
                    content.trim()
                );
                self.problem(i, message);
            }
        }
    }
}
