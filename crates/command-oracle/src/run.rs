//! Running one external program in the work directory, with a time limit that kills the
//! program and everything it started.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use wait_timeout::ChildExt;

/// How a program run ended.
#[derive(Debug)]
pub enum Ended {
    Exited {
        status: ExitStatus,
        stdout: String,
        stderr: String,
    },
    TimedOut {
        stdout: String,
        stderr: String,
    },
    /// It could not be started (missing, not executable…).
    NotStarted(String),
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `argv` in `dir` with no standard input. On time-out the program's process group
/// (it and its children: a shell script's programs too) is killed.
pub fn run(argv: &[String], dir: &Path, timeout: Option<Duration>) -> Ended {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Ended::NotStarted(e.to_string()),
    };
    let out = drain(child.stdout.take().expect("piped stdout"));
    let err = drain(child.stderr.take().expect("piped stderr"));
    let status = match timeout {
        None => child.wait().ok(),
        Some(t) => match child.wait_timeout(t) {
            Ok(Some(s)) => Some(s),
            _ => {
                // The group id is the child's pid (process_group(0)). The child is not
                // reaped yet, so the id cannot have been reused; an error (the group is
                // already gone) leaves nothing to kill.
                let _ = kill_process_group(Pid::from_child(&child), Signal::KILL);
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        },
    };
    let (stdout, stderr) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    match status {
        Some(status) => Ended::Exited { status, stdout, stderr },
        None => Ended::TimedOut { stdout, stderr },
    }
}

/// The last `n` characters of `text`, on one line, for failure messages.
pub fn tail(text: &str, n: usize) -> String {
    let t = text.trim();
    let start = t.char_indices().rev().nth(n.saturating_sub(1)).map_or(0, |(i, _)| i);
    let prefix = if start > 0 { "…" } else { "" };
    format!(
        "{prefix}{}",
        t[start..].split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_status_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let sh = |s: &str| vec!["sh".to_string(), "-c".to_string(), s.to_string()];
        match run(&sh("echo out; echo err >&2; exit 3"), dir.path(), None) {
            Ended::Exited { status, stdout, stderr } => {
                assert_eq!(status.code(), Some(3));
                assert_eq!((stdout.as_str(), stderr.as_str()), ("out\n", "err\n"));
            }
            other => panic!("{other:?}"),
        }
        // The child's own child (sleep) dies with it: the call returns at the limit, not
        // after the sleep.
        let t = std::time::Instant::now();
        let ended = run(
            &sh("sleep 30 & sleep 30; echo never"),
            dir.path(),
            Some(Duration::from_millis(200)),
        );
        assert!(matches!(ended, Ended::TimedOut { .. }), "{ended:?}");
        assert!(t.elapsed() < Duration::from_secs(10));
        assert!(matches!(
            run(&["/no/such/program".to_string()], dir.path(), None),
            Ended::NotStarted(_)
        ));
    }

    #[test]
    fn tails_are_short() {
        assert_eq!(tail("a\nb\n  c  \n", 100), "a b c");
        assert_eq!(tail("0123456789", 3), "…789");
    }
}
