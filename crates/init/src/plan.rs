//! The plan: each generated file compared with what exists under the root, and its application,
//! which never overwrites a different file unless forced.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{File, InitError};

/// How a generated file compares with the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No file at the path: it is created.
    Missing,
    /// The file holds exactly the generated contents.
    Same,
    /// The file holds something else: kept, unless forced.
    Differs {
        /// The first line (1-based) where the two differ.
        line: usize,
    },
}

/// One file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The generated file.
    pub file: File,
    /// How it compares with the disk.
    pub state: State,
}

/// Every generated file with its [`State`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The files, in generation order.
    pub files: Vec<Planned>,
}

/// What [`Plan::apply`] did, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Files written where none was.
    pub created: Vec<String>,
    /// Different files replaced (only when forced).
    pub overwritten: Vec<String>,
    /// Different files left as they are (not forced).
    pub kept: Vec<String>,
    /// Files that already held the generated contents.
    pub unchanged: Vec<String>,
}

/// Compares `files` with what exists under `root`. A path whose file or any directory on the way
/// is a symbolic link, or that is not a regular file, is refused: the plan writes only regular
/// files inside `root`.
pub fn plan(root: &Path, files: Vec<File>) -> Result<Plan, InitError> {
    let mut planned = Vec::with_capacity(files.len());
    for file in files {
        let path = checked_path(root, &file.path)?;
        let state = match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::Missing,
            Err(source) => return Err(InitError::Io { path, source }),
            Ok(meta) if !meta.is_file() => return Err(InitError::NotAFile { path }),
            Ok(_) => {
                let existing = fs::read(&path).map_err(|source| InitError::Io {
                    path: path.clone(),
                    source,
                })?;
                if existing == file.contents.as_bytes() {
                    State::Same
                } else {
                    State::Differs {
                        line: first_difference(&String::from_utf8_lossy(&existing), &file.contents),
                    }
                }
            }
        };
        planned.push(Planned { file, state });
    }
    Ok(Plan { files: planned })
}

/// `root/relative`, refused when a directory on the way exists and is not a directory (a
/// symbolic link included).
fn checked_path(root: &Path, relative: &str) -> Result<PathBuf, InitError> {
    let mut path = root.to_path_buf();
    let parts: Vec<&str> = relative.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        if i + 1 == parts.len() {
            break;
        }
        match fs::symlink_metadata(&path) {
            Ok(meta) if !meta.is_dir() => return Err(InitError::NotAFile { path }),
            _ => {}
        }
    }
    Ok(path)
}

/// The first line (1-based) where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> usize {
    let mut left = a.split_inclusive('\n');
    let mut right = b.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (left.next(), right.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            _ => return line,
        }
    }
}

impl Plan {
    /// The files that are missing or differ: what `--check` lists.
    pub fn differences(&self) -> impl Iterator<Item = &Planned> {
        self.files.iter().filter(|p| p.state != State::Same)
    }

    /// Writes the plan under `root`: missing files are created (with their directories), a
    /// different file is overwritten only when `force`, else kept. Each write goes to a
    /// temporary file beside the target, then is renamed over it.
    pub fn apply(&self, root: &Path, force: bool) -> Result<Applied, InitError> {
        let mut applied = Applied::default();
        for planned in &self.files {
            let path = checked_path(root, &planned.file.path)?;
            let list = match planned.state {
                State::Same => {
                    applied.unchanged.push(planned.file.path.clone());
                    continue;
                }
                State::Differs { .. } if !force => {
                    applied.kept.push(planned.file.path.clone());
                    continue;
                }
                State::Differs { .. } => &mut applied.overwritten,
                State::Missing => &mut applied.created,
            };
            write_atomically(&path, planned.file.contents.as_bytes())?;
            list.push(planned.file.path.clone());
        }
        Ok(applied)
    }
}

fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), InitError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InitError::Io { path, source }
    };
    let dir = path.parent().expect("a generated path has a parent");
    fs::create_dir_all(dir).map_err(io(dir))?;
    ferry_fs::write_atomic(path, contents).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_found() {
        assert_eq!(first_difference("a\nb\nc\n", "a\nb\nc\n"), 4);
        assert_eq!(first_difference("a\nb\n", "a\nx\n"), 2);
        assert_eq!(first_difference("", "a\n"), 1);
        assert_eq!(first_difference("a\n", "a\nb\n"), 2);
    }
}
