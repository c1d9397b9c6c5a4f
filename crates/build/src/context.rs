//! The build context: a directory sent to the engine as a tar archive, without what
//! `.dockerignore` excludes, as the Docker CLI sends it.
//!
//! The walk is sorted, so the same tree gives the same archive. Owners are root (uid and gid
//! 0, as the CLI sets them), modes and modification times come from the files, symbolic links
//! stay links, other special files are left out. An excluded directory is entered only when an
//! exception names a path inside it; excluded files are never read. The Dockerfile and
//! `.dockerignore` are always sent; a Dockerfile outside the directory is added under
//! [`OUTSIDE_DOCKERFILE`].

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::ignore::{DockerIgnore, PatternError};

/// The name in the archive of a Dockerfile that lies outside the context directory.
pub const OUTSIDE_DOCKERFILE: &str = ".ferry-build.Dockerfile";

/// Why the context cannot be archived.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The context directory does not exist or is not a directory.
    #[error("the build context {} is not a directory", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The Dockerfile does not exist.
    #[error("no Dockerfile at {}", path.display())]
    NoDockerfile {
        /// The path looked at.
        path: PathBuf,
    },
    /// `.dockerignore` holds a pattern Docker refuses.
    #[error("{}/{error}", dir.display())]
    Ignore {
        /// The context directory.
        dir: PathBuf,
        /// The pattern's error.
        #[source]
        error: PatternError,
    },
    /// A file or directory cannot be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        error: io::Error,
    },
}

/// Missing paths and bad patterns are bad input (exit 2); unreadable files are I/O (exit 3).
impl ferry_error::Classify for ContextError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            ContextError::NotADirectory { .. }
            | ContextError::NoDockerfile { .. }
            | ContextError::Ignore { .. } => ferry_error::ErrorKind::BadInput,
            ContextError::Read { .. } => ferry_error::ErrorKind::Io,
        }
    }
}

/// A build context as the engine receives it.
#[derive(Clone)]
pub struct ContextArchive {
    /// The tar archive.
    pub tar: Vec<u8>,
    /// The paths in the archive, in order (directories end with `/`).
    pub entries: Vec<String>,
    /// The Dockerfile's path inside the archive.
    pub dockerfile: String,
}

impl std::fmt::Debug for ContextArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextArchive")
            .field("bytes", &self.tar.len())
            .field("entries", &self.entries.len())
            .field("dockerfile", &self.dockerfile)
            .finish()
    }
}

/// Archives the context directory `dir` with the Dockerfile `dockerfile` (a path as given on
/// the command line; `None`: `dir/Dockerfile`).
pub fn archive(dir: &Path, dockerfile: Option<&Path>) -> Result<ContextArchive, ContextError> {
    if !dir.is_dir() {
        return Err(ContextError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let dockerfile_path = dockerfile.map_or_else(|| dir.join("Dockerfile"), Path::to_path_buf);
    if !dockerfile_path.is_file() {
        return Err(ContextError::NoDockerfile {
            path: dockerfile_path,
        });
    }
    let inside = inside_path(dir, &dockerfile_path);
    let ignore_file = dir.join(".dockerignore");
    let mut ignore = match fs::read_to_string(&ignore_file) {
        Ok(text) => DockerIgnore::parse(&text).map_err(|error| ContextError::Ignore {
            dir: dir.to_path_buf(),
            error,
        })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(error) => {
            return Err(ContextError::Read {
                path: ignore_file,
                error,
            });
        }
    };
    ignore.keep(".dockerignore");
    if let Some(inside) = &inside {
        ignore.keep(inside);
    }

    let mut writer = Writer {
        builder: tar::Builder::new(Vec::new()),
        entries: Vec::new(),
    };
    walk(dir, "", &ignore, &mut writer)?;
    let name = match inside {
        Some(inside) => inside,
        None => {
            writer.file(&dockerfile_path, OUTSIDE_DOCKERFILE)?;
            OUTSIDE_DOCKERFILE.to_owned()
        }
    };
    let tar = writer
        .builder
        .into_inner()
        .map_err(|error| ContextError::Read {
            path: dir.to_path_buf(),
            error,
        })?;
    Ok(ContextArchive {
        tar,
        entries: writer.entries,
        dockerfile: name,
    })
}

/// `file` relative to `dir`, `/`-separated, when it lies inside it (compared lexically after
/// making both absolute and canonical where they exist).
fn inside_path(dir: &Path, file: &Path) -> Option<String> {
    let dir = fs::canonicalize(dir).ok()?;
    let file = fs::canonicalize(file).ok()?;
    let relative = file.strip_prefix(&dir).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

struct Writer {
    builder: tar::Builder<Vec<u8>>,
    entries: Vec<String>,
}

impl Writer {
    fn header(metadata: &fs::Metadata, kind: tar::EntryType, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(mode(metadata));
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        header.set_mtime(mtime);
        header
    }

    fn file(&mut self, path: &Path, name: &str) -> Result<(), ContextError> {
        let read = |error| ContextError::Read {
            path: path.to_path_buf(),
            error,
        };
        let file = fs::File::open(path).map_err(read)?;
        let metadata = file.metadata().map_err(read)?;
        let mut header = Self::header(&metadata, tar::EntryType::Regular, metadata.len());
        self.builder
            .append_data(&mut header, name, file)
            .map_err(read)?;
        self.entries.push(name.to_owned());
        Ok(())
    }

    fn dir(
        &mut self,
        path: &Path,
        metadata: &fs::Metadata,
        name: &str,
    ) -> Result<(), ContextError> {
        let mut header = Self::header(metadata, tar::EntryType::Directory, 0);
        let name = format!("{name}/");
        self.builder
            .append_data(&mut header, &name, io::empty())
            .map_err(|error| ContextError::Read {
                path: path.to_path_buf(),
                error,
            })?;
        self.entries.push(name);
        Ok(())
    }

    fn link(
        &mut self,
        path: &Path,
        metadata: &fs::Metadata,
        name: &str,
    ) -> Result<(), ContextError> {
        let read = |error| ContextError::Read {
            path: path.to_path_buf(),
            error,
        };
        let target = fs::read_link(path).map_err(read)?;
        let mut header = Self::header(metadata, tar::EntryType::Symlink, 0);
        self.builder
            .append_link(&mut header, name, target)
            .map_err(read)?;
        self.entries.push(name.to_owned());
        Ok(())
    }
}

#[cfg(unix)]
fn mode(metadata: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode(metadata: &fs::Metadata) -> u32 {
    if metadata.is_dir() { 0o755 } else { 0o644 }
}

/// Adds the entries of `dir` (at `prefix` in the archive) in name order.
fn walk(
    dir: &Path,
    prefix: &str,
    ignore: &DockerIgnore,
    writer: &mut Writer,
) -> Result<(), ContextError> {
    let read = |error| ContextError::Read {
        path: dir.to_path_buf(),
        error,
    };
    let mut children: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(read)?
        .map(|entry| {
            let entry = entry.map_err(read)?;
            Ok((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ))
        })
        .collect::<Result<_, ContextError>>()?;
    children.sort();
    for (name, path) in children {
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let metadata = fs::symlink_metadata(&path).map_err(|error| ContextError::Read {
            path: path.clone(),
            error,
        })?;
        let excluded = ignore.excludes(&relative);
        if metadata.is_dir() {
            if !excluded {
                writer.dir(&path, &metadata, &relative)?;
                walk(&path, &relative, ignore, writer)?;
            } else if ignore.may_reinclude_below(&relative) {
                walk(&path, &relative, ignore, writer)?;
            }
        } else if excluded {
            continue;
        } else if metadata.file_type().is_symlink() {
            writer.link(&path, &metadata, &relative)?;
        } else if metadata.is_file() {
            writer.file(&path, &relative)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(archive: &ContextArchive) -> Vec<String> {
        let mut tar = tar::Archive::new(archive.tar.as_slice());
        tar.entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                let header = e.header();
                assert_eq!(header.uid().expect("uid"), 0);
                e.path().expect("path").to_string_lossy().into_owned()
            })
            .collect()
    }

    #[test]
    fn archives_what_dockerignore_leaves_in_name_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir_all(root.join("docs/deep")).expect("dirs");
        fs::create_dir_all(root.join("src")).expect("dirs");
        for (path, text) in [
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "docs\n!docs/keep.md\n*.log\nDockerfile\n"),
            ("app.txt", "app"),
            ("debug.log", "secret"),
            ("docs/keep.md", "kept"),
            ("docs/drop.md", "dropped"),
            ("docs/deep/x.md", "dropped"),
            ("src/main.rs", "fn main() {}"),
            ("src/trace.log", "kept: *.log is anchored at the root"),
        ] {
            fs::write(root.join(path), text).expect("write");
        }
        let archive = archive(root, None).expect("archive");
        assert_eq!(archive.dockerfile, "Dockerfile");
        assert_eq!(
            names(&archive),
            [
                ".dockerignore",
                "Dockerfile",
                "app.txt",
                "docs/keep.md",
                "src/",
                "src/main.rs",
                "src/trace.log",
            ]
        );
        assert_eq!(names(&archive), archive.entries);
    }

    #[test]
    fn a_dockerfile_outside_the_context_is_added() {
        let dir = tempfile::tempdir().expect("tempdir");
        let context = dir.path().join("context");
        fs::create_dir(&context).expect("dir");
        fs::write(context.join("a"), "a").expect("write");
        let outside = dir.path().join("Build.Dockerfile");
        fs::write(&outside, "FROM scratch\n").expect("write");
        let archive = archive(&context, Some(&outside)).expect("archive");
        assert_eq!(archive.dockerfile, OUTSIDE_DOCKERFILE);
        assert_eq!(names(&archive), ["a", OUTSIDE_DOCKERFILE]);
    }

    #[test]
    fn missing_paths_and_bad_patterns_are_bad_input() {
        use ferry_error::Classify as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let error = archive(&dir.path().join("nope"), None).expect_err("no dir");
        assert_eq!(error.exit_code(), 2);
        let error = archive(dir.path(), None).expect_err("no Dockerfile");
        assert!(error.to_string().starts_with("no Dockerfile at"), "{error}");
        fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").expect("write");
        fs::write(dir.path().join(".dockerignore"), "ok\n[bad\n").expect("write");
        let error = archive(dir.path(), None).expect_err("bad pattern");
        assert!(
            error
                .to_string()
                .ends_with(".dockerignore:2: syntax error in pattern \"[bad\""),
            "{error}"
        );
        assert_eq!(error.exit_code(), 2);
    }
}
