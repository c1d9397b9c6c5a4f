//! The rollback flow of `ferry-rollback`, as plain functions on data: [`decide`] gathers the
//! facts through a forge and decides (the policy on a monitor report, or an operator's request
//! by hand); [`carry_out`] aborts the Rollouts, reverts in Git, holds the failed images and
//! notifies, and says what actually happened ([`Rollback`]).
//!
//! A binary reads its flags into a [`Request`] and [`Actions`], builds the Rollouts client
//! when [`Decided::aborts_rollouts`] says so, and prints the [`Rollback`].

use std::path::PathBuf;
use std::time::Duration;

use ferry_config::{Config, UnknownEnvironment};
use ferry_gitops::forge::{Forge, ForgeError};
use ferry_gitops::plan::deploy_branch;
use ferry_gitops::{GitError, LedgerError, LoadError, LoadRequest, VerifyError, load_ledger};
use ferry_ledger::ledger::EnvLedger;

use crate::facts::rollback_of;
use crate::policy::{Decision, Facts, InFlight, Settings};

mod by_hand;
mod carry;
mod report;

pub use by_hand::failed_only;
pub use carry::{
    Actions, DecisionOut, FailedChange, HoldOut, RevertOut, Rollback, RolloutOut, carry_out,
    image_list,
};
pub use report::{ReportError, ReportInput, read_report};

/// What is asked of a rollback.
#[derive(Debug, Clone)]
pub struct Request {
    /// The environment to roll back.
    pub env: String,
    /// The monitor's verdict (`--report`): the policy decides. Without it, an operator's
    /// request by hand.
    pub report: Option<PathBuf>,
    /// The base-branch commit the report is about (default: the report's, else what the
    /// environment runs now).
    pub commit: Option<String>,
    /// Failed checks older than this (before `now`) are ignored.
    pub window: Duration,
    /// Without a report: `previous` (the default) or a GitOps commit whose images are the
    /// target.
    pub to: Option<String>,
    /// Roll back even a rollback, past a change in flight, or to a held set (by hand only).
    pub force: bool,
    /// Why, in words.
    pub reason: Option<String>,
    /// Merge the revert at once (`Some(true)`), leave it for review (`Some(false)`), or as the
    /// environment's auto-merge in the config says (`None`).
    pub auto_merge: Option<bool>,
    /// The time of the decision.
    pub now: jiff::Timestamp,
}

/// Why a rollback could not be decided. Each error keeps its cause as its source, so the cause's
/// kind (a forge failure, bad input) stays visible.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// The config has no such environment.
    #[error(transparent)]
    UnknownEnvironment(#[from] UnknownEnvironment),
    /// The monitor's report cannot be used.
    #[error("{0}")]
    Report(#[from] ReportError),
    /// The local repository has no work tree.
    #[error("the GitOps repository is bare; run from a clone")]
    Bare,
    /// The `--to` commit cannot be read.
    #[error("--to {rev}")]
    To {
        /// The commit as given.
        rev: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The environment had no deployment at the `--to` commit.
    #[error("--to {rev}: {env} had no deployment at or before {id}")]
    NoDeployment {
        /// The commit as given.
        rev: String,
        /// The environment.
        env: String,
        /// The commit it resolved to.
        id: String,
    },
    /// The environment does not render at the `--to` commit.
    #[error("--to {rev}: {env} does not render at {commit}: {error}")]
    DoesNotRender {
        /// The commit as given.
        rev: String,
        /// The environment.
        env: String,
        /// The deployment's commit (short).
        commit: String,
        /// The rendering error.
        error: String,
    },
    /// The report's commit cannot be resolved.
    #[error("the report's commit {rev}")]
    ReportCommit {
        /// The commit as the report or `--commit` names it.
        rev: String,
        /// Why.
        #[source]
        source: GitError,
    },
    /// The forge failed.
    #[error("{0}")]
    Forge(#[from] ForgeError),
    /// The config or the repository cannot be loaded.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The ledger cannot be read.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// Verification records cannot be read.
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// The repository cannot be read.
    #[error("{0}")]
    Git(#[from] GitError),
}

/// An environment, `--to` commit or report commit the repository does not have is a usage
/// error (it came from the command line), a bare repository or a target that does not render
/// bad input (exit 2); a wrapped error keeps its own kind.
impl ferry_error::Classify for RollbackError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            RollbackError::UnknownEnvironment(_)
            | RollbackError::To { .. }
            | RollbackError::NoDeployment { .. }
            | RollbackError::ReportCommit { .. } => ErrorKind::Usage,
            RollbackError::Bare | RollbackError::DoesNotRender { .. } => ErrorKind::BadInput,
            RollbackError::Report(e) => e.error_kind(),
            RollbackError::Forge(e) => e.error_kind(),
            RollbackError::Load(e) => e.error_kind(),
            RollbackError::Ledger(e) => e.error_kind(),
            RollbackError::Verify(e) => e.error_kind(),
            RollbackError::Git(e) => e.error_kind(),
        }
    }
}

/// A decision and what carrying it out needs.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The decision.
    pub decision: Decision,
    /// The environment as the ledger has it.
    pub env: EnvLedger,
    /// The monitor's reason, when a report was given.
    pub report_reason: Option<String>,
}

impl Decided {
    /// Whether carrying the decision out aborts Rollouts (a rollback, not a dry run, Rollouts
    /// named): only then is a Kubernetes client needed.
    pub fn aborts_rollouts(&self, actions: &Actions<'_>) -> bool {
        matches!(self.decision, Decision::RollBack { .. })
            && !actions.dry_run
            && !actions.rollouts.is_empty()
    }
}

/// The environment's config, or the error naming the known ones.
fn environment<'c>(
    config: &'c Config,
    name: &str,
) -> Result<&'c ferry_config::Environment, RollbackError> {
    Ok(config.require_environment(name)?)
}

/// Syncs with the forge, gathers the facts (ledger, verification records, holds, changes in
/// flight, the rollback trailer) and decides: the policy on the report, else the operator's
/// request. Reads the report before touching the forge: a bad file costs nothing.
pub async fn decide<F: Forge>(
    forge: &F,
    config: &Config,
    request: &Request,
) -> Result<Decided, RollbackError> {
    let env_name = request.env.as_str();
    let env_config = environment(config, env_name)?;
    let input = request.report.as_deref().map(read_report).transpose()?;
    let base = forge.sync().await?;
    let workdir = forge.repo().workdir().ok_or(RollbackError::Bare)?;
    let loaded = load_ledger(
        config,
        &LoadRequest {
            repo: Some(workdir.to_path_buf()),
            base: Some(base.to_string()),
            ..LoadRequest::default()
        },
    )?;
    let ledger = &loaded.ledger;
    let env = ledger.environment(env_name)?;
    let verified = by_hand::verified_target(forge, &loaded, env).await?;
    let holds = forge.holds().await?;
    let skip = verified
        .as_ref()
        .map(|v| deploy_branch(&config.forge.branch_prefix, env_name, &v.record.images))
        .unwrap_or_default();
    // The revert's own branch, left open by an earlier run, is not a newer change.
    let in_flight: Vec<InFlight> = forge
        .open_changes(env_name)
        .await?
        .into_iter()
        .filter(|c| c.branch != skip)
        .map(|c| InFlight {
            id: c.id,
            url: c.url,
        })
        .collect();
    let rolled_back = match env.current() {
        Some(c) => rollback_of(&loaded.repo, c.id())?,
        None => None,
    };
    let auto_merge = request.auto_merge.unwrap_or(env_config.auto_merge);
    let decision = match &input {
        Some(input) => {
            let monitored =
                match request.commit.as_deref().or(input.commit.as_deref()) {
                    Some(rev) => {
                        let id = loaded.repo.resolve(rev).map_err(|source| {
                            RollbackError::ReportCommit {
                                rev: rev.to_owned(),
                                source,
                            }
                        })?;
                        match ledger.deployed_at(env_name, id) {
                            Ok(Some(d)) => d.commit.clone(),
                            Ok(None) => id.to_string(),
                            // Not on the base branch: a deployment the base no longer has.
                            Err(LedgerError::NotOnBase(_)) => id.to_string(),
                            Err(e) => return Err(e.into()),
                        }
                    }
                    None => env.current().map(|c| c.commit.clone()).unwrap_or_default(),
                };
            let mut facts = Facts::new(
                env,
                &input.report,
                &monitored,
                input.started_at,
                request.now,
            );
            facts.verified = verified.as_ref();
            facts.holds = &holds;
            facts.in_flight = in_flight.first().cloned();
            facts.rollback_of = rolled_back.clone();
            let settings = Settings {
                window: request.window,
                auto_merge,
            };
            let mut decision = crate::decide(&facts, &settings);
            if let (Decision::RollBack { reason, .. }, Some(why)) = (&mut decision, &request.reason)
            {
                *reason = format!("{why}: {reason}");
            }
            decision
        }
        None => by_hand::decide_by_hand(&by_hand::ByHand {
            env,
            loaded: &loaded,
            verified: verified.as_ref(),
            holds: &holds,
            in_flight: in_flight.first(),
            rollback_of: rolled_back.as_deref(),
            auto_merge,
            to: request.to.as_deref(),
            force: request.force,
            reason: request.reason.as_deref(),
        })?,
    };
    Ok(Decided {
        decision,
        env: env.clone(),
        report_reason: input.map(|i| i.report.reason),
    })
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
