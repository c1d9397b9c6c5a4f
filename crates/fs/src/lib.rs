//! Files written atomically, the one way every crate writes a file it replaces
//! ([`write_atomic`]): the bytes go to a temporary file in the same directory, flushed to disk
//! and given the original's permissions and owner, then renamed over the original, so a reader
//! sees the old file or the new one, never half of one; on a failure the temporary file is
//! removed and the original is untouched. [`remove_stale_temp_files`] clears the temporary files
//! a killed run left behind.
//!
//! ```rust,ignore
#![doc = include_str!("../examples/write.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// The ending of Ferry's temporary files: `.NAME.PID-N.ferry-tmp` beside file `NAME`, so a
/// `.gitignore` line `*.ferry-tmp` keeps any that a killed run left behind out of commits.
pub const TEMP_SUFFIX: &str = ".ferry-tmp";

/// A temporary file older than this is stale whatever its process: a write takes moments.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// The process id in a temporary file name of Ferry's for `file_name`, in the current form
/// (`.NAME.PID-N.ferry-tmp`) or the earlier one (`.NAME.ferry-PID-N.tmp`).
fn temp_file_pid(candidate: &str, file_name: &str) -> Option<u32> {
    let rest = candidate.strip_prefix('.')?.strip_prefix(file_name)?;
    let ids = rest
        .strip_prefix('.')
        .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
        .or_else(|| rest.strip_prefix(".ferry-")?.strip_suffix(".tmp"))?;
    let (pid, attempt) = ids.split_once('-')?;
    attempt.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Whether process `pid` may still be running (always true where that cannot be told).
fn may_be_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Removes temporary files of Ferry's beside `path` that a killed run left behind: those of
/// processes that no longer run, and any older than an hour. Best effort: failures are ignored.
pub fn remove_stale_temp_files(path: &Path) {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let (Some(dir), Some(file_name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let file_name = file_name.to_string_lossy();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_file_pid(&name, &file_name) else {
            continue;
        };
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != own && (old || !may_be_running(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces a file's contents atomically: a temporary file in the same directory (named as
/// [`TEMP_SUFFIX`] says), flushed to disk, given the original file's permissions and owner, then
/// renamed over the original. A symlink is followed, so its target is replaced and the link kept.
///
/// # Errors
/// Any I/O error; the temporary file is removed and the original is untouched.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let target = fs::canonicalize(path).or_else(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Ok(path.to_path_buf())
        } else {
            Err(e)
        }
    })?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let original = fs::metadata(&target).ok();
    let permissions = original.as_ref().map(fs::Metadata::permissions);
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let candidate = dir.join(format!(
            ".{file_name}.{}-{attempt}{TEMP_SUFFIX}",
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => break (candidate, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(contents)?;
        file.sync_all()?;
        #[cfg(unix)]
        if let Some(original) = &original {
            keep_owner(&file, original)?;
        }
        if let Some(permissions) = permissions {
            fs::set_permissions(&tmp_path, permissions)?;
        }
        drop(file);
        fs::rename(&tmp_path, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

/// Gives the new file the original's owner and group when they differ from the new file's.
#[cfg(unix)]
fn keep_owner(file: &fs::File, original: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let new = file.metadata()?;
    if (new.uid(), new.gid()) == (original.uid(), original.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(original.uid()), Some(original.gid())).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot keep the file's owner {}:{} ({e}); run as that user, or give the file to \
                 the user who edits it",
                original.uid(),
                original.gid()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_names_of_both_forms_are_recognised() {
        let f = "kustomization.yaml";
        assert_eq!(
            temp_file_pid(".kustomization.yaml.123-0.ferry-tmp", f),
            Some(123)
        );
        assert_eq!(
            temp_file_pid(".kustomization.yaml.ferry-77-3.tmp", f),
            Some(77)
        );
        assert_eq!(temp_file_pid(".kustomization.yaml.swp", f), None);
        assert_eq!(temp_file_pid(".other.yaml.123-0.ferry-tmp", f), None);
        assert_eq!(temp_file_pid(".kustomization.yaml.x-0.ferry-tmp", f), None);
    }
}
