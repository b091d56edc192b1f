//! `dlscan import-dlscanner`: DLScanner's SPheno and micrOMEGAs input files turned into a
//! dlscan configuration.
//!
//! DLScanner reads `key: value` lines, matching keys as substrings anywhere in a line;
//! repeated keys (`VarMin`, `VarLabel`, …) accumulate in file order and are cut to the first
//! `TotVarScanned` (or `TotTarget`) entries. It writes a point by replacing every template
//! line that contains a parameter's label; dlscan sets SLHA entries instead, so the import
//! finds, in the LesHouches template, the block of the line holding each label.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The keys of one input file, in file order.
struct Keys {
    lines: Vec<String>,
    file: PathBuf,
}

impl Keys {
    /// Every value of `key` (substring match, as DLScanner does): the text after the key's
    /// `:`, trimmed.
    fn all(&self, key: &str) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| !l.trim_start().starts_with('#') || l.contains(':'))
            .filter_map(|l| {
                let at = l.find(key)?;
                let rest = &l[at + key.len()..];
                // `VarMin.append:` and `VarMin:` are both DLScanner spellings.
                let rest = rest.strip_prefix(".append").unwrap_or(rest);
                let rest = rest.trim_start().strip_prefix(':')?;
                Some(rest.trim().to_string())
            })
            .collect()
    }

    fn one(&self, key: &str) -> Result<String> {
        self.all(key)
            .into_iter()
            .next()
            .with_context(|| format!("{}: no `{key}:` line", self.file.display()))
    }

    fn number(&self, key: &str, text: &str) -> Result<f64> {
        text.split_whitespace()
            .find_map(|t| t.parse::<f64>().ok())
            .with_context(|| format!("{}: `{key}: {text}` is not a number", self.file.display()))
    }

    fn count(&self, key: &str) -> Result<usize> {
        let text = self.one(key)?;
        let n = self.number(key, &text)?;
        if n < 1.0 || n.fract() != 0.0 {
            bail!(
                "{}: `{key}: {text}` must be a positive whole number",
                self.file.display()
            );
        }
        Ok(n as usize)
    }

    /// The first `n` values of a repeated key.
    fn list(&self, key: &str, n: usize) -> Result<Vec<String>> {
        let all = self.all(key);
        if all.len() < n {
            bail!(
                "{}: {n} entries needed, but only {} `{key}:` lines",
                self.file.display(),
                all.len()
            );
        }
        Ok(all.into_iter().take(n).collect())
    }

    fn numbers(&self, key: &str, n: usize) -> Result<Vec<f64>> {
        self.list(key, n)?.iter().map(|t| self.number(key, t)).collect()
    }
}

/// A name usable as a dlscan parameter or output: the label without `#` and spaces.
fn name_of(label: &str) -> String {
    let n: String = label
        .trim_start_matches('#')
        .trim()
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if n.is_empty() { "x".into() } else { n }
}

fn path_value(v: &str) -> String {
    v.split_whitespace().last().unwrap_or("").replace('\'', "")
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The block holding the template line that contains `label` (DLScanner's way of finding
/// a parameter), with that line's index.
fn locate(template: &slha::Slha, text: &str, label: &str) -> Option<(String, Vec<i64>)> {
    let line = text.lines().position(|l| l.contains(label))? + 1;
    template.blocks().iter().find_map(|b| {
        b.entries()
            .iter()
            .find(|e| e.line() == line)
            .map(|e| (b.name().to_string(), e.index().to_vec()))
    })
}

/// The dlscan configuration equivalent to DLScanner input file `path`, and notes for the
/// user about what needs checking.
pub fn import(path: &Path) -> Result<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let keys = Keys {
        lines: text.lines().map(str::to_string).collect(),
        file: path.to_path_buf(),
    };
    let stem = path
        .file_stem()
        .map_or("imported".into(), |s| s.to_string_lossy().into_owned());
    let n = keys.count("TotVarScanned")?;
    let (mins, maxs, labels) = (
        keys.numbers("VarMin", n)?,
        keys.numbers("VarMax", n)?,
        keys.list("VarLabel", n)?,
    );
    let t = keys.count("TotTarget")?;
    let (tmins, tmaxs, tlabels) = (
        keys.numbers("TargetMin", t)?,
        keys.numbers("TargetMax", t)?,
        keys.list("TargetLabel", t)?,
    );
    let names: Vec<String> = labels.iter().map(|l| name_of(l)).collect();
    let targets: Vec<String> = tlabels.iter().map(|l| name_of(l)).collect();
    let mut notes = Vec::new();
    // DLScanner's relative paths are relative to where it ran, most likely beside its
    // input file; the configuration gets them absolute, and each one not found here is
    // named.
    let input_dir = crate::config::directory_of(path);
    let resolve = |p: &str| input_dir.join(p);
    let mut must_exist = |what: &str, p: &Path, key: &str| {
        if !p.exists() {
            notes.push(format!(
                "{what} {} does not exist here: set `{key}` before running",
                p.display()
            ));
        }
    };
    let mut out = format!(
        "# Imported by `dlscan import-dlscanner` from {}.\n\n[run]\nname = {}\n",
        path.display(),
        toml_str(&stem)
    );
    let mut placeholder = None;
    if let Some(dir) = keys.all("output_dir").first().map(|d| path_value(d)) {
        if dir.contains(['<', '>', '$', '{', '}']) || dir.is_empty() {
            placeholder = Some(dir);
        } else {
            out += &format!("output_dir = {}\n", toml_str(&resolve(&dir).display().to_string()));
        }
    }

    let spheno = !keys.all("pathS").is_empty();
    if spheno {
        let root = resolve(&path_value(&keys.one("pathS")?));
        let model = path_value(&keys.all("SPHENOMODEL").first().cloned().unwrap_or_default());
        let lesh = path_value(&keys.one("Lesh")?);
        let template = root.join(&lesh);
        let program = root.join("bin").join(format!("SPheno{model}"));
        let var_nums = keys.numbers("VarNum", n).unwrap_or_default();
        must_exist("the SPheno program", &program, "[oracle.config] spheno");
        let parsed = std::fs::read_to_string(&template)
            .ok()
            .map(|t| (slha::Slha::parse_lenient(&t), t));
        if parsed.is_none() {
            notes.push(format!(
                "{} is not readable here: each parameter's block is guessed as EXTPAR (VarNum as the index); check them",
                template.display()
            ));
        }
        let mut set = Vec::new();
        for (k, (name, label)) in names.iter().zip(&labels).enumerate() {
            let found = parsed.as_ref().and_then(|(doc, text)| locate(doc, text, label));
            let (block, index) = match found {
                Some(f) => f,
                None => {
                    let Some(num) = var_nums.get(k) else {
                        bail!(
                            "{}: parameter `{label}` has no VarNum and the template is not readable",
                            path.display()
                        );
                    };
                    if parsed.is_some() {
                        notes.push(format!(
                            "no line of {} contains {label:?}; EXTPAR {num} assumed",
                            template.display()
                        ));
                    }
                    ("EXTPAR".to_string(), vec![*num as i64])
                }
            };
            set.push(format!(
                "{name} = {{ block = {}, index = {index:?} }}",
                toml_str(&block)
            ));
        }
        let res_nums = keys.numbers("TargetResNum", t).unwrap_or_else(|_| vec![1.0; t]);
        let pdgs = keys.numbers("TargetNum", t).unwrap_or_default();
        let mut outputs = Vec::new();
        for (k, (name, label)) in targets.iter().zip(&tlabels).enumerate() {
            match (res_nums.get(k), pdgs.get(k)) {
                (Some(r), Some(pdg)) if *r == 1.0 => {
                    outputs.push(format!("{name} = {{ block = \"MASS\", index = [{}] }}", *pdg as i64))
                }
                _ => bail!(
                    "{}: target `{label}` is not a MASS-block value (TargetNum and TargetResNum = 1 needed); write its output by hand",
                    path.display()
                ),
            }
        }
        out += &format!(
            "\n[oracle]\nplugin = \"spheno\"\n[oracle.config]\nspheno = {}\ntemplate = {}\ninputs = {:?}\nset = {{ {} }}\noutputs = {{ {} }}\ntimeout_s = 120\n",
            toml_str(&program.display().to_string()),
            toml_str(&template.display().to_string()),
            names,
            set.join(", "),
            outputs.join(", ")
        );
        notes.push(
            "DLScanner compares masses as truncated integers (int(min) ≤ int(m) < int(max)); the imported target is the plain range min < m < max".into(),
        );
    } else {
        let root = resolve(&path_value(&keys.one("path_micromegas")?));
        let par = path_value(&keys.one("input")?);
        must_exist(
            "the micrOMEGAs program",
            &root.join("main"),
            "[[oracle.config.program]] command",
        );
        must_exist(
            "the parameter file",
            &root.join(&par),
            "[oracle.config.input] par_template",
        );
        let outputs: Vec<String> = targets
            .iter()
            .zip(&tlabels)
            .map(|(name, label)| {
                format!(
                    "[[oracle.config.output]]\nname = {}\nstdout = 1\nlabel = {}\n",
                    toml_str(name),
                    toml_str(&format!("{}=", label.trim()))
                )
            })
            .collect();
        out += &format!(
            "\n[oracle]\nplugin = \"command\"\n[oracle.config]\ninputs = {:?}\n[oracle.config.input]\nfile = {}\npar_template = {}\n[[oracle.config.program]]\ncommand = [{}, {}]\ntimeout_s = 600\n{}",
            names,
            toml_str(&par),
            toml_str(&root.join(&par).display().to_string()),
            toml_str(&root.join("main").display().to_string()),
            toml_str(&par),
            outputs.join("")
        );
    }
    for ((name, lo), hi) in names.iter().zip(&mins).zip(&maxs) {
        out += &format!(
            "\n[[parameter]]\nname = {}\nmin = {lo:?}\nmax = {hi:?}\n",
            toml_str(name)
        );
    }
    out += "\n[target]\n";
    for ((name, lo), hi) in targets.iter().zip(&tmins).zip(&tmaxs) {
        out += &format!(
            "[[target.range]]\noutput = {}\nmin = {lo:?}\nmax = {hi:?}\n",
            toml_str(name)
        );
    }
    out += &format!(
        "\n[scan]\nstrategy = \"mlp-regressor\"\ninitial_points = 500\nbatch_size = 100\nregress = [{}]\n\n[stop]\nmax_oracle_calls = 10000\n",
        targets
            .iter()
            .map(|t| format!("{{ output = {} }}", toml_str(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(dir) = placeholder {
        notes.push(format!(
            "output_dir `{dir}` is a placeholder, left out: the run goes to runs/{stem} (or pass --out)"
        ));
    }
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dlscanner")
            .join(name)
    }

    fn names(l: &crate::config::Loaded) -> Vec<String> {
        l.space.parameters().iter().map(|p| p.name.clone()).collect()
    }

    fn bounds(l: &crate::config::Loaded) -> Vec<(f64, f64)> {
        l.space.parameters().iter().map(|p| (p.min, p.max)).collect()
    }

    fn as_config(text: &str) -> crate::config::Loaded {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("imported.toml");
        crate::config::parse(&path, text.to_string()).unwrap_or_else(|e| panic!("{e:#}\n{text}"))
    }

    #[test]
    fn spheno_input_with_a_readable_template() {
        // The fixture names SPheno-4.0.5 relative to where it runs; stage that layout.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("SPheno-4.0.5/bin")).unwrap();
        std::fs::copy(
            fixture("LesHouches.in.MSSM_low_base"),
            dir.path().join("SPheno-4.0.5/LesHouches.in.MSSM_low_base"),
        )
        .unwrap();
        // Its pathS is relative: it resolves beside the input file, wherever dlscan runs.
        let input = dir.path().join("input.txt");
        std::fs::copy(fixture("input_spheno_MSSM_fixture.txt"), &input).unwrap();
        let (config, notes) = import(&input).unwrap();
        let template = dir.path().join("SPheno-4.0.5/LesHouches.in.MSSM_low_base");
        assert!(config.contains(&format!("template = {}", toml_str(&template.display().to_string()))));
        // The program was not staged, and the output directory is DLScanner's placeholder.
        assert!(
            notes
                .iter()
                .any(|n| n.contains("SPheno-4.0.5/bin/SPheno does not exist here")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("output_dir `<scratch>/dlscanner_out` is a placeholder")),
            "{notes:?}"
        );
        assert!(!config.contains("output_dir"), "{config}");
        let loaded = as_config(&config);
        assert_eq!(names(&loaded), ["M1input", "M2input", "Muinput"]);
        assert_eq!(bounds(&loaded), [(100.0, 1500.0), (100.0, 1500.0), (-1500.0, 1500.0)]);
        let oracle: toml::Value = toml::from_str(&loaded.oracle_config).unwrap();
        assert_eq!(oracle["set"]["M1input"]["block"].as_str(), Some("EXTPAR"));
        assert_eq!(oracle["set"]["Muinput"]["index"][0].as_integer(), Some(23));
        assert_eq!(oracle["outputs"]["h0"]["index"][0].as_integer(), Some(25));
        assert!(oracle["spheno"].as_str().unwrap().ends_with("SPheno-4.0.5/bin/SPheno"));
        assert_eq!(loaded.target.ranges[0].min, Some(122.0));
        assert_eq!(loaded.target.ranges[0].max, Some(128.0));
        assert!(!notes.iter().any(|n| n.contains("guessed")), "{notes:?}");
    }

    #[test]
    fn spheno_format_example_without_its_template() {
        let (config, notes) = import(&fixture("input_spheno_MSSM_format_example.txt")).unwrap();
        let loaded = as_config(&config);
        assert_eq!(names(&loaded).len(), 3);
        let oracle: toml::Value = toml::from_str(&loaded.oracle_config).unwrap();
        assert_eq!(oracle["set"]["M2input"]["index"][0].as_integer(), Some(2));
        assert!(
            oracle["spheno"]
                .as_str()
                .unwrap()
                .ends_with("/home/SPheno-4.0.3/bin/SPhenoMSSM")
        );
        assert_eq!(oracle["outputs"]["hh_1"]["index"][0].as_integer(), Some(25));
        assert!(notes.iter().any(|n| n.contains("guessed")), "{notes:?}");
    }

    #[test]
    fn micromegas_input() {
        let (config, _) = import(&fixture("input_m.txt")).unwrap();
        let loaded = as_config(&config);
        assert_eq!(names(&loaded), ["mu", "tb"]);
        assert_eq!(bounds(&loaded), [(200.0, 400.0), (5.0, 30.0)]);
        let oracle: toml::Value = toml::from_str(&loaded.oracle_config).unwrap();
        assert_eq!(oracle["input"]["file"].as_str(), Some("mssm1.par"));
        assert_eq!(oracle["output"][0]["label"].as_str(), Some("Omega="));
        assert!(
            oracle["program"][0]["command"][0]
                .as_str()
                .unwrap()
                .ends_with("micromegas_6.0.4/MSSM/main")
        );
        assert_eq!(loaded.target.ranges[0].output, "Omega");
        assert_eq!(
            (loaded.target.ranges[0].min, loaded.target.ranges[0].max),
            (Some(0.09), Some(0.1))
        );
    }

    #[test]
    fn missing_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.txt");
        std::fs::write(&p, "pathS: x\nTotVarScanned: 2\nVarMin: 1\nVarMax: 2\nVarLabel: a\n").unwrap();
        let err = import(&p).unwrap_err().to_string();
        assert!(err.contains("2 entries needed, but only 1 `VarMin:` lines"), "{err}");
    }
}
