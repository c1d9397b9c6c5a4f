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
    /// Write the file (atomically) when it changes.
    Write,
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
    let size = fs::metadata(&path).map_err(io_err)?.len();
    if size > MAX_INPUT_BYTES as u64 {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        return Err(FileEditError::Edit {
            path,
            source: EditError::too_large(size),
        });
    }
    let bytes = fs::read(&path).map_err(io_err)?;
    let text =
        String::from_utf8(bytes).map_err(|_| FileEditError::NotUtf8 { path: path.clone() })?;
    let outcome = set_images(&text, edits).map_err(|source| FileEditError::Edit {
        path: path.clone(),
        source,
    })?;
    let written = outcome.changed && mode == WriteMode::Write;
    if written {
        write_atomic(&path, outcome.text.as_bytes()).map_err(io_err)?;
    }
    Ok(FileOutcome {
        path,
        outcome,
        written,
    })
}

/// Replaces a file's contents atomically: a temporary file in the same directory, flushed to
/// disk, given the original file's permissions, then renamed over the original. A symlink is
/// followed, so its target is replaced and the link kept.
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
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let candidate = dir.join(format!(
            ".{file_name}.ferry-{}-{attempt}.tmp",
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
