//! A snapshot of some files of a Git tree as a [`FileSource`] for the resolver.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use ferry_git::EntryType;
use ferry_kustomize::{FileKind, FileSource};

/// The absolute path the snapshot of a Git tree is resolved at (it never touches the disk).
pub(crate) const TREE_ROOT: &str = "/repository";

/// Most symbolic links followed while resolving one path (as Linux's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// One node of a [`TreeSource`].
#[derive(Debug)]
enum Node {
    Dir(BTreeSet<String>),
    File(Arc<[u8]>),
    Link(String),
}

/// Where a path leads in a [`TreeSource`].
enum Place {
    /// A path below (or at) the root, repository-relative (`""`: the root).
    Inside(String),
    /// A path outside the root, lexically normalised; nothing exists there.
    Outside(PathBuf),
}

/// A snapshot of some files of a Git tree at [`TREE_ROOT`], as a [`FileSource`] for the
/// resolver: directories, files and symbolic links (followed like the file system does, and
/// only inside the snapshot; a path leaving it names nothing the resolver may read).
#[derive(Debug)]
pub(crate) struct TreeSource {
    root: PathBuf,
    root_parts: Vec<String>,
    nodes: HashMap<String, Node>,
    /// Whether any node is a symbolic link (otherwise clean paths are looked up directly).
    links: bool,
}

impl TreeSource {
    pub(crate) fn new(root: &Path) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(String::new(), Node::Dir(BTreeSet::new()));
        TreeSource {
            root: root.to_path_buf(),
            root_parts: root
                .components()
                .filter_map(|c| match c {
                    Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect(),
            nodes,
            links: false,
        }
    }

    /// Adds the file (or link) at repository path `path`, with its parent directories.
    pub(crate) fn insert(&mut self, path: &str, kind: EntryType, bytes: Arc<[u8]>) {
        self.links |= kind == EntryType::Link;
        let node = if kind == EntryType::Link {
            Node::Link(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            Node::File(bytes)
        };
        let mut parent = String::new();
        for part in path.split('/') {
            if let Some(Node::Dir(children)) = self.nodes.get_mut(&parent) {
                children.insert(part.to_string());
            }
            let here = if parent.is_empty() {
                part.to_string()
            } else {
                format!("{parent}/{part}")
            };
            if here.len() == path.len() {
                break;
            }
            self.nodes
                .entry(here.clone())
                .or_insert_with(|| Node::Dir(BTreeSet::new()));
            parent = here;
        }
        self.nodes.insert(path.to_string(), node);
    }

    /// Follows `path` through the snapshot: `.`, `..` and symbolic links (the last component's
    /// only when `follow_last`).
    fn place(&self, path: &Path, follow_last: bool) -> io::Result<Place> {
        // Without links, a clean path below the root is its own canonical form.
        if !self.links
            && let (Some(path), Some(root)) = (path.to_str(), self.root.to_str())
            && let Some(rel) = path.strip_prefix(root)
            && (rel.is_empty() || rel.starts_with('/'))
        {
            let rel = rel.trim_matches('/');
            if !rel
                .split('/')
                .any(|p| p.is_empty() || p == "." || p == "..")
                || rel.is_empty()
            {
                return if self.nodes.contains_key(rel) {
                    Ok(Place::Inside(rel.to_string()))
                } else {
                    Err(io::ErrorKind::NotFound.into())
                };
            }
        }
        let mut pending: Vec<String> = Vec::new();
        for c in path.components().rev() {
            match c {
                Component::Normal(n) => pending.push(n.to_string_lossy().into_owned()),
                Component::ParentDir => pending.push("..".into()),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        if !path.is_absolute() && !path.has_root() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not an absolute path", path.display()),
            ));
        }
        let mut stack: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                stack.pop();
                continue;
            }
            stack.push(part);
            let Some(rel) = self.relative(&stack) else {
                continue;
            };
            if rel.is_empty() {
                continue;
            }
            match self.nodes.get(&rel) {
                None => return Err(io::ErrorKind::NotFound.into()),
                Some(Node::Dir(_)) => {}
                Some(Node::File(_)) if pending.is_empty() => {}
                Some(Node::File(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{rel} is not a directory"),
                    ));
                }
                Some(Node::Link(_)) if pending.is_empty() && !follow_last => {}
                Some(Node::Link(target)) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    stack.pop();
                    if target.starts_with('/') {
                        stack.clear();
                    }
                    pending.extend(
                        target
                            .split('/')
                            .filter(|p| !p.is_empty() && *p != ".")
                            .rev()
                            .map(String::from),
                    );
                }
            }
        }
        Ok(match self.relative(&stack) {
            Some(rel) => Place::Inside(rel),
            None => Place::Outside(stack.iter().fold(PathBuf::from("/"), |p, c| p.join(c))),
        })
    }

    /// The repository path of `stack` (components from `/`), or `None` outside the root.
    fn relative(&self, stack: &[String]) -> Option<String> {
        (stack.len() >= self.root_parts.len()
            && stack[..self.root_parts.len()] == self.root_parts[..])
            .then(|| stack[self.root_parts.len()..].join("/"))
    }

    fn node(&self, path: &Path, follow_last: bool) -> io::Result<&Node> {
        match self.place(path, follow_last)? {
            Place::Inside(rel) => self
                .nodes
                .get(&rel)
                .ok_or_else(|| io::ErrorKind::NotFound.into()),
            Place::Outside(p) => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} is outside the repository", p.display()),
            )),
        }
    }
}

impl FileSource for TreeSource {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.node(path, true)? {
            Node::File(bytes) => Ok(bytes.to_vec()),
            _ => Err(io::Error::other("is a directory")),
        }
    }

    fn file_size(&self, path: &Path) -> io::Result<u64> {
        match self.node(path, true)? {
            Node::File(bytes) => Ok(bytes.len() as u64),
            _ => Ok(0),
        }
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        match self.node(path, true).ok()? {
            Node::Dir(_) => Some(FileKind::Dir),
            Node::File(_) => Some(FileKind::File),
            Node::Link(_) => None,
        }
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        // A path leaving the snapshot "exists", so that the resolver reports it as outside the
        // repository rather than missing.
        matches!(
            self.place(path, false),
            Ok(Place::Outside(_)) | Ok(Place::Inside(_))
        )
    }

    fn is_symlink(&self, path: &Path) -> bool {
        matches!(self.node(path, false), Ok(Node::Link(_)))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(match self.place(path, true)? {
            Place::Inside(rel) if rel.is_empty() => self.root.clone(),
            Place::Inside(rel) => self.root.join(rel),
            Place::Outside(p) => p,
        })
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        match self.node(path, true)? {
            Node::Dir(children) => Ok(children.iter().cloned().collect()),
            _ => Err(io::Error::other("not a directory")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> TreeSource {
        let mut t = TreeSource::new(Path::new(TREE_ROOT));
        let blob = |s: &str| Arc::<[u8]>::from(s.as_bytes());
        t.insert(
            "base/kustomization.yaml",
            EntryType::Blob,
            blob("resources: []\n"),
        );
        t.insert("overlays/dev/base", EntryType::Link, blob("../../base"));
        t.insert("overlays/dev/up", EntryType::Link, blob("../../.."));
        t.insert("overlays/dev/abs", EntryType::Link, blob("/etc"));
        t.insert("overlays/dev/loop", EntryType::Link, blob("loop"));
        t
    }

    #[test]
    fn the_tree_source_follows_links_inside_the_snapshot_only() {
        let t = snapshot();
        let root = Path::new(TREE_ROOT);
        let via_link = root.join("overlays/dev/base/kustomization.yaml");
        assert!(t.is_file(&via_link));
        assert_eq!(t.read(&via_link).unwrap(), b"resources: []\n");
        assert_eq!(
            t.canonicalize(&root.join("overlays/dev/base")).unwrap(),
            root.join("base")
        );
        assert_eq!(
            t.canonicalize(&root.join("overlays/dev/../../base/."))
                .unwrap(),
            root.join("base")
        );
        assert!(t.is_dir(&root.join("overlays")));
        assert_eq!(t.list_dir(&root.join("overlays/dev")).unwrap().len(), 4);
        assert!(t.is_symlink(&root.join("overlays/dev/base")));
        // Leaving the root: reported as outside, never read from the disk.
        assert_eq!(
            t.canonicalize(&root.join("overlays/dev/up")).unwrap(),
            Path::new("/")
        );
        assert_eq!(
            t.canonicalize(&root.join("overlays/dev/abs/passwd"))
                .unwrap(),
            Path::new("/etc/passwd")
        );
        assert!(t.exists_no_follow(&root.join("overlays/dev/abs")));
        assert!(t.read(&root.join("overlays/dev/abs/passwd")).is_err());
        assert!(t.kind(&root.join("overlays/dev/abs/passwd")).is_none());
        // Missing paths and link loops.
        assert!(!t.exists_no_follow(&root.join("overlays/prod")));
        assert!(t.canonicalize(&root.join("overlays/dev/loop")).is_err());
        assert!(t.exists_no_follow(&root.join("overlays/dev/loop")));
    }
}
