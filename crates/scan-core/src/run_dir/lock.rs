//! One process per run directory: an advisory lock on `dlscan.lock`, held for the whole run,
//! so a second `run` or `resume` on the same directory is refused instead of interleaving
//! its rows with the first one's.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::ScanError;

/// The held lock; released when dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: File,
}

impl RunLock {
    /// Take the lock of the run directory `dir`, or say which process holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock, ScanError> {
        let path = dir.join("dlscan.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(ScanError::io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_string(),
                    pid => format!("process {pid}"),
                };
                return Err(ScanError::RunDir {
                    path: dir.to_path_buf(),
                    message: format!("is in use by {holder}; wait for it to finish or stop it first"),
                });
            }
            Err(TryLockError::Error(e)) => return Err(ScanError::io(&path)(e)),
        }
        // The holder's pid, for the message a second process shows.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.flush())
            .map_err(ScanError::io(&path))?;
        Ok(RunLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let e = RunLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("in use") && e.contains(&std::process::id().to_string()),
            "{e}"
        );
        drop(first);
        RunLock::acquire(dir.path()).unwrap();
    }
}
