//! The facts a rollback gathers through the forge, and an operator's request without a
//! report: the same refusals as the policy (unless forced), the target chosen by hand.

use std::collections::{BTreeMap, BTreeSet};

use ferry_config::ForgeKind;
use ferry_gitops::Loaded;
use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::REMOTE_NOTES_REF;
use ferry_gitops::gates::Hold;
use ferry_ledger::ledger::EnvLedger;
use ferry_ledger::verify::VerifiedSet;

use super::{RollbackError, short};
use crate::facts::verified_before_current_in;
use crate::policy::{Decision, InFlight, Rule, Target, image_changes};

/// How many older deployments are asked for a verification in GitHub mode (commit statuses).
const GITHUB_VERIFICATION_LOOKBACK: usize = 20;

/// The environment's last verification before its current deployment: the remote's notes
/// (plain git), or the forge's records on older deployments (GitHub commit statuses).
pub(super) async fn verified_target<F: Forge>(
    forge: &F,
    loaded: &Loaded,
    env: &EnvLedger,
) -> Result<Option<VerifiedSet>, RollbackError> {
    if forge.kind() == ForgeKind::Git {
        // The records the remote holds (as the sync fetched them), never one only this
        // machine has.
        return Ok(verified_before_current_in(
            &loaded.ledger,
            &loaded.repo,
            REMOTE_NOTES_REF,
            &env.name,
        )?);
    }
    for d in env
        .deployments
        .iter()
        .skip(1)
        .take(GITHUB_VERIFICATION_LOOKBACK)
    {
        let mut records = forge.verifications(d.id(), &env.name).await?;
        records.retain(|r| r.env == env.name);
        records.sort_by_key(|r| r.verified_at());
        if let Some(record) = records.pop() {
            return Ok(Some(VerifiedSet {
                commit: d.commit.clone(),
                matches_ledger: record.images == d.images,
                record,
            }));
        }
    }
    Ok(None)
}

/// What ran in `env` at commit `rev`, as a rollback target chosen by hand: (commit, when it
/// was verified or why it is chosen anyway, images).
fn explicit_target(
    loaded: &Loaded,
    env: &str,
    rev: &str,
) -> Result<(String, String, BTreeMap<String, String>), RollbackError> {
    let to = |source: Box<dyn std::error::Error + Send + Sync>| RollbackError::To {
        rev: rev.to_owned(),
        source,
    };
    let id = loaded.repo.resolve(rev).map_err(|e| to(e.into()))?;
    let deployment = loaded
        .ledger
        .deployed_at(env, id)
        .map_err(|e| to(e.into()))?
        .ok_or_else(|| RollbackError::NoDeployment {
            rev: rev.to_owned(),
            env: env.to_owned(),
            id: id.to_string(),
        })?;
    if let Some(e) = &deployment.error {
        return Err(RollbackError::DoesNotRender {
            rev: rev.to_owned(),
            env: env.to_owned(),
            commit: short(&deployment.commit).to_owned(),
            error: e.clone(),
        });
    }
    let verified = loaded
        .ledger
        .last_verified_before(&loaded.repo, env, id)?
        .filter(|v| v.record.images == deployment.images);
    let when = match verified {
        Some(v) => v.record.verified_at,
        None => format!(
            "{} (not verified; chosen with --to {})",
            deployment.time,
            short(&deployment.commit)
        ),
    };
    Ok((deployment.commit.clone(), when, deployment.images.clone()))
}

/// What an operator's request is decided on.
pub(super) struct ByHand<'a> {
    pub env: &'a EnvLedger,
    pub loaded: &'a Loaded,
    pub verified: Option<&'a VerifiedSet>,
    pub holds: &'a [Hold],
    pub in_flight: Option<&'a InFlight>,
    pub rollback_of: Option<&'a str>,
    pub auto_merge: bool,
    /// `--to`: `previous` (or none) or a commit.
    pub to: Option<&'a str>,
    pub force: bool,
    pub reason: Option<&'a str>,
}

/// An operator's request without a report: the same refusals as the policy (unless forced),
/// the target from `to`.
pub(super) fn decide_by_hand(h: &ByHand<'_>) -> Result<Decision, RollbackError> {
    let escalate = |rule, reason: String| Ok(Decision::Escalate { rule, reason });
    let env = h.env;
    let name = env.name.as_str();
    let Some(current) = env.current() else {
        return escalate(
            Rule::NoVerifiedTarget,
            format!("{name} has no deployment on the base branch: nothing to roll back"),
        );
    };
    let why = h.reason.unwrap_or("no reason given");
    if let Some(failed) = h.rollback_of
        && let Some(unfinished) = unfinished_rollback(env, h.loaded, h.holds, failed, h.auto_merge)
    {
        return Ok(unfinished);
    }
    if let Some(failed) = h.rollback_of
        && !h.force
    {
        return escalate(
            Rule::RollbackOfRollback,
            format!(
                "{name} runs {}, itself a rollback of {}; never rolling back a rollback (--force to do it anyway)",
                short(&current.commit),
                short(failed)
            ),
        );
    }
    if let Some(change) = h.in_flight
        && !h.force
    {
        return escalate(
            Rule::InFlight,
            format!(
                "change {} for {name} is in flight; not racing it (--force to roll back anyway)",
                change.id
            ),
        );
    }
    let (commit, verified_at, images) = match h.to {
        None | Some("previous") => {
            let Some(v) = h.verified else {
                return escalate(
                    Rule::NoVerifiedTarget,
                    format!(
                        "{name} has no verified image set before {}; name a target with --to REF",
                        short(&current.commit)
                    ),
                );
            };
            if !v.matches_ledger {
                return escalate(
                    Rule::NoVerifiedTarget,
                    format!(
                        "the last verification record of {name} (on {}) does not match what the ledger says ran there",
                        short(&v.commit)
                    ),
                );
            }
            (
                v.commit.clone(),
                v.record.verified_at.clone(),
                v.record.images.clone(),
            )
        }
        Some(rev) => explicit_target(h.loaded, name, rev)?,
    };
    if images == current.images {
        return Ok(Decision::Continue {
            rule: Rule::NoVerifiedTarget,
            reason: format!(
                "{name} already runs the target's images (from {}): nothing to roll back",
                short(&commit)
            ),
        });
    }
    let held: Vec<String> = h
        .holds
        .iter()
        .filter_map(|hold| {
            let blocked = hold.blocked(name, &images);
            (!blocked.is_empty()).then(|| format!("{} ({})", blocked.join(", "), hold.reason))
        })
        .collect();
    if !held.is_empty() && !h.force {
        return escalate(
            Rule::TargetHeld,
            format!(
                "the target is on hold for {name}: {} (--force to roll back anyway)",
                held.join("; ")
            ),
        );
    }
    let changes = image_changes(&current.images, &images);
    Ok(Decision::RollBack {
        reason: format!(
            "rollback of {name} requested by hand ({why}); back to {} from {}",
            verified_at,
            short(&commit)
        ),
        to: Target {
            verified_commit: commit,
            verified_at,
            images,
            failed_commit: current.commit.clone(),
            failed_images: current.images.clone(),
            changes,
        },
        auto_merge: h.auto_merge,
    })
}

/// The rollback still to finish when `env` runs a rollback of `failed` whose hold is missing
/// (its run ended between the revert and the hold): the same decision again, whose revert is
/// already on the base and whose hold is then written.
fn unfinished_rollback(
    env: &EnvLedger,
    loaded: &Loaded,
    holds: &[Hold],
    failed: &str,
    auto_merge: bool,
) -> Option<Decision> {
    let current = env.current()?;
    let (failed_commit, _, failed_images) = explicit_target(loaded, &env.name, failed).ok()?;
    let to = Target {
        verified_commit: current.commit.clone(),
        verified_at: current.time.clone(),
        images: current.images.clone(),
        changes: image_changes(&failed_images, &current.images),
        failed_commit,
        failed_images,
    };
    let missing = failed_only(&to);
    let held = holds.iter().any(|h| {
        h.blocked(&env.name, &missing).len() == missing.values().collect::<BTreeSet<_>>().len()
    });
    if missing.is_empty() || held {
        return None;
    }
    Some(Decision::RollBack {
        reason: format!(
            "{} runs {}, the rollback of {} whose hold is missing: holding its failed images",
            env.name,
            short(&current.commit),
            short(failed)
        ),
        to,
        auto_merge,
    })
}

/// The images a rollback holds: those of the failed set the target does not run.
pub fn failed_only(target: &Target) -> BTreeMap<String, String> {
    let keep: BTreeSet<&String> = target.images.values().collect();
    target
        .failed_images
        .iter()
        .filter(|(_, image)| !keep.contains(image))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
