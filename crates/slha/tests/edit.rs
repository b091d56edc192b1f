//! Editing an input template: the entries set read back exactly, every other byte stays.

use proptest::prelude::*;
use slha::{Slha, SlhaError};

const TEMPLATE: &str = include_str!("fixtures/LesHouches_pmssm_base.in");

#[test]
fn setting_entries_changes_only_their_tokens() {
    let mut doc = Slha::parse(TEMPLATE).unwrap();
    let points = [(1, 123.456), (2, -987.0), (23, 1.0e-7), (25, 42.0)];
    for (index, x) in points {
        doc.set_value("EXTPAR", &[index], x).unwrap();
    }
    let text = doc.to_string();
    let reread = Slha::parse(&text).unwrap();
    for (index, x) in points {
        assert_eq!(reread.value("extpar", &[index]).unwrap(), x);
    }
    let (old, new): (Vec<&str>, Vec<&str>) = (TEMPLATE.lines().collect(), text.lines().collect());
    assert_eq!(old.len(), new.len());
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    assert_eq!(changed.len(), 4, "{changed:?}");
    for &i in &changed {
        // The comment stays where it was.
        assert_eq!(old[i].find('#'), new[i].find('#'), "{:?} -> {:?}", old[i], new[i]);
    }
    assert_eq!(TEMPLATE.len(), text.len());
}

#[test]
fn a_longer_number_borrows_spaces_and_keeps_the_comment() {
    let mut doc = Slha::parse("Block X\n   1   2.0E+00 # c\n   2   5\n").unwrap();
    doc.set_value("X", &[1], 0.123456789012345).unwrap();
    doc.set_value("X", &[2], 3.0).unwrap();
    assert_eq!(
        doc.to_string(),
        "Block X\n   1   1.23456789012345E-01 # c\n   2   3.0E+00\n"
    );
}

#[test]
fn missing_blocks_and_entries_are_named() {
    let mut doc = Slha::parse(TEMPLATE).unwrap();
    assert_eq!(doc.set_value("NOPE", &[1], 1.0), Err(SlhaError::NoBlock("NOPE".into())));
    let err = doc.set_value("EXTPAR", &[99], 1.0).unwrap_err();
    assert_eq!(err.to_string(), "block EXTPAR has no entry [99]");
    assert_eq!(doc.to_string(), TEMPLATE);
}

#[test]
fn parse_errors_name_the_line() {
    let err = Slha::parse("Block A\n 1 2\nDECAY 25 abc\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: expected `DECAY pdg width`, found \"DECAY 25 abc\""
    );
    let err = Slha::parse("# header\n 1 2\n").unwrap_err();
    assert!(err.to_string().starts_with("line 2: data outside any block"), "{err}");
    let err = Slha::parse("Block A Q= low\n").unwrap_err();
    assert!(err.to_string().starts_with("line 1: block A: the scale"), "{err}");
    let err = Slha::parse("DECAY 6 1.3\n 0.5 3 5 24\n").unwrap_err();
    assert!(err.to_string().starts_with("line 2: expected `BR NDA"), "{err}");
}

#[test]
fn crlf_files_keep_their_line_ends() {
    let text = TEMPLATE.replace('\n', "\r\n");
    let mut doc = Slha::parse(&text).unwrap();
    doc.set_value("EXTPAR", &[25], 5.0).unwrap();
    let out = doc.to_string();
    assert_eq!(out.matches("\r\n").count(), text.matches("\r\n").count());
    assert_eq!(Slha::parse(&out).unwrap().value("EXTPAR", &[25]).unwrap(), 5.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn any_number_set_reads_back_exactly(x in prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
                                         index in prop::sample::select(vec![0i64, 1, 2, 3, 11, 23, 25, 49])) {
        let mut doc = Slha::parse(TEMPLATE).unwrap();
        doc.set_value("EXTPAR", &[index], x).unwrap();
        let reread = Slha::parse(&doc.to_string()).unwrap();
        prop_assert_eq!(reread.value("EXTPAR", &[index]).unwrap(), x);
    }

    /// The reader never panics, whatever the bytes: random text, and the template with
    /// random damage.
    #[test]
    fn never_panics_on_garbage(text in "(?s).{0,400}") {
        let doc = Slha::parse_lenient(&text);
        let _ = doc.to_string();
        let _ = Slha::parse(&text);
    }

    #[test]
    fn never_panics_on_a_damaged_template(cut in 0usize..2000, insert in "[ #A-Za-z0-9.+\\-=\\n]{0,20}") {
        let mut s: Vec<char> = TEMPLATE.chars().collect();
        let at = cut.min(s.len());
        s.splice(at..at, insert.chars());
        let text: String = s.into_iter().collect();
        let mut doc = Slha::parse_lenient(&text);
        if doc.block("EXTPAR").is_some_and(|b| b.get(&[1]).is_some()) {
            let _ = doc.set_value("EXTPAR", &[1], 1.5);
        }
        prop_assert!(doc.to_string().len() + 64 > text.len());
    }
}
