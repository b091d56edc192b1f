//! What defines a run's evaluated points, and the check that a resumed run keeps it.
//!
//! A run directory holds the configuration the run started with (`config.original.toml`)
//! beside the one `dlscan resume` reads (`config.toml`). Budgets, workers, timeouts and
//! names may be changed in `config.toml` between sessions (to extend a finished run, say);
//! anything else — parameters and their box, oracle, target, strategy and its settings,
//! seed — defines which points the run evaluates, and a change is refused naming the key.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// The configuration a run started with, kept in its directory.
pub const ORIGINAL: &str = "config.original.toml";

/// Keys that may change between sessions of one run: they decide how long and how fast it
/// runs, not which points it evaluates.
const MUTABLE: &[&[&str]] = &[
    &["run", "name"],
    &["run", "output_dir"],
    &["run", "workers"],
    &["run", "cpus"],
    &["oracle", "timeout_s"],
    &["oracle", "chunk_size"],
    &["oracle", "isolation"],
    &["stop"],
];

/// The configuration text without its [`MUTABLE`] keys.
pub fn identity(text: &str) -> Result<toml::Table> {
    let mut table: toml::Table = text.parse().context("the configuration is not valid TOML")?;
    for path in MUTABLE {
        remove(&mut table, path);
    }
    Ok(table)
}

fn remove(table: &mut toml::Table, path: &[&str]) {
    match path {
        [] => {}
        [key] => {
            table.remove(*key);
        }
        [key, rest @ ..] => {
            if let Some(toml::Value::Table(inner)) = table.get_mut(*key) {
                remove(inner, rest);
            }
        }
    }
}

/// FNV-1a of the identity's canonical text (keys sorted): checkpoints carry it, so one
/// from another run is refused.
pub fn fingerprint(identity: &toml::Table) -> String {
    let text = toml::to_string(identity).unwrap_or_default();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The dotted keys (`parameter[1].max`, `scan.strategy`) whose values differ.
pub fn differences(before: &toml::Table, after: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    compare_tables(before, after, "", &mut out);
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn compare_tables(a: &toml::Table, b: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let path = join(prefix, key);
        match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => compare(x, y, &path, out),
            _ => out.push(path),
        }
    }
}

fn compare(a: &toml::Value, b: &toml::Value, path: &str, out: &mut Vec<String>) {
    use toml::Value::{Array, Table};
    match (a, b) {
        (Table(x), Table(y)) => compare_tables(x, y, path, out),
        (Array(x), Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                compare(u, v, &format!("{path}[{i}]"), out);
            }
        }
        _ if a == b => {}
        _ => out.push(path.to_string()),
    }
}

/// Refuse to resume `dir` when its `config.toml` changed what defines the run since it
/// started. Runs without the original copy are left to the checkpoint's fingerprint.
pub fn check_unchanged(dir: &Path, current: &str) -> Result<()> {
    let original_path = dir.join(ORIGINAL);
    let original = match std::fs::read_to_string(&original_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", original_path.display())),
    };
    let before = identity(&original).with_context(|| original_path.display().to_string())?;
    let after = identity(current).with_context(|| dir.join("config.toml").display().to_string())?;
    let changed = differences(&before, &after);
    if !changed.is_empty() {
        bail!(
            "{}: {} changed since the run started ({} holds the original); they decide which \
             points the run evaluates, so the run cannot continue with them. Only [stop], \
             run.workers, run.cpus, run.name, run.output_dir, oracle.timeout_s, oracle.chunk_size and \
             oracle.isolation may change; start a new run for the rest",
            dir.join("config.toml").display(),
            changed.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            ORIGINAL
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[run]
seed = 1
workers = 2
[oracle]
plugin = "toy"
timeout_s = 5.0
[[parameter]]
name = "x"
min = 0.0
max = 1.0
[[parameter]]
name = "y"
min = 0.0
max = 1.0
[target.likelihood]
threshold = 0.5
[scan]
strategy = "mlp-regressor"
[stop]
max_oracle_calls = 100
"#;

    #[test]
    fn budgets_workers_and_timeouts_may_change() {
        let after = BASE
            .replace("workers = 2", "workers = 8")
            .replace("timeout_s = 5.0", "timeout_s = 60.0")
            .replace("max_oracle_calls = 100", "max_oracle_calls = 5000\nmax_iterations = 9");
        let (a, b) = (identity(BASE).unwrap(), identity(&after).unwrap());
        assert!(differences(&a, &b).is_empty());
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn what_defines_the_points_is_named_when_changed() {
        let after = BASE
            .replace("max = 1.0\n[target", "max = 2.0\n[target")
            .replace("seed = 1", "seed = 2")
            .replace("\"mlp-regressor\"", "\"random\"\ncandidates = 10");
        let (a, b) = (identity(BASE).unwrap(), identity(&after).unwrap());
        assert_eq!(
            differences(&a, &b),
            ["parameter[1].max", "run.seed", "scan.candidates", "scan.strategy"]
        );
        assert_ne!(fingerprint(&a), fingerprint(&b));
        // A parameter added or removed is named by the whole list.
        let fewer = BASE.replace("[[parameter]]\nname = \"y\"\nmin = 0.0\nmax = 1.0\n", "");
        assert_eq!(differences(&a, &identity(&fewer).unwrap()), ["parameter"]);
    }

    #[test]
    fn resume_is_refused_naming_the_key_and_allowed_without_changes() {
        let dir = tempfile::tempdir().unwrap();
        // No original (a run from before it was kept): nothing to compare.
        check_unchanged(dir.path(), BASE).unwrap();
        std::fs::write(dir.path().join(ORIGINAL), BASE).unwrap();
        check_unchanged(
            dir.path(),
            &BASE.replace("max_oracle_calls = 100", "max_oracle_calls = 900"),
        )
        .unwrap();
        let e = check_unchanged(dir.path(), &BASE.replace("plugin = \"toy\"", "plugin = \"spheno\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`oracle.plugin`") && e.contains("config.toml"), "{e}");
    }
}
