//! The flat form of a plugin's configuration, for plugins written without a TOML parser
//! (C, C++, Fortran): one `key = value` per line, nothing else.
//!
//! - Keys are full paths: nested tables joined with `.`, array elements with `[i]`
//!   (0-based): `mass = 125.0`, `spheno.binary = "..."`, `radii[1] = 3.0`,
//!   `centres[0][2] = 5.0`, `terms[1].sigma = 0.5`. A key part that is not made of ASCII
//!   letters, digits, `_` and `-` is written as a JSON string (`"m h".x = 1`).
//! - Values: integers in decimal, floats in the shortest form that reads back to the same
//!   double with `strtod` (`1e-7`, `125.0`, `inf`, `-inf`, `nan`), `true`/`false`, and
//!   strings (and dates) as JSON strings: in double quotes, with `\"`, `\\`, `\n`, `\t`,
//!   `\r` and `\u00XX` for the other control characters; other UTF-8 as is.
//! - An empty array is written `key = []`, an empty table `key = {}`; otherwise containers
//!   have no line of their own.
//! - Lines are in the order of the keys (sorted by the keys as written in TOML, before any
//!   quoting), each ended by `\n`; there is one space
//!   on each side of `=`, and no comments or blank lines.

use std::fmt::Write;

/// The flat form of the TOML document `toml_text`.
pub fn flatten(toml_text: &str) -> Result<String, String> {
    let table: toml::Table = toml_text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = String::new();
    flatten_table(&table, "", &mut out);
    Ok(out)
}

fn key_part(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_string() } else { json_string(key) }
}

fn flatten_table(table: &toml::Table, prefix: &str, out: &mut String) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key_part(key)
        } else {
            format!("{prefix}.{}", key_part(key))
        };
        flatten_value(value, &path, out);
    }
}

fn flatten_value(value: &toml::Value, path: &str, out: &mut String) {
    use toml::Value;
    let scalar = match value {
        Value::Table(t) if t.is_empty() => "{}".to_string(),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        Value::Table(t) => return flatten_table(t, path, out),
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten_value(v, &format!("{path}[{i}]"), out);
            }
            return;
        }
        Value::String(s) => json_string(s),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => float(*f),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => json_string(&d.to_string()),
    };
    let _ = writeln!(out, "{path} = {scalar}");
}

/// Shortest round-trip form, always recognisable as a float.
fn float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{f:?}")
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_becomes_one_line_per_leaf() {
        let text = r#"
function = "shells"
dim = 3
cost_ms = 2.5
tiny = 1e-7
big = 1e300
ok = true
radii = [3.0, 3.0]
centres = [[-5.0, -5.0, 0.0], [5.0, 5.0, 0.0]]
empty = []
label = "say \"hi\"\n\tbye\\ ✓"
"odd key" = 1
when = 1979-05-27T07:32:00Z

[faults]
nan = 0.1
region = [[-40.0, 0.0]]

[[terms]]
output = "mh"
sigma = 0.5

[[terms]]
output = "mw"

[nothing]
"#;
        let flat = flatten(text).unwrap();
        let expected = r#"big = 1e300
centres[0][0] = -5.0
centres[0][1] = -5.0
centres[0][2] = 0.0
centres[1][0] = 5.0
centres[1][1] = 5.0
centres[1][2] = 0.0
cost_ms = 2.5
dim = 3
empty = []
faults.nan = 0.1
faults.region[0][0] = -40.0
faults.region[0][1] = 0.0
function = "shells"
label = "say \"hi\"\n\tbye\\ ✓"
nothing = {}
"odd key" = 1
ok = true
radii[0] = 3.0
radii[1] = 3.0
terms[0].output = "mh"
terms[0].sigma = 0.5
terms[1].output = "mw"
tiny = 1e-7
when = "1979-05-27T07:32:00Z"
"#;
        assert_eq!(flat, expected);
    }

    #[test]
    fn floats_read_back_exactly_and_strings_escape_control_characters() {
        for f in [0.1, 1.0 / 3.0, -2.5e-300, 6.02214076e23, 125.0] {
            assert_eq!(float(f).parse::<f64>().unwrap().to_bits(), f.to_bits());
        }
        assert_eq!(float(f64::NEG_INFINITY), "-inf");
        assert_eq!(json_string("a\u{1}b"), "\"a\\u0001b\"");
        assert_eq!(flatten("").unwrap(), "");
        assert!(flatten("dim = ").unwrap_err().contains("line 1"));
    }
}
