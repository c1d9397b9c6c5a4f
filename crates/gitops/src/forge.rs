//! Forges: where GitOps changes are proposed, merged and recorded, behind one trait.
//!
//! - [`git`]: any remote git can push to. Deploy branches are pushed with the git CLI and
//!   `--force-with-lease`; auto-merge is a compare-and-swap push of the base branch; the change
//!   record lives under `refs/ferry/changes/`; verification records are notes under
//!   [`crate::NOTES_REF`]; holds live under [`HOLDS_REF`].
//! - [`github`]: pull requests through the GitHub API ([`ferry_github::GithubClient`]);
//!   verification records are commit statuses `ferry/verified/<env>`; holds live on the branch
//!   [`HOLDS_BRANCH`].
//!
//! A forge never decides what a change contains: the caller's [`Planner`] computes the files
//! from the base commit, and the forge calls it again whenever the base moved before its
//! compare-and-swap landed (a bounded number of times, never a blind rebase).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use ferry_config::ForgeKind;
use gix::ObjectId;
use serde::Serialize;

use crate::gates::Hold;
use ferry_git::cli::CliError;
use ferry_git::{GitError, Repo};
use ferry_github::GithubError;
use ferry_ledger::verify::{VerificationRecord, VerifyError};

mod any;
pub mod git;
pub mod github;
mod review;

pub use any::AnyForge;
pub use review::{ChangeInfo, ChangeState};

/// Where the plain-git forge keeps holds: a ref to a commit whose tree holds `<env>.json`.
pub const HOLDS_REF: &str = "refs/ferry/holds";
/// Where the GitHub forge keeps holds: a branch whose tree holds `.ferry/holds/<env>.json`.
pub const HOLDS_BRANCH: &str = "ferry/holds";
/// The prefix of the plain-git forge's change records.
pub const CHANGES_REF_PREFIX: &str = "refs/ferry/changes/";
/// The prefix of the plain-git forge's environment slots: `refs/ferry/slots/<env>` moves (by
/// compare-and-swap) with every change opened, updated, merged or closed in the environment,
/// so two runs that read the same open changes cannot both add one.
pub const SLOTS_REF_PREFIX: &str = "refs/ferry/slots/";
/// The default number of attempts when the base keeps moving.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 30;

/// Files a change must hold: repository path (`/`-separated) → full new text.
pub type Files = BTreeMap<String, String>;

/// Why a planner could not compute a change (e.g. a refused downgrade, a hold, an overlay
/// that does not parse); kept whole so the caller can tell its own errors apart.
pub type PlanError = Box<dyn std::error::Error + Send + Sync>;

/// The base commit a change is computed from, readable in the local repository.
#[derive(Debug, Clone, Copy)]
pub struct Base<'r> {
    /// The base branch's head when the attempt started.
    pub commit: ObjectId,
    /// The local repository holding `commit` (and its history).
    pub repo: &'r Repo,
    /// The environment's other open changes when the attempt started: a change replaces them,
    /// so a planner compares with what they would deploy (the no-downgrade guard).
    pub open: &'r [PendingChange],
}

impl<'r> Base<'r> {
    /// A base with no open change to compare with.
    pub fn new(commit: ObjectId, repo: &'r Repo) -> Self {
        Base {
            commit,
            repo,
            open: &[],
        }
    }
}

/// An open change of the environment a new change would replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingChange {
    /// The forge's id (pull request number, change record name).
    pub id: String,
    /// Its deploy branch.
    pub branch: String,
    /// Its head commit, when it is in the local repository (`None`: it could not be fetched;
    /// the planner cannot compare with it and says so).
    #[serde(serialize_with = "crate::forge::review::oid_opt")]
    pub head: Option<ObjectId>,
}

/// Computes a change's files from a base commit. Called once per attempt.
pub trait Planner {
    /// The files the change must hold on top of `base`. An empty map, or files equal to the
    /// base's, means the base already has the content: nothing to open.
    fn plan(&mut self, base: &Base<'_>) -> Result<Files, PlanError>;
}

impl<F> Planner for F
where
    F: FnMut(&Base<'_>) -> Result<Files, PlanError>,
{
    fn plan(&mut self, base: &Base<'_>) -> Result<Files, PlanError> {
        self(base)
    }
}

/// What one run asks of the forge: the one open change of an environment.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The environment.
    pub env: String,
    /// The deploy branch ([`crate::plan::deploy_branch`]): same content, same branch.
    pub branch: String,
    /// Pull request title / change record title.
    pub title: String,
    /// Pull request body (Markdown).
    pub body: String,
    /// Commit message.
    pub message: String,
    /// Labels (GitHub only).
    pub labels: Vec<String>,
    /// Merge as soon as the forge allows: at once for plain git (compare-and-swap push of the
    /// base), GitHub auto-merge (or the merge queue) for pull requests.
    pub auto_merge: bool,
    /// Attempts when the base keeps moving (at least 1).
    pub max_attempts: u32,
}

/// The outcome of [`Forge::open_change`], printed by `ferry-pr open --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opened {
    /// The pull request number (GitHub); `None` for plain git.
    pub number: Option<u64>,
    /// The forge's id of the change: the pull request number, or the change record's name
    /// (the part after [`CHANGES_REF_PREFIX`]). Empty when nothing was opened.
    pub id: String,
    /// A link to the change (pull request URL; for plain git the remote and branch, `None`
    /// when it was merged at once: no branch was pushed).
    pub url: Option<String>,
    /// The deploy branch.
    pub branch: String,
    /// A new change was opened.
    pub created: bool,
    /// An existing change got a new commit.
    pub updated: bool,
    /// Ids of the environment's other open changes, closed as superseded.
    pub superseded: Vec<String>,
    /// Auto-merge is on (GitHub) or the change was merged (plain git).
    pub auto_merge: bool,
    /// The change is merged into the base branch already.
    pub merged: bool,
    /// The commit on the base branch that carries it, when it was merged during the run (a
    /// plain-git change merged at once never had a branch on the remote).
    pub merge_commit: Option<String>,
    /// The change's head commit (hex); the base commit when nothing was opened.
    pub commit: String,
    /// The base commit the files were computed from (hex).
    pub base: String,
    /// Attempts made (more than 1 when the base moved).
    pub attempts: u32,
    /// The base already had the content: nothing was opened or changed.
    pub up_to_date: bool,
    /// Things the user should know that did not stop the run (e.g. auto-merge refused by the
    /// repository: the pull request is left open).
    pub warnings: Vec<String>,
}

/// How waiting for a change ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum WaitOutcome {
    /// Merged; the commit on the base branch that carries it (hex) when known.
    Merged {
        /// The merge (or squash) commit.
        commit: Option<String>,
    },
    /// Closed without merging.
    Closed,
    /// Still open when the timeout passed.
    TimedOut,
}

/// What [`Forge::cleanup`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cleanup {
    /// Deploy branches deleted (merged or closed changes, or left over by a failed run).
    pub deleted_branches: Vec<String>,
    /// Change records removed or pull requests closed.
    pub closed: Vec<String>,
    /// Of those, open changes closed because their environment had another, newer open
    /// change (left by an older Ferry or by runs that raced).
    pub superseded: Vec<String>,
}

/// Why a forge operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// Reading or writing the local repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A git command failed (fetch, push).
    #[error("`git {args}` failed: {message}")]
    GitCommand {
        /// The arguments, without credentials.
        args: String,
        /// What git said (stderr), without credentials.
        message: String,
    },
    /// The remote would reach git as an option or run a command; nothing was run.
    #[error(
        "invalid remote {remote:?}: {reason}; give a remote name (e.g. \"origin\") or a URL or path git can push to"
    )]
    InvalidRemote {
        /// The remote, without credentials.
        remote: String,
        /// Why it is refused.
        reason: String,
    },
    /// The remote reads as a remote name, but the repository has none of that name.
    #[error(
        "the repository has no remote `{remote}`: add a remote (`git remote add {remote} URL`) or set `[forge.git] remote` in ferry.toml (or --remote) to a URL or path"
    )]
    NoRemote {
        /// The remote name.
        remote: String,
    },
    /// The GitHub API failed.
    #[error(transparent)]
    Github(#[from] GithubError),
    /// Verification records could not be read or written.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The planner refused or failed.
    #[error(transparent)]
    Plan(PlanError),
    /// The base (or another ref) kept moving, or the remote could not lock it each time.
    #[error(
        "{what} moved (or the remote could not lock it) during each of {attempts} attempts; \
         try again later; a lock that stays is a `.lock` file left on the remote by a git \
         process that crashed there"
    )]
    Contended {
        /// What kept moving, e.g. `refs/heads/main`.
        what: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No such change.
    #[error("no change `{0}` on the forge (`ferry pr list` lists them)")]
    UnknownChange(String),
    /// The change is merged or closed already: it cannot be merged or closed again.
    #[error("change {id} is {state} already")]
    NotOpen {
        /// The change.
        id: String,
        /// Its state.
        state: ChangeState,
    },
    /// The change's head is not the commit the reviewer approved.
    #[error("change {id} moved: its head is {actual}, not {expected}; review it again")]
    HeadMoved {
        /// The change.
        id: String,
        /// The head given.
        expected: String,
        /// The head now.
        actual: String,
    },
    /// The base branch moved since the change was computed: merging it would deploy files
    /// computed from an older base.
    #[error(
        "change {id} was computed from {from}, but the base branch is at {now} now; run the \
         command that opened it again (it recomputes the change on the new base), review it, \
         then merge"
    )]
    Stale {
        /// The change.
        id: String,
        /// The base it was computed from.
        from: String,
        /// The base now.
        now: String,
    },
    /// A base commit the forge reported is not in the local repository.
    #[error(
        "the base commit {commit} is not in the local repository; fetch it (in GitHub Actions: actions/checkout with fetch-depth: 0)"
    )]
    MissingBase {
        /// The commit (hex).
        commit: String,
    },
    /// A stored record (hold, change record) does not parse.
    #[error("{what} is not valid: {message}")]
    BadRecord {
        /// Which record.
        what: String,
        /// Why.
        message: String,
    },
}

/// A git command's failure keeps its words: the same variants as before the command line moved
/// to `ferry-git`.
impl From<CliError> for ForgeError {
    fn from(e: CliError) -> Self {
        match e {
            CliError::Command { args, message } => ForgeError::GitCommand { args, message },
            CliError::InvalidRemote { remote, reason } => {
                ForgeError::InvalidRemote { remote, reason }
            }
            CliError::NoRemote { remote } => ForgeError::NoRemote { remote },
        }
    }
}

/// An open change of an environment, as [`Forge::open_changes`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenChangeInfo {
    /// The forge's id (pull request number, change record name).
    pub id: String,
    /// Its deploy branch.
    pub branch: String,
    /// A link to it (pull request URL; `<remote>#<branch>` in plain git).
    pub url: Option<String>,
}

/// A forge: proposes, merges and records GitOps changes of one repository.
///
/// Futures are not `Send` (the local [`Repo`] is single-threaded): run them on a
/// current-thread runtime or a `LocalSet`.
pub trait Forge {
    /// Which forge this is.
    fn kind(&self) -> ForgeKind;

    /// The local repository reads go through.
    fn repo(&self) -> &Repo;

    /// Where outcomes are also recorded as deployments with statuses (GitHub's deployments
    /// API), for the notifications: `None` when the forge has no such thing (plain git).
    fn deployment_statuses(&self) -> Option<&ferry_github::GithubClient> {
        None
    }

    /// The forge's repository as `owner/name` where changes have web pages (GitHub), for links
    /// to a commit: `None` on plain git.
    fn web_repository(&self) -> Option<String> {
        None
    }

    /// Brings the base branch, verification records and holds from the forge into the local
    /// repository; returns the base branch's head.
    fn sync(&self) -> impl Future<Output = Result<ObjectId, ForgeError>>;

    /// Opens or updates the one change of `request.env`: computes its files with `planner` on
    /// the current base, reuses the open change on the same branch (no new commit when its
    /// files are already right), creates one otherwise, closes the environment's other open
    /// changes as superseded, merges or enables auto-merge when asked. When the base moved
    /// before a compare-and-swap landed, starts again from the new base, at most
    /// `request.max_attempts` times. A failed run leaves no branch or record behind.
    fn open_change(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
    ) -> impl Future<Output = Result<Opened, ForgeError>>;

    /// Waits until change `id` is merged or closed, or `timeout` passed.
    fn wait(
        &self,
        id: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<WaitOutcome, ForgeError>>;

    /// The open changes of `env` whose files are not on the base branch yet, after a sync:
    /// what is in flight for the environment.
    fn open_changes(
        &self,
        env: &str,
    ) -> impl Future<Output = Result<Vec<OpenChangeInfo>, ForgeError>>;

    /// Deletes deploy branches and change records of merged or closed changes, and those a
    /// failed run left behind; open changes are kept (but for the newest, when an environment
    /// has more than one).
    fn cleanup(&self) -> impl Future<Output = Result<Cleanup, ForgeError>>;

    /// Ferry's changes on the forge (of `env`, or of every environment), oldest first: the
    /// open ones, and (plain git) those whose branch was deleted by hand, as closed.
    fn changes(
        &self,
        env: Option<&str>,
    ) -> impl Future<Output = Result<Vec<ChangeInfo>, ForgeError>>;

    /// One change, whatever its state.
    fn change(&self, id: &str) -> impl Future<Output = Result<ChangeInfo, ForgeError>>;

    /// Merges open change `id` now: a person's approval. Compare-and-swap: only when its head
    /// is still `expected_head` (when given) and, in plain git, the base is still the commit
    /// the change was computed from.
    fn merge_change(
        &self,
        id: &str,
        expected_head: Option<&str>,
    ) -> impl Future<Output = Result<ChangeInfo, ForgeError>>;

    /// Closes open change `id` without merging it and deletes its branch.
    fn close_change(&self, id: &str) -> impl Future<Output = Result<ChangeInfo, ForgeError>>;

    /// Every hold (of every environment, released ones included).
    fn holds(&self) -> impl Future<Output = Result<Vec<Hold>, ForgeError>>;

    /// Replaces the holds of `env` with `holds` (compare-and-swap; retried when another run
    /// changed the holds meanwhile, with `update` applied again to the fresh list).
    fn update_holds(
        &self,
        env: &str,
        update: &mut dyn FnMut(&mut Vec<Hold>),
        message: &str,
    ) -> impl Future<Output = Result<Vec<Hold>, ForgeError>>;

    /// Records that `record.env` ran `record.images` healthily at GitOps commit `commit`.
    fn record_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> impl Future<Output = Result<(), ForgeError>>;

    /// The verification records of `env` on `commit` (empty when it was never verified).
    fn verifications(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> impl Future<Output = Result<Vec<VerificationRecord>, ForgeError>>;
}
