//! [`MemoSource`]: a [`FileSource`] that asks its inner source each question once. Overlays
//! rendered together share their bases, and the resolver asks about the same files and
//! directories many times (kind, size, canonical form); on a file system every answer is a
//! system call, and a canonical form is one per path component.

use std::collections::HashMap;
use std::hash::Hash;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::source::{FileKind, FileSource};

/// Remembers the answers of `inner` for the length of one batch of renderings (files are
/// assumed not to change meanwhile). Errors are not remembered: they are asked again.
pub(crate) struct MemoSource<'a> {
    inner: &'a dyn FileSource,
    reads: Memo<Arc<[u8]>>,
    sizes: Memo<u64>,
    kinds: Memo<Option<FileKind>>,
    exists: Memo<bool>,
    links: Memo<bool>,
    canonical: Memo<PathBuf>,
    listings: Memo<Vec<String>>,
}

type Memo<T> = Mutex<HashMap<PathBuf, T>>;

/// The remembered answer for `path`, or `ask`'s (remembered when it is not an error).
fn remembered<T: Clone, E>(
    memo: &Memo<T>,
    path: &Path,
    ask: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if let Some(v) = lock(memo).get(path) {
        return Ok(v.clone());
    }
    let v = ask()?;
    lock(memo).insert(path.to_path_buf(), v.clone());
    Ok(v)
}

fn lock<K: Eq + Hash, V>(m: &Mutex<HashMap<K, V>>) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
    // A panic while holding it leaves a map that is still consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'a> MemoSource<'a> {
    pub(crate) fn new(inner: &'a dyn FileSource) -> Self {
        Self {
            inner,
            reads: Memo::default(),
            sizes: Memo::default(),
            kinds: Memo::default(),
            exists: Memo::default(),
            links: Memo::default(),
            canonical: Memo::default(),
            listings: Memo::default(),
        }
    }

    fn never<T>(v: T) -> Result<T, std::convert::Infallible> {
        Ok(v)
    }
}

impl FileSource for MemoSource<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        remembered(&self.reads, path, || self.inner.read(path).map(Arc::from)).map(|b| b.to_vec())
    }

    fn file_size(&self, path: &Path) -> io::Result<u64> {
        remembered(&self.sizes, path, || self.inner.file_size(path))
    }

    fn kind(&self, path: &Path) -> Option<FileKind> {
        let Ok(kind) = remembered(&self.kinds, path, || Self::never(self.inner.kind(path)));
        kind
    }

    fn exists_no_follow(&self, path: &Path) -> bool {
        let Ok(exists) = remembered(&self.exists, path, || {
            Self::never(self.inner.exists_no_follow(path))
        });
        exists
    }

    fn is_symlink(&self, path: &Path) -> bool {
        let Ok(link) = remembered(&self.links, path, || {
            Self::never(self.inner.is_symlink(path))
        });
        link
    }

    /// A path whose parent's canonical form is known and whose last component is a plain name
    /// that exists and is no symbolic link is that form and the name; anything else is asked.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        remembered(&self.canonical, path, || {
            if let (Some(parent), Some(Component::Normal(name))) =
                (path.parent(), path.components().next_back())
                && let Some(canonical_parent) = lock(&self.canonical).get(parent).cloned()
                && self.exists_no_follow(path)
                && !self.is_symlink(path)
            {
                return Ok(canonical_parent.join(name));
            }
            self.inner.canonicalize(path)
        })
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        remembered(&self.listings, path, || self.inner.list_dir(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FsSource;

    #[test]
    fn answers_are_the_inner_sources() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path().join("a");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(dir.join("f.yaml"), "x: 1\n").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&dir, tmp.path().join("link")).expect("symlink");
        let memo = MemoSource::new(&FsSource);
        let mut paths = vec![
            tmp.path().to_path_buf(),
            dir.clone(),
            dir.join("f.yaml"),
            dir.join("missing"),
            dir.join("../a/f.yaml"),
        ];
        #[cfg(unix)]
        paths.extend([tmp.path().join("link"), tmp.path().join("link/f.yaml")]);
        for _ in 0..2 {
            for p in &paths {
                assert_eq!(
                    memo.canonicalize(p).ok(),
                    FsSource.canonicalize(p).ok(),
                    "{}",
                    p.display()
                );
                assert_eq!(memo.kind(p), FsSource.kind(p));
                assert_eq!(memo.exists_no_follow(p), FsSource.exists_no_follow(p));
                assert_eq!(memo.is_symlink(p), FsSource.is_symlink(p));
                assert_eq!(memo.file_size(p).ok(), FsSource.file_size(p).ok());
                assert_eq!(memo.read(p).ok(), FsSource.read(p).ok());
                assert_eq!(memo.list_dir(p).ok(), FsSource.list_dir(p).ok());
            }
        }
    }
}
