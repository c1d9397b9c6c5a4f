//! Rollback actions in Git, through a [`Forge`]: the revert change and holds.
//!
//! - [`revert_in_git`]: a GitOps change setting the environment's overlay back to the target's
//!   images ([`ferry_gitops::plan::overlay_update`]), on the deploy branch of (environment,
//!   target set), merged at once (plain git) or with auto-merge (GitHub) when the policy allows.
//!   Its body links the failed change and the evidence; its commit message ends with the
//!   [`ROLLBACK_TRAILER`](crate::policy::ROLLBACK_TRAILER), so the policy never rolls back the
//!   rollback.
//! - [`hold`] and [`release`]: quarantine the failed image set for the environment (promotion
//!   gates refuse it) and lift that again.

use std::collections::BTreeMap;

use ferry_gitops::forge::{
    Base, ChangeRequest, DEFAULT_MAX_ATTEMPTS, Files, Forge, ForgeError, Opened, PlanError,
};
use ferry_gitops::gates::Hold;
use ferry_gitops::holds::{ImageQuery, release_in};
use ferry_gitops::plan::{ImageUpdate, OverlayError, deploy_branch, overlay_update};
use ferry_kustomize::model::KUSTOMIZATION_FILE_NAMES;
use ferry_ledger::ledger::ImageChange;
use serde::Serialize;

use crate::policy::{Target, trailer_line};

/// Why a rollback action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The forge failed (git, GitHub, the planner).
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// No image change of the target can be made by editing the overlay's images.
    #[error("nothing to revert in {env}: {reason}")]
    NothingToRevert {
        /// The environment.
        env: String,
        /// Why.
        reason: String,
    },
}

/// A forge failure keeps its kind; a target with nothing to revert is refused (exit 1).
impl ferry_error::Classify for ActionError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            ActionError::Forge(e) => ferry_error::Classify::error_kind(e),
            ActionError::NothingToRevert { .. } => ferry_error::ErrorKind::Refused,
        }
    }
}

/// What [`revert_in_git`] needs.
#[derive(Debug, Clone)]
pub struct RevertRequest<'a> {
    /// The environment.
    pub env: &'a str,
    /// Its overlay directory (repository-relative, `/`-separated).
    pub overlay: &'a str,
    /// Where to go back to (from [`crate::policy::Decision::RollBack`]).
    pub target: &'a Target,
    /// Why, in one line (the decision's reason).
    pub reason: &'a str,
    /// A link to (or the id of) the change that brought the failed images, when known.
    pub failed_change: Option<&'a str>,
    /// A link to the evidence (monitor report, CI run), when there is one.
    pub evidence_url: Option<&'a str>,
    /// The deploy branch prefix (e.g. `deploy/`).
    pub branch_prefix: &'a str,
    /// Labels for the pull request (GitHub).
    pub labels: Vec<String>,
    /// Merge at once / enable auto-merge.
    pub auto_merge: bool,
}

/// What [`revert_in_git`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reverted {
    /// The forge's answer.
    pub opened: Opened,
    /// The image changes the revert makes.
    pub reverted: Vec<ImageChange>,
    /// Changes of the failed deployment an image edit cannot undo (containers added or
    /// removed): they are left as they are and named in the change's body.
    pub not_reverted: Vec<ImageChange>,
}

impl Reverted {
    /// Whether the revert is on the base branch now (only then is the environment reverted in
    /// Git).
    pub fn merged(&self) -> bool {
        self.opened.merged || self.opened.up_to_date
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// The overlay updates that undo some changes, those changes, and the ones they cannot undo.
type Split = (Vec<ImageUpdate>, Vec<ImageChange>, Vec<ImageChange>);

/// The overlay updates that undo `changes`, and the changes they cannot undo; an image that
/// is not a reference is an error.
fn split_changes(changes: &[ImageChange]) -> Result<Split, OverlayError> {
    let mut updates: Vec<ImageUpdate> = Vec::new();
    let mut done = Vec::new();
    let mut left = Vec::new();
    for change in changes {
        match ImageUpdate::from_change(change)? {
            Some(update) => {
                if !updates.contains(&update) {
                    updates.push(update);
                }
                done.push(change.clone());
            }
            None => left.push(change.clone()),
        }
    }
    Ok((updates, done, left))
}

fn row(c: &ImageChange) -> String {
    format!(
        "| `{}` | `{}` | `{}` |",
        c.container,
        c.from.as_deref().unwrap_or("(none)"),
        c.to.as_deref().unwrap_or("(none)")
    )
}

/// The commit message of a revert: subject, why, the evidence and the rollback trailer.
pub fn revert_message(request: &RevertRequest<'_>) -> String {
    let t = request.target;
    let mut text = format!(
        "ferry: roll back {} to the set verified at {}\n\n{}\n\nFailed deployment: {}\nVerified set: {} ({})\n",
        request.env,
        t.verified_at,
        request.reason,
        t.failed_commit,
        t.verified_commit,
        t.verified_at
    );
    if let Some(change) = request.failed_change {
        text.push_str(&format!("Failed change: {change}\n"));
    }
    if let Some(url) = request.evidence_url {
        text.push_str(&format!("Evidence: {url}\n"));
    }
    text.push('\n');
    text.push_str(&trailer_line(&t.failed_commit));
    text.push('\n');
    text
}

/// The change body (Markdown): what failed, why, the image table, and what is not reverted.
pub fn revert_body(
    request: &RevertRequest<'_>,
    reverted: &[ImageChange],
    left: &[ImageChange],
) -> String {
    let t = request.target;
    let mut body = format!(
        "## Rollback of `{}`\n\n{}\n\n- Failed deployment: `{}`\n",
        request.env, request.reason, t.failed_commit
    );
    if let Some(change) = request.failed_change {
        body.push_str(&format!("- Failed change: {change}\n"));
    }
    if let Some(url) = request.evidence_url {
        body.push_str(&format!("- Evidence: {url}\n"));
    }
    body.push_str(&format!(
        "- Back to the image set verified at {} on `{}`\n\n| container | failed | restored |\n|---|---|---|\n",
        t.verified_at,
        short(&t.verified_commit)
    ));
    for c in reverted {
        body.push_str(&row(c));
        body.push('\n');
    }
    if !left.is_empty() {
        body.push_str("\nNot reverted (containers added or removed; an image edit cannot undo them):\n\n| container | failed | before |\n|---|---|---|\n");
        for c in left {
            body.push_str(&row(c));
            body.push('\n');
        }
    }
    body.push_str(&format!(
        "\nThe failed image set is held for `{}` until released (`ferry rollback release --env {} --image IMAGE`; `ferry rollback holds` lists the holds).\n",
        request.env, request.env
    ));
    body
}

/// The overlay's kustomization file at `base` (path and text).
fn kustomization_at(base: &Base<'_>, overlay: &str) -> Result<(String, String), PlanError> {
    for name in KUSTOMIZATION_FILE_NAMES {
        let path = if overlay.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", overlay.trim_end_matches('/'))
        };
        if let Some(bytes) = base.repo.read_file(base.commit, &path)? {
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{path} at {} is not UTF-8", base.commit))?;
            return Ok((path, text));
        }
    }
    Err(format!("no kustomization file in {overlay} at {}", base.commit).into())
}

/// Opens (and, when `request.auto_merge`, merges) the change that sets the environment's
/// overlay back to the target's images.
pub async fn revert_in_git<F: Forge>(
    forge: &F,
    request: &RevertRequest<'_>,
) -> Result<Reverted, ActionError> {
    // An image that is not a reference fails as the planner would (a planning error).
    let (updates, reverted, not_reverted) =
        split_changes(&request.target.changes).map_err(|e| ForgeError::Plan(Box::new(e)))?;
    if updates.is_empty() {
        return Err(ActionError::NothingToRevert {
            env: request.env.to_string(),
            reason: if request.target.changes.is_empty() {
                "the target's images are what the environment runs".into()
            } else {
                "every change adds or removes a container".into()
            },
        });
    }
    let overlay = request.overlay.to_string();
    let mut planner = move |base: &Base<'_>| -> Result<Files, PlanError> {
        let (path, text) = kustomization_at(base, &overlay)?;
        let outcome = overlay_update(&text, &updates)?;
        let mut files = Files::new();
        if outcome.changed {
            files.insert(path, outcome.text);
        }
        Ok(files)
    };
    let change = ChangeRequest {
        env: request.env.to_string(),
        branch: deploy_branch(request.branch_prefix, request.env, &request.target.images),
        title: format!(
            "ferry: roll back {} to the set verified at {}",
            request.env, request.target.verified_at
        ),
        body: revert_body(request, &reverted, &not_reverted),
        message: revert_message(request),
        labels: request.labels.clone(),
        auto_merge: request.auto_merge,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
    };
    let opened = forge.open_change(&change, &mut planner).await?;
    Ok(Reverted {
        opened,
        reverted,
        not_reverted,
    })
}

/// Holds `images` (by `workload/container`; empty: every image) for `env`: promotion gates
/// refuse them until released. An identical active hold is not added twice. Returns the
/// environment's holds after the update.
pub async fn hold<F: Forge>(
    forge: &F,
    env: &str,
    images: &BTreeMap<String, String>,
    reason: &str,
    now: jiff::Timestamp,
) -> Result<Vec<Hold>, ActionError> {
    let new = Hold::new(env, images.clone(), reason, now);
    let mut update = |holds: &mut Vec<Hold>| {
        let exists = holds
            .iter()
            .any(|h| !h.released && h.env == new.env && h.images == new.images);
        if !exists {
            holds.push(new.clone());
        }
    };
    let message = format!("ferry: hold {} in {env}: {reason}", describe(images));
    Ok(forge.update_holds(env, &mut update, &message).await?)
}

/// Releases the active holds of `env` that name `image` (a full reference, as the hold names
/// it); see [`release_matching`].
pub async fn release<F: Forge>(
    forge: &F,
    env: &str,
    image: &str,
) -> Result<Vec<Hold>, ActionError> {
    release_matching(forge, env, Some(&ImageQuery::exact(image))).await
}

/// Releases, among the active holds of `env`, the images `query` names (every hold of `env`
/// when `query` is `None`): a hold whose other images are not named keeps them held (see
/// [`ferry_gitops::holds::release_in`]). Returns what was released (empty: nothing matched).
pub async fn release_matching<F: Forge>(
    forge: &F,
    env: &str,
    query: Option<&ImageQuery>,
) -> Result<Vec<Hold>, ActionError> {
    let mut released = Vec::new();
    let mut update = |holds: &mut Vec<Hold>| {
        released = release_in(holds, env, query);
    };
    let what = query.map_or("every image", |q| q.given.as_str());
    let message = format!("ferry: release {what} in {env}");
    forge.update_holds(env, &mut update, &message).await?;
    Ok(released)
}

fn describe(images: &BTreeMap<String, String>) -> String {
    if images.is_empty() {
        return "every image".into();
    }
    let mut list: Vec<&str> = images.values().map(String::as_str).collect();
    list.sort_unstable();
    list.dedup();
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            verified_commit: "a".repeat(40),
            verified_at: "2026-11-24T09:00:00Z".into(),
            images: BTreeMap::from([("backend/backend".into(), "r.example/backend:1.3.1".into())]),
            failed_commit: "b".repeat(40),
            failed_images: BTreeMap::from([(
                "backend/backend".into(),
                "r.example/backend:1.4.0".into(),
            )]),
            changes: vec![
                ImageChange {
                    container: "backend/backend".into(),
                    from: Some("r.example/backend:1.4.0".into()),
                    to: Some("r.example/backend:1.3.1".into()),
                },
                ImageChange {
                    container: "worker/worker".into(),
                    from: Some("r.example/worker:1.0.0".into()),
                    to: None,
                },
            ],
        }
    }

    fn request(target: &Target) -> RevertRequest<'_> {
        RevertRequest {
            env: "prod",
            overlay: "infra/k8s/overlays/prod",
            target,
            reason: "prod is unhealthy (3 consecutive failed checks)",
            failed_change: Some("https://github.com/acme/shop-deploy/pull/41"),
            evidence_url: Some("https://ci.example/run/7"),
            branch_prefix: "deploy/",
            labels: vec![],
            auto_merge: true,
        }
    }

    #[test]
    fn the_message_ends_with_the_rollback_trailer() {
        let t = target();
        let message = revert_message(&request(&t));
        assert_eq!(
            crate::policy::rollback_trailer(&message),
            Some("b".repeat(40).as_str())
        );
        assert!(
            message.starts_with(
                "ferry: roll back prod to the set verified at 2026-11-24T09:00:00Z\n\n"
            )
        );
        assert!(message.contains("Failed change: https://github.com/acme/shop-deploy/pull/41\n"));
        assert!(message.contains("Evidence: https://ci.example/run/7\n"));
    }

    #[test]
    fn the_body_links_the_failed_change_and_evidence_and_names_what_is_not_reverted() {
        let t = target();
        let (updates, done, left) = split_changes(&t.changes).unwrap();
        assert_eq!(
            updates,
            vec![ImageUpdate {
                repository: "r.example/backend".parse().unwrap(),
                image: "r.example/backend:1.3.1".parse().unwrap()
            }]
        );
        let body = revert_body(&request(&t), &done, &left);
        assert!(body.contains("- Failed change: https://github.com/acme/shop-deploy/pull/41"));
        assert!(body.contains("- Evidence: https://ci.example/run/7"));
        assert!(body.contains(
            "| `backend/backend` | `r.example/backend:1.4.0` | `r.example/backend:1.3.1` |"
        ));
        assert!(body.contains("Not reverted"));
        assert!(body.contains("| `worker/worker` | `r.example/worker:1.0.0` | `(none)` |"));
    }
}
