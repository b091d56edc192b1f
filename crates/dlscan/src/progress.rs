//! Progress reporting: a live bar on a terminal, one log line per iteration otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use scan_core::{BatchProgress, IterationRecord, Observer, PointRecord, ScanError, Summary};

/// Reports a run's progress on standard error.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    budget: Option<u64>,
}

impl Progress {
    /// A bar when standard error is a terminal (its length is the oracle-call budget, if
    /// any), plain lines otherwise.
    pub fn new(budget: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = budget.map_or_else(ProgressBar::no_length, ProgressBar::new);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} calls  {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, budget }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl Observer for Progress {
    fn on_points(&mut self, _: &[PointRecord], p: BatchProgress) -> Result<(), ScanError> {
        if let Some(bar) = &self.bar {
            bar.set_position(p.total_calls);
            bar.set_message(format!(
                "{} in target ({:.1} %)",
                p.total_in_target,
                percent(p.total_in_target, p.total_calls)
            ));
        }
        Ok(())
    }

    fn on_iteration_end(&mut self, r: &IterationRecord, _: &Summary) -> Result<(), ScanError> {
        let budget = self.budget.map_or_else(String::new, |b| format!("/{b}"));
        self.line(format!(
            "iteration {:>3}: {:>6} calls ({}{} total), {:>5} new in target ({:.1} %), {} in target; oracle {:.2} s{}",
            r.iteration,
            r.oracle_calls,
            r.total_oracle_calls,
            budget,
            r.new_in_target,
            percent(r.new_in_target, r.oracle_calls),
            r.total_in_target,
            r.seconds_oracle,
            if r.failures > 0 {
                format!(", {} failed", r.failures)
            } else {
                String::new()
            },
        ));
        Ok(())
    }

    fn on_finish(&mut self, s: &Summary) -> Result<(), ScanError> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let reason = s.stop_reason.map_or_else(|| "stopped".to_string(), |r| r.to_string());
        eprintln!(
            "{reason}: {} oracle calls, {} in target ({:.2} %), {} failed/NaN/timeout, {:.1} s",
            s.oracle_calls,
            s.in_target,
            100.0 * s.efficiency,
            s.status.failed + s.status.nan + s.status.timeout,
            s.seconds_total
        );
        Ok(())
    }
}
