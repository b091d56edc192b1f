//! Any bytes: the reader must never panic, and an edit of any entry it found must leave a
//! document that reads back with the new value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut doc = slha::Slha::parse_lenient(text);
    let _ = slha::Slha::parse(text);
    let target = doc
        .blocks()
        .iter()
        .find_map(|b| b.entries().first().map(|e| (b.name().to_string(), e.index().to_vec())));
    if let Some((name, index)) = target {
        if doc.set_value(&name, &index, 1.25).is_ok() {
            let again = slha::Slha::parse_lenient(&doc.to_string());
            let block = again.blocks_named(&name).find_map(|b| b.get(&index).map(|e| e.value().as_f64()));
            assert!(block.is_some(), "edited entry vanished");
        }
    }
});
