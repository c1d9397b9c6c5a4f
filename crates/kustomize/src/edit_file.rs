//! Image edits on files: finding the kustomization in a directory and writing it atomically.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::edit::{EditError, EditOutcome, ImageEdit, MAX_INPUT_BYTES, set_images};

/// The file names kustomize looks for in a directory, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Why a file-level image edit failed.
#[derive(Debug, Error)]
pub enum FileEditError {
    /// The directory holds none of [`KUSTOMIZATION_FILE_NAMES`].
    #[error(
        "{}: no kustomization.yaml, kustomization.yml or Kustomization in this directory",
        dir.display()
    )]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The directory holds more than one of [`KUSTOMIZATION_FILE_NAMES`] (kustomize refuses too).
    #[error(
        "{}: found more than one kustomization file ({}); keep only one",
        dir.display(),
        names.join(", ")
    )]
    Ambiguous {
        /// The directory searched.
        dir: PathBuf,
        /// The file names found.
        names: Vec<String>,
    },
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The path is not a regular file (a device, FIFO or socket).
    #[error(
        "{}: not a regular file (a device, FIFO or socket); name a kustomization file or its directory",
        path.display()
    )]
    NotRegular {
        /// The path concerned.
        path: PathBuf,
    },
    /// The file is read-only and the edit would change it; [`WriteMode::Force`] writes anyway.
    #[error(
        "{}: the file is read-only; make it writable, or pass --force to replace it anyway \
         (its mode and owner are kept)",
        path.display()
    )]
    ReadOnly {
        /// The file concerned.
        path: PathBuf,
    },
    /// The file is not UTF-8.
    #[error("{}: the file is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file concerned.
        path: PathBuf,
    },
    /// The edit itself failed; the file is unchanged.
    #[error("{}", located(path, source))]
    Edit {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong, with line and column.
        source: EditError,
    },
}

impl ferry_error::Classify for FileEditError {
    /// A read-only file refuses the edit (exit 1); a path that does not exist and a bad file
    /// are the caller's mistake (exit 2); anything else the system refused (permissions, a
    /// full disk) is an I/O failure (exit 3).
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            FileEditError::ReadOnly { .. } => ErrorKind::Refused,
            FileEditError::Io { source, .. } if source.kind() != io::ErrorKind::NotFound => {
                ErrorKind::Io
            }
            _ => ErrorKind::BadInput,
        }
    }
}

impl FileEditError {
    /// The file (or directory) the error is about, and the line and column when known.
    pub fn location(&self) -> (&Path, Option<usize>, Option<usize>) {
        match self {
            FileEditError::Edit { path, source } => (path, source.line, source.column),
            FileEditError::Io { path, .. }
            | FileEditError::NotUtf8 { path }
            | FileEditError::NotRegular { path }
            | FileEditError::ReadOnly { path } => (path, None, None),
            FileEditError::NotFound { dir } | FileEditError::Ambiguous { dir, .. } => {
                (dir, None, None)
            }
        }
    }
}

fn located(path: &Path, error: &EditError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => {
            format!("{}:{line}:{column}: {}", path.display(), error.detail())
        }
        (Some(line), None) => format!("{}:{line}: {}", path.display(), error.detail()),
        _ => format!("{}: {}", path.display(), error.detail()),
    }
}

/// Whether to write the edited file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Write the file (atomically) when it changes; a read-only file is refused.
    Write,
    /// Like [`WriteMode::Write`], and replace a read-only file too (keeping its mode and owner).
    Force,
    /// Write nothing; only report whether the file would change.
    Check,
}

/// The result of [`set_images_in_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The kustomization file edited.
    pub path: PathBuf,
    /// The edit result (the new text, entries before and after).
    pub outcome: EditOutcome,
    /// Whether the file was written.
    pub written: bool,
}

/// The kustomization file kustomize would read in `dir`.
///
/// # Errors
/// [`FileEditError::NotFound`] or [`FileEditError::Ambiguous`].
pub fn find_kustomization(dir: &Path) -> Result<PathBuf, FileEditError> {
    let found: Vec<&str> = KUSTOMIZATION_FILE_NAMES
        .into_iter()
        .filter(|name| dir.join(name).is_file())
        .collect();
    match found.as_slice() {
        [] => Err(FileEditError::NotFound {
            dir: dir.to_path_buf(),
        }),
        [one] => Ok(dir.join(one)),
        many => Err(FileEditError::Ambiguous {
            dir: dir.to_path_buf(),
            names: many.iter().map(|s| (*s).to_owned()).collect(),
        }),
    }
}

/// A kustomization file, or the kustomization file in a directory.
///
/// # Errors
/// [`FileEditError`] when the path does not exist or the directory holds no single kustomization.
pub fn kustomization_path(path: &Path) -> Result<PathBuf, FileEditError> {
    let meta = fs::metadata(path).map_err(|source| FileEditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        find_kustomization(path)
    } else {
        Ok(path.to_path_buf())
    }
}

/// Applies image edits to a kustomization file (or the one in a directory).
///
/// The file is read, edited with [`set_images`] and, in [`WriteMode::Write`] when it changes,
/// replaced atomically with [`write_atomic`]. On any error the file is left unchanged.
///
/// # Errors
/// [`FileEditError`] naming the file, and for edit errors the line and column.
pub fn set_images_in_file(
    path: &Path,
    edits: &[ImageEdit],
    mode: WriteMode,
) -> Result<FileOutcome, FileEditError> {
    let path = kustomization_path(path)?;
    let io_err = |source| FileEditError::Io {
        path: path.clone(),
        source,
    };
    if mode != WriteMode::Check {
        remove_stale_temp_files(&path);
    }
    let limit = MAX_INPUT_BYTES as u64;
    let bytes = match crate::source::read_regular_file(&path, limit) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            return Err(FileEditError::NotRegular { path });
        }
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            let size = fs::metadata(&path).map_or(0, |m| m.len()).max(limit + 1);
            return Err(FileEditError::Edit {
                path,
                source: EditError::too_large(usize::try_from(size).unwrap_or(usize::MAX)),
            });
        }
        Err(e) => return Err(io_err(e)),
    };
    let text =
        String::from_utf8(bytes).map_err(|_| FileEditError::NotUtf8 { path: path.clone() })?;
    let outcome = set_images(&text, edits).map_err(|source| FileEditError::Edit {
        path: path.clone(),
        source,
    })?;
    let written = outcome.changed && mode != WriteMode::Check;
    if written {
        let read_only = fs::metadata(&path)
            .map_err(io_err)?
            .permissions()
            .readonly();
        if read_only && mode != WriteMode::Force {
            return Err(FileEditError::ReadOnly { path });
        }
        write_atomic(&path, outcome.text.as_bytes()).map_err(io_err)?;
    }
    Ok(FileOutcome {
        path,
        outcome,
        written,
    })
}

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
    let file_name = target.file_name().map_or_else(
        || "kustomization".into(),
        |n| n.to_string_lossy().into_owned(),
    );
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

    fn code(kind: io::ErrorKind) -> u8 {
        use ferry_error::Classify as _;
        FileEditError::Io {
            path: PathBuf::from("kustomization.yaml"),
            source: io::Error::from(kind),
        }
        .exit_code()
    }

    #[test]
    fn io_failures_exit_3_and_a_missing_path_exits_2() {
        use ferry_error::{Classify as _, ErrorKind};
        assert_eq!(code(io::ErrorKind::PermissionDenied), 3);
        assert_eq!(code(io::ErrorKind::StorageFull), 3);
        assert_eq!(code(io::ErrorKind::NotFound), 2);
        let read_only = FileEditError::ReadOnly {
            path: PathBuf::from("kustomization.yaml"),
        };
        assert_eq!(read_only.error_kind(), ErrorKind::Refused);
        assert_eq!(read_only.exit_code(), 1);
    }

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
