//! Every fixture (real SPheno 4.0.5, NMSSMTools 6.1.2 and 2HDMC 1.8.0 files) read here and
//! by pyslha 3.3.2 (`benches/reference/slha_reference.py` wrote `pyslha.json`): the same
//! blocks, scales, entries and decay tables. Files pyslha refuses are read here too, and
//! what it stumbles on is checked directly.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use slha::{Slha, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

/// pyslha's view of one value token list: consecutive texts joined by a space, a single
/// item unwrapped.
fn as_pyslha(values: &[Value]) -> Json {
    let mut items: Vec<Json> = Vec::new();
    for v in values {
        match v {
            Value::Int(i) => items.push(Json::from(*i)),
            Value::Real(x) => items.push(Json::from(*x)),
            Value::Text(t) => match items.last_mut() {
                Some(Json::String(s)) => {
                    s.push(' ');
                    s.push_str(t);
                }
                _ => items.push(Json::from(t.as_str())),
            },
        }
    }
    if items.len() == 1 {
        items.pop().unwrap()
    } else {
        Json::Array(items)
    }
}

fn key_as_pyslha(index: &[i64]) -> Json {
    match index {
        [] => Json::Null,
        [i] => Json::from(*i),
        many => Json::Array(many.iter().map(|i| Json::from(*i)).collect()),
    }
}

fn same_number(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_i64().is_some() == y.as_i64().is_some() && x.as_f64() == y.as_f64(),
        // Fortran `D` exponents (`1500d0`): pyslha keeps the text, this reader the number.
        (Json::Number(x), Json::String(t)) => t.to_ascii_lowercase().contains('d') && slha::parse_real(t) == x.as_f64(),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_number(p, q)),
        _ => a == b,
    }
}

#[test]
fn agrees_with_pyslha_on_every_file_it_reads() {
    let reference: Json = serde_json::from_str(&read("pyslha.json")).unwrap();
    let mut files = 0;
    let mut entries = 0;
    let mut channels = 0;
    for (name, expected) in reference.as_object().unwrap() {
        let text = read(name);
        let lines: Vec<&str> = text.lines().collect();
        let doc = Slha::parse_lenient(&text);
        if expected.get("error").is_some() {
            continue;
        }
        files += 1;
        assert!(doc.problems().is_empty(), "{name}: {:?}", doc.problems());
        let blocks = expected["blocks"].as_object().unwrap();
        let distinct: std::collections::BTreeSet<String> =
            doc.blocks().iter().map(|b| b.name().to_ascii_uppercase()).collect();
        assert_eq!(distinct.len(), blocks.len(), "{name}: block names");
        for (block_name, want) in blocks {
            let got = doc
                .block(block_name)
                .unwrap_or_else(|| panic!("{name}: no block {block_name}"));
            assert_eq!(got.scale(), want["q"].as_f64(), "{name}: {block_name} scale");
            // pyslha keeps one value per key, the last.
            let mut ours: Vec<(Json, Json)> = Vec::new();
            // Data lines without indentation (DLScanner writes them; SPheno reads them)
            // are skipped by pyslha, read here.
            for e in got
                .entries()
                .iter()
                .filter(|e| lines[e.line() - 1].starts_with(char::is_whitespace))
            {
                let k = key_as_pyslha(e.index());
                let v = as_pyslha(e.values());
                match ours.iter_mut().find(|(kk, _)| *kk == k) {
                    Some(slot) => slot.1 = v,
                    None => ours.push((k, v)),
                }
            }
            let want = want["entries"].as_array().unwrap();
            assert_eq!(ours.len(), want.len(), "{name}: {block_name} entry count");
            for ((k, v), w) in ours.iter().zip(want) {
                assert_eq!(k, &w[0], "{name}: {block_name} key");
                assert!(same_number(v, &w[1]), "{name}: {block_name} {k}: {v} vs {}", w[1]);
                entries += 1;
            }
        }
        let decays = expected["decays"].as_object().unwrap();
        assert_eq!(doc.decays().len(), decays.len(), "{name}: decay tables");
        for (pdg, want) in decays {
            let d = doc.decay(pdg.parse().unwrap()).unwrap();
            assert_eq!(Some(d.width()), want["width"].as_f64(), "{name}: width of {pdg}");
            // pyslha orders channels by branching ratio: compare as sorted lists.
            let mut want: Vec<(f64, Vec<i64>)> = want["channels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    let ids: Vec<i64> = w[2].as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect();
                    assert_eq!(ids.len() as u64, w[1].as_u64().unwrap());
                    (w[0].as_f64().unwrap(), ids)
                })
                .collect();
            let mut ours: Vec<(f64, Vec<i64>)> = d
                .channels()
                .iter()
                .map(|c| (c.branching_ratio.max(0.0), c.ids.clone()))
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            ours.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            assert_eq!(ours, want, "{name}: channels of {pdg}");
            channels += ours.len();
        }
    }
    assert_eq!(files, 24);
    assert!(
        entries > 3000 && channels > 1000,
        "{entries} entries, {channels} channels"
    );
}

#[test]
fn spheno_failure_files_carry_the_flag_without_a_value() {
    for case in [
        "spheno_fail_tachyonic_stop.spc",
        "spheno_fail_tachyonic_stop_exit0.spc",
        "spheno_fail_msugra_tachyonic_stau.spc",
    ] {
        let doc = Slha::parse(&read(case)).unwrap();
        let info = doc.block("SPINFO").unwrap();
        assert!(info.has_flag(4), "{case}");
        assert_eq!(info.get(&[1]).unwrap().value(), &Value::Text("SPheno".into()));
        assert!(doc.block("MASS").is_none(), "{case}");
    }
    let good = Slha::parse(&read("spheno_pmssm_base.spc")).unwrap();
    assert!(!good.block("SPINFO").unwrap().has_flag(4));
    assert!(!good.block("SPINFO").unwrap().has_flag(3));
    assert!((good.value("MASS", &[25]).unwrap() - 126.73).abs() < 0.01);
    let warned = Slha::parse(&read("spheno_pmssm_warn_redundant_higgs.spc")).unwrap();
    assert!(warned.block("SPINFO").unwrap().has_flag(3));
}

#[test]
fn unindented_data_lines_are_entries() {
    let doc = Slha::parse(&read("LesHouches_pmssm_base.in")).unwrap();
    for (index, value) in [
        (0, 2000.0),
        (1, 500.0),
        (2, 1000.0),
        (3, 2500.0),
        (23, 1500.0),
        (25, 10.0),
    ] {
        assert_eq!(doc.value("EXTPAR", &[index]).unwrap(), value);
    }
    assert_eq!(doc.block("EXTPAR").unwrap().entries().len(), 25);
}

#[test]
fn the_same_block_at_two_scales_is_kept_twice() {
    let doc = Slha::parse(&read("spheno_msugra_spheno_example.spc")).unwrap();
    let scales: Vec<f64> = doc.blocks_named("gauge").filter_map(|b| b.scale()).collect();
    assert_eq!(scales.len(), 2, "{scales:?}");
    assert!(scales[0] > 1e15 && scales[1] < 1e4, "GUT then SUSY scale: {scales:?}");
    // `block` gives the last, as pyslha does.
    assert_eq!(doc.block("GAUGE").unwrap().scale(), Some(scales[1]));
}

#[test]
fn nmssmtools_output_with_stray_text_is_read_leniently() {
    for case in [
        "spectr_full_minchi2.dat",
        "spectr_full_mono-H.dat",
        "spectr_full_mono-Z.dat",
    ] {
        let text = read(case);
        let err = Slha::parse(&text).unwrap_err();
        assert!(err.to_string().starts_with("line "), "{err}");
        let doc = Slha::parse_lenient(&text);
        // Only the MadGraph summary lines pasted into a decay table are left out.
        assert!(!doc.problems().is_empty());
        for p in doc.problems() {
            let line = text.lines().nth(p.line - 1).unwrap();
            assert!(
                line.contains("===") || line.contains("Cross-section") || line.contains("Nb of events"),
                "{case} line {}: {line:?} ({})",
                p.line,
                p.message
            );
        }
        // NMSSMTools: 25 is the SM-like Higgs, 35 the lighter singlet-like one here.
        assert!(doc.value("MASS", &[25]).is_ok());
        assert!(doc.block("EFFECTIVE_COUPLINGS").is_some() || doc.block("REDCOUP").is_some());
    }
    let doc = Slha::parse_lenient(&read("spectr_full_minchi2.dat"));
    assert!((doc.value("MASS", &[35]).unwrap() - 93.4).abs() < 0.1);
    assert!((doc.value("MASS", &[25]).unwrap() - 125.0).abs() < 0.1);
}

#[test]
fn nan_widths_and_text_for_numbers_from_2hdmc() {
    let doc = Slha::parse(&read("2hdmc_nonsense_text_mA.lha")).unwrap();
    assert!(doc.decay(25).unwrap().width().is_nan());
}
