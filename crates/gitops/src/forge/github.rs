//! The GitHub forge: pull requests through the GitHub API ([`GithubClient`]).
//!
//! - Every attempt of [`Forge::open_change`] starts with one GraphQL query (base head, the open
//!   pull requests into the base with their head commits, the holds); the base's files are read
//!   in the local repository. A first change with labels and auto-merge then takes five more
//!   requests: create the branch, commit (`createCommitOnBranch` with `expectedHeadOid`), open
//!   the pull request, add labels, enable auto-merge.
//! - [`Forge::sync`] and [`Forge::holds`] make the same query and keep its answer for a short
//!   while ([`SNAPSHOT_TTL`]), so `sync`, `holds` and `open_change` in a row cost one query.
//! - An open pull request is never reset to the base (GitHub would mark it merged): a reused
//!   change that must move to a new base gets its commit on a scratch branch
//!   (`ferry/tmp/<branch>`) first, then its branch is moved to that commit.
//! - Holds are `.ferry/holds/<env>.json` on the branch [`HOLDS_BRANCH`]; verification records
//!   are commit statuses [`verified_context`] whose description names a digest of the image set.

mod query;
mod review;
mod slot;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use ferry_config::ForgeKind;
use gix::ObjectId;
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use super::{
    Base, ChangeInfo, ChangeRequest, Cleanup, Files, Forge, ForgeError, HOLDS_BRANCH,
    OpenChangeInfo, Opened, Planner, WaitOutcome,
};
use crate::gates::Hold;
use crate::plan::{ChangeAction, OpenChange, decide, parse_deploy_branch};
use ferry_git::{CommitRequest, FileChange, Repo, Signature};
use ferry_github::{
    AutoMergeRefusal, BranchCommit, FileAddition, GithubClient, GithubError, MergeMethod,
    MergeOptions, NewPullRequest, NewStatus, PullRequestUpdate, PullState, StatusState,
    verified_context,
};
use ferry_ledger::ledger::{EnvironmentSpec, LedgerError, LedgerOptions, build_ledger_with};
use ferry_ledger::verify::{VerificationRecord, VerifyError};
use query::{OpenPull, Snapshot};

/// How long the answer of the snapshot query made by [`Forge::sync`] or [`Forge::holds`] is
/// reused by the next call that needs it.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(30);

/// Prefix of the scratch branches a reused change is rebuilt on.
pub const SCRATCH_PREFIX: &str = "ferry/tmp/";

/// How often [`Forge::wait`] polls the pull request.
const WAIT_INTERVAL: Duration = Duration::from_secs(10);

/// Attempts of [`Forge::update_holds`] when another run changes the holds meanwhile.
const HOLDS_ATTEMPTS: u32 = 10;

/// Branches without any pull request younger than this are left to the run that made them.
const CLEANUP_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// Settings of a [`GithubForge`].
#[derive(Debug, Clone)]
pub struct GithubForgeOptions {
    /// The base branch's remote in the local repository (used to fetch a base commit that is
    /// not local yet), e.g. `origin`.
    pub remote: String,
    /// The base branch (short name, e.g. `main`).
    pub base_branch: String,
    /// The deploy branch prefix (e.g. `deploy/`).
    pub branch_prefix: String,
    /// Author and committer of the commits Ferry makes.
    pub signature: Signature,
    /// How pull requests are merged.
    pub merge_method: MergeMethod,
    /// Overlay directory (repository-relative) of each environment, to tell which images an
    /// environment ran at a commit (verification records); empty: none known.
    pub overlays: BTreeMap<String, String>,
    /// How those overlays are resolved (`ferry.toml`'s `[kustomize]`).
    pub resolve: ferry_kustomize::ResolveOptions,
}

/// The GitHub forge over the GitHub API and a local clone of the same repository.
#[derive(Debug)]
pub struct GithubForge {
    client: GithubClient,
    repo: Repo,
    options: GithubForgeOptions,
    cached: RefCell<Option<(Instant, Snapshot)>>,
}

impl GithubForge {
    /// A forge making changes through `client`, reading base commits from `repo` (a clone of
    /// the same repository).
    pub fn new(client: GithubClient, repo: Repo, options: GithubForgeOptions) -> GithubForge {
        GithubForge {
            client,
            repo,
            options,
            cached: RefCell::new(None),
        }
    }

    /// The GitHub client.
    pub fn client(&self) -> &GithubClient {
        &self.client
    }

    fn owner_name(&self) -> (String, String) {
        let full = self.client.repository();
        let (owner, name) = full.split_once('/').unwrap_or((full.as_str(), ""));
        (owner.to_owned(), name.to_owned())
    }

    /// A fresh snapshot (and keeps it for the next caller).
    async fn query_snapshot(&self) -> Result<Snapshot, ForgeError> {
        let (owner, name) = self.owner_name();
        let snapshot =
            query::snapshot(&self.client, &owner, &name, &self.options.base_branch).await?;
        *self.cached.borrow_mut() = Some((Instant::now(), snapshot.clone()));
        Ok(snapshot)
    }

    /// The kept snapshot when it is fresh, else a new one.
    async fn snapshot(&self, take: bool) -> Result<Snapshot, ForgeError> {
        let fresh = {
            let mut cached = self.cached.borrow_mut();
            let fresh = cached
                .as_ref()
                .is_some_and(|(at, _)| at.elapsed() <= SNAPSHOT_TTL);
            if !fresh {
                *cached = None;
                None
            } else if take {
                cached.take().map(|(_, s)| s)
            } else {
                cached.as_ref().map(|(_, s)| s.clone())
            }
        };
        match fresh {
            Some(snapshot) => Ok(snapshot),
            None => {
                let snapshot = self.query_snapshot().await?;
                if take {
                    self.cached.borrow_mut().take();
                }
                Ok(snapshot)
            }
        }
    }

    /// Makes sure `commit` is in the local repository, fetching the base branch when not.
    async fn ensure_local(&self, commit: ObjectId) -> Result<(), ForgeError> {
        if self.repo.gix().has_object(commit) {
            return Ok(());
        }
        self.fetch_branch(&self.options.base_branch).await?;
        if self.repo.gix().has_object(commit) {
            Ok(())
        } else {
            Err(ForgeError::MissingBase {
                commit: commit.to_string(),
            })
        }
    }

    /// Fetches `branch` from the remote into the local repository's objects (no ref moved).
    async fn fetch_branch(&self, branch: &str) -> Result<(), ForgeError> {
        // ferry-git refuses a remote that would reach git as an option and keeps its
        // credentials out of every message.
        let git = ferry_git::cli::Git::new(&self.repo, &self.options.remote);
        git.fetch(&[branch.to_owned()]).await?;
        Ok(())
    }

    /// The base head of a snapshot, present in the local repository.
    async fn local_base(&self, snapshot: &Snapshot) -> Result<ObjectId, ForgeError> {
        let base = parse_oid(&snapshot.base)?;
        self.ensure_local(base).await?;
        Ok(base)
    }

    /// The tree of the base with `files` applied (objects written to the local repository,
    /// no ref moved).
    fn wanted_tree(&self, base: ObjectId, files: &Files) -> Result<ObjectId, ForgeError> {
        let commit = self.repo.build_commit(&CommitRequest {
            parent: Some(base),
            changes: files
                .iter()
                .map(|(path, text)| FileChange {
                    path: path.clone(),
                    content: Some(text.as_bytes().to_vec()),
                })
                .collect(),
            message: "ferry: wanted tree\n".to_owned(),
            author: self.options.signature.clone(),
            committer: self.options.signature.clone(),
        })?;
        Ok(self.repo.commit(commit)?.tree)
    }

    /// Commits `files` on `branch`, which must point at `expected`.
    async fn commit_files(
        &self,
        branch: &str,
        expected: &str,
        files: &Files,
        message: &str,
    ) -> Result<String, GithubError> {
        let (headline, body) = match message.trim().split_once('\n') {
            Some((head, rest)) => (head.trim().to_owned(), Some(rest.trim().to_owned())),
            None => (message.trim().to_owned(), None),
        };
        let commit = BranchCommit {
            branch: branch.to_owned(),
            expected_head: expected.to_owned(),
            headline,
            body: body.filter(|b| !b.is_empty()),
            additions: files
                .iter()
                .map(|(path, text)| FileAddition {
                    path: path.clone(),
                    contents: text.as_bytes().to_vec(),
                })
                .collect(),
            deletions: Vec::new(),
        };
        Ok(self.client.commit_on_branch(&commit).await?.oid)
    }

    /// Deletes a branch this run made, logging (not failing) when that fails.
    async fn discard_branch(&self, branch: &str) {
        if let Err(e) = self.client.delete_branch(branch).await {
            tracing::warn!(branch, error = %e, "cannot delete a branch this run made");
        }
    }

    /// The overlay directory of `env` ([`GithubForgeOptions::overlays`]).
    fn overlay(&self, env: &str) -> Result<&str, ForgeError> {
        self.options
            .overlays
            .get(env)
            .map(String::as_str)
            .ok_or_else(|| {
                let unknown = ferry_config::UnknownEnvironment {
                    name: env.to_owned(),
                    place: None,
                    known: self.options.overlays.keys().cloned().collect(),
                };
                VerifyError::from(LedgerError::UnknownEnvironment(unknown)).into()
            })
    }

    /// The environment's images at `commit`, from its overlay in the local repository.
    fn images_at(
        &self,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<BTreeMap<String, String>>, ForgeError> {
        let spec = EnvironmentSpec {
            name: env.to_owned(),
            overlay: self.overlay(env)?.to_owned(),
        };
        let options = LedgerOptions::newest(1).with_resolve(self.options.resolve.clone());
        let ledger =
            build_ledger_with(&self.repo, commit, &[spec], &options).map_err(VerifyError::from)?;
        let env_ledger = ledger.environment(env).map_err(VerifyError::from)?;
        match env_ledger.current() {
            Some(d) if d.error.is_none() => Ok(Some(d.images.clone())),
            _ => Ok(None),
        }
    }

    /// One attempt of [`Forge::open_change`].
    async fn attempt(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
        state: &mut RunState,
    ) -> Result<Step, ForgeError> {
        let snapshot = if state.attempts == 1 {
            self.snapshot(true).await?
        } else {
            self.query_snapshot().await?
        };
        let base = self.local_base(&snapshot).await?;
        let base_hex = base.to_string();
        let ours: Vec<&OpenPull> = snapshot
            .pulls
            .iter()
            .filter(|p| is_ferry_pull(p, &request.env))
            .collect();
        let pending = self.pending(&ours, &request.env, &request.branch).await;
        let files = planner
            .plan(&Base {
                commit: base,
                repo: &self.repo,
                open: &pending,
            })
            .map_err(ForgeError::Plan)?;
        let open: Vec<OpenChange> = ours
            .iter()
            .map(|p| OpenChange {
                id: p.number.to_string(),
                branch: p.head_branch.clone(),
            })
            .collect();
        let decision = decide(
            &self.options.branch_prefix,
            &request.env,
            &request.branch,
            &open,
        );
        let pull_of = |id: &str| ours.iter().find(|p| p.number.to_string() == id).copied();
        let mut opened = Opened {
            number: None,
            id: String::new(),
            url: None,
            branch: request.branch.clone(),
            created: false,
            updated: false,
            superseded: Vec::new(),
            auto_merge: false,
            merged: false,
            merge_commit: None,
            commit: base_hex.clone(),
            base: base_hex.clone(),
            attempts: state.attempts,
            up_to_date: false,
            warnings: Vec::new(),
        };

        let mut base_files = BTreeMap::new();
        for path in files.keys() {
            if let Some(bytes) = self.repo.read_file(base, path)? {
                base_files.insert(path.clone(), String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        if crate::plan::files_to_commit(&base_files, &files).is_empty() {
            opened.up_to_date = true;
            let note = format!(
                "Superseded: `{}` already has this content ({}).",
                self.options.base_branch,
                &base_hex[..base_hex.len().min(12)]
            );
            // The base already has what this run wants: every open change of the
            // environment, one on this very branch included, is out of date.
            let reused = match &decision.action {
                ChangeAction::Reuse { change } => Some(change),
                ChangeAction::Create { .. } => None,
            };
            for change in reused.into_iter().chain(&decision.supersede) {
                if let Some(pull) = pull_of(&change.id) {
                    self.supersede(pull, &note, &mut opened).await;
                }
            }
            return Ok(Step::Done(opened));
        }

        let pull = match &decision.action {
            ChangeAction::Reuse { change } => {
                let pull = pull_of(&change.id).expect("decided from these pull requests");
                let tree = self.wanted_tree(base, &files)?.to_string();
                let current = pull.head_parents == [base_hex.clone()]
                    && pull.head_tree.as_deref() == Some(tree.as_str());
                opened.commit = pull.head_oid.clone();
                if !current {
                    match self
                        .rebuild(request, pull, &base_hex, &files, state)
                        .await?
                    {
                        Some(oid) => {
                            opened.commit = oid;
                            opened.updated = true;
                        }
                        None => return Ok(Step::Moved),
                    }
                }
                if pull.title != request.title || pull.body != request.body {
                    let update = PullRequestUpdate {
                        title: Some(request.title.clone()),
                        body: Some(request.body.clone()),
                        state: None,
                    };
                    self.client.update_pull(pull.number, &update).await?;
                }
                let missing: Vec<&str> = request
                    .labels
                    .iter()
                    .filter(|l| !pull.labels.contains(l))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    self.client.add_labels(pull.number, &missing).await?;
                }
                Pulled {
                    number: pull.number,
                    node_id: pull.node_id.clone(),
                    url: pull.url.clone(),
                    auto_merge: pull.auto_merge,
                }
            }
            ChangeAction::Create { branch } => {
                // A branch seen (or made) before is moved; one deleted meanwhile (its pull
                // request superseded by another run) is made again.
                let moved = state.branch_exists
                    && match self.client.update_branch(branch, &base_hex, true).await {
                        Ok(()) => true,
                        Err(e) if e.status() == Some(422) || e.is_not_found() => false,
                        Err(e) => return Err(e.into()),
                    };
                if !moved {
                    match self.client.create_branch(branch, &base_hex).await {
                        Ok(()) => {}
                        Err(GithubError::RefExists { .. }) => {
                            // A leftover, or a concurrent run: look again before touching it.
                            state.branch_exists = true;
                            return Ok(Step::Moved);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                state.branch_exists = true;
                state.made_branch = Some(branch.clone());
                let oid = match self
                    .commit_files(branch, &base_hex, &files, &request.message)
                    .await
                {
                    Ok(oid) => oid,
                    Err(GithubError::Conflict { .. }) => return Ok(Step::Moved),
                    Err(e) => return Err(e.into()),
                };
                let new = NewPullRequest {
                    head: branch.clone(),
                    base: self.options.base_branch.clone(),
                    title: request.title.clone(),
                    body: request.body.clone(),
                    draft: false,
                };
                let created = match self.client.create_pull(&new).await {
                    Ok(p) => p,
                    Err(GithubError::PullRequestExists { .. }) => {
                        // A concurrent run opened it: the next attempt reuses it.
                        state.made_branch = None;
                        return Ok(Step::Moved);
                    }
                    Err(e) => return Err(e.into()),
                };
                state.made_branch = None;
                state.made_pull = Some((created.number, branch.clone()));
                opened.created = true;
                opened.commit = oid;
                Pulled {
                    number: created.number,
                    node_id: created.node_id,
                    url: created.html_url,
                    auto_merge: false,
                }
            }
        };
        // The environment's one slot: a run that adds a change, moves one or supersedes
        // others holds it by compare-and-swap first; the loser reads again and re-plans
        // against the winner's change (see `slot`).
        let slot = snapshot.slots.get(&crate::plan::ref_safe(&request.env));
        let holds_slot = slot.and_then(slot::slot_holder) == Some(pull.number);
        if opened.created || opened.updated || !decision.supersede.is_empty() || !holds_slot {
            let taken = self
                .take_slot(&request.env, slot, base, pull.number, &request.branch)
                .await?;
            if !taken {
                return Ok(Step::Moved);
            }
        }
        state.made_pull = None;
        if opened.created && !request.labels.is_empty() {
            let labels: Vec<&str> = request.labels.iter().map(String::as_str).collect();
            self.client.add_labels(pull.number, &labels).await?;
        }
        opened.number = Some(pull.number);
        opened.id = pull.number.to_string();
        opened.url = Some(pull.url.clone());
        opened.auto_merge = pull.auto_merge;
        if request.auto_merge && !pull.auto_merge {
            self.auto_merge(&pull, &request.message, &mut opened)
                .await?;
        }
        let note = format!("Superseded by #{}.", pull.number);
        for change in &decision.supersede {
            if let Some(old) = pull_of(&change.id) {
                self.supersede(old, &note, &mut opened).await;
            }
        }
        Ok(Step::Done(opened))
    }

    /// Rebuilds a reused change on `base`: the commit is made on a scratch branch and the
    /// change's branch moved to it, so the open pull request never points at the base (GitHub
    /// would take it as merged). `None` when a compare-and-swap failed.
    async fn rebuild(
        &self,
        request: &ChangeRequest,
        pull: &OpenPull,
        base: &str,
        files: &Files,
        state: &mut RunState,
    ) -> Result<Option<String>, ForgeError> {
        let scratch = format!("{SCRATCH_PREFIX}{}", pull.head_branch);
        match self.client.create_branch(&scratch, base).await {
            Ok(()) => {}
            Err(GithubError::RefExists { .. }) => {
                self.client.update_branch(&scratch, base, true).await?;
            }
            Err(e) => return Err(e.into()),
        }
        state.scratch = Some(scratch.clone());
        let oid = match self
            .commit_files(&scratch, base, files, &request.message)
            .await
        {
            Ok(oid) => oid,
            Err(GithubError::Conflict { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        self.client
            .update_branch(&pull.head_branch, &oid, true)
            .await?;
        self.discard_branch(&scratch).await;
        state.scratch = None;
        Ok(Some(oid))
    }

    /// Enables auto-merge; a refusal is a warning, and a pull request that is mergeable at
    /// once is merged.
    /// Enables auto-merge of `pull` (at `opened.commit`), landing with `message` (so that its
    /// trailers reach the base branch), or merges it now when it is mergeable already.
    async fn auto_merge(
        &self,
        pull: &Pulled,
        message: &str,
        opened: &mut Opened,
    ) -> Result<(), ForgeError> {
        let merge = MergeOptions::new(self.options.merge_method)
            .with_message(message)
            .with_expected_head(&opened.commit);
        match self
            .client
            .enable_auto_merge(pull.number, &pull.node_id, &merge)
            .await
        {
            Ok(()) => {
                opened.auto_merge = true;
                Ok(())
            }
            Err(GithubError::AutoMergeRefused {
                reason: AutoMergeRefusal::AlreadyMergeable,
                ..
            }) => {
                match self.client.merge_pull(pull.number, &merge).await {
                    Ok(sha) => {
                        opened.auto_merge = true;
                        opened.merged = true;
                        opened.merge_commit = Some(sha);
                    }
                    Err(e @ (GithubError::NotMergeable { .. } | GithubError::Conflict { .. })) => {
                        opened.warnings.push(format!(
                            "pull request #{} is left open: it was mergeable, but merging it failed ({e})",
                            pull.number
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
                Ok(())
            }
            Err(GithubError::AutoMergeRefused {
                reason, message, ..
            }) => {
                let hint = match reason {
                    AutoMergeRefusal::NotAllowed => {
                        " (allow auto-merge under Settings → General, or merge it by hand)"
                    }
                    _ => "",
                };
                opened.warnings.push(format!(
                    "auto-merge is not enabled on pull request #{}: {message}{hint}; the pull request is left open",
                    pull.number
                ));
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Closes `pull` with `note` and deletes its branch; a failure is a warning.
    async fn supersede(&self, pull: &OpenPull, note: &str, opened: &mut Opened) {
        match self.client.close_pull(pull.number, Some(note)).await {
            Ok(_) => {
                opened.superseded.push(pull.number.to_string());
                if let Err(e) = self.client.delete_branch(&pull.head_branch).await {
                    opened.warnings.push(format!(
                        "cannot delete branch `{}` of superseded pull request #{}: {e}",
                        pull.head_branch, pull.number
                    ));
                }
            }
            Err(e) => opened.warnings.push(format!(
                "cannot close superseded pull request #{}: {e}",
                pull.number
            )),
        }
    }
}

/// What an attempt leaves for the next one and for the cleanup after a failure.
#[derive(Debug, Default)]
struct RunState {
    attempts: u32,
    /// The deploy branch exists on GitHub (seen or made).
    branch_exists: bool,
    /// A deploy branch this run made that no pull request holds yet.
    made_branch: Option<String>,
    /// A scratch branch this run made.
    scratch: Option<String>,
    /// A pull request this run opened (number, branch) that does not hold the environment's
    /// slot yet: closed when the run fails.
    made_pull: Option<(u64, String)>,
}

enum Step {
    Done(Opened),
    Moved,
}

/// The pull request a run ends with.
struct Pulled {
    number: u64,
    node_id: String,
    url: String,
    auto_merge: bool,
}

/// Whether `pull` is one of Ferry's changes that [`decide`] may reuse or supersede for `env`:
/// its head is in this repository and its body marker, when it has one, names `env`.
fn is_ferry_pull(pull: &OpenPull, env: &str) -> bool {
    !pull.cross_repository && crate::body::body_env(&pull.body).is_none_or(|marked| marked == env)
}

fn parse_oid(hex: &str) -> Result<ObjectId, ForgeError> {
    ObjectId::from_hex(hex.as_bytes()).map_err(|e| {
        ForgeError::Github(GithubError::Decode {
            what: "commit id".to_owned(),
            message: format!("`{hex}`: {e}"),
        })
    })
}

/// A short digest of an image set (`workload/container` → image): the first 12 hex digits of
/// the SHA-256 of the sorted `key=image` lines. Commit status descriptions name it.
pub fn image_set_digest(images: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"ferry-images-v1\n");
    for (key, image) in images {
        hasher.update(key.as_bytes());
        hasher.update(b"=");
        hasher.update(image.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The description of a verification status: `images <digest>: <env> verified by Ferry (<n>
/// containers)`, at most 140 characters with the digest first.
fn status_description(env: &str, images: &BTreeMap<String, String>) -> String {
    let text = format!(
        "images {}: {env} verified by Ferry ({} containers)",
        image_set_digest(images),
        images.len()
    );
    text.chars().take(140).collect()
}

/// The digest a status description names.
fn described_digest(description: &str) -> Option<&str> {
    let rest = description.strip_prefix("images ")?;
    let digest = rest.get(..12)?;
    digest
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some(digest)
}

fn hold_path(env: &str) -> Result<String, ForgeError> {
    let safe = !env.is_empty()
        && !env.starts_with('.')
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !safe {
        return Err(ForgeError::BadRecord {
            what: format!("holds of `{env}`"),
            message: "an environment name for holds uses letters, digits, `-`, `_` and `.`"
                .to_owned(),
        });
    }
    Ok(format!("{}/{env}.json", query::HOLDS_DIR))
}

fn parse_holds(file: &str, text: Result<String, String>) -> Result<Vec<Hold>, ForgeError> {
    let what = format!("{HOLDS_BRANCH}:{}/{file}", query::HOLDS_DIR);
    let text = text.map_err(|message| ForgeError::BadRecord {
        what: what.clone(),
        message,
    })?;
    serde_json::from_str(&text).map_err(|e| ForgeError::BadRecord {
        what,
        message: e.to_string(),
    })
}

impl Forge for GithubForge {
    fn kind(&self) -> ForgeKind {
        ForgeKind::GitHub
    }

    fn repo(&self) -> &Repo {
        &self.repo
    }

    fn deployment_statuses(&self) -> Option<&GithubClient> {
        Some(&self.client)
    }

    fn web_repository(&self) -> Option<String> {
        Some(self.client.repository())
    }

    async fn sync(&self) -> Result<ObjectId, ForgeError> {
        let snapshot = self.query_snapshot().await?;
        self.local_base(&snapshot).await
    }

    async fn open_change(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
    ) -> Result<Opened, ForgeError> {
        let max = request.max_attempts.max(1);
        let mut state = RunState::default();
        let result = loop {
            state.attempts += 1;
            match self.attempt(request, planner, &mut state).await {
                Ok(Step::Done(opened)) => break Ok(opened),
                Ok(Step::Moved) if state.attempts < max => {
                    tracing::debug!(
                        attempt = state.attempts,
                        branch = %request.branch,
                        "the branch moved; recomputing"
                    );
                }
                Ok(Step::Moved) => {
                    break Err(ForgeError::Contended {
                        what: format!("refs/heads/{}", request.branch),
                        attempts: state.attempts,
                    });
                }
                Err(e) => break Err(e),
            }
        };
        self.cached.borrow_mut().take();
        if result.is_err() {
            if let Some((number, branch)) = state.made_pull.take() {
                let note = "Closed: the run that opened it did not finish (another change of \
                            the environment holds its slot, or it failed); see the run's log.";
                if let Err(e) = self.client.close_pull(number, Some(note)).await {
                    tracing::warn!(number, error = %e, "cannot close a pull request this run opened");
                }
                state.made_branch = Some(branch);
            }
            if let Some(scratch) = state.scratch.take() {
                self.discard_branch(&scratch).await;
            }
            if let Some(branch) = state.made_branch.take() {
                self.discard_branch(&branch).await;
            }
        }
        result
    }

    async fn open_changes(&self, env: &str) -> Result<Vec<OpenChangeInfo>, ForgeError> {
        let snapshot = self.snapshot(false).await?;
        let prefix = &self.options.branch_prefix;
        Ok(snapshot
            .pulls
            .iter()
            .filter(|p| {
                is_ferry_pull(p, env)
                    && parse_deploy_branch(prefix, &p.head_branch).is_some_and(|(e, _)| e == env)
            })
            .map(|p| OpenChangeInfo {
                id: p.number.to_string(),
                branch: p.head_branch.clone(),
                url: Some(p.url.clone()),
            })
            .collect())
    }

    async fn wait(&self, id: &str, timeout: Duration) -> Result<WaitOutcome, ForgeError> {
        let number: u64 = id
            .trim_start_matches('#')
            .parse()
            .map_err(|_| ForgeError::UnknownChange(id.to_owned()))?;
        let interval = WAIT_INTERVAL.min(timeout.max(Duration::from_secs(1)));
        match self.client.wait_for_merge(number, interval, timeout).await {
            Ok(PullState::Merged { merge_commit }) => Ok(WaitOutcome::Merged {
                commit: merge_commit,
            }),
            Ok(PullState::Closed) => Ok(WaitOutcome::Closed),
            Ok(PullState::Open { .. }) | Err(GithubError::Timeout { .. }) => {
                Ok(WaitOutcome::TimedOut)
            }
            Err(e) if e.is_not_found() => Err(ForgeError::UnknownChange(id.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    async fn cleanup(&self) -> Result<Cleanup, ForgeError> {
        let (owner, name) = self.owner_name();
        let prefix = &self.options.branch_prefix;
        let dir = match prefix.rfind('/') {
            Some(i) => &prefix[..=i],
            None => "",
        };
        let now = jiff::Timestamp::now();
        let mut out = Cleanup::default();
        self.close_extra_pulls(&mut out).await?;
        let mut candidates = Vec::new();
        for info in
            query::branches(&self.client, &owner, &name, &format!("refs/heads/{dir}")).await?
        {
            if crate::plan::parse_deploy_branch(prefix, &info.name).is_some() {
                candidates.push(info);
            }
        }
        candidates.extend(
            query::branches(
                &self.client,
                &owner,
                &name,
                &format!("refs/heads/{SCRATCH_PREFIX}"),
            )
            .await?,
        );
        for info in candidates {
            if info.open_pulls > 0 {
                continue;
            }
            let fresh = info
                .committed
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| now.duration_since(t) < CLEANUP_GRACE);
            if info.all_pulls == 0 && fresh {
                continue;
            }
            if self.client.delete_branch(&info.name).await? {
                out.deleted_branches.push(info.name);
            }
        }
        Ok(out)
    }

    async fn changes(&self, env: Option<&str>) -> Result<Vec<ChangeInfo>, ForgeError> {
        self.list(env).await
    }

    async fn change(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        self.show(id).await
    }

    async fn merge_change(
        &self,
        id: &str,
        expected_head: Option<&str>,
    ) -> Result<ChangeInfo, ForgeError> {
        self.merge(id, expected_head).await
    }

    async fn close_change(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        self.close(id).await
    }

    async fn holds(&self) -> Result<Vec<Hold>, ForgeError> {
        let snapshot = self.snapshot(false).await?;
        let mut out = Vec::new();
        for (file, text) in snapshot.holds_files {
            out.extend(parse_holds(&file, text)?);
        }
        Ok(out)
    }

    async fn update_holds(
        &self,
        env: &str,
        update: &mut dyn FnMut(&mut Vec<Hold>),
        message: &str,
    ) -> Result<Vec<Hold>, ForgeError> {
        self.cached.borrow_mut().take();
        let path = hold_path(env)?;
        let (owner, name) = self.owner_name();
        let file = path.rsplit('/').next().unwrap_or(&path).to_owned();
        for _ in 0..HOLDS_ATTEMPTS {
            let found = query::holds_file(
                &self.client,
                &owner,
                &name,
                &self.options.base_branch,
                &path,
            )
            .await?;
            let current = match found.text {
                Some(text) => parse_holds(&file, text)?,
                None => Vec::new(),
            };
            let mut next = current.clone();
            update(&mut next);
            if next == current {
                return Ok(next);
            }
            let head = match found.head {
                Some(head) => head,
                None => match self.client.create_branch(HOLDS_BRANCH, &found.base).await {
                    Ok(()) => found.base.clone(),
                    Err(GithubError::RefExists { .. }) => continue,
                    Err(e) => return Err(e.into()),
                },
            };
            let mut text =
                serde_json::to_string_pretty(&next).map_err(|e| ForgeError::BadRecord {
                    what: path.clone(),
                    message: e.to_string(),
                })?;
            text.push('\n');
            let files = Files::from([(path.clone(), text)]);
            match self
                .commit_files(HOLDS_BRANCH, &head, &files, message)
                .await
            {
                Ok(_) => return Ok(next),
                Err(GithubError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ForgeError::Contended {
            what: format!("refs/heads/{HOLDS_BRANCH}"),
            attempts: HOLDS_ATTEMPTS,
        })
    }

    async fn record_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> Result<(), ForgeError> {
        match self.images_at(&record.env, commit)? {
            Some(images) if images == record.images => {}
            _ => {
                return Err(ForgeError::BadRecord {
                    what: format!("the verification record of {} at {commit}", record.env),
                    message: format!("its images are not what {} ran at that commit", record.env),
                });
            }
        }
        let target_url = record
            .evidence
            .get("url")
            .and_then(|u| u.as_str())
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_owned);
        let status = NewStatus {
            state: StatusState::Success,
            context: verified_context(&record.env),
            description: Some(status_description(&record.env, &record.images)),
            target_url,
        };
        self.client
            .create_status(&commit.to_string(), &status)
            .await?;
        Ok(())
    }

    async fn verifications(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> Result<Vec<VerificationRecord>, ForgeError> {
        self.overlay(env)?;
        let context = verified_context(env);
        let statuses = self.client.list_statuses(&commit.to_string()).await?;
        // Newest first: the latest status of the context is the one that counts.
        let Some(latest) = statuses.into_iter().find(|s| s.context == context) else {
            return Ok(Vec::new());
        };
        if latest.state != StatusState::Success {
            return Ok(Vec::new());
        }
        let Some(images) = self.images_at(env, commit)? else {
            return Ok(Vec::new());
        };
        let described = latest.description.as_deref().and_then(described_digest);
        if described != Some(image_set_digest(&images).as_str()) {
            return Ok(Vec::new());
        }
        let mut record = VerificationRecord::new(
            env,
            jiff::Timestamp::UNIX_EPOCH,
            images,
            serde_json::json!({
                "source": "github-commit-status",
                "context": latest.context,
                "description": latest.description,
                "url": latest.target_url,
            }),
        );
        record.verified_at = latest.created_at;
        Ok(vec![record])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed_from_git_messages() {
        assert_eq!(
            ferry_redact::scrub(
                "fatal: unable to access 'https://x-access-token:ghs_ABC@github.com/o/r/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/o/r/': 403"
        );
        assert_eq!(
            ferry_redact::scrub("fatal: 'origin' does not appear to be a git repository"),
            "fatal: 'origin' does not appear to be a git repository"
        );
        assert_eq!(
            ferry_redact::scrub("see https://github.com/o/r"),
            "see https://github.com/o/r"
        );
    }

    #[test]
    fn status_descriptions_name_the_digest_first() {
        let images = BTreeMap::from([("Deployment/api/api".to_owned(), "r.io/api:1".to_owned())]);
        let long_env = "e".repeat(300);
        let text = status_description(&long_env, &images);
        assert_eq!(text.chars().count(), 140);
        assert_eq!(
            described_digest(&text),
            Some(image_set_digest(&images).as_str())
        );
        assert_eq!(described_digest("images xyz"), None);
        assert_ne!(
            image_set_digest(&images),
            image_set_digest(&BTreeMap::new())
        );
    }

    #[test]
    fn hold_paths_are_single_safe_components() {
        assert_eq!(hold_path("dev").unwrap(), ".ferry/holds/dev.json");
        assert!(hold_path("../x").is_err());
        assert!(hold_path("a/b").is_err());
        assert!(hold_path("").is_err());
    }
}
