//! A stand-in for a physics program in tests: replays one recorded run.
//!
//!     dlscan-replay <case-dir> [arguments the real program got…]
//!
//! The case directory holds what the real program did: `stdout.txt`, `stderr.txt`,
//! `meta.json` (its `"exit_code"`), and the files it wrote (every other file, except its
//! input `LesHouches.in` and `cmd.txt`). The replay writes those files into the current
//! directory, prints the recorded output and exits with the recorded status, so the
//! command oracle meets exactly what SPheno or 2HDMC produced on that case.

use std::path::Path;
use std::process::ExitCode;

const NOT_WRITTEN: [&str; 5] = ["stdout.txt", "stderr.txt", "meta.json", "cmd.txt", "LesHouches.in"];

fn main() -> ExitCode {
    let Some(case) = std::env::args().nth(1) else {
        eprintln!("usage: dlscan-replay <case-dir> [args…]");
        return ExitCode::from(64);
    };
    let case = Path::new(&case);
    let meta = std::fs::read_to_string(case.join("meta.json")).unwrap_or_default();
    let code = meta
        .split("\"exit_code\":")
        .nth(1)
        .and_then(|rest| rest.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse::<u8>().ok())
        .unwrap_or(0);
    let entries = match std::fs::read_dir(case) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("dlscan-replay: {}: {e}", case.display());
            return ExitCode::from(66);
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if NOT_WRITTEN.iter().any(|n| name == *n) {
            continue;
        }
        if let Err(e) = std::fs::copy(entry.path(), &name) {
            eprintln!("dlscan-replay: {}: {e}", entry.path().display());
            return ExitCode::from(73);
        }
    }
    print!(
        "{}",
        std::fs::read_to_string(case.join("stdout.txt")).unwrap_or_default()
    );
    eprint!(
        "{}",
        std::fs::read_to_string(case.join("stderr.txt")).unwrap_or_default()
    );
    ExitCode::from(code)
}
