//! Pieces shared by Ferry's fuzz targets: a tree of files in memory (a [`FileSource`] for the
//! overlay resolver) and the text format fuzz inputs use for such a tree.
//!
//! A tree input is a list of entries, each introduced by a header line:
//!
//! ```text
//! === overlay/kustomization.yaml
//! resources: [../base]
//! === base/kustomization.yaml
//! resources: [deploy.yaml]
//! === link/kustomization.yaml -> ../../outside/k.yaml
//! ```
//!
//! `=== PATH` starts a file (its content is the following lines), `=== PATH -> TARGET` makes a
//! symbolic link. Relative paths are below [`ROOT`]; absolute paths (such as `/outside/k.yaml`)
//! are outside it, so the resolver can be tempted to read there.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ferry_kustomize::{FileKind, FileSource};

/// The repository root of a tree input.
pub const ROOT: &str = "/repo";

/// The most entries a tree input may have (more are ignored).
pub const MAX_ENTRIES: usize = 64;

/// Symbolic links followed while resolving one path before giving up (as Linux does).
const MAX_HOPS: usize = 40;

/// A tree of files and symbolic links in memory. Every file's ancestors are directories.
#[derive(Debug, Default)]
pub struct MemTree {
    files: BTreeMap<PathBuf, Vec<u8>>,
    links: BTreeMap<PathBuf, PathBuf>,
    dirs: BTreeSet<PathBuf>,
    /// The first kustomization file of the input, below the root.
    first_kustomization: Option<PathBuf>,
    /// Canonical paths of every file read, in order.
    reads: Mutex<Vec<PathBuf>>,
}

/// `path` made absolute (below [`ROOT`] when relative) without `.` and `..` components.
pub fn normalize(path: &str) -> PathBuf {
    let mut out = PathBuf::from("/");
    let joined = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        Path::new(ROOT).join(path)
    };
    for c in joined.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

impl MemTree {
    /// The tree a fuzz input describes (see the module documentation).
    pub fn parse(text: &str) -> MemTree {
        let mut tree = MemTree::default();
        tree.dirs.insert(PathBuf::from("/"));
        tree.add_dir(Path::new(ROOT));
        let mut current: Option<(PathBuf, String)> = None;
        let mut entries = 0;
        for line in text.split_inclusive('\n') {
            let Some(header) = line.strip_prefix("=== ") else {
                if let Some((_, content)) = current.as_mut() {
                    content.push_str(line);
                }
                continue;
            };
            if let Some((path, content)) = current.take() {
                tree.add_file(path, content.into_bytes());
            }
            entries += 1;
            if entries > MAX_ENTRIES {
                break;
            }
            let header = header.trim_end_matches(['\n', '\r']);
            match header.split_once(" -> ") {
                Some((path, target)) => {
                    let path = normalize(path);
                    if path != Path::new("/") && !tree.files.contains_key(&path) {
                        if let Some(parent) = path.parent() {
                            tree.add_dir(parent);
                        }
                        tree.note_kustomization(&path);
                        tree.links.insert(path, PathBuf::from(target));
                    }
                }
                None => current = Some((normalize(header), String::new())),
            }
        }
        if let Some((path, content)) = current {
            tree.add_file(path, content.into_bytes());
        }
        tree
    }

    fn add_dir(&mut self, dir: &Path) {
        for a in dir.ancestors() {
            if self.files.contains_key(a) || self.links.contains_key(a) {
                return;
            }
            self.dirs.insert(a.to_path_buf());
        }
    }

    fn add_file(&mut self, path: PathBuf, content: Vec<u8>) {
        let taken = self.dirs.contains(&path) || self.links.contains_key(&path);
        let Some(parent) = path.parent() else { return };
        let parent_is_file = parent
            .ancestors()
            .any(|a| self.files.contains_key(a) || self.links.contains_key(a));
        if taken || parent_is_file {
            return;
        }
        self.add_dir(parent);
        self.note_kustomization(&path);
        self.files.insert(path, content);
    }

    /// Remembers the first kustomization file (or link to one) below the root.
    fn note_kustomization(&mut self, path: &Path) {
        let is_kustomization = path.file_name().is_some_and(|n| {
            ferry_kustomize::model::KUSTOMIZATION_FILE_NAMES
                .iter()
                .any(|k| n == *k)
        });
        if is_kustomization && path.starts_with(ROOT) && self.first_kustomization.is_none() {
            self.first_kustomization = Some(path.to_path_buf());
        }
    }

    /// Whether `path` (canonical) names an entry.
    fn entry_exists(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.dirs.contains(path) || self.links.contains_key(path)
    }

    /// Resolves `path` (absolute) component by component, following symbolic links (the last
    /// one only when `follow_last`). Every component but the last must exist; the last must
    /// exist when `must_exist`.
    fn resolve(&self, path: &Path, follow_last: bool, must_exist: bool) -> io::Result<PathBuf> {
        if !path.is_absolute() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "relative path"));
        }
        let mut pending: Vec<OsString> = components(path);
        pending.reverse();
        let mut out = PathBuf::from("/");
        let mut hops = 0;
        while let Some(name) = pending.pop() {
            if name == ".." {
                out.pop();
                continue;
            }
            if name == "." {
                continue;
            }
            if !self.dirs.contains(&out) {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a directory",
                ));
            }
            let next = out.join(&name);
            let last = pending.is_empty();
            if let Some(target) = self.links.get(&next)
                && (follow_last || !last)
            {
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(io::Error::other("too many levels of symbolic links"));
                }
                if target.is_absolute() {
                    out = PathBuf::from("/");
                }
                let mut rest = components(target);
                rest.reverse();
                pending.extend(rest);
                continue;
            }
            if !self.entry_exists(&next) && (!last || must_exist) {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
            }
            out = next;
        }
        Ok(out)
    }

    /// The canonical paths of the files read so far.
    pub fn reads(&self) -> Vec<PathBuf> {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The directory to resolve: the directory of the input's first kustomization file below
    /// the root, else [`ROOT`].
    pub fn overlay(&self) -> PathBuf {
        self.first_kustomization
            .as_deref()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from(ROOT), Path::to_path_buf)
    }
}

fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

impl FileSource for MemTree {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let real = self.resolve(path, true, true)?;
        let content = self
            .files
            .get(&real)
            .cloned()
            .ok_or_else(|| io::Error::other("is a directory"))?;
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(real);
        Ok(content)
    }

    fn file_size(&self, path: &Path) -> io::Result<u64> {
        let real = self.resolve(path, true, true)?;
        Ok(self.files.get(&real).map_or(0, |c| c.len() as u64))
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let real = self.resolve(path, true, true).ok()?;
        if self.files.contains_key(&real) {
            Some(FileKind::File)
        } else if self.dirs.contains(&real) {
            Some(FileKind::Dir)
        } else {
            None
        }
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        self.resolve(path, false, true).is_ok()
    }

    fn is_symlink(&self, path: &Path) -> bool {
        self.resolve(path, false, true)
            .is_ok_and(|p| self.links.contains_key(&p))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.resolve(path, true, true)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let real = self.resolve(path, true, true)?;
        if !self.dirs.contains(&real) {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        let children = self
            .files
            .keys()
            .chain(self.links.keys())
            .chain(self.dirs.iter())
            .filter(|p| p.parent() == Some(real.as_path()))
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<BTreeSet<_>>();
        Ok(children.into_iter().collect())
    }
}

/// Splits a fuzz input into its first line (without the line break) and the rest.
pub fn first_line(text: &str) -> (&str, &str) {
    match text.split_once('\n') {
        Some((first, rest)) => (first.trim_end_matches('\r'), rest),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_resolves_links_and_reports_reads() {
        let tree = MemTree::parse(
            "=== overlay/kustomization.yaml\nresources: [../base]\n=== base/k.yaml -> /outside/k.yaml\n=== /outside/k.yaml\nx: 1\n",
        );
        assert_eq!(tree.overlay(), Path::new("/repo/overlay"));
        assert_eq!(
            tree.canonicalize(Path::new("/repo/base/k.yaml")).unwrap(),
            Path::new("/outside/k.yaml")
        );
        assert!(tree.is_symlink(Path::new("/repo/base/k.yaml")));
        assert_eq!(tree.kind(Path::new("/repo/base")), Some(FileKind::Dir));
        assert_eq!(
            tree.read(Path::new("/repo/base/k.yaml")).unwrap(),
            b"x: 1\n"
        );
        assert_eq!(tree.reads(), [PathBuf::from("/outside/k.yaml")]);
        assert_eq!(
            tree.list_dir(Path::new("/repo")).unwrap(),
            ["base", "overlay"]
        );
        assert!(tree.read(Path::new("/repo/missing")).is_err());
    }
}
