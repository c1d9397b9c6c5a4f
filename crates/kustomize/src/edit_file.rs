//! Image edits on files: finding the kustomization in a directory and writing it atomically.

use std::fs;
use std::io;
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

/// The atomic writer of every crate, here for the callers of `edit_file` (`ferry-fs`).
pub use ferry_fs::{TEMP_SUFFIX, remove_stale_temp_files, write_atomic};

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
}
