//! The rules for blocks given more than once and for `Q=` scales: a file that does not say
//! which copy holds a value is refused by `parse`, and read by `parse_lenient` without
//! letting `value` pick a copy.

use slha::{Slha, SlhaError};

fn parse_error(text: &str) -> (usize, String) {
    match Slha::parse(text).unwrap_err() {
        SlhaError::Parse { line, message } => (line, message),
        other => panic!("not a parse error: {other:?}"),
    }
}

#[test]
fn a_block_repeated_at_the_same_or_no_scale_is_an_error_naming_both_lines() {
    let (line, message) =
        parse_error("Block MASS\n   25   1.25E+02\nBlock SPINFO\n   1   SPheno\nblock mass\n   25   1.30E+02\n");
    assert_eq!(line, 5);
    assert!(
        message.starts_with("block mass given again (first at line 1)"),
        "{message}"
    );

    let (line, message) = parse_error("Block gauge Q= 1.0E+03\n 1 0.36\nBlock gauge Q= 1000\n 1 0.37\n");
    assert_eq!(line, 3);
    assert_eq!(
        message,
        "block gauge given again (first at line 1) at the same scale Q= 1E3"
    );

    // A copy without a scale is as ambiguous as two at the same scale, in either order.
    for text in [
        "Block X Q= 10\n 1 1\nBlock X\n 1 2\n",
        "Block X\n 1 1\nBlock X Q= 10\n 1 2\n",
    ] {
        let (line, message) = parse_error(text);
        assert_eq!(line, 3, "{text:?}");
        assert!(message.contains("(first at line 1)"), "{message}");
        assert!(message.contains("different Q= scale"), "{message}");
    }
}

#[test]
fn blocks_at_different_scales_are_kept_and_value_reads_the_last() {
    let doc =
        Slha::parse("Block gauge Q= 2.0E+16\n 1 0.70\nBlock MASS\n 25 125\nBlock gauge Q= 1.0E+03\n 1 0.36\n").unwrap();
    let scales: Vec<Option<f64>> = doc.blocks_named("GAUGE").map(|b| b.scale()).collect();
    assert_eq!(scales, [Some(2.0e16), Some(1.0e3)]);
    assert_eq!(doc.value("gauge", &[1]).unwrap(), 0.36);
    assert_eq!(doc.block("gauge").unwrap().line(), 5);
}

#[test]
fn a_scale_without_a_value_is_an_error_naming_the_line() {
    for header in ["Block X Q=", "Block X Q=   ", "Block X q = # no scale written"] {
        let text = format!("Block A\n 1 1\n{header}\n 1 2\n");
        assert_eq!(
            Slha::parse(&text).unwrap_err().to_string(),
            "line 3: block X: Q= has no value",
            "{header:?}"
        );
    }
}

#[test]
fn lenient_reading_keeps_ambiguous_blocks_but_refuses_their_values() {
    let text = "\
Block SPINFO
    1   SPheno
Block MASS
   25   1.25E+02
Block SPINFO
    4   tachyonic stop
Block HMIX Q=
    1   5.0E+02
Block EXTPAR
    1   1.0E+02
";
    let mut doc = Slha::parse_lenient(text);
    let problems: Vec<(usize, &str)> = doc.problems().iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, 5);
    assert!(problems[0].1.starts_with("block SPINFO given again (first at line 1)"));
    assert_eq!(problems[1], (7, "block HMIX: Q= has no value"));

    // Every copy is kept, so a failure flag in either is seen ...
    assert_eq!(doc.blocks_named("spinfo").count(), 2);
    assert!(doc.blocks_named("SPINFO").any(|b| b.has_flag(4)));
    assert_eq!(doc.block("HMIX").unwrap().scale(), None);
    // ... but no value is read from a block whose copies disagree or whose scale is unknown.
    let err = doc.value("spinfo", &[1]).unwrap_err();
    assert_eq!(
        err,
        SlhaError::Parse {
            line: 5,
            message: problems[0].1.to_string()
        }
    );
    assert_eq!(
        doc.value("HMIX", &[1]).unwrap_err().to_string(),
        "line 7: block HMIX: Q= has no value"
    );
    assert!(doc.set_value("HMIX", &[1], 1.0).is_err());
    assert_eq!(doc.to_string(), text);
    // Blocks with sound headers read as usual.
    assert_eq!(doc.value("MASS", &[25]).unwrap(), 125.0);
    doc.set_value("EXTPAR", &[1], 2.0e2).unwrap();
    assert_eq!(doc.value("EXTPAR", &[1]).unwrap(), 200.0);
}

#[test]
fn a_decay_table_given_twice_is_an_error_naming_both_lines() {
    let text = "DECAY 6 1.3\n 1.0 2 5 24\nDECAY 25 4.1E-03\n 1.0 2 5 -5\nDECAY 6 1.4\n 1.0 2 5 24\n";
    assert_eq!(
        Slha::parse(text).unwrap_err().to_string(),
        "line 5: DECAY 6 given again (first at line 1)"
    );
    let doc = Slha::parse_lenient(text);
    assert_eq!(doc.problems().len(), 1);
    assert_eq!(doc.decays().len(), 3);
    assert_eq!(doc.decay(6).unwrap().width(), 1.4);
}
