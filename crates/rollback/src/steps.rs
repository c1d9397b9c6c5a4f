//! The result of each step of a rollback ([`StepResult`], as the notifications tell it), from
//! what the actions and the Rollouts client returned.

use ferry_gitops::gates::Hold;
use ferry_notify::StepResult;
use ferry_rollouts::{Outcome as RolloutOutcome, RolloutError, Settled};

use crate::actions::{ActionError, Reverted};

/// Builds a [`StepResult`] from a rollback action's result.
pub trait StepResults: Sized {
    /// The result of a Git revert: done only when the revert is on the base branch.
    fn from_revert(result: &Result<Reverted, ActionError>) -> Self;
    /// The result of a Rollouts command.
    fn from_rollout(result: &Result<RolloutOutcome, RolloutError>) -> Self;
    /// The result of a hold.
    fn from_hold(result: &Result<Vec<Hold>, ActionError>) -> Self;
}

impl StepResults for StepResult {
    /// The result of a Git revert, from what [`crate::actions::revert_in_git`] returned: done
    /// only when the revert is on the base branch.
    fn from_revert(result: &Result<Reverted, ActionError>) -> Self {
        match result {
            Ok(r) if r.opened.up_to_date => StepResult::Done {
                detail: format!(
                    "the base branch already had the target images (at {})",
                    short(&r.opened.commit)
                ),
            },
            Ok(r) if r.opened.merged => StepResult::Done {
                detail: format!("merged as {}", short(&r.opened.commit)),
            },
            Ok(r) => StepResult::Pending {
                detail: format!(
                    "change {} opened{}, not merged yet",
                    r.opened.url.as_deref().unwrap_or(&r.opened.id),
                    if r.opened.auto_merge {
                        " with auto-merge"
                    } else {
                        ""
                    }
                ),
            },
            Err(e) => StepResult::Failed {
                error: e.to_string(),
            },
        }
    }

    /// The result of a Rollouts command, from what [`ferry_rollouts::RolloutClient`] returned.
    fn from_rollout(result: &Result<RolloutOutcome, RolloutError>) -> Self {
        match result {
            Ok(o) => match (&o.skipped, o.settled) {
                (Some(why), _) => StepResult::Skipped { why: why.clone() },
                (None, Some(Settled::Degraded)) => StepResult::Failed {
                    error: format!("{} sent, but the Rollout is degraded", o.command.as_str()),
                },
                (None, settled) => StepResult::Done {
                    detail: match settled {
                        Some(s) => format!("{} ({})", o.command.as_str(), settled_word(s)),
                        None => format!("{} sent", o.command.as_str()),
                    },
                },
            },
            Err(e) => StepResult::Failed {
                error: e.to_string(),
            },
        }
    }

    /// The result of a hold, from what [`crate::actions::hold`] returned.
    fn from_hold(result: &Result<Vec<Hold>, ActionError>) -> Self {
        match result {
            Ok(holds) => StepResult::Done {
                detail: format!(
                    "{} active hold(s) for the environment",
                    holds.iter().filter(|h| !h.released).count()
                ),
            },
            Err(e) => StepResult::Failed {
                error: e.to_string(),
            },
        }
    }
}

fn settled_word(s: Settled) -> &'static str {
    match s {
        Settled::Healthy => "healthy",
        Settled::Paused => "paused",
        Settled::Aborted => "aborted, stable version serving",
        Settled::Degraded => "degraded",
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
