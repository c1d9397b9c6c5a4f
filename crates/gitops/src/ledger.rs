//! The deployment ledger: from the first-parent history of the base branch, for each environment,
//! the commits that changed what its overlay renders, with the image of every workload.
//!
//! A deployment is a commit after which the overlay renders differently (any resource, not only
//! images) than after the previous deployment. An environment depends on its overlay directory
//! and on everything the overlay references (bases, components, patch and generator files),
//! found by following the strings of each `kustomization.yaml` that name existing paths. Only
//! commits where one of these objects changed relative to the previous commit of the
//! first-parent chain (or a referenced path appeared or disappeared) are resolved, and
//! resolution is cached by that set of object ids, so unchanged content is never resolved
//! twice. Each resolution reads the files of the dependency set straight from the Git objects
//! (a [`FileSource`] over a snapshot of the tree; no temporary directory), with blobs read once
//! and YAML parsed once per distinct content across all commits (on one [`OverlayResolver`]
//! thread and its [`ferry_kustomize::ParseCache`]); when any
//! dependency holds a symbolic link, the whole repository tree is used instead. Snapshots of
//! the next commits are built while the resolver thread works, and an image bump of the overlay
//! re-runs only its `images` step there (see [`OverlayResolver`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasherDefault;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use ferry_image::reference::Reference;
use ferry_kustomize::model::{KUSTOMIZATION_FILE_NAMES, parse_documents};
use ferry_kustomize::source::{IMAGE_VALUE_KEYS, image_value_skeleton};
use ferry_kustomize::{FileKind, FileSource, OverlayResolver};
use gix::ObjectId;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::git::{CommitInfo, Entry, EntryType, GitError, Repo};
use crate::verify::{self, VerificationRecord, VerifyError};

/// An environment to trace: its name and overlay directory (repository-relative, `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    /// Environment name.
    pub name: String,
    /// Overlay directory relative to the repository root, e.g. `infra/k8s/overlays/dev`.
    pub overlay: String,
}

/// Why the ledger cannot be built or queried.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Verification records could not be read.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The thread overlays are resolved on cannot be started.
    #[error("cannot start the overlay resolver thread: {0}")]
    Resolver(std::io::Error),
    /// No environment of that name in the ledger.
    #[error("no environment `{0}` in the ledger")]
    UnknownEnvironment(String),
    /// The commit is not on the first-parent history of the base branch.
    #[error("commit {0} is not on the first-parent history of the base branch")]
    NotOnBase(ObjectId),
    /// The answer lies before the oldest deployment kept ([`LedgerOptions::max_deployments`]).
    #[error(
        "the answer is older than the deployments of {0} that were read; read the whole history"
    )]
    Truncated(String),
    /// An image query is not a reference with a tag or digest.
    #[error("`{query}` is not an image reference with a tag or digest: {reason}")]
    BadImageQuery {
        /// The query.
        query: String,
        /// What is wrong.
        reason: String,
    },
}

/// An unknown environment, commit or image query is a usage error (the names come from the
/// command line); reading Git or a verification record is the inner error's kind.
impl ferry_error::Classify for LedgerError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            LedgerError::Git(e) => e.error_kind(),
            LedgerError::Verify(e) => e.error_kind(),
            LedgerError::Resolver(_) => ErrorKind::Io,
            LedgerError::UnknownEnvironment(_)
            | LedgerError::NotOnBase(_)
            | LedgerError::Truncated(_)
            | LedgerError::BadImageQuery { .. } => ErrorKind::Usage,
        }
    }
}

/// One change of a workload container's image between two deployments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageChange {
    /// `workload/container`.
    pub container: String,
    /// Image before (`None`: the container is new).
    pub from: Option<String>,
    /// Image after (`None`: the container is gone).
    pub to: Option<String>,
}

impl std::fmt::Display for ImageChange {
    /// `workload/container: OLD -> NEW`, `(none)` for a missing side.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} -> {}",
            self.container,
            self.from.as_deref().unwrap_or("(none)"),
            self.to.as_deref().unwrap_or("(none)")
        )
    }
}

/// A commit of the base branch after which an environment's overlay renders differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// Commit id (hex).
    pub commit: String,
    /// Commit time (committer time, when it reached the base branch), RFC 3339 UTC.
    pub time: String,
    /// Author, `Name <email>`.
    pub author: String,
    /// First line of the commit message.
    pub summary: String,
    /// Image of every workload container, by `workload/container` (`Kind/workload/container`
    /// when two workloads share a name).
    pub images: BTreeMap<String, String>,
    /// Image changes relative to the previous deployment.
    pub changes: Vec<ImageChange>,
    /// Why the overlay could not be resolved at this commit; the images are then those of the
    /// previous deployment (a GitOps controller cannot render it either, so they keep running).
    pub error: Option<String>,
    #[serde(skip)]
    id: ObjectId,
    #[serde(skip)]
    seconds: i64,
    #[serde(skip)]
    position: usize,
}

impl Deployment {
    /// Commit id.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// Commit time.
    pub fn timestamp(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_second(self.seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

/// The deployments of one environment, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct EnvLedger {
    /// Environment name.
    pub name: String,
    /// Overlay directory.
    pub overlay: String,
    /// Deployments, newest first.
    pub deployments: Vec<Deployment>,
    /// Whether older deployments exist that were left out ([`LedgerOptions::max_deployments`]).
    pub truncated: bool,
}

/// When an image entered an environment and, if it is gone, which deployment replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageStint {
    /// The image as the environment ran it.
    pub image: String,
    /// The deployment that brought it in (the start of its most recent uninterrupted stint).
    pub entered: Deployment,
    /// The deployment that removed it; `None` while it still runs.
    pub left: Option<Deployment>,
}

impl EnvLedger {
    /// What the environment runs now: its newest deployment.
    pub fn current(&self) -> Option<&Deployment> {
        self.deployments.first()
    }

    /// When `image` (a reference with a tag, a digest or both) entered the environment: the
    /// start of its most recent stint. Tags and digests compare exactly, never as prefixes;
    /// names are compared after Docker Hub normalisation.
    pub fn entered(&self, image: &str) -> Result<Option<ImageStint>, LedgerError> {
        let query = Reference::parse_normalized(image).map_err(|e| LedgerError::BadImageQuery {
            query: image.to_string(),
            reason: e.to_string(),
        })?;
        if query.tag().is_none() && query.digest().is_none() {
            return Err(LedgerError::BadImageQuery {
                query: image.to_string(),
                reason: "give a tag (`:1.2.3`) or a digest (`@sha256:…`)".into(),
            });
        }
        let runs = |d: &Deployment| {
            d.images
                .values()
                .find(|i| image_matches(&query, i))
                .cloned()
        };
        let Some(latest) = self.deployments.iter().position(|d| runs(d).is_some()) else {
            return Ok(None);
        };
        let mut start = latest;
        while start + 1 < self.deployments.len() && runs(&self.deployments[start + 1]).is_some() {
            start += 1;
        }
        if self.truncated && start + 1 == self.deployments.len() {
            return Err(LedgerError::Truncated(self.name.clone()));
        }
        let entered = self.deployments[start].clone();
        Ok(Some(ImageStint {
            image: runs(&entered).unwrap_or_default(),
            entered,
            left: latest.checked_sub(1).map(|i| self.deployments[i].clone()),
        }))
    }
}

fn image_matches(query: &Reference, image: &str) -> bool {
    let Ok(candidate) = Reference::parse_normalized(image) else {
        return false;
    };
    candidate.name() == query.name()
        && query.tag().is_none_or(|t| candidate.tag() == Some(t))
        && query.digest().is_none_or(|d| candidate.digest() == Some(d))
}

/// The last verification of an environment at or before a commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedSet {
    /// The commit the record is attached to (hex).
    pub commit: String,
    /// The record.
    pub record: VerificationRecord,
    /// Whether the record's images equal what the ledger says the environment ran at that
    /// commit (false when that is older than a truncated ledger). A record that does not match
    /// is evidence of a mistake, not a verification.
    pub matches_ledger: bool,
}

/// The deployment ledger of several environments on one base branch.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    /// The base branch tip the ledger was built from (hex).
    pub base: String,
    /// Environments in the order given.
    pub environments: Vec<EnvLedger>,
    #[serde(skip)]
    chain: Vec<ObjectId>,
    #[serde(skip)]
    positions: HashMap<ObjectId, usize>,
}

impl Ledger {
    /// The ledger of environment `name`.
    pub fn environment(&self, name: &str) -> Result<&EnvLedger, LedgerError> {
        self.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| LedgerError::UnknownEnvironment(name.to_string()))
    }

    /// The first-parent chain of the base branch, newest first.
    pub fn chain(&self) -> &[ObjectId] {
        &self.chain
    }

    /// What `env` ran at `commit` (a commit of the first-parent chain): its last deployment at
    /// or before it.
    pub fn deployed_at(
        &self,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<&Deployment>, LedgerError> {
        let position = *self
            .positions
            .get(&commit)
            .ok_or(LedgerError::NotOnBase(commit))?;
        let env = self.environment(env)?;
        match env.deployments.iter().find(|d| d.position >= position) {
            None if env.truncated => Err(LedgerError::Truncated(env.name.clone())),
            found => Ok(found),
        }
    }

    /// The last verification record of `env` attached to `commit` or to an older commit of the
    /// first-parent chain, from the local notes ([`verify::NOTES_REF`]).
    pub fn last_verified_before(
        &self,
        repo: &Repo,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<VerifiedSet>, LedgerError> {
        self.last_verified_before_in(repo, verify::NOTES_REF, env, commit)
    }

    /// [`Ledger::last_verified_before`] from the notes under `notes_ref` (e.g. the remote's
    /// notes as a sync fetched them). Of several records of `env` on one commit, the newest
    /// (`verified_at`; the later line on a tie) counts.
    pub fn last_verified_before_in(
        &self,
        repo: &Repo,
        notes_ref: &str,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<VerifiedSet>, LedgerError> {
        self.environment(env)?;
        let start = *self
            .positions
            .get(&commit)
            .ok_or(LedgerError::NotOnBase(commit))?;
        let notes = repo.notes(notes_ref)?;
        for &id in &self.chain[start..] {
            let Some(&blob) = notes.get(&id) else {
                continue;
            };
            let note = verify::parse_note(&repo.blob(blob)?);
            let newest = note
                .records
                .into_iter()
                .filter(|r| r.env == env)
                .max_by_key(verify::VerificationRecord::verified_at);
            if let Some(record) = newest {
                let ran = match self.deployed_at(env, id) {
                    Err(LedgerError::Truncated(_)) => None,
                    other => other?.map(|d| &d.images),
                };
                return Ok(Some(VerifiedSet {
                    commit: id.to_string(),
                    matches_ledger: ran == Some(&record.images),
                    record,
                }));
            }
        }
        Ok(None)
    }
}

/// The set of objects an environment's rendering depends on at one commit.
type DepKey = BTreeMap<String, Option<Entry>>;

/// The paths of a [`DepKey`] as a tree of path components.
#[derive(Debug, Default)]
struct PathTrie {
    /// Whether the path ending here is itself in the key.
    leaf: bool,
    children: BTreeMap<String, PathTrie>,
}

impl PathTrie {
    fn new(key: &DepKey) -> Self {
        let mut root = PathTrie::default();
        for path in key.keys() {
            let mut node = &mut root;
            for part in path.split('/').filter(|p| !p.is_empty()) {
                node = node.children.entry(part.to_string()).or_default();
            }
            node.leaf = true;
        }
        root
    }
}

/// What an overlay renders at one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rendering {
    /// Images by `workload/container`, or why resolution failed.
    images: Result<BTreeMap<String, String>, String>,
    /// SHA-256 of the rendered resources as JSON (to tell whether anything changed).
    resources: [u8; 32],
}

type Resolved = Rc<Rendering>;

/// Options of [`build_ledger_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LedgerOptions {
    /// Keep only the newest N deployments of each environment and resolve only what they
    /// need (the commits of their window and the one before it). `None`: the whole history.
    pub max_deployments: Option<usize>,
    /// How overlays are resolved (the load restrictor of `ferry.toml`'s `[kustomize]`).
    pub resolve: ferry_kustomize::ResolveOptions,
}

impl LedgerOptions {
    /// Options keeping at most `n` deployments per environment.
    pub fn newest(n: usize) -> Self {
        LedgerOptions {
            max_deployments: Some(n),
            ..LedgerOptions::default()
        }
    }

    /// These options, resolving overlays with `resolve`.
    pub fn with_resolve(self, resolve: ferry_kustomize::ResolveOptions) -> Self {
        LedgerOptions { resolve, ..self }
    }
}

/// Builds the ledger of `environments` from the whole first-parent history of `base`.
pub fn build_ledger(
    repo: &Repo,
    base: ObjectId,
    environments: &[EnvironmentSpec],
) -> Result<Ledger, LedgerError> {
    build_ledger_with(repo, base, environments, &LedgerOptions::default())
}

/// Builds the ledger of `environments` from the first-parent history of `base`, with options.
pub fn build_ledger_with(
    repo: &Repo,
    base: ObjectId,
    environments: &[EnvironmentSpec],
    options: &LedgerOptions,
) -> Result<Ledger, LedgerError> {
    let chain = repo.first_parent_chain(base)?;
    let mut builder = Builder {
        repo,
        blobs: IdMap::default(),
        resolver: None,
        resolve: options.resolve.clone(),
        resolved: HashMap::default(),
        references: HashMap::default(),
        has_link: IdMap::default(),
        kustomization_strings: IdMap::default(),
        strings_by_skeleton: HashMap::new(),
    };
    let mut envs = Vec::new();
    for env in environments {
        envs.push(builder.environment(env, &chain, options.max_deployments)?);
    }
    tracing::debug!(
        %base,
        environments = environments.len(),
        max_deployments = ?options.max_deployments,
        "ledger built"
    );
    Ok(Ledger {
        base: base.to_string(),
        environments: envs,
        positions: chain.iter().enumerate().map(|(i, c)| (c.id, i)).collect(),
        chain: chain.into_iter().map(|c| c.id).collect(),
    })
}

/// Resolutions queued on the resolver thread ([`Builder::feed`]), oldest first.
#[derive(Default)]
struct Pipeline {
    submitted: std::collections::VecDeque<Rc<DepKey>>,
    /// The error that stopped the queueing.
    failed: Option<LedgerError>,
    /// Whether queueing stopped (the rest is resolved one by one).
    stopped: bool,
}

/// A map keyed by object id (already a good hash).
type IdMap<V> = gix::hashtable::HashMap<ObjectId, V>;

/// A map hashed with [`Fnv`].
type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// FNV-1a: a fast hash for the ledger's own keys (paths and object ids, not attacker-chosen
/// in a way that matters for a one-shot computation).
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

struct Builder<'r> {
    repo: &'r Repo,
    /// Blob contents by id, shared across commits.
    blobs: IdMap<Arc<[u8]>>,
    /// The resolver thread, with parsed YAML by content shared across commits.
    resolver: Option<OverlayResolver<Rendering>>,
    /// How the resolver resolves.
    resolve: ferry_kustomize::ResolveOptions,
    resolved: FnvMap<Rc<DepKey>, Resolved>,
    /// Repository paths named by a kustomization's strings, by directory and strings (the
    /// strings are kept alive by `kustomization_strings`, so their address names them).
    references: FnvMap<(String, *const Vec<String>), Rc<Vec<String>>>,
    has_link: IdMap<bool>,
    kustomization_strings: IdMap<Rc<Vec<String>>>,
    /// Strings of kustomization files by [`image_value_skeleton`].
    strings_by_skeleton: HashMap<String, Rc<Vec<String>>>,
}

impl Builder<'_> {
    fn environment(
        &mut self,
        env: &EnvironmentSpec,
        chain: &[CommitInfo],
        max_deployments: Option<usize>,
    ) -> Result<EnvLedger, LedgerError> {
        let overlay = env.overlay.trim_matches('/').to_string();
        // Phase 1: the commits where the environment's inputs changed (no resolution).
        let mut candidates: Vec<(usize, Rc<DepKey>)> = Vec::new();
        // The dependency key and its paths as a trie; the key's objects are the same in every
        // commit since it was computed, so each commit is compared with the one before it.
        let mut previous: Option<(Rc<DepKey>, Rc<PathTrie>)> = None;
        let mut previous_tree: Option<ObjectId> = None;
        // Without a limit every candidate is resolved: queue each as soon as it is found.
        let mut pipe = Pipeline::default();
        for (position, commit) in chain.iter().enumerate().rev() {
            let before = previous_tree.replace(commit.tree);
            if let (Some((_, trie)), Some(before)) = (&previous, before)
                && self.same_along(before, commit.tree, trie)?
            {
                continue;
            }
            let key = self.dependencies(commit.tree, &overlay)?;
            if previous.as_ref().is_some_and(|(k, _)| **k == key) {
                continue;
            }
            let trie = match &previous {
                // An image bump changes objects, not paths: keep the trie.
                Some((k, trie)) if k.keys().eq(key.keys()) => Rc::clone(trie),
                _ => Rc::new(PathTrie::new(&key)),
            };
            let key = Rc::new(key);
            let exists = key.get(&overlay).is_some_and(Option::is_some);
            if exists || !candidates.is_empty() {
                if max_deployments.is_none() {
                    self.feed(&mut pipe, commit.tree, &key, &overlay);
                }
                candidates.push((position, Rc::clone(&key)));
            }
            previous = Some((key, trie));
        }
        // Phase 2: resolve; with a limit, only back to the oldest deployment shown.
        self.drain(pipe)?;
        let mut renderings: Vec<Option<Resolved>> = vec![None; candidates.len()];
        let mut start = 0;
        let mut baseline: Option<(Resolved, BTreeMap<String, String>)> = None;
        if let Some(max) = max_deployments.map(|m| m.max(1)) {
            let mut found = 0;
            let mut i = candidates.len();
            while i > 0 && found < max {
                i -= 1;
                let here = self.rendering(chain, &candidates, &mut renderings, &overlay, i)?;
                let deployed = i == 0
                    || here
                        != self.rendering(chain, &candidates, &mut renderings, &overlay, i - 1)?;
                if deployed {
                    found += 1;
                    start = i;
                }
            }
            if start > 0 {
                let before =
                    self.rendering(chain, &candidates, &mut renderings, &overlay, start - 1)?;
                // The images carried into the window: the newest that rendered.
                let mut images = BTreeMap::new();
                for k in (0..start).rev() {
                    let r = self.rendering(chain, &candidates, &mut renderings, &overlay, k)?;
                    if let Ok(i) = &r.images {
                        images = i.clone();
                        break;
                    }
                }
                baseline = Some((before, images));
            }
        }
        let truncated = baseline.is_some();
        let (mut rendered, mut images) = match baseline {
            Some((r, i)) => (Some(r), i),
            None => (None, BTreeMap::new()),
        };
        let mut deployments: Vec<Deployment> = Vec::new();
        for i in start..candidates.len() {
            let rendering = self.rendering(chain, &candidates, &mut renderings, &overlay, i)?;
            if rendered.as_ref() == Some(&rendering) {
                // Inputs changed but the rendering did not (e.g. a base field the overlay
                // overrides): nothing was deployed.
                continue;
            }
            rendered = Some(Rc::clone(&rendering));
            let (next, error) = match rendering.images.clone() {
                Ok(next) => (next, None),
                Err(e) => (images.clone(), Some(e)),
            };
            let changes = diff(&images, &next);
            images = next;
            let position = candidates[i].0;
            let commit = &chain[position];
            deployments.push(Deployment {
                commit: commit.id.to_string(),
                time: commit.committer.timestamp().to_string(),
                author: commit.author.identity(),
                summary: commit.summary().to_string(),
                images: images.clone(),
                changes,
                error,
                id: commit.id,
                seconds: commit.committer.seconds,
                position,
            });
        }
        deployments.reverse();
        Ok(EnvLedger {
            name: env.name.clone(),
            overlay,
            deployments,
            truncated,
        })
    }

    /// The rendering of candidate `i` (resolved once).
    fn rendering(
        &mut self,
        chain: &[CommitInfo],
        candidates: &[(usize, Rc<DepKey>)],
        renderings: &mut [Option<Resolved>],
        overlay: &str,
        i: usize,
    ) -> Result<Resolved, LedgerError> {
        if let Some(r) = &renderings[i] {
            return Ok(Rc::clone(r));
        }
        let (position, key) = &candidates[i];
        let r = if key.get(overlay).is_some_and(Option::is_some) {
            self.resolve(chain[*position].tree, overlay, key)?
        } else {
            Rc::new(Rendering {
                images: Err(format!("overlay directory {overlay} does not exist")),
                resources: [0; 32],
            })
        };
        renderings[i] = Some(Rc::clone(&r));
        Ok(r)
    }

    /// Whether every path of `trie` names the same object (or nothing) in trees `a` and `b`.
    fn same_along(&self, a: ObjectId, b: ObjectId, trie: &PathTrie) -> Result<bool, LedgerError> {
        if a == b {
            return Ok(true);
        }
        if trie.leaf {
            return Ok(false);
        }
        let (left, right) = (self.repo.tree(a)?, self.repo.tree(b)?);
        for (name, sub) in &trie.children {
            match (left.get(name), right.get(name)) {
                (x, y) if x == y => {}
                (Some(x), Some(y)) if x.kind == EntryType::Tree && y.kind == EntryType::Tree => {
                    if !self.same_along(x.id, y.id, sub)? {
                        return Ok(false);
                    }
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The objects the overlay at `overlay` depends on in `tree`.
    fn dependencies(&mut self, tree: ObjectId, overlay: &str) -> Result<DepKey, LedgerError> {
        let mut key = DepKey::new();
        let mut pending = vec![overlay.to_string()];
        let mut link = false;
        while let Some(dir) = pending.pop() {
            let entry = self.repo.entry_in_tree(tree, &dir)?;
            key.insert(dir.clone(), entry);
            let Some(entry) = entry else { continue };
            match entry.kind {
                EntryType::Link => link = true,
                EntryType::Tree => {}
                _ => continue,
            }
            if entry.kind != EntryType::Tree {
                continue;
            }
            if self.tree_has_link(entry.id)? {
                link = true;
            }
            let strings = self.kustomization_strings(entry.id)?;
            let references = self.references(&dir, &strings);
            for candidate in references.iter() {
                if key.contains_key(candidate) || pending.contains(candidate) {
                    continue;
                }
                match self.repo.entry_in_tree(tree, candidate)? {
                    Some(e) if e.kind == EntryType::Tree => pending.push(candidate.clone()),
                    found => {
                        if found.is_some_and(|e| e.kind == EntryType::Link) {
                            link = true;
                        }
                        key.insert(candidate.clone(), found);
                    }
                }
            }
        }
        if link {
            key.insert(String::new(), self.repo.entry_in_tree(tree, "")?);
        }
        Ok(key)
    }

    /// The repository paths the kustomization `strings` of directory `dir` may name, in order,
    /// without repeats.
    fn references(&mut self, dir: &str, strings: &Rc<Vec<String>>) -> Rc<Vec<String>> {
        if strings.is_empty() {
            return Rc::default();
        }
        let id = (dir.to_string(), Rc::as_ptr(strings));
        if let Some(found) = self.references.get(&id) {
            return Rc::clone(found);
        }
        let mut out: Vec<String> = Vec::new();
        for s in strings.iter() {
            for candidate in reference_candidates(dir, s) {
                if !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
        let out = Rc::new(out);
        self.references.insert(id, Rc::clone(&out));
        out
    }

    fn tree_has_link(&mut self, id: ObjectId) -> Result<bool, LedgerError> {
        if let Some(&b) = self.has_link.get(&id) {
            return Ok(b);
        }
        let mut found = false;
        for (_, entry) in self.repo.tree(id)?.iter() {
            found = match entry.kind {
                EntryType::Link => true,
                EntryType::Tree => self.tree_has_link(entry.id)?,
                _ => false,
            };
            if found {
                break;
            }
        }
        self.has_link.insert(id, found);
        Ok(found)
    }

    /// Every single-line string of the kustomization file in directory tree `id`.
    fn kustomization_strings(&mut self, id: ObjectId) -> Result<Rc<Vec<String>>, LedgerError> {
        let entries = self.repo.tree(id)?;
        let Some(file) = KUSTOMIZATION_FILE_NAMES
            .iter()
            .find_map(|n| entries.get(n))
            .filter(|e| e.kind != EntryType::Tree)
        else {
            return Ok(Rc::default());
        };
        if let Some(s) = self.kustomization_strings.get(&file.id) {
            return Ok(Rc::clone(s));
        }
        let bytes = self.blob(file.id)?;
        let text = String::from_utf8_lossy(&bytes);
        // An image bump changes only values the strings leave out: reuse the strings of the
        // file it bumps instead of parsing it again.
        let skeleton = image_value_skeleton(&text);
        let strings = match self.strings_by_skeleton.get(&skeleton) {
            Some(s) => Rc::clone(s),
            None => {
                let mut strings = Vec::new();
                let parsed = parse_documents(&text);
                if let Ok(docs) = &parsed {
                    for doc in docs {
                        collect_strings(doc, &mut strings);
                    }
                }
                let strings = Rc::new(strings);
                // A string holding an image line (a one-line block scalar) would change with it.
                let holds_image_line = strings.iter().any(|s| {
                    IMAGE_VALUE_KEYS
                        .iter()
                        .any(|k| s.contains(k) && s.contains(':'))
                });
                if parsed.is_ok() && !holds_image_line {
                    self.strings_by_skeleton
                        .insert(skeleton, Rc::clone(&strings));
                }
                strings
            }
        };
        self.kustomization_strings
            .insert(file.id, Rc::clone(&strings));
        Ok(strings)
    }

    fn resolve(
        &mut self,
        tree: ObjectId,
        overlay: &str,
        key: &Rc<DepKey>,
    ) -> Result<Resolved, LedgerError> {
        if let Some(r) = self.resolved.get(key) {
            return Ok(Rc::clone(r));
        }
        let source = self.snapshot(tree, key)?;
        let root = PathBuf::from(TREE_ROOT);
        let outcome = Rc::new(self.resolver()?.validate(
            Box::new(source),
            &root,
            &root.join(overlay),
        ));
        self.resolved.insert(Rc::clone(key), Rc::clone(&outcome));
        Ok(outcome)
    }

    /// Queues the resolution of `key` (at `tree`) on the resolver thread, unless it is known
    /// already, so that it works while this thread walks the history and builds the next
    /// snapshots.
    fn feed(&mut self, pipe: &mut Pipeline, tree: ObjectId, key: &Rc<DepKey>, overlay: &str) {
        if pipe.stopped
            || !key.get(overlay).is_some_and(Option::is_some)
            || self.resolved.contains_key(key)
        {
            return;
        }
        let root = PathBuf::from(TREE_ROOT);
        let queued = self.snapshot(tree, key).and_then(|source| {
            let resolver = self.resolver()?;
            // A resolver that cannot take jobs fails again, with its error, in `resolve`.
            Ok(resolver
                .submit(Box::new(source), &root, &root.join(overlay))
                .is_ok())
        });
        match queued {
            Ok(true) => pipe.submitted.push_back(Rc::clone(key)),
            Ok(false) => pipe.stopped = true,
            Err(e) => {
                pipe.failed = Some(e);
                pipe.stopped = true;
            }
        }
        // A few jobs ahead are enough to keep the resolver busy; more only take memory.
        if pipe.submitted.len() > PIPELINE_DEPTH {
            self.take_result(&mut pipe.submitted);
        }
    }

    /// Takes every queued result; fails with the error that stopped the queueing, if any.
    fn drain(&mut self, pipe: Pipeline) -> Result<(), LedgerError> {
        let mut submitted = pipe.submitted;
        while !submitted.is_empty() {
            self.take_result(&mut submitted);
        }
        pipe.failed.map_or(Ok(()), Err)
    }

    /// Takes the resolver's result for the oldest of `submitted`.
    fn take_result(&mut self, submitted: &mut std::collections::VecDeque<Rc<DepKey>>) {
        let Some(key) = submitted.pop_front() else {
            return;
        };
        match self
            .resolver
            .as_mut()
            .and_then(OverlayResolver::next_result)
        {
            Some(rendering) => {
                self.resolved.entry(key).or_insert(Rc::new(rendering));
            }
            // Nothing outstanding: the rest is resolved one by one, with its error.
            None => submitted.clear(),
        }
    }

    /// The resolver thread (started on first use).
    fn resolver(&mut self) -> Result<&mut OverlayResolver<Rendering>, LedgerError> {
        if self.resolver.is_none() {
            // Summarised on the resolver thread: the ledger keeps only images and a digest.
            let resolver = OverlayResolver::with_summary_and_options(
                |r| rendering_of(r, Path::new(TREE_ROOT)),
                self.resolve.clone(),
            );
            self.resolver = Some(resolver.map_err(LedgerError::Resolver)?);
        }
        self.resolver
            .as_mut()
            .ok_or_else(|| LedgerError::Resolver(io::Error::other("no resolver thread")))
    }

    /// The files of the dependency set `key` of `tree`, as a source for the resolver.
    fn snapshot(&mut self, tree: ObjectId, key: &DepKey) -> Result<TreeSource, LedgerError> {
        let mut files = BTreeMap::new();
        if key.contains_key("") {
            let root = Entry {
                id: tree,
                kind: EntryType::Tree,
            };
            self.flatten(root, String::new(), &mut files)?;
        } else {
            for (path, entry) in key.iter() {
                if let Some(entry) = entry {
                    self.flatten(*entry, path.clone(), &mut files)?;
                }
            }
        }
        let mut source = TreeSource::new(Path::new(TREE_ROOT));
        for (path, entry) in files {
            let bytes = self.blob(entry.id)?;
            source.insert(&path, entry.kind, bytes);
        }
        Ok(source)
    }

    /// The bytes of blob `id` (read once).
    fn blob(&mut self, id: ObjectId) -> Result<Arc<[u8]>, LedgerError> {
        if let Some(b) = self.blobs.get(&id) {
            return Ok(Arc::clone(b));
        }
        let bytes: Arc<[u8]> = self.repo.blob(id)?.into();
        self.blobs.insert(id, Arc::clone(&bytes));
        Ok(bytes)
    }

    /// Every file below `entry` (at `path`), by path.
    fn flatten(
        &self,
        entry: Entry,
        path: String,
        out: &mut BTreeMap<String, Entry>,
    ) -> Result<(), LedgerError> {
        match entry.kind {
            EntryType::Tree => {
                for (name, child) in self.repo.tree(entry.id)?.iter() {
                    let child_path = if path.is_empty() {
                        name.to_string()
                    } else {
                        format!("{path}/{name}")
                    };
                    self.flatten(*child, child_path, out)?;
                }
            }
            EntryType::Submodule => {}
            _ => {
                out.insert(path, entry);
            }
        }
        Ok(())
    }
}

/// The absolute path the snapshot of a Git tree is resolved at (it never touches the disk).
const TREE_ROOT: &str = "/repository";

/// How many resolutions [`Builder::feed`] queues ahead of the one it waits for.
const PIPELINE_DEPTH: usize = 16;

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
struct TreeSource {
    root: PathBuf,
    root_parts: Vec<String>,
    nodes: HashMap<String, Node>,
    /// Whether any node is a symbolic link (otherwise clean paths are looked up directly).
    links: bool,
}

impl TreeSource {
    fn new(root: &Path) -> Self {
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
    fn insert(&mut self, path: &str, kind: EntryType, bytes: Arc<[u8]>) {
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

/// What a resolution at [`TREE_ROOT`] renders.
fn rendering_of(result: ferry_kustomize::Resolved, root: &Path) -> Rendering {
    match result {
        Ok(resolution) if resolution.is_valid() => Rendering {
            images: Ok(image_map(&resolution.workloads)),
            resources: fingerprint(&resolution.resources),
        },
        Ok(resolution) => Rendering {
            images: Err(resolution
                .errors()
                .map(|f| relative_finding(f, root))
                .collect::<Vec<_>>()
                .join("; ")),
            resources: [0; 32],
        },
        Err(e) => Rendering {
            images: Err(e.to_string().replace(&format!("{}/", root.display()), "")),
            resources: [0; 32],
        },
    }
}

/// SHA-256 of `resources`, fed value by value (type tags and lengths make the encoding
/// unambiguous: equal digests mean equal resources).
fn fingerprint(resources: &[serde_json::Value]) -> [u8; 32] {
    fn feed(h: &mut Sha256, v: &serde_json::Value) {
        use serde_json::Value;
        let len = |h: &mut Sha256, n: usize| h.update((n as u64).to_le_bytes());
        match v {
            Value::Null => h.update([0]),
            Value::Bool(b) => h.update([1, u8::from(*b)]),
            Value::Number(n) => {
                let text = n.to_string();
                h.update([2]);
                len(h, text.len());
                h.update(text.as_bytes());
            }
            Value::String(s) => {
                h.update([3]);
                len(h, s.len());
                h.update(s.as_bytes());
            }
            Value::Array(a) => {
                h.update([4]);
                len(h, a.len());
                a.iter().for_each(|v| feed(h, v));
            }
            Value::Object(o) => {
                h.update([5]);
                len(h, o.len());
                for (k, v) in o {
                    len(h, k.len());
                    h.update(k.as_bytes());
                    feed(h, v);
                }
            }
        }
    }
    let mut h = Sha256::new();
    h.update((resources.len() as u64).to_le_bytes());
    resources.iter().for_each(|v| feed(&mut h, v));
    h.finalize().into()
}

fn relative_finding(f: &ferry_kustomize::Finding, root: &Path) -> String {
    let file = f.file.strip_prefix(root).unwrap_or(&f.file);
    let message = f.message.replace(&format!("{}/", root.display()), "");
    if f.line > 0 {
        format!("{}:{}:{}: {message}", file.display(), f.line, f.column)
    } else {
        format!("{}: {message}", file.display())
    }
}

/// Images by `workload/container`; workloads sharing a name are qualified by kind.
fn image_map(workloads: &[ferry_kustomize::Workload]) -> BTreeMap<String, String> {
    let mut seen = BTreeSet::new();
    let mut shared = BTreeSet::new();
    for w in workloads {
        if !seen.insert(&w.name) {
            shared.insert(&w.name);
        }
    }
    let mut out = BTreeMap::new();
    for w in workloads {
        for c in &w.containers {
            let key = if shared.contains(&w.name) {
                format!("{}/{}/{}", w.kind, w.name, c.name)
            } else {
                format!("{}/{}", w.name, c.name)
            };
            out.insert(key, c.image.clone());
        }
    }
    out
}

fn diff(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<ImageChange> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| ImageChange {
            container: k.clone(),
            from: old.get(k).cloned(),
            to: new.get(k).cloned(),
        })
        .collect()
}

/// Collects the single-line strings of `v`, leaving out the values of image fields
/// ([`IMAGE_VALUE_KEYS`]), which never name files.
fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !s.contains('\n') && !s.is_empty() && s.len() < 4096 => {
            out.push(s.clone());
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(k, _)| !IMAGE_VALUE_KEYS.contains(&k.as_str()))
            .for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

/// Repository paths a kustomization string in `dir` may name: the string itself and, for
/// `key=path` generator entries, the part after `=`. Paths leaving the repository are dropped.
fn reference_candidates(dir: &str, s: &str) -> Vec<String> {
    let mut raw = vec![s];
    if let Some((_, after)) = s.split_once('=') {
        raw.push(after);
    }
    raw.into_iter()
        .filter(|s| !s.contains("://") && !s.starts_with('/'))
        .filter_map(|s| join_normalized(dir, s.trim()))
        .filter(|p| !p.is_empty())
        .collect()
}

fn join_normalized(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
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

    #[test]
    fn join_normalized_handles_parents_and_escape() {
        assert_eq!(
            join_normalized("infra/k8s/overlays/dev", "../../base").as_deref(),
            Some("infra/k8s/base")
        );
        assert_eq!(join_normalized("a", "./b/").as_deref(), Some("a/b"));
        assert_eq!(join_normalized("a", "../../x"), None);
    }

    #[test]
    fn generator_entries_yield_the_path_after_equals() {
        assert_eq!(
            reference_candidates("o", "app.properties=files/app.properties"),
            [
                "o/app.properties=files/app.properties",
                "o/files/app.properties"
            ]
        );
    }

    #[test]
    fn tags_match_exactly_not_as_prefixes() {
        let q = Reference::parse_normalized("registry.example.com/acme/backend:1.3").unwrap();
        assert!(!image_matches(
            &q,
            "registry.example.com/acme/backend:1.3.3"
        ));
        assert!(image_matches(&q, "registry.example.com/acme/backend:1.3"));
        let q = Reference::parse_normalized("postgres:16.4").unwrap();
        assert!(image_matches(&q, "docker.io/library/postgres:16.4"));
    }
}
