//! `dlscan-oracle-worker <plugin>`: serve one plugin instance to a scan over standard input
//! and output ([`oracle_api::isolation`]). The scanner starts it for `[oracle] isolation =
//! "process"`; it links nothing but the loader, so it starts in milliseconds and a restart
//! after a crash is cheap.

fn main() {
    let Some(plugin) = std::env::args_os().nth(1) else {
        eprintln!("usage: dlscan-oracle-worker <plugin library> (started by dlscan, not by hand)");
        std::process::exit(2);
    };
    oracle_api::install_quiet_panic_hook();
    if let Err(e) = oracle_api::isolation::serve_plugin(std::path::Path::new(&plugin)) {
        eprintln!("dlscan-oracle-worker: {e}");
        std::process::exit(1);
    }
}
