//! Atomic replacement of a file.

use std::io::Write;
use std::path::Path;

use crate::error::ScanError;

/// Write `bytes` to `path` so that readers see either the old or the new content, never a
/// torn one, even after a power cut: a uniquely named temporary file in the same directory,
/// fsync'ed, renamed over `path` (replacing a symlink there rather than writing through
/// it), then the directory fsync'ed so the rename itself is durable.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ScanError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".dlscan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(ScanError::io(dir))?;
    tmp.write_all(bytes).map_err(ScanError::io(tmp.path()))?;
    tmp.as_file().sync_data().map_err(ScanError::io(tmp.path()))?;
    tmp.persist(path).map_err(|e| ScanError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    sync_dir(dir)
}

/// Make the directory's entries (creations, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), ScanError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(ScanError::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn replaces_a_symlink_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"keep").unwrap();
        let link = dir.path().join("summary.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&link).unwrap(), b"new");
        assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    }
}
