//! `dlscan`: deep-learning-assisted scans of physics parameter spaces.
//!
//! The binary is thin: it parses arguments and configuration, wires the plugin, the
//! scanner and the progress display together, and prints. Everything else lives in
//! `scan-core` and `oracle-api`.

#[cfg(feature = "mpi")]
mod cluster;
#[cfg(not(feature = "mpi"))]
#[path = "no_cluster.rs"]
mod cluster;
mod config;
mod identity;
mod import;
mod plots;
mod progress;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use oracle_api::isolation::WorkerCommand;
use oracle_api::{Oracle, Plugin, locate_plugin};
use scan_core::journal::format_number;
use scan_core::{EvaluatorOptions, IsolatedPluginFactory, OracleFactory, PluginFactory, Scanner};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// `println!` that fails instead of panicking when standard output is closed (`dlscan
/// plugin-info toy | head -2`); `main` then exits quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).context("writing to standard output")?
    }};
}

#[derive(Debug, Parser)]
#[command(
    name = "dlscan",
    version,
    about = "Deep-learning-assisted scans of physics parameter spaces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scan described by a configuration file.
    Run {
        /// The run configuration (TOML).
        config: PathBuf,
        /// Run directory (overrides `[run] output_dir`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not draw the plots at the end.
        #[arg(long)]
        no_plots: bool,
        /// Use a run directory that is not empty (a previous run in it is still refused).
        #[arg(long)]
        force: bool,
    },
    /// Continue a run that was interrupted (Ctrl-C, a crash, SIGKILL, a reboot), or extend
    /// a finished one: its config.toml may raise the [stop] budgets and change workers and
    /// timeouts; other changes are refused.
    Resume {
        /// The run directory (it holds config.toml and points.csv).
        run_dir: PathBuf,
        /// Do not draw the plots at the end.
        #[arg(long)]
        no_plots: bool,
    },
    /// Draw the plots of a run into <run-dir>/plots (PNG and SVG).
    Plot {
        /// The run directory.
        run_dir: PathBuf,
    },
    /// Validate a configuration and its plugin, and evaluate a few points (the box centre
    /// and a small sample seeded by [run] seed), each with its outcome and reason.
    Check {
        /// The run configuration (TOML).
        config: PathBuf,
        /// Points to evaluate besides the box centre.
        #[arg(long, default_value_t = 8)]
        points: usize,
    },
    /// Show what a plugin library is: name, version, ABI, the form of configuration it
    /// takes, and the inputs and outputs of an instance.
    PluginInfo {
        /// A plugin path, or a name such as `toy` looked up in the plugin search path.
        plugin: String,
        /// The instance's configuration: TOML text (the body of `[oracle.config]`), or a
        /// run configuration file whose `[oracle.config]` table is used.
        #[arg(long)]
        config: Option<String>,
    },
    /// Serve a plugin to a scan over standard input and output (started by dlscan itself
    /// for `[oracle] isolation = "process"`).
    #[command(hide = true)]
    OracleWorker {
        /// The plugin library.
        plugin: PathBuf,
    },
    /// Convert a DLScanner SPheno or micrOMEGAs input file into a dlscan configuration.
    ImportDlscanner {
        /// DLScanner's input file (`pathS`, `Lesh`, `VarMin`… or `path_micromegas`, `input`…).
        input: PathBuf,
        /// Write the configuration here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where batches are evaluated: on this process's worker threads, or on the other ranks of
/// an MPI job (feature `mpi`; without it there is no cluster to refer to).
#[derive(Clone, Copy)]
enum Pool<'a> {
    Local,
    Ranks(&'a cluster::Cluster),
}

fn main() {
    let cli = Cli::parse();
    let cluster = cluster::join().unwrap_or_else(|e| fail(e));
    if let Some(c) = cluster.as_ref().filter(|c| c.rank() > 0) {
        // Evaluating ranks serve rank 0's runs; other commands are rank 0's alone.
        if let Command::Run { .. } | Command::Resume { .. } = cli.command
            && let Err(e) = c.serve(rank_evaluator)
        {
            fail(e.context(format!("rank {}", c.rank())));
        }
        return;
    }
    let pool = cluster.as_ref().map_or(Pool::Local, Pool::Ranks);
    let result = match cli.command {
        Command::Run {
            config,
            out,
            no_plots,
            force,
        } => run(&config, out, !no_plots, force, pool),
        Command::Resume { run_dir, no_plots } => resume(&run_dir, !no_plots, pool),
        Command::Plot { run_dir } => plot(&run_dir),
        Command::Check { config, points } => check(&config, points),
        Command::PluginInfo { plugin, config } => plugin_info(&plugin, config.as_deref()),
        Command::ImportDlscanner { input, out } => import_dlscanner(&input, out.as_deref()),
        Command::OracleWorker { plugin } => {
            oracle_api::install_quiet_panic_hook();
            oracle_api::isolation::serve_plugin(&plugin).map_err(|e| anyhow::anyhow!(e))
        }
    };
    if let Some(c) = &cluster {
        c.release();
    }
    if let Err(e) = result {
        fail(e);
    }
}

fn fail(e: anyhow::Error) -> ! {
    // A reader that stopped reading (`| head`) is not an error of ours.
    let closed = |c: &(dyn std::error::Error + 'static)| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    };
    if e.chain().any(closed) {
        std::process::exit(0)
    }
    eprintln!("error: {e:#}");
    std::process::exit(1)
}

/// An evaluating rank's evaluator, from the configuration rank 0 sent.
fn rank_evaluator(path: &Path, base_dir: &Path, text: String) -> Result<scan_core::Evaluator> {
    let mut loaded = config::parse(path, text)?;
    loaded.base_dir = base_dir.to_path_buf();
    enter_config_dir(&loaded)?;
    scan_core::cpus::limit_threads(loaded.cpus);
    let (factory, options) = oracle_factory(&loaded)?;
    Ok(scan_core::Evaluator::new(factory, options)?)
}

fn import_dlscanner(input: &Path, out: Option<&Path>) -> Result<()> {
    let (config, notes) = import::import(input)?;
    match out {
        Some(path) => {
            std::fs::write(path, &config).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .write_all(config.as_bytes())
                .context("writing to standard output")?
        }
    }
    for n in notes {
        eprintln!("note: {n}");
    }
    Ok(())
}

fn load_plugin(loaded: &config::Loaded) -> Result<Plugin> {
    let path = locate_plugin(&loaded.plugin_spec(), &loaded.plugin_dirs())
        .with_context(|| format!("{}: [oracle] plugin", loaded.path.display()))?;
    Ok(Plugin::load(path)?)
}

/// How to start a worker process serving the plugin at `plugin`: the small
/// `dlscan-oracle-worker` beside this executable (it starts in milliseconds), or else this
/// executable itself (`dlscan oracle-worker`, which loads much more before it can serve).
fn worker_command(plugin: &Path) -> Result<WorkerCommand> {
    let exe = std::env::current_exe().context("cannot find the dlscan executable to start oracle workers")?;
    let plugin = plugin.to_string_lossy().into_owned();
    let small = exe.with_file_name(format!("dlscan-oracle-worker{}", std::env::consts::EXE_SUFFIX));
    Ok(if small.is_file() {
        WorkerCommand {
            program: small,
            args: vec![plugin],
        }
    } else {
        WorkerCommand {
            program: exe,
            args: vec!["oracle-worker".into(), plugin],
        }
    })
}

/// The oracle instances a configuration asks for, and how the evaluator runs them.
fn oracle_factory(loaded: &config::Loaded) -> Result<(Arc<dyn OracleFactory>, EvaluatorOptions)> {
    let mut options = loaded.settings.evaluator.clone();
    let factory: Arc<dyn OracleFactory> = match loaded.config.oracle.isolation {
        config::Isolation::Thread => Arc::new(PluginFactory {
            plugin: load_plugin(loaded)?,
            config: loaded.oracle_config.clone(),
        }),
        config::Isolation::Process => {
            let path = locate_plugin(&loaded.plugin_spec(), &loaded.plugin_dirs())
                .with_context(|| format!("{}: [oracle] plugin", loaded.path.display()))?;
            let worker = worker_command(&path)?;
            // The workers keep the time limit, killing a worker whose call runs over, so
            // nothing is left running; one point per call unless told otherwise, as then.
            let timeout = options.timeout.take();
            options.chunk_size = options.chunk_size.or(timeout.map(|_| 1));
            Arc::new(IsolatedPluginFactory {
                worker,
                config: loaded.oracle_config.clone(),
                timeout,
            })
        }
    };
    Ok((factory, options))
}

/// The scanner for a loaded configuration, with its strategy and progress display.
fn scanner_for(loaded: &config::Loaded, pool: Pool) -> Result<Scanner> {
    scan_core::cpus::limit_threads(loaded.cpus);
    let mut settings = loaded.settings.clone();
    let scanner = match pool {
        Pool::Local => {
            let (factory, options) = oracle_factory(loaded)?;
            settings.evaluator = options;
            Scanner::new(loaded.space.clone(), &loaded.target, factory, settings)
        }
        Pool::Ranks(cluster) => {
            let ranks = cluster.start_workers(&loaded.path, &loaded.base_dir, &loaded.text)?;
            Scanner::with_evaluator(loaded.space.clone(), &loaded.target, Box::new(ranks), settings)
        }
    }
    .with_context(|| format!("setting up the scan of {}", loaded.path.display()))?;
    let strategy = loaded.strategy(scanner.output_names())?;
    let identity = identity::identity(&loaded.text).with_context(|| loaded.path.display().to_string())?;
    let mut scanner = scanner
        .with_strategy(strategy)
        .with_fingerprint(identity::fingerprint(&identity));
    scanner.add_observer(Box::new(progress::Progress::new(loaded.settings.stop.max_oracle_calls)));
    Ok(scanner)
}

/// Run until a stopping rule holds; the first Ctrl-C stops after the points in flight.
fn drive(mut scanner: Scanner, loaded: &config::Loaded, dir: &Path, with_plots: bool, pool: Pool) -> Result<()> {
    let signal = watch_signals(scanner.stop_handle())?;
    eprintln!(
        "dlscan: scanning {} parameters with `{}` on {} workers ({}); results in {}",
        loaded.space.dim(),
        loaded.config.oracle.plugin,
        scanner.workers(),
        match pool {
            Pool::Ranks(c) => format!("{} evaluating MPI ranks", c.evaluating_ranks().len()),
            Pool::Local => format!("{} cores", loaded.cpus),
        },
        dir.display()
    );
    scanner.run()?;
    drop(scanner);
    if with_plots {
        // The run is on disk whatever happens here: a plotting problem is only a warning.
        match plots::plot_run(dir, loaded) {
            Ok(files) => eprintln!("plots: {} files in {}", files.len(), dir.join("plots").display()),
            Err(e) => eprintln!(
                "warning: plotting failed ({e:#}); retry with `dlscan plot {}`",
                dir.display()
            ),
        }
    }
    say!("{}", dir.display());
    // Interrupted: the state is saved; exit as the signal asks (130 for SIGINT, 143 for
    // SIGTERM), so batch systems and shells see the run did not finish.
    match signal.load(Ordering::SeqCst) {
        0 => Ok(()),
        s => {
            eprintln!("interrupted; `dlscan resume {}` continues the run", dir.display());
            std::process::exit(128 + s)
        }
    }
}

/// SIGINT (Ctrl-C) and SIGTERM (what batch schedulers send before SIGKILL) stop the run
/// after the points in flight; a second signal quits at once. Returns the first signal's
/// number (0 while none came).
fn watch_signals(stop: Arc<AtomicBool>) -> Result<Arc<AtomicI32>> {
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("cannot install the SIGINT/SIGTERM handlers")?;
    let first = Arc::new(AtomicI32::new(0));
    let seen = Arc::clone(&first);
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if seen
                .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                eprintln!(
                    "\nstopping after the points in flight (Ctrl-C again to quit at once; evaluated points are on disk)"
                );
                stop.store(true, Ordering::SeqCst);
            } else {
                std::process::exit(128 + signal);
            }
        }
    });
    Ok(first)
}

/// Make the configuration's directory the working directory, so that relative paths inside
/// `[oracle.config]` (a SPheno template, a program, a data file) resolve against it, in
/// every instance and worker process, whatever the plugin's language: as every other
/// relative path in a configuration does. Paths given on the command line are made
/// absolute before.
fn enter_config_dir(loaded: &config::Loaded) -> Result<()> {
    std::env::set_current_dir(&loaded.base_dir).with_context(|| {
        format!(
            "cannot work in {}, the directory of {}",
            loaded.base_dir.display(),
            loaded.path.display()
        )
    })
}

/// `path` made absolute against the current directory.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// The file of a run directory naming the directory its configuration came from, against
/// which the copy's relative paths resolve.
const CONFIG_DIR_FILE: &str = "config_dir.txt";

/// The configuration a run directory was started with, its relative paths resolving where
/// the original's did.
fn load_run_config(dir: &Path) -> Result<config::Loaded> {
    let config_path = dir.join("config.toml");
    if !config_path.is_file() {
        bail!(
            "{}: no config.toml here; is this a dlscan run directory?",
            dir.display()
        );
    }
    let mut loaded = config::load(&config_path)?;
    if let Ok(base) = std::fs::read_to_string(dir.join(CONFIG_DIR_FILE)) {
        loaded.base_dir = PathBuf::from(base.trim_end_matches('\n'));
    }
    Ok(loaded)
}

fn plot(dir: &Path) -> Result<()> {
    let loaded = load_run_config(dir)?;
    for f in plots::plot_run(dir, &loaded)? {
        say!("{}", f.display());
    }
    Ok(())
}

fn run(config_path: &Path, out: Option<PathBuf>, with_plots: bool, force: bool, pool: Pool) -> Result<()> {
    let loaded = config::load(config_path)?;
    let dir = absolute(&out.unwrap_or_else(|| loaded.output_dir()))?;
    check_new_run_dir(&dir, force)?;
    enter_config_dir(&loaded)?;
    let scanner = scanner_for(&loaded, pool)?.with_run_dir(&dir)?;
    for (name, text) in [
        ("config.toml", loaded.text.as_str()),
        (identity::ORIGINAL, &loaded.text),
        (CONFIG_DIR_FILE, &format!("{}\n", loaded.base_dir.display())),
    ] {
        std::fs::write(dir.join(name), text)
            .with_context(|| format!("cannot copy the configuration into {}", dir.display()))?;
    }
    drive(scanner, &loaded, &dir, with_plots, pool)
}

/// A new run goes into an empty (or missing) directory, so nothing of the user's is
/// overwritten; `--force` accepts other files, but never a run's own.
fn check_new_run_dir(dir: &Path, force: bool) -> Result<()> {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    if !force {
        bail!(
            "{}: the directory is not empty; choose another one (or pass --force to use it anyway)",
            dir.display()
        );
    }
    // The run's own files, and the configuration this program writes beside them.
    for name in ["config.toml", identity::ORIGINAL, CONFIG_DIR_FILE]
        .into_iter()
        .chain(scan_core::RUN_FILES)
    {
        // symlink_metadata: a dangling link counts too, so nothing is written through it.
        if dir.join(name).symlink_metadata().is_ok() {
            bail!(
                "{}: already holds a run ({name} exists); choose another directory or remove it",
                dir.display()
            );
        }
    }
    Ok(())
}

fn resume(dir: &Path, with_plots: bool, pool: Pool) -> Result<()> {
    let dir = &absolute(dir)?;
    let loaded = load_run_config(dir)?;
    identity::check_unchanged(dir, &loaded.text)?;
    enter_config_dir(&loaded)?;
    let scanner = scanner_for(&loaded, pool)?.resume_run_dir(dir)?;
    eprintln!(
        "dlscan: resuming {} with {} points on record",
        dir.display(),
        scanner.history().len()
    );
    drive(scanner, &loaded, dir, with_plots, pool)
}

fn check(config_path: &Path, sample: usize) -> Result<()> {
    let loaded = config::load(config_path)?;
    enter_config_dir(&loaded)?;
    say!(
        "configuration {}: ok ({} parameters)",
        config_path.display(),
        loaded.space.dim()
    );
    let plugin = load_plugin(&loaded)?;
    say!(
        "plugin {} ({} {}): ok",
        plugin.path().display(),
        plugin.name(),
        plugin.version()
    );
    let mut oracle = plugin.instantiate(&loaded.oracle_config)?;
    let shape = oracle.shape().clone();
    if shape.n_inputs != loaded.space.dim() {
        bail!(
            "the oracle takes {} inputs but {} scans {} parameter(s)",
            shape.n_inputs,
            config_path.display(),
            loaded.space.dim()
        );
    }
    let names: Vec<String> = loaded.space.parameters().iter().map(|p| p.name.clone()).collect();
    scan_core::journal::check_columns(&names, &shape.output_names)?;
    let bound = loaded.target.bind(&shape.output_names)?;
    // The strategy's settings (surrogate, network, outputs to regress) are checked too.
    loaded.strategy(&shape.output_names)?;
    say!(
        "oracle: {} inputs; outputs {}",
        shape.n_inputs,
        shape.output_names.join(", ")
    );
    // The centre, and a Latin-hypercube sample: a centre the code rejects (mu = 0 for a
    // symmetric mu range, say) says nothing about the rest of the box.
    let dim = loaded.space.dim();
    let mut rng = scan_core::strategy::iteration_stream(loaded.settings.seed, 0);
    let mut unit = vec![0.5; dim];
    unit.extend(scan_core::strategy::latin_hypercube_points(dim, sample, &mut rng));
    let x = loaded.space.from_unit_rows(&unit);
    let (mut ok, mut hits, mut failed) = (0, 0, Vec::new());
    for (k, point) in x.chunks(dim).enumerate() {
        let coordinates: Vec<String> = loaded
            .space
            .parameters()
            .iter()
            .zip(point)
            .map(|(p, v)| format!("{} = {}", p.name, format_number(*v)))
            .collect();
        let label = if k == 0 { " (box centre)" } else { "" };
        say!("point {}{label}: {}", k + 1, coordinates.join(", "));
        let mut out = vec![f64::NAN; shape.n_outputs()];
        let started = std::time::Instant::now();
        let result = oracle.evaluate(point, &mut out);
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Ok(()) if out.iter().all(|v| v.is_finite()) => {
                let outputs: Vec<String> = shape
                    .output_names
                    .iter()
                    .zip(&out)
                    .map(|(n, v)| format!("{n} = {}", format_number(*v)))
                    .collect();
                let verdict = bound.judge(Some(&out));
                say!("  outputs ({seconds:.3} s): {}", outputs.join(", "));
                say!("  in target: {}", if verdict.in_target { "yes" } else { "no" });
                ok += 1;
                hits += usize::from(verdict.in_target);
            }
            Ok(()) => {
                let (name, v) = shape
                    .output_names
                    .iter()
                    .zip(&out)
                    .find(|(_, v)| !v.is_finite())
                    .expect("a non-finite output");
                say!("  nan ({seconds:.3} s): output `{name}` is {v}");
                failed.push(k + 1);
            }
            Err(failure) => {
                say!("  failed ({seconds:.3} s): {failure}");
                failed.push(k + 1);
            }
        }
    }
    say!(
        "{} points: {ok} evaluated, {hits} in target, {} failed",
        x.len() / dim.max(1),
        failed.len()
    );
    if ok == 0 {
        say!(
            "no point could be evaluated: check the oracle's configuration and the box (try more points with --points)"
        );
    }
    Ok(())
}

fn plugin_info(spec: &str, config: Option<&str>) -> Result<()> {
    let path = locate_plugin(spec, &config::plugin_search_path())?;
    let plugin = Plugin::load(&path)?;
    say!("path:          {}", plugin.path().display());
    say!("name:          {}", plugin.name());
    say!("version:       {}", plugin.version());
    say!("oracle ABI:    {}.{}", oracle_api::abi::ABI_VERSION, plugin.abi_minor());
    say!(
        "configuration: {}",
        if plugin.wants_flat_config() {
            "flat `key = value` lines (from the TOML of [oracle.config])"
        } else {
            "TOML text (the [oracle.config] table)"
        }
    );
    let (text, source) = match config {
        None => (String::new(), "no configuration".to_string()),
        Some(c) if Path::new(c).is_file() => (
            config::oracle_config_of(Path::new(c))?,
            format!("the [oracle.config] of {c}"),
        ),
        Some(c) => (c.to_string(), "the configuration given".to_string()),
    };
    match plugin.instantiate(&text) {
        Ok(o) => {
            let s = o.shape();
            say!(
                "instance:      {} inputs; outputs {} (with {source})",
                s.n_inputs,
                s.output_names.join(", ")
            );
        }
        Err(e) if config.is_none() => {
            say!("instance:      this plugin needs configuration to make one; it says: {e}");
            say!(
                "               pass it with `dlscan plugin-info {spec} --config 'key = value'` (or \
                 --config run.toml), or put it in a run configuration's [oracle.config] table and \
                 run `dlscan check run.toml`"
            );
        }
        Err(e) => bail!("the plugin refused {source}: {e}"),
    }
    Ok(())
}
