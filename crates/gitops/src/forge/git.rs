//! The plain-git forge: any remote git can push to (path, ssh, https).
//!
//! Reads and commits go through gix ([`Repo`]); fetches and pushes through the git CLI
//! (`GIT_TERMINAL_PROMPT=0`, credentials of the remote URL redacted from every message).
//!
//! What lives on the remote:
//! - the base branch and deploy branches `refs/heads/<prefix><env>-<short id>`;
//! - change records `refs/ferry/changes/<env>-<short id>` (the deploy branch without its
//!   prefix): a root commit whose tree holds `change.json` ([`ChangeRecord`]);
//! - holds [`HOLDS_REF`](super::HOLDS_REF): a commit whose tree holds `<env>.json`, a JSON array
//!   of [`Hold`]s;
//! - verification records: notes under [`NOTES_REF`](ferry_ledger::verify::NOTES_REF).
//!
//! [`Forge::sync`] fetches them into a private namespace of the local repository,
//! [`TRACKING_PREFIX`] (`refs/ferry/remote/heads/<branch>`, `refs/ferry/remote/ferry/changes/…`,
//! `refs/ferry/remote/ferry/holds`, `refs/ferry/remote/notes/ferry`), so they never clash with
//! the user's own refs, and merges the remote's verification records into the local
//! `refs/notes/ferry` (a union of lines: local records the remote lacks are kept; the ledger
//! reads them there). Promotion gates read the remote's records ([`REMOTE_NOTES_REF`]). Every write is one `git push --atomic` with an explicit `--force-with-lease` for
//! each ref it touches: it lands whole or not at all, and only on the values this run read.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_config::ForgeKind;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::{
    ChangeInfo, ChangeRequest, Cleanup, Forge, ForgeError, OpenChangeInfo, Opened, Planner,
    WaitOutcome,
};
use crate::gates::Hold;
use ferry_git::cli::Git;
use ferry_git::{RemoteUrl, Repo, Signature};
use ferry_ledger::verify::VerificationRecord;

mod change;
mod records;
mod review;

/// Where [`Forge::sync`] keeps the remote's refs in the local repository.
pub const TRACKING_PREFIX: &str = "refs/ferry/remote/";
/// The remote's verification records ([`NOTES_REF`](ferry_ledger::verify::NOTES_REF) on the remote)
/// as the last sync fetched them: what promotion gates read.
pub const REMOTE_NOTES_REF: &str = "refs/ferry/remote/notes/ferry";
/// The file of a change record's tree.
pub const CHANGE_FILE: &str = "change.json";
/// The change record schema version this crate writes and reads.
pub const CHANGE_RECORD_VERSION: u32 = 1;
/// How often [`Forge::wait`] polls the remote unless [`GitForge::with_poll_interval`] says
/// otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Settings of a [`GitForge`].
#[derive(Clone)]
pub struct GitForgeOptions {
    /// A remote name of the local repository, or a URL or path git can push to.
    pub remote: String,
    /// The base branch (short name, e.g. `main`).
    pub base_branch: String,
    /// The deploy branch prefix (e.g. `deploy/`).
    pub branch_prefix: String,
    /// Author and committer of the commits Ferry makes.
    pub signature: Signature,
}

impl std::fmt::Debug for GitForgeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitForgeOptions")
            .field("remote", &RemoteUrl::new(self.remote.as_str()))
            .field("base_branch", &self.base_branch)
            .field("branch_prefix", &self.branch_prefix)
            .field("signature", &self.signature)
            .finish()
    }
}

/// The record of an open change, `change.json` in the tree of the commit
/// `refs/ferry/changes/<id>` points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    /// Schema version ([`CHANGE_RECORD_VERSION`]).
    pub version: u32,
    /// The environment.
    pub env: String,
    /// The deploy branch (short name).
    pub branch: String,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub body: String,
    /// The base commit the change was computed from (hex); the head's parent.
    pub base: String,
    /// The deploy branch's head when the record was written (hex).
    pub head: String,
    /// The files the change sets: path → git blob id (hex). A base commit whose files have
    /// these ids carries the change (merged, squashed or applied again).
    pub files: BTreeMap<String, String>,
    /// When the change was opened, RFC 3339 (the committer time of the run that opened it).
    pub created_at: String,
}

/// The plain-git forge over a local repository and a remote.
#[derive(Debug)]
pub struct GitForge {
    repo: Repo,
    options: GitForgeOptions,
    git: Git,
    poll_interval: Duration,
}

impl GitForge {
    /// A forge pushing from `repo` (a clone or a bare repository) to `options.remote`.
    pub fn new(repo: Repo, options: GitForgeOptions) -> GitForge {
        let git = Git::new(&repo, &options.remote);
        GitForge {
            repo,
            options,
            git,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// How often [`Forge::wait`] polls the remote (default [`DEFAULT_POLL_INTERVAL`]).
    pub fn with_poll_interval(mut self, interval: Duration) -> GitForge {
        self.poll_interval = interval;
        self
    }

    /// The settings.
    pub fn options(&self) -> &GitForgeOptions {
        &self.options
    }

    /// The remote as it may be shown: its URL (for a remote name, the configured URL), whose
    /// `Display` and `Debug` replace any user name and password by `***`.
    pub fn remote(&self) -> &RemoteUrl {
        self.git.display()
    }

    /// [`GitForge::remote`] as text.
    pub fn remote_display(&self) -> String {
        self.git.display().to_string()
    }

    /// The open change records on the remote (as of the last sync), by id.
    pub fn change_records(&self) -> Result<BTreeMap<String, ChangeRecord>, ForgeError> {
        let mut out = BTreeMap::new();
        for (id, commit) in self.tracked_records()? {
            out.insert(id, self.read_record(commit)?);
        }
        Ok(out)
    }
}

impl Forge for GitForge {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Git
    }

    fn repo(&self) -> &Repo {
        &self.repo
    }

    async fn sync(&self) -> Result<ObjectId, ForgeError> {
        Ok(self.fetch_state().await?.base)
    }

    async fn open_changes(&self, env: &str) -> Result<Vec<OpenChangeInfo>, ForgeError> {
        let state = self.fetch_state().await?;
        let base = state.base;
        let mut out = Vec::new();
        for (id, record) in self.change_records()? {
            // A change whose branch was deleted by hand is closed, not in flight.
            if record.env != env || !state.branches.contains_key(&record.branch) {
                continue;
            }
            // A change merged by hand (its files on the base) whose record is still there is
            // not in flight.
            let mut landed = !record.files.is_empty();
            for (path, blob) in &record.files {
                let at_base = self.repo.entry_at(base, path)?;
                if at_base.map(|e| e.id.to_string()).as_deref() != Some(blob.as_str()) {
                    landed = false;
                    break;
                }
            }
            if !landed {
                out.push(OpenChangeInfo {
                    id,
                    url: Some(format!("{}#{}", self.remote_display(), record.branch)),
                    branch: record.branch,
                });
            }
        }
        Ok(out)
    }

    async fn open_change(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
    ) -> Result<Opened, ForgeError> {
        self.open(request, planner).await
    }

    async fn wait(&self, id: &str, timeout: Duration) -> Result<WaitOutcome, ForgeError> {
        self.wait_for(id, timeout).await
    }

    async fn cleanup(&self) -> Result<Cleanup, ForgeError> {
        self.clean().await
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
        self.read_all_holds().await
    }

    async fn update_holds(
        &self,
        env: &str,
        update: &mut dyn FnMut(&mut Vec<Hold>),
        message: &str,
    ) -> Result<Vec<Hold>, ForgeError> {
        self.write_holds(env, update, message).await
    }

    async fn record_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> Result<(), ForgeError> {
        self.write_verification(commit, record).await
    }

    async fn verifications(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> Result<Vec<VerificationRecord>, ForgeError> {
        self.read_verification_records(commit, env).await
    }
}
