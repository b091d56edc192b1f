//! Running one external program in the work directory, with a time limit that kills the
//! program and everything it started.
//!
//! Each program runs in its own process group. When the program ends, or is killed at its
//! time limit, the whole group is killed: a background child left behind (`sleep 99 &`)
//! would otherwise keep the output pipes open, and waiting for their end would never end.
//! After that the pipes are read for a short grace period only, so a process that escaped
//! the group (a new session) cannot hold the oracle either.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

/// At most this many bytes of each output stream are kept; the rest is read and dropped,
/// so a program printing without end neither blocks on a full pipe nor fills the memory.
pub const MAX_CAPTURE: usize = 1 << 20;

/// How long the pipes are still read after the program's process group was killed. With
/// the group dead they close at once and this is not waited out; only a process that left
/// the group can hold them open. Generous, so that a loaded machine, slow to schedule the
/// reading threads, does not lose the end of a program's output.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

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

/// Reads `pipe` to its end on a thread, keeping the first [`MAX_CAPTURE`] bytes in the
/// returned buffer, and says `()` on `done` when the pipe is closed. The buffer, not the
/// thread's result, carries the text, so that what was read is there even when the pipe
/// stays open and the thread is left behind.
fn capture(mut pipe: impl Read + Send + 'static, done: mpsc::Sender<()>) -> Arc<Mutex<Vec<u8>>> {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&kept);
    std::thread::spawn(move || {
        let mut chunk = vec![0; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let mut kept = into.lock().unwrap_or_else(|e| e.into_inner());
                    let room = MAX_CAPTURE.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..n.min(room)]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    kept
}

fn text(bytes: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&bytes.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// Waits until the process `pid` (a child of this process) has exited, without reaping it:
/// while it is a zombie its pid, which is also its process group's id, cannot be reused, so
/// the group can be killed safely. Says `()` on the returned channel then.
fn exited(pid: Pid) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Exited, or (an error other than an interruption) not waitable any more: either
        // way there is nothing more to wait for.
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
        while matches!(waitid(WaitId::Pid(pid), options), Err(Errno::INTR)) {}
        let _ = tx.send(());
    });
    rx
}

/// Start `cmd`, retrying while its executable is "busy": a program written just before
/// (a script, a freshly built code) can be briefly held open for writing by a process that
/// another thread forked at that moment, until that process execs. The wait is short.
fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Runs `argv` in `dir` with no standard input. When the program exits, or at the time-out
/// (which kills it), its process group (it and its children: a shell script's programs
/// too, also those sent to the background) is killed. Each output keeps at most
/// [`MAX_CAPTURE`] bytes.
pub fn run(argv: &[String], dir: &Path, timeout: Option<Duration>) -> Ended {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: the closure runs in the forked child before exec and makes one prctl system
    // call, which is async-signal-safe; it touches no memory of the parent. The program
    // then dies with the thread that started it, so a worker process killed at a time
    // limit (isolation = "process") leaves no program running.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).map_err(std::io::Error::from)
        });
    }
    let mut child = match spawn(&mut cmd) {
        Ok(c) => c,
        Err(e) => return Ended::NotStarted(e.to_string()),
    };
    let pid = Pid::from_child(&child);
    let (done_tx, done) = mpsc::channel();
    let out = capture(child.stdout.take().expect("piped stdout"), done_tx.clone());
    let err = capture(child.stderr.take().expect("piped stderr"), done_tx);
    let exit = exited(pid);
    let timed_out = match timeout {
        None => {
            let _ = exit.recv();
            false
        }
        Some(t) => match exit.recv_timeout(t) {
            Ok(()) => false,
            Err(mpsc::RecvTimeoutError::Timeout) => true,
            // The waiting thread is gone without a word: only `child.wait` can tell.
            Err(mpsc::RecvTimeoutError::Disconnected) => false,
        },
    };
    // The group id is the child's pid (process_group(0)). The child is not reaped yet, so
    // the id cannot have been reused; an error (the group is already gone) leaves nothing
    // to kill.
    let _ = kill_process_group(pid, Signal::KILL);
    let status = child.wait().ok();
    // Every process of the group is dead, so the pipes close now unless a process that left
    // the group holds them; that one is not waited for.
    let deadline = Instant::now() + DRAIN_GRACE;
    for _ in 0..2 {
        if done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
        {
            break;
        }
    }
    let (stdout, stderr) = (text(&out), text(&err));
    match status {
        Some(status) if !timed_out => Ended::Exited { status, stdout, stderr },
        _ => Ended::TimedOut { stdout, stderr },
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

/// `text` cut to at most `max` bytes (at least 3, the mark's length) on a character
/// boundary, a cut marked by a trailing "…": failure messages end up in the scan's
/// files, where a program's megabyte of output has no place.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub("…".len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
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
        let t = Instant::now();
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

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".to_string(), "-c".to_string(), script.to_string()]
    }

    /// The pid a script wrote into `file` in `dir`.
    fn pid_in(dir: &Path, file: &str) -> u32 {
        std::fs::read_to_string(dir.join(file)).unwrap().trim().parse().unwrap()
    }

    /// Whether process `pid` is gone (or a zombie nobody reaped: dead all the same) within
    /// two seconds.
    fn dies(pid: u32) -> bool {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(2) {
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Err(_) => return true,
                // The state follows the command name in parentheses.
                Ok(stat) if stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z') => return true,
                Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        false
    }

    #[test]
    fn a_background_child_holding_the_output_neither_hangs_nor_survives() {
        let dir = tempfile::tempdir().unwrap();
        for timeout in [None, Some(Duration::from_secs(30))] {
            let t = Instant::now();
            let ended = run(&sh("sleep 1002 & echo $! > child.pid; echo y=0.1"), dir.path(), timeout);
            assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
            match ended {
                Ended::Exited { status, stdout, .. } => {
                    assert!(status.success());
                    assert_eq!(stdout, "y=0.1\n");
                }
                other => panic!("{other:?}"),
            }
            let child = pid_in(dir.path(), "child.pid");
            assert!(dies(child), "sleep {child} outlived its program");
        }
    }

    #[test]
    fn a_timed_out_programs_children_die_too() {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let ended = run(
            &sh("sleep 1003 & echo $! > child.pid; echo started; sleep 1003"),
            dir.path(),
            Some(Duration::from_millis(300)),
        );
        assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
        match ended {
            Ended::TimedOut { stdout, .. } => assert_eq!(stdout, "started\n"),
            other => panic!("{other:?}"),
        }
        let child = pid_in(dir.path(), "child.pid");
        assert!(dies(child), "sleep {child} outlived its timed-out program");
    }

    #[test]
    fn a_process_that_left_the_group_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let ended = run(
            &sh("setsid sh -c 'echo $$ > escaped.pid; exec sleep 1004' & \
                 while [ ! -s escaped.pid ]; do sleep 0.01; done; echo y=0.2"),
            dir.path(),
            None,
        );
        let took = t.elapsed();
        let escaped = pid_in(dir.path(), "escaped.pid");
        let _ = Command::new("kill").args(["-9", &escaped.to_string()]).status();
        // Waited out the drain grace, not the escaped process's 1004 s.
        assert!(took < DRAIN_GRACE + Duration::from_secs(20), "took {took:?}");
        match ended {
            Ended::Exited { stdout, .. } => assert_eq!(stdout, "y=0.2\n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn outputs_keep_at_most_a_mebibyte() {
        let dir = tempfile::tempdir().unwrap();
        let ended = run(
            &sh("echo y=0.3; head -c 5000000 /dev/zero | tr '\\0' a; head -c 5000000 /dev/zero | tr '\\0' b >&2"),
            dir.path(),
            Some(Duration::from_secs(60)),
        );
        match ended {
            Ended::Exited { status, stdout, stderr } => {
                assert!(status.success());
                assert_eq!(stdout.len(), MAX_CAPTURE);
                assert!(stdout.starts_with("y=0.3\naaa"));
                assert_eq!(stderr.len(), MAX_CAPTURE);
                assert!(stderr.bytes().all(|b| b == b'b'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn clipped_texts_end_on_a_character_with_a_mark() {
        assert_eq!(clip("short", 1024), "short");
        let long = "é".repeat(2000);
        let c = clip(&long, 1024);
        assert!(c.len() <= 1024, "{}", c.len());
        assert!(c.ends_with('…'));
        assert!(c.trim_end_matches('…').chars().all(|ch| ch == 'é'));
        assert_eq!(clip("abcdef", 5), "ab…");
    }

    #[test]
    fn tails_are_short() {
        assert_eq!(tail("a\nb\n  c  \n", 100), "a b c");
        assert_eq!(tail("0123456789", 3), "…789");
    }
}
