//! [`Repo`]: one repository through gix: read files at a commit, walk first-parent history
//! filtered by path, build commits from edited files without a working tree, move refs with
//! compare-and-swap, and read and write notes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::refs::transaction::{PreviousValue, RefEdit};
use gix::refs::{FullName, Target};

mod revision;

/// A boxed underlying error (from gix).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository cannot be opened.
    #[error("cannot open git repository {path}: {source}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        source: BoxError,
    },
    /// A revision (branch, tag, ref, commit id or an expression such as `HEAD~2`) names no
    /// commit.
    #[error("no commit or ref named `{0}` in the repository")]
    UnknownRevision(String),
    /// A short commit id (or a name that is also one) matches several objects.
    #[error(
        "`{rev}` is ambiguous: it matches {}; give more characters of the id",
        candidates.join(", ")
    )]
    AmbiguousRevision {
        /// The revision as given.
        rev: String,
        /// What it matches, one entry per object (`52a4251763b9 commit 2026-03-01 "subject"`).
        candidates: Vec<String>,
    },
    /// A revision names an object that is not a commit (a tree or a blob).
    #[error("`{rev}` names a {kind}, not a commit")]
    NotACommit {
        /// The revision as given.
        rev: String,
        /// The object's kind.
        kind: String,
    },
    /// A path given to an edit or lookup is not a clean relative path.
    #[error("invalid repository path `{0}`: use a relative `/`-separated path without `.` or `..`")]
    InvalidPath(String),
    /// A reference did not have the expected value (compare-and-swap refused).
    #[error(
        "{name} moved: expected {}, found {}; recompute the change from the new value",
        expected.map_or_else(|| "no ref".to_string(), |id| id.to_string()),
        actual.map_or_else(|| "no ref".to_string(), |id| id.to_string())
    )]
    RefMoved {
        /// The reference.
        name: String,
        /// The value the caller expected (`None`: must not exist).
        expected: Option<ObjectId>,
        /// The value found (`None`: it does not exist).
        actual: Option<ObjectId>,
    },
    /// Any other failure of the git library, with what was being done.
    #[error("{context}: {source}")]
    Git {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: BoxError,
    },
}

/// A repository that cannot be opened or a bad path is bad input, a revision the repository does
/// not have a usage error (it came from the command line); git failing is `git` (exit 3).
impl ferry_error::Classify for GitError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            GitError::Open { .. } | GitError::InvalidPath(_) => ErrorKind::BadInput,
            GitError::UnknownRevision(_)
            | GitError::AmbiguousRevision { .. }
            | GitError::NotACommit { .. } => ErrorKind::Usage,
            GitError::RefMoved { .. } | GitError::Git { .. } => ErrorKind::Git,
        }
    }
}

fn git<E: Into<BoxError>>(context: impl Into<String>) -> impl FnOnce(E) -> GitError {
    let context = context.into();
    move |e| GitError::Git {
        context,
        source: e.into(),
    }
}

/// Like [`git`], with the context formatted only on failure (reads on the ledger's hot path
/// would otherwise format an object id per call).
fn git_with<E: Into<BoxError>>(context: impl FnOnce() -> String) -> impl FnOnce(E) -> GitError {
    move |e| GitError::Git {
        context: context(),
        source: e.into(),
    }
}

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// A directory.
    Tree,
    /// A regular file.
    Blob,
    /// An executable file.
    Executable,
    /// A symbolic link (its blob holds the target).
    Link,
    /// A submodule commit.
    Submodule,
}

impl EntryType {
    fn from_mode(mode: gix::objs::tree::EntryMode) -> Self {
        match mode.kind() {
            EntryKind::Tree => EntryType::Tree,
            EntryKind::Blob => EntryType::Blob,
            EntryKind::BlobExecutable => EntryType::Executable,
            EntryKind::Link => EntryType::Link,
            EntryKind::Commit => EntryType::Submodule,
        }
    }
}

/// One entry of a tree: its object id and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// Object id (tree, blob or commit).
    pub id: ObjectId,
    /// Entry type.
    pub kind: EntryType,
}

/// Commit metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Commit id.
    pub id: ObjectId,
    /// Root tree id.
    pub tree: ObjectId,
    /// Parent ids, first parent first.
    pub parents: Vec<ObjectId>,
    /// Author.
    pub author: Signature,
    /// Committer.
    pub committer: Signature,
    /// Full message.
    pub message: String,
}

impl CommitInfo {
    /// The first line of the message.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }
}

/// A person and a time, as in a commit's author and committer lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Offset from UTC in seconds (east positive).
    pub offset: i32,
}

impl Signature {
    /// A signature at `time` (UTC).
    pub fn new(name: impl Into<String>, email: impl Into<String>, time: jiff::Timestamp) -> Self {
        Signature {
            name: name.into(),
            email: email.into(),
            seconds: time.as_second(),
            offset: 0,
        }
    }

    /// The time as a timestamp.
    pub fn timestamp(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// `Name <email>`.
    pub fn identity(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }

    fn to_gix(&self) -> gix::actor::Signature {
        gix::actor::Signature {
            name: self.name.as_str().into(),
            email: self.email.as_str().into(),
            time: gix::date::Time {
                seconds: self.seconds,
                offset: self.offset,
            },
        }
    }

    fn from_gix(s: gix::actor::SignatureRef<'_>) -> Self {
        let time = s.time().unwrap_or_default();
        Signature {
            name: s.name.trim().to_str_lossy().into_owned(),
            email: s.email.trim().to_str_lossy().into_owned(),
            seconds: time.seconds,
            offset: time.offset,
        }
    }
}

/// One change of a [`CommitRequest`]: new content for a path, or its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Repository-relative `/`-separated path.
    pub path: String,
    /// New content; `None` removes the file.
    pub content: Option<Vec<u8>>,
}

/// A commit to build on `parent` without a working tree.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    /// The commit the change applies to (its tree is edited); `None` starts from an empty tree
    /// and makes a root commit.
    pub parent: Option<ObjectId>,
    /// File changes, applied in order.
    pub changes: Vec<FileChange>,
    /// Commit message.
    pub message: String,
    /// Author.
    pub author: Signature,
    /// Committer.
    pub committer: Signature,
}

/// The entries of a decoded tree, sorted by name (byte order) for binary search. The names
/// share one buffer (a history walk decodes tens of thousands of small trees).
#[derive(Debug, Default)]
pub struct Tree {
    names: String,
    /// Each entry's name as a range of `names`, and the entry.
    entries: Vec<(std::ops::Range<u32>, Entry)>,
}

impl Tree {
    /// A tree of `entries`, in any order; of names that repeat, one entry is kept.
    fn new(mut entries: Vec<(std::borrow::Cow<'_, str>, Entry)>) -> Tree {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        let mut names = String::with_capacity(entries.iter().map(|(n, _)| n.len()).sum());
        let entries = entries
            .into_iter()
            .map(|(name, entry)| {
                let start = names.len() as u32;
                names.push_str(&name);
                (start..names.len() as u32, entry)
            })
            .collect();
        Tree { names, entries }
    }

    fn name(&self, range: &std::ops::Range<u32>) -> &str {
        &self.names[range.start as usize..range.end as usize]
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|(n, _)| self.name(n).cmp(name))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Every entry, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(n, e)| (self.name(n), e))
    }
}

/// A git repository, with caches for reading trees across many commits.
pub struct Repo {
    repo: gix::Repository,
    trees: RefCell<gix::hashtable::HashMap<ObjectId, Rc<Tree>>>,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.repo.git_dir())
            .finish()
    }
}

impl Repo {
    /// Opens the repository at `path` (a working tree or a bare repository).
    pub fn open(path: &Path) -> Result<Repo, GitError> {
        let repo = gix::open(path).map_err(|e| GitError::Open {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Ok(Repo::from_gix(repo))
    }

    /// Finds the repository containing `path` (it or one of its parents).
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        let repo = gix::discover(path).map_err(|e| GitError::Open {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Ok(Repo::from_gix(repo))
    }

    fn from_gix(mut repo: gix::Repository) -> Repo {
        // Walking history reads long delta chains; keep decoded bases around. No object cache:
        // decoded trees are cached here and the ledger caches blobs, so it would only copy.
        repo.objects.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                64 * 1024 * 1024,
            ))
        });
        Repo {
            repo,
            trees: RefCell::new(gix::hashtable::HashMap::default()),
        }
    }

    /// The underlying gix repository.
    pub fn gix(&self) -> &gix::Repository {
        &self.repo
    }

    /// The working tree directory, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The committer identity configured for this repository (`user.name`, `user.email`,
    /// `GIT_COMMITTER_*` as git reads them), if any.
    pub fn configured_committer(&self) -> Option<(String, String)> {
        let sig = self.repo.committer()?.ok()?;
        Some((
            sig.name.to_str_lossy().into_owned(),
            sig.email.to_str_lossy().into_owned(),
        ))
    }

    /// The value of a reference (peeled to an object id), or `None` when it does not exist.
    ///
    /// `name` is a full name (`refs/heads/main`) or a short one git would resolve (`main`).
    pub fn ref_id(&self, name: &str) -> Result<Option<ObjectId>, GitError> {
        let found = self
            .repo
            .try_find_reference(name)
            .map_err(git_with(|| format!("cannot read ref {name}")))?;
        match found {
            None => Ok(None),
            Some(mut r) => Ok(Some(
                r.peel_to_id()
                    .map_err(git_with(|| format!("cannot peel ref {name}")))?
                    .detach(),
            )),
        }
    }

    /// Reads a commit's metadata.
    pub fn commit(&self, id: ObjectId) -> Result<CommitInfo, GitError> {
        let commit = self
            .repo
            .find_commit(id)
            .map_err(git_with(|| format!("cannot read commit {id}")))?;
        let decoded = commit
            .decode()
            .map_err(git_with(|| format!("cannot decode commit {id}")))?;
        Ok(CommitInfo {
            id,
            tree: decoded.tree(),
            parents: decoded.parents().collect(),
            author: Signature::from_gix(
                decoded
                    .author()
                    .map_err(git_with(|| format!("bad author in commit {id}")))?,
            ),
            committer: Signature::from_gix(
                decoded
                    .committer()
                    .map_err(git_with(|| format!("bad committer in commit {id}")))?,
            ),
            message: decoded.message.to_str_lossy().into_owned(),
        })
    }

    /// The entries of tree `id` by name (trees are decoded once: they never change).
    pub fn tree_entries(&self, id: ObjectId) -> Result<Rc<HashMap<String, Entry>>, GitError> {
        Ok(Rc::new(
            self.tree(id)?
                .iter()
                .map(|(n, e)| (n.to_string(), *e))
                .collect(),
        ))
    }

    /// The decoded tree `id` (cached).
    pub fn tree(&self, id: ObjectId) -> Result<Rc<Tree>, GitError> {
        if let Some(t) = self.trees.borrow().get(&id) {
            return Ok(Rc::clone(t));
        }
        let tree = self
            .repo
            .find_tree(id)
            .map_err(git_with(|| format!("cannot read tree {id}")))?;
        let decoded = tree
            .decode()
            .map_err(git_with(|| format!("cannot decode tree {id}")))?;
        let entries: Vec<(std::borrow::Cow<'_, str>, Entry)> = decoded
            .entries
            .iter()
            .map(|e| {
                (
                    e.filename.to_str_lossy(),
                    Entry {
                        id: e.oid.to_owned(),
                        kind: EntryType::from_mode(e.mode),
                    },
                )
            })
            .collect();
        // Git orders directories as if their name ended with `/`; lookups use plain order.
        // Names made lossy may collide; one entry is kept, as a map would.
        let tree = Rc::new(Tree::new(entries));
        self.trees.borrow_mut().insert(id, Rc::clone(&tree));
        Ok(tree)
    }

    /// The entry at `path` below tree `root`; `""` is the root itself.
    pub fn entry_in_tree(&self, root: ObjectId, path: &str) -> Result<Option<Entry>, GitError> {
        let mut current = Entry {
            id: root,
            kind: EntryType::Tree,
        };
        for part in split_path(path)? {
            if current.kind != EntryType::Tree {
                return Ok(None);
            }
            match self.tree(current.id)?.get(part) {
                Some(e) => current = *e,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// The entry at `path` in `commit`.
    pub fn entry_at(&self, commit: ObjectId, path: &str) -> Result<Option<Entry>, GitError> {
        let tree = self.commit(commit)?.tree;
        self.entry_in_tree(tree, path)
    }

    /// The bytes of blob `id`.
    pub fn blob(&self, id: ObjectId) -> Result<Vec<u8>, GitError> {
        let mut blob = self
            .repo
            .find_blob(id)
            .map_err(git_with(|| format!("cannot read blob {id}")))?;
        Ok(std::mem::take(&mut blob.data))
    }

    /// The content of the file at `path` in `commit`; `None` when there is no file there.
    pub fn read_file(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        match self.entry_at(commit, path)? {
            Some(Entry {
                id,
                kind: EntryType::Blob | EntryType::Executable | EntryType::Link,
            }) => self.blob(id).map(Some),
            _ => Ok(None),
        }
    }

    /// The first-parent chain from `tip` back to the root commit, newest first.
    pub fn first_parent_chain(&self, tip: ObjectId) -> Result<Vec<CommitInfo>, GitError> {
        let mut out = Vec::new();
        let mut next = Some(tip);
        while let Some(id) = next {
            let info = self.commit(id)?;
            next = info.parents.first().copied();
            out.push(info);
        }
        Ok(out)
    }

    /// The commits of the first-parent history of `tip` (newest first) that changed anything
    /// below one of `paths` compared with their first parent (a root commit counts when a path
    /// exists in it). Side branches merged in are seen only through their merge commit.
    pub fn first_parent_history(
        &self,
        tip: ObjectId,
        paths: &[&str],
    ) -> Result<Vec<CommitInfo>, GitError> {
        let chain = self.first_parent_chain(tip)?;
        let mut out = Vec::new();
        for (i, c) in chain.iter().enumerate() {
            let parent_tree = chain.get(i + 1).map(|p| p.tree);
            let mut changed = false;
            for p in paths {
                let now = self.entry_in_tree(c.tree, p)?;
                let before = match parent_tree {
                    Some(t) => self.entry_in_tree(t, p)?,
                    None => None,
                };
                if now != before {
                    changed = true;
                    break;
                }
            }
            if changed {
                out.push(c.clone());
            }
        }
        Ok(out)
    }

    /// Writes the blobs, trees and commit object of `request`; moves no ref.
    pub fn build_commit(&self, request: &CommitRequest) -> Result<ObjectId, GitError> {
        self.write_commit(request, None)
    }

    /// Like [`Repo::build_commit`], with `other` as a second parent: a merge commit whose
    /// tree is `request.parent`'s with `request.changes` applied.
    pub fn build_merge_commit(
        &self,
        request: &CommitRequest,
        other: ObjectId,
    ) -> Result<ObjectId, GitError> {
        self.write_commit(request, Some(other))
    }

    fn write_commit(
        &self,
        request: &CommitRequest,
        other: Option<ObjectId>,
    ) -> Result<ObjectId, GitError> {
        let base_tree = match request.parent {
            Some(p) => self.commit(p)?.tree,
            None => ObjectId::empty_tree(self.repo.object_hash()),
        };
        let mut editor = self
            .repo
            .edit_tree(base_tree)
            .map_err(git("cannot edit tree"))?;
        for change in &request.changes {
            let parts = split_path(&change.path)?;
            if parts.is_empty() {
                return Err(GitError::InvalidPath(change.path.clone()));
            }
            let clean = parts.join("/");
            match &change.content {
                Some(bytes) => {
                    let blob = self.repo.write_blob(bytes).map_err(git_with(|| {
                        format!("cannot write blob for {}", change.path)
                    }))?;
                    editor
                        .upsert(clean.as_str(), EntryKind::Blob, blob.detach())
                        .map_err(git_with(|| format!("cannot set {}", change.path)))?;
                }
                None => {
                    editor
                        .remove(clean.as_str())
                        .map_err(git_with(|| format!("cannot remove {}", change.path)))?;
                }
            }
        }
        let tree = editor.write().map_err(git("cannot write tree"))?.detach();
        let commit = gix::objs::Commit {
            tree,
            parents: request.parent.into_iter().chain(other).collect(),
            author: request.author.to_gix(),
            committer: request.committer.to_gix(),
            encoding: None,
            message: request.message.as_str().into(),
            extra_headers: Vec::new(),
        };
        Ok(self
            .repo
            .write_object(&commit)
            .map_err(git("cannot write commit"))?
            .detach())
    }

    /// Points ref `name` (full name) at `new` if and only if it currently points at `expected`
    /// (`None`: it must not exist). Fails with [`GitError::RefMoved`] otherwise.
    pub fn update_ref(
        &self,
        name: &str,
        new: ObjectId,
        expected: Option<ObjectId>,
        committer: &Signature,
        log_message: &str,
    ) -> Result<(), GitError> {
        let full =
            FullName::try_from(name).map_err(git_with(|| format!("invalid ref name {name}")))?;
        let previous = match expected {
            Some(id) => PreviousValue::MustExistAndMatch(Target::Object(id)),
            None => PreviousValue::MustNotExist,
        };
        let edit = RefEdit::update(full, new, previous, log_message.replace('\n', " "));
        let sig = committer.to_gix();
        let mut buf = gix::date::parse::TimeBuf::default();
        let result = self
            .repo
            .edit_references_as(Some(edit), Some(sig.to_ref(&mut buf)));
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let actual = self.ref_id(name)?;
                if actual != expected {
                    Err(GitError::RefMoved {
                        name: name.to_string(),
                        expected,
                        actual,
                    })
                } else {
                    Err(git_with(|| format!("cannot update {name}"))(e))
                }
            }
        }
    }

    /// The note attached to `object` under `notes_ref` (a full ref such as `refs/notes/ferry`).
    pub fn note(&self, notes_ref: &str, object: ObjectId) -> Result<Option<Vec<u8>>, GitError> {
        let mut notes = self
            .repo
            .notes()
            .and_then(|n| n.with_refs([notes_ref]))
            .map_err(git_with(|| format!("cannot read notes {notes_ref}")))?;
        let found = notes.get(object).map_err(git_with(|| {
            format!("cannot read the note of {object} in {notes_ref}")
        }))?;
        Ok(found.into_iter().next().map(|n| n.blob.data.clone()))
    }

    /// Every note under `notes_ref`: annotated object id → note blob id (empty when the ref
    /// does not exist). Fan-out directories (`ab/cdef…`) are read like git reads them.
    pub fn notes(&self, notes_ref: &str) -> Result<HashMap<ObjectId, ObjectId>, GitError> {
        match self.ref_id(notes_ref)? {
            Some(commit) => self.notes_in_commit(commit),
            None => Ok(HashMap::new()),
        }
    }

    /// Every note of the notes commit `commit`: annotated object id → note blob id.
    pub fn notes_in_commit(
        &self,
        commit: ObjectId,
    ) -> Result<HashMap<ObjectId, ObjectId>, GitError> {
        let mut out = HashMap::new();
        let tree = self.commit(commit)?.tree;
        self.collect_notes(tree, String::new(), &mut out)?;
        Ok(out)
    }

    fn collect_notes(
        &self,
        tree: ObjectId,
        prefix: String,
        out: &mut HashMap<ObjectId, ObjectId>,
    ) -> Result<(), GitError> {
        for (name, entry) in self.tree(tree)?.iter() {
            let hex = format!("{prefix}{name}");
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            match entry.kind {
                EntryType::Tree if hex.len() < 40 => self.collect_notes(entry.id, hex, out)?,
                EntryType::Blob | EntryType::Executable if hex.len() == 40 => {
                    if let Ok(id) = ObjectId::from_hex(hex.as_bytes()) {
                        out.insert(id, entry.id);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The note of `object` in notes commit `notes_commit` (`None`: no notes yet), and its path
    /// in the notes tree (`<hex>`, or with fan-out directories `ab/cdef…`).
    pub fn note_in(
        &self,
        notes_commit: Option<ObjectId>,
        object: ObjectId,
    ) -> Result<Option<(String, Vec<u8>)>, GitError> {
        let Some(commit) = notes_commit else {
            return Ok(None);
        };
        let tree = self.commit(commit)?.tree;
        let hex = object.to_string();
        for fanout in 0..hex.len() / 2 {
            let mut path = String::new();
            for level in 0..fanout {
                path.push_str(&hex[level * 2..level * 2 + 2]);
                path.push('/');
            }
            path.push_str(&hex[fanout * 2..]);
            match self.entry_in_tree(tree, &path)? {
                Some(e) if matches!(e.kind, EntryType::Blob | EntryType::Executable) => {
                    return Ok(Some((path, self.blob(e.id)?)));
                }
                Some(_) => {}
                None => {
                    // Deeper fan-out only exists below an existing directory.
                    let dir = &path[..fanout * 3];
                    let deeper = format!("{dir}{}", &hex[fanout * 2..fanout * 2 + 2]);
                    if self.entry_in_tree(tree, &deeper)?.is_none() {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Sets the note of `object` to `data` in a new notes commit on top of `expected` (the
    /// notes ref's current value, `None` when it does not exist yet), authored and committed by
    /// `committer` with its time, and moves `notes_ref` with compare-and-swap: a concurrent
    /// writer makes this fail with [`GitError::RefMoved`]. Returns the new notes commit.
    pub fn write_note(
        &self,
        notes_ref: &str,
        expected: Option<ObjectId>,
        object: ObjectId,
        data: &[u8],
        committer: &Signature,
        message: &str,
    ) -> Result<ObjectId, GitError> {
        let path = self
            .note_in(expected, object)?
            .map_or_else(|| object.to_string(), |(path, _)| path);
        let commit = self.build_commit(&CommitRequest {
            parent: expected,
            changes: vec![FileChange {
                path,
                content: Some(data.to_vec()),
            }],
            message: format!("{}\n", message.trim_end()),
            author: committer.clone(),
            committer: committer.clone(),
        })?;
        self.update_ref(notes_ref, commit, expected, committer, message)?;
        Ok(commit)
    }
}

/// Splits a repository-relative path into components, refusing `.`, `..` and absolute paths.
fn split_path(path: &str) -> Result<Vec<&str>, GitError> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('/') {
        return Err(GitError::InvalidPath(path.to_string()));
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(GitError::InvalidPath(path.to_string()));
    }
    Ok(parts)
}
