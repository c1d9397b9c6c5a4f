//! Building the ledger: the commits where an environment's inputs changed, found from the
//! objects its overlay depends on, then resolved (on the resolver thread, queued ahead).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use ferry_git::{CommitInfo, Entry, EntryType, Repo};
use ferry_kustomize::OverlayResolver;
use ferry_kustomize::dependencies::{DependencyScan, KUSTOMIZATION_FILE_NAMES, candidate_paths};
use gix::ObjectId;
use sha2::{Digest, Sha256};

use super::chain::Chain;
use super::state::{DepKey, Meta, Rendering, Saved, State};
use super::tree::{TREE_ROOT, TreeSource};
use super::{Deployment, EnvLedger, EnvironmentSpec, ImageChange, LedgerError};

mod incremental;
mod walk;
mod window;

use walk::exists;
pub(super) use window::Window;

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

type Resolved = Rc<Rendering>;

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

/// A dependency key in a map: hashed by its objects only (cheaper than every path; keys
/// that hash alike are still compared in full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Keyed(pub(super) Rc<DepKey>);

impl std::hash::Hash for Keyed {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_usize(self.0.len());
        for entry in self.0.values() {
            match entry {
                Some(e) => h.write(&e.id.as_bytes()[..8]),
                None => h.write_u8(0),
            }
        }
    }
}

/// A map hashed with rustc's hasher (fast, word at a time; the ledger's own keys, paths and
/// object ids, are not attacker-chosen in a way that matters for a one-shot computation).
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

pub(super) struct Builder<'r> {
    repo: &'r Repo,
    /// Blob contents by id, shared across commits.
    blobs: IdMap<Arc<[u8]>>,
    /// The resolver thread, with parsed YAML by content shared across commits.
    resolver: Option<OverlayResolver<Rendering>>,
    /// How the resolver resolves.
    resolve: ferry_kustomize::ResolveOptions,
    resolved: FxMap<Keyed, Resolved>,
    /// The key of the resolver's last job for each overlay (the source it keeps).
    last_job: FxMap<String, Rc<DepKey>>,
    /// Repository paths named by a kustomization's strings, by directory and strings (the
    /// strings are kept alive by `kustomization_strings`, so their address names them).
    references: FxMap<(String, *const Vec<String>), Rc<Vec<String>>>,
    has_link: IdMap<bool>,
    kustomization_strings: IdMap<Rc<Vec<String>>>,
    /// Strings of kustomization files (parsed once per text up to image values).
    scan: DependencyScan,
}

impl<'r> Builder<'r> {
    /// A builder reading `repo`, resolving with `resolve`.
    pub(super) fn new(repo: &'r Repo, resolve: ferry_kustomize::ResolveOptions) -> Self {
        Builder {
            repo,
            blobs: IdMap::default(),
            resolver: None,
            resolve,
            resolved: HashMap::default(),
            last_job: HashMap::default(),
            references: HashMap::default(),
            has_link: IdMap::default(),
            kustomization_strings: IdMap::default(),
            scan: DependencyScan::default(),
        }
    }
}

impl Builder<'_> {
    /// The ledger of `env` from the commits `new` (newest first, at positions `0..new.len()` of
    /// the chain) and, when given, the walk of the older commits (`resume`, positions already
    /// counted from the newest commit of `new`). With a limit (`max_deployments`, and no
    /// `resume`) only what the newest deployments need is resolved; without one, every commit
    /// is, and the walk's state at the newest commit is returned too (for the cache).
    pub(super) fn environment(
        &mut self,
        env: &EnvironmentSpec,
        new: &[CommitInfo],
        resume: Option<State>,
        max_deployments: Option<usize>,
    ) -> Result<(EnvLedger, Option<State>), LedgerError> {
        let overlay = env.overlay.trim_matches('/').to_string();
        let max_deployments = max_deployments.filter(|_| resume.is_none());
        // Phase 1: the commits where the environment's inputs changed (no resolution).
        let mut candidates: Vec<(usize, Rc<DepKey>)> = Vec::new();
        // The dependency key and its paths as a trie; the key's objects are the same in every
        // commit since it was computed, so each commit is compared with the one before it.
        let mut previous: Option<(Rc<DepKey>, Rc<PathTrie>)> = None;
        let mut previous_tree: Option<ObjectId> = None;
        let mut saved: Vec<Saved> = Vec::new();
        let mut baseline = None;
        if let Some(state) = resume {
            baseline = state.baseline;
            previous = state.key.map(|key| {
                let trie = Rc::new(PathTrie::new(&key));
                (Rc::new(key), trie)
            });
            previous_tree = Some(state.tree);
            saved = state.saved;
        }
        // Without a limit every candidate is resolved: queue each as soon as it is found.
        let mut pipe = Pipeline::default();
        for (position, commit) in new.iter().enumerate().rev() {
            let before = previous_tree.replace(commit.tree);
            let key = match (&previous, before) {
                (Some((known, trie)), Some(before)) => {
                    match self.dependencies_from(known, trie, before, commit.tree, &overlay)? {
                        Some(key) => key,
                        None => continue,
                    }
                }
                _ => self.dependencies(commit.tree, &overlay)?,
            };
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
            if exists || !candidates.is_empty() || !saved.is_empty() {
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
        if let Some(max) = max_deployments.map(|m| m.max(1)) {
            let mut found = 0;
            let mut start = 0;
            let mut i = candidates.len();
            while i > 0 && found < max {
                i -= 1;
                let here = self.rendering(new, &candidates, &mut renderings, &overlay, i)?;
                let deployed = i == 0
                    || here
                        != self.rendering(new, &candidates, &mut renderings, &overlay, i - 1)?;
                if deployed {
                    found += 1;
                    start = i;
                }
            }
            let mut baseline = None;
            if start > 0 {
                let before =
                    self.rendering(new, &candidates, &mut renderings, &overlay, start - 1)?;
                // The images carried into the window: the newest that rendered.
                let mut images = BTreeMap::new();
                for k in (0..start).rev() {
                    let r = self.rendering(new, &candidates, &mut renderings, &overlay, k)?;
                    if let Ok(i) = &r.images {
                        images = i.clone();
                        break;
                    }
                }
                baseline = Some((before, images));
            }
            let mut items = Vec::new();
            for i in start..candidates.len() {
                let rendering = self.rendering(new, &candidates, &mut renderings, &overlay, i)?;
                let position = candidates[i].0;
                items.push((position, Meta::of(&new[position]), rendering));
            }
            let truncated = baseline.is_some();
            let ledger = EnvLedger {
                name: env.name.clone(),
                overlay,
                deployments: deployments(baseline, items),
                truncated,
            };
            return Ok((ledger, None));
        }
        let mut items: Vec<(usize, Meta, Resolved)> = saved
            .into_iter()
            .map(|s| (s.position, s.meta, Rc::new(s.rendering)))
            .collect();
        for i in 0..candidates.len() {
            let rendering = self.rendering(new, &candidates, &mut renderings, &overlay, i)?;
            let position = candidates[i].0;
            items.push((position, Meta::of(&new[position]), rendering));
        }
        let state = match (new.first(), previous_tree) {
            (Some(tip), Some(tree)) => Some(State {
                tip: tip.id,
                tree,
                key: previous.map(|(key, _)| (*key).clone()),
                saved: Saved::all(&items),
                baseline: baseline.clone(),
            }),
            _ => None,
        };
        let truncated = baseline.is_some();
        let baseline = baseline.map(|(rendering, images)| (Rc::new(rendering), images));
        let ledger = EnvLedger {
            name: env.name.clone(),
            overlay,
            deployments: deployments(baseline, items),
            truncated,
        };
        Ok((ledger, state))
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

    /// The root tree of the commit at `position`.
    fn tree_at(&self, chain: &mut Chain, position: usize) -> Result<ObjectId, LedgerError> {
        Ok(chain
            .info(self.repo, position)?
            .expect("candidates are commits of the chain")
            .tree)
    }

    /// The fields a deployment shows of the commit at `position`.
    fn meta(&self, chain: &mut Chain, position: usize) -> Result<Meta, LedgerError> {
        Ok(Meta::of(
            chain
                .info(self.repo, position)?
                .expect("candidates are commits of the chain"),
        ))
    }

    /// What the overlay renders after the commit at `position`, whose dependency key is `key`
    /// (resolved once per key).
    fn render(
        &mut self,
        chain: &mut Chain,
        position: usize,
        overlay: &str,
        key: &Rc<DepKey>,
    ) -> Result<Resolved, LedgerError> {
        if exists(key, overlay) {
            let tree = self.tree_at(chain, position)?;
            self.resolve(tree, overlay, key)
        } else {
            Ok(Rc::new(Rendering {
                images: Err(format!("overlay directory {overlay} does not exist")),
                resources: [0; 32],
            }))
        }
    }
}

impl Builder<'_> {
    /// Whether every path of `trie` names the same object (or nothing) in trees `a` and `b`.
    fn same_along(&self, a: ObjectId, b: ObjectId, trie: &PathTrie) -> Result<bool, LedgerError> {
        Ok(self.changed_along(a, b, trie)?.is_empty())
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
            for candidate in candidate_paths(dir, s) {
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
        let strings = self.scan.strings(&String::from_utf8_lossy(&bytes));
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
        if let Some(r) = self.resolved.get(&Keyed(Rc::clone(key))) {
            return Ok(Rc::clone(r));
        }
        let root = PathBuf::from(TREE_ROOT);
        let dir = root.join(overlay);
        let edit = self.edit_of(key, overlay)?;
        let outcome = Rc::new(match edit {
            Some((name, bytes)) => {
                self.resolver()?
                    .validate_edit(&root, &dir, &dir.join(name), bytes.to_vec())
            }
            None => {
                let source = self.snapshot(tree, key)?;
                self.resolver()?.validate(Box::new(source), &root, &dir)
            }
        });
        self.last_job.insert(overlay.to_string(), Rc::clone(key));
        self.resolved
            .insert(Keyed(Rc::clone(key)), Rc::clone(&outcome));
        Ok(outcome)
    }

    /// Queues the resolution of `key` (at `tree`) on the resolver thread, unless it is known
    /// already, so that it works while this thread walks the history and builds the next
    /// snapshots.
    fn feed(&mut self, pipe: &mut Pipeline, tree: ObjectId, key: &Rc<DepKey>, overlay: &str) {
        if pipe.stopped
            || !key.get(overlay).is_some_and(Option::is_some)
            || self.resolved.contains_key(&Keyed(Rc::clone(key)))
        {
            return;
        }
        let root = PathBuf::from(TREE_ROOT);
        let dir = root.join(overlay);
        let edit = self.edit_of(key, overlay);
        // A resolver that cannot take jobs fails again, with its error, in `resolve`.
        let queued = edit.and_then(|edit| match edit {
            Some((name, bytes)) => Ok(self
                .resolver()?
                .submit_edit(&root, &dir, &dir.join(name), bytes.to_vec())
                .is_ok()),
            None => {
                let source = self.snapshot(tree, key)?;
                Ok(self
                    .resolver()?
                    .submit(Box::new(source), &root, &dir)
                    .is_ok())
            }
        });
        if matches!(queued, Ok(true)) {
            self.last_job.insert(overlay.to_string(), Rc::clone(key));
        }
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
                self.resolved
                    .entry(Keyed(key))
                    .or_insert(Rc::new(rendering));
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
            .ok_or_else(|| LedgerError::Resolver(std::io::Error::other("no resolver thread")))
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

/// The deployments (newest first) among `items`, the commits where the inputs changed with
/// what each rendered (oldest first): those after which the rendering differs from the one
/// before. `baseline`: the rendering and images before the first item (with a limit).
fn deployments(
    baseline: Option<(Resolved, BTreeMap<String, String>)>,
    items: Vec<(usize, Meta, Resolved)>,
) -> Vec<Deployment> {
    let (baseline, baseline_images) = match baseline {
        Some((r, i)) => (Some(r), i),
        None => (None, BTreeMap::new()),
    };
    // The resources digest of the last deployment's rendering; its images (or error) are the
    // deployment's own, moved there.
    let mut resources = [0; 32];
    let mut out: Vec<Deployment> = Vec::with_capacity(items.len());
    for (position, meta, rendering) in items {
        let unchanged = match (out.last(), &baseline) {
            (Some(last), _) => {
                resources == rendering.resources
                    && match &rendering.images {
                        Ok(images) => last.error.is_none() && last.images == *images,
                        Err(e) => last.error.as_ref() == Some(e),
                    }
            }
            (None, Some(baseline)) => **baseline == *rendering,
            (None, None) => false,
        };
        if unchanged {
            // Inputs changed but the rendering did not (e.g. a base field the overlay
            // overrides): nothing was deployed.
            continue;
        }
        // A rendering read from the cache is this deployment's alone: moved, not copied.
        let rendering = Rc::try_unwrap(rendering).unwrap_or_else(|shared| (*shared).clone());
        resources = rendering.resources;
        let before = out.last().map_or(&baseline_images, |d| &d.images);
        let (next, error) = match rendering.images {
            Ok(next) => (next, None),
            Err(e) => (before.clone(), Some(e)),
        };
        let changes = diff(before, &next);
        out.push(Deployment {
            commit: meta.id.to_string(),
            time: meta.time,
            author: meta.author,
            summary: meta.summary,
            rollback_of: meta.rollback_of,
            images: next,
            changes,
            error,
            id: meta.id,
            seconds: meta.seconds,
            position,
        });
    }
    out.reverse();
    out
}

/// How many resolutions [`Builder::feed`] queues ahead of the one it waits for.
const PIPELINE_DEPTH: usize = 256;

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

/// The image changes from `old` to `new`, in container order.
pub(super) fn diff(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<ImageChange> {
    use std::cmp::Ordering;
    // Both maps in key order at once: every container of either, in order.
    let (mut old, mut new) = (old.iter().peekable(), new.iter().peekable());
    let mut changes = Vec::new();
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => return changes,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        let (from, to) = match order {
            Ordering::Less => (old.next(), None),
            Ordering::Greater => (None, new.next()),
            Ordering::Equal => (old.next(), new.next()),
        };
        if from.map(|(_, v)| v) != to.map(|(_, v)| v) {
            let container = from.or(to).map(|(k, _)| k.clone()).unwrap_or_default();
            changes.push(ImageChange {
                container,
                from: from.map(|(_, v)| v.clone()),
                to: to.map(|(_, v)| v.clone()),
            });
        }
    }
}
