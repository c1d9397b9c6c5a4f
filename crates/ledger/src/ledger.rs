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
//! (a [`FileSource`](ferry_kustomize::FileSource) over a snapshot of the tree; no temporary directory), with blobs read once
//! and YAML parsed once per distinct content across all commits (on one [`OverlayResolver`](ferry_kustomize::OverlayResolver)
//! thread and its [`ferry_kustomize::ParseCache`]); when any
//! dependency holds a symbolic link, the whole repository tree is used instead. Snapshots of
//! the next commits are built while the resolver thread works, and an image bump of the overlay
//! re-runs only its `images` step there (see [`OverlayResolver`](ferry_kustomize::OverlayResolver)).

use std::collections::{BTreeMap, HashMap};

use ferry_image::reference::Reference;
use gix::ObjectId;
use serde::Serialize;

use ferry_config::UnknownEnvironment;
use ferry_git::{GitError, Repo};

use build::Builder;
use chain::Chain;
use state::State;

mod build;
mod cache;
mod chain;
mod state;
pub(crate) mod tree;

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
    /// The thread overlays are resolved on cannot be started.
    #[error("cannot start the overlay resolver thread: {0}")]
    Resolver(std::io::Error),
    /// No environment of that name in the ledger.
    #[error(transparent)]
    UnknownEnvironment(#[from] UnknownEnvironment),
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
    /// The deployment this commit rolled back: the value of its `Ferry-Rollback:` trailer
    /// ([`rollback_trailer`](crate::trailer::rollback_trailer)), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
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

/// The deployment ledger of several environments on one base branch.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    /// The base branch tip the ledger was built from (hex).
    pub base: String,
    /// Environments in the order given.
    pub environments: Vec<EnvLedger>,
    #[serde(skip)]
    chain: Vec<ObjectId>,
    /// Each commit's index in `chain`, made when first asked.
    #[serde(skip)]
    positions: std::sync::OnceLock<HashMap<ObjectId, usize>>,
    /// Whether the chain stops before the root commit (a window walked newest first).
    #[serde(skip)]
    partial: bool,
}

impl Ledger {
    /// The ledger of environment `name`.
    pub fn environment(&self, name: &str) -> Result<&EnvLedger, LedgerError> {
        self.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                LedgerError::UnknownEnvironment(UnknownEnvironment {
                    name: name.to_owned(),
                    place: None,
                    known: self.environments.iter().map(|e| e.name.clone()).collect(),
                })
            })
    }

    /// The first-parent chain of the base branch, newest first (with a window read without
    /// the cache, only as far back as the walk went).
    pub fn chain(&self) -> &[ObjectId] {
        &self.chain
    }

    /// What `env` ran at `commit` (a commit of the first-parent chain): its last deployment at
    /// or before it. [`LedgerError::Truncated`] when the answer lies before the deployments read
    /// (or, when the chain was read only part of the way, `commit` is not among its commits).
    pub fn deployed_at(
        &self,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<&Deployment>, LedgerError> {
        let env = self.environment(env)?;
        let position = *self.positions().get(&commit).ok_or(if self.partial {
            LedgerError::Truncated(env.name.clone())
        } else {
            LedgerError::NotOnBase(commit)
        })?;
        match env.deployments.iter().find(|d| d.position >= position) {
            None if env.truncated => Err(LedgerError::Truncated(env.name.clone())),
            found => Ok(found),
        }
    }

    /// Each commit of the chain by id: its index.
    fn positions(&self) -> &HashMap<ObjectId, usize> {
        self.positions.get_or_init(|| {
            self.chain
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, i))
                .collect()
        })
    }

    /// The first-parent chain from `commit` back to the oldest commit read, `commit` first.
    pub fn chain_from(&self, commit: ObjectId) -> Result<&[ObjectId], LedgerError> {
        let start = *self
            .positions()
            .get(&commit)
            .ok_or(LedgerError::NotOnBase(commit))?;
        Ok(&self.chain[start..])
    }
}

/// Options of [`build_ledger_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LedgerOptions {
    /// Keep only the newest N deployments of each environment; without a usable cache only
    /// what they need is walked and resolved (newest first, back to the deployment before
    /// them). `None`: the whole history.
    pub max_deployments: Option<usize>,
    /// How overlays are resolved (the load restrictor of `ferry.toml`'s `[kustomize]`).
    pub resolve: ferry_kustomize::ResolveOptions,
    /// Build without the cache in the Git directory (neither read nor written).
    pub without_cache: bool,
    /// Keep only the deployments committed at or after this time, and the newest one before
    /// it (what ran at that time); the walk stops there. `None`: no such limit.
    pub since: Option<jiff::Timestamp>,
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

    /// Options keeping the deployments committed at or after `t` and the newest one before it.
    pub fn since(t: jiff::Timestamp) -> Self {
        LedgerOptions::default().with_since(t)
    }

    /// These options, also stopping at the newest deployment committed before `t`.
    pub fn with_since(self, t: jiff::Timestamp) -> Self {
        LedgerOptions {
            since: Some(t),
            ..self
        }
    }

    /// These options, neither reading nor writing the cache.
    pub fn without_cache(self) -> Self {
        LedgerOptions {
            without_cache: true,
            ..self
        }
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
///
/// The history is walked once for all `environments` (commits and trees are read once and
/// shared): pass them all in one call. Unless the options say
/// [`LedgerOptions::without_cache`], the ledger is read from and kept in a cache inside the
/// repository's Git directory (`ferry/ledger-cache/`), keyed by commit ids: a base that moved
/// on costs only the commits since the cached one. Without a usable cache, a window
/// ([`LedgerOptions::newest`], [`LedgerOptions::with_since`]) walks the history newest first and
/// stops as soon as its deployments (and what ran before them) are known. A cache that cannot
/// be read or written never changes the answer (a debug-level log line says why it was not
/// used).
pub fn build_ledger_with(
    repo: &Repo,
    base: ObjectId,
    environments: &[EnvironmentSpec],
    options: &LedgerOptions,
) -> Result<Ledger, LedgerError> {
    let cache = (!options.without_cache).then(|| cache::Cache::of(repo));
    let mut chain = Chain::read(repo, base, cache.as_ref())?;
    let mut builder = Builder::new(repo, options.resolve.clone());
    let window =
        (options.max_deployments.is_some() || options.since.is_some()).then(|| build::Window {
            max: options.max_deployments,
            since: options.since.map(|t| t.as_second()),
        });
    let mut envs = Vec::new();
    for env in environments {
        let overlay = env.overlay.trim_matches('/');
        // The cached walk, when its commit is on the chain: only the commits since are new.
        let resume = cache
            .as_ref()
            .and_then(|c| c.state(overlay, &options.resolve))
            .and_then(|state| resumable(repo, &mut chain, state))
            // A window's walk (it stopped before the root) serves only windows.
            .filter(|(_, state)| state.baseline.is_none() || window.is_some());
        let mut ledger = None;
        if let Some((at, state)) = resume {
            let new = chain.infos(repo, at)?;
            let (resumed, walked) = builder.environment(env, new, Some(state), None)?;
            // A window's walk that does not reach back far enough is walked again.
            if window.is_none_or(|w| holds(&resumed, w)) {
                if let (Some(cache), Some(walked)) = (&cache, walked) {
                    cache.set_state(overlay, &options.resolve, &walked);
                }
                ledger = Some(resumed);
            }
        }
        let mut ledger = match (ledger, window) {
            (Some(ledger), _) => ledger,
            (None, Some(window)) => {
                let (ledger, walked) = builder.newest(env, &mut chain, window)?;
                if let Some(cache) = &cache {
                    cache.set_state(overlay, &options.resolve, &walked);
                }
                ledger
            }
            (None, None) => {
                chain.read_all(repo)?;
                let all = chain.infos(repo, chain.ids.len())?;
                let (ledger, walked) = builder.environment(env, all, None, None)?;
                if let (Some(cache), Some(walked)) = (&cache, walked) {
                    cache.set_state(overlay, &options.resolve, &walked);
                }
                ledger
            }
        };
        if let Some(window) = window {
            cut(&mut ledger, window);
        }
        envs.push(ledger);
    }
    if let Some(cache) = &cache
        && chain.walked
        && chain.complete()
    {
        cache.set_chain(&chain.ids);
    }
    tracing::debug!(
        %base,
        environments = environments.len(),
        max_deployments = ?options.max_deployments,
        since = ?options.since,
        commits = chain.ids.len(),
        "ledger built"
    );
    let partial = !chain.complete();
    Ok(Ledger {
        base: base.to_string(),
        environments: envs,
        positions: std::sync::OnceLock::new(),
        chain: std::mem::take(&mut chain.ids),
        partial,
    })
}

/// The cached walk `state` with its position on `chain`, when its commits are where the chain
/// has them.
fn resumable(repo: &Repo, chain: &mut Chain, state: State) -> Option<(usize, State)> {
    let at = match chain.position(state.tip) {
        Some(at) => at,
        // A chain read from Git on demand: the cached tip is found by walking to it.
        None if !chain.complete() => {
            let mut n = 0;
            loop {
                match chain.info(repo, n).ok()? {
                    Some(c) if c.id == state.tip => break n,
                    Some(_) => n += 1,
                    None => return None,
                }
            }
        }
        None => return None,
    };
    let state = state.shifted(at);
    // Each kept commit must sit where the chain has it.
    if !chain.complete()
        && let Some(last) = state.saved.iter().map(|s| s.position).max()
    {
        chain.info(repo, last).ok()?;
    }
    let consistent = state
        .saved
        .iter()
        .all(|s| chain.ids.get(s.position) == Some(&s.meta.id));
    if !consistent {
        tracing::debug!("ledger cache: its commits are not on the chain; not used");
    }
    consistent.then_some((at, state))
}

/// Whether `ledger` (possibly the newest part of the history only) holds every deployment of
/// `window`.
fn holds(ledger: &EnvLedger, window: build::Window) -> bool {
    !ledger.truncated
        || window
            .max
            .is_some_and(|max| ledger.deployments.len() >= max.max(1))
        || window
            .since
            .is_some_and(|since| ledger.deployments.iter().any(|d| d.seconds < since))
}

/// Keeps the deployments of `ledger` inside `window`.
fn cut(ledger: &mut EnvLedger, window: build::Window) {
    let mut keep = ledger.deployments.len();
    if let Some(max) = window.max.map(|m| m.max(1)) {
        keep = keep.min(max);
    }
    if let Some(since) = window.since
        && let Some(first_before) = ledger.deployments.iter().position(|d| d.seconds < since)
    {
        keep = keep.min(first_before + 1);
    }
    if keep < ledger.deployments.len() {
        ledger.deployments.truncate(keep);
        ledger.truncated = true;
    }
}

/// The git repositories of the tests (shared with the integration tests).
#[cfg(test)]
#[path = "../../test-support/include/test_repo.rs"]
mod test_repo;

#[cfg(test)]
mod tests {
    use super::test_repo as common;
    use super::*;

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

    #[test]
    fn image_changes_name_every_container_added_changed_or_removed_in_order() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let old = map(&[
            ("a/a", "a:1"),
            ("b/b", "b:1"),
            ("c/c", "c:1"),
            ("e/e", "e:1"),
        ]);
        let new = map(&[
            ("b/b", "b:2"),
            ("c/c", "c:1"),
            ("d/d", "d:1"),
            ("e/e", "e:1"),
        ]);
        let change = |c: &str, from: Option<&str>, to: Option<&str>| ImageChange {
            container: c.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
        };
        assert_eq!(
            build::diff(&old, &new),
            [
                change("a/a", Some("a:1"), None),
                change("b/b", Some("b:1"), Some("b:2")),
                change("d/d", None, Some("d:1")),
            ]
        );
        assert_eq!(build::diff(&new, &new), []);
        assert_eq!(build::diff(&BTreeMap::new(), &old).len(), 4);
    }

    /// The ledger of `envs` at `base` as JSON, with what its chain and positions answer.
    fn answer(repo: &Repo, base: ObjectId, envs: &[EnvironmentSpec], cached: bool) -> String {
        let options = LedgerOptions {
            without_cache: !cached,
            ..LedgerOptions::default()
        };
        let ledger = build_ledger_with(repo, base, envs, &options).expect("the ledger builds");
        let deployed: Vec<Option<&str>> = ledger
            .chain()
            .iter()
            .map(|c| {
                let d = ledger.deployed_at("dev", *c).expect("on the chain");
                d.map(|d| d.commit.as_str())
            })
            .collect();
        let chain: Vec<String> = ledger.chain().iter().map(ToString::to_string).collect();
        serde_json::json!({ "ledger": &ledger, "chain": chain, "deployed_at": deployed })
            .to_string()
    }

    /// A cache whose digest and key are right but whose walk or chain puts this history's
    /// commits where they are not (as a bug might write it) is not used.
    #[test]
    fn a_consistent_looking_cache_of_wrong_commits_never_changes_an_answer() {
        let (test, _) = common::TestRepo::blueprint();
        for (i, env) in ["dev", "staging", "dev", "dev"].iter().enumerate() {
            test.bump(env, common::BACKEND, &format!("1.{i}.0"));
            test.commit_all(&format!("{env}: backend 1.{i}.0"), "Ada <ada@example.com>");
        }
        let repo = Repo::open(test.path()).expect("open");
        let base = test.head();
        let envs = [EnvironmentSpec {
            name: "dev".into(),
            overlay: "infra/k8s/overlays/dev".into(),
        }];
        let expected = answer(&repo, base, &envs, false);
        assert_eq!(answer(&repo, base, &envs, true), expected, "cold");
        let cache = cache::Cache::of(&repo);
        let options = ferry_kustomize::ResolveOptions::default();
        let state = cache
            .state(&envs[0].overlay, &options)
            .expect("a cached walk");
        let chain = cache.chain().expect("a cached chain");
        assert!(state.saved.len() > 1 && chain.len() > 2);
        // Every deployment one commit older than it is.
        cache.set_state(&envs[0].overlay, &options, &state.clone().shifted(1));
        assert_eq!(answer(&repo, base, &envs, true), expected, "shifted walk");
        // The chain backwards.
        cache.set_state(&envs[0].overlay, &options, &state);
        cache.set_chain(&chain.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(answer(&repo, base, &envs, true), expected, "reversed chain");
        assert_eq!(answer(&repo, base, &envs, true), expected, "run again");
    }
}
