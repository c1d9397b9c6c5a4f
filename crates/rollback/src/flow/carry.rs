//! Carrying a decision out: the cluster first (Argo Rollouts aborted), then Git (the revert
//! through the forge), then the hold (only with its revert), then the notifications; and the
//! record of what happened.

use std::collections::{BTreeMap, BTreeSet};

use ferry_config::Config;
use ferry_gitops::forge::Forge;
use ferry_ledger::ledger::ImageChange;
use ferry_notify::{Outcome, Sent, StepResult, notify};
use ferry_rollouts::RolloutClient;
use serde::Serialize;

use super::{Decided, failed_only, short};
use crate::actions::{RevertRequest, Reverted, hold, revert_in_git};
use crate::policy::{Decision, Target};

/// How a revert names the failed change.
#[derive(Debug, Clone)]
pub enum FailedChange {
    /// A link to the failed commit on GitHub (which lists the pull request that brought it).
    Github {
        /// The server, e.g. `https://github.com`.
        server_url: String,
        /// `owner/repo`.
        repository: String,
    },
    /// The commit, its subject and the remote (shown redacted).
    Remote(String),
}

impl FailedChange {
    /// The text for the failed `commit` of `env`.
    fn describe(&self, env: &ferry_ledger::ledger::EnvLedger, commit: &str) -> String {
        match self {
            FailedChange::Github {
                server_url,
                repository,
            } => format!(
                "{}/{repository}/commit/{commit}",
                server_url.trim_end_matches('/')
            ),
            FailedChange::Remote(remote) => {
                let subject = env
                    .deployments
                    .iter()
                    .find(|d| d.commit == commit)
                    .map(|d| format!(" \"{}\"", d.summary))
                    .unwrap_or_default();
                format!("commit {commit}{subject} on {remote}")
            }
        }
    }
}

/// How to carry a decision out.
#[derive(Debug, Clone)]
pub struct Actions<'a> {
    /// Decide only: change nothing.
    pub dry_run: bool,
    /// Do not hold the failed images.
    pub no_hold: bool,
    /// Why, in words (the operator's).
    pub reason: Option<&'a str>,
    /// The Argo Rollouts to abort.
    pub rollouts: &'a [String],
    /// Their namespace as asked for (shown when the client cannot be built).
    pub namespace: Option<&'a str>,
    /// A link to the evidence.
    pub evidence_url: Option<&'a str>,
    /// How the revert names the failed change.
    pub failed_change: FailedChange,
    /// The Slack incoming webhook, if any.
    pub slack_webhook: Option<&'a str>,
    /// The time of the hold.
    pub now: jiff::Timestamp,
}

/// The decision as reported.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionOut {
    /// `continue`, `healthy`, `roll-back` or `escalate`.
    pub decision: &'static str,
    /// The rule.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// The revert as reported.
#[derive(Debug, Clone, Serialize)]
pub struct RevertOut {
    /// The change's head commit (or the base commit when merged at once).
    pub commit: String,
    /// Whether the revert is on the base branch.
    pub merged: bool,
    /// The change's id.
    pub id: String,
    /// Its branch.
    pub branch: String,
    /// A link to it.
    pub url: Option<String>,
    /// The image changes it reverts.
    pub reverted: Vec<ImageChange>,
    /// The changes an image edit cannot undo.
    pub not_reverted: Vec<ImageChange>,
    /// The forge's warnings.
    pub warnings: Vec<String>,
}

/// The hold as reported.
#[derive(Debug, Clone, Serialize)]
pub struct HoldOut {
    /// `done`, `skipped`, `failed` or `dry-run`.
    pub result: &'static str,
    /// The held images.
    pub images: BTreeMap<String, String>,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One Rollout action as reported.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutOut {
    /// The Rollout.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// `abort`.
    pub action: &'static str,
    /// `done` or `failed`.
    pub result: &'static str,
    /// Its phase after the action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a rollback run decided and did (`--format json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Rollback {
    /// The environment.
    pub env: String,
    /// The decision.
    pub decision: DecisionOut,
    /// Where it went back to.
    pub target: Option<Target>,
    /// The revert, when one was opened.
    pub revert: Option<RevertOut>,
    /// Why the revert failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revert_error: Option<String>,
    /// The hold.
    pub hold: Option<HoldOut>,
    /// The Rollout actions.
    pub rollouts: Vec<RolloutOut>,
    /// The notifications sent.
    pub notifications: Vec<Sent>,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// What happened, as the notifications tell it.
    #[serde(skip)]
    pub outcome: Option<Outcome>,
    /// Whether a step failed.
    #[serde(skip)]
    pub failed: bool,
}

fn decision_out(d: &Decision) -> DecisionOut {
    DecisionOut {
        decision: match d {
            Decision::Continue { .. } => "continue",
            Decision::Healthy { .. } => "healthy",
            Decision::RollBack { .. } => "roll-back",
            Decision::Escalate { .. } => "escalate",
        },
        rule: d.rule().to_string(),
        reason: d.reason().to_string(),
    }
}

/// Carries `decided` out: the Rollouts aborted through `cluster` (the client, or why there is
/// none; `None` when [`Decided::aborts_rollouts`] is false), the revert, the hold and the
/// notifications. Failures are recorded in the result, not returned: the steps that did happen
/// are reported either way.
pub async fn carry_out<F: Forge>(
    forge: &F,
    config: &Config,
    decided: &Decided,
    actions: &Actions<'_>,
    cluster: Option<Result<RolloutClient, String>>,
) -> Rollback {
    let env = &decided.env;
    let mut out = Rollback {
        env: env.name.clone(),
        decision: decision_out(&decided.decision),
        target: None,
        revert: None,
        revert_error: None,
        hold: None,
        rollouts: Vec::new(),
        notifications: Vec::new(),
        dry_run: actions.dry_run,
        outcome: None,
        failed: false,
    };
    match &decided.decision {
        Decision::RollBack {
            to,
            reason,
            auto_merge,
        } => {
            out.target = Some(to.clone());
            let held = failed_only(to);
            if actions.dry_run {
                out.hold = (!actions.no_hold).then_some(HoldOut {
                    result: "dry-run",
                    images: held,
                    error: None,
                });
            } else {
                // 1. The cluster first, at once.
                let cluster = abort_rollouts(&mut out, actions, cluster).await;
                // 2. Git.
                let failed_link = actions.failed_change.describe(env, &to.failed_commit);
                let request = RevertRequest {
                    env: &env.name,
                    overlay: &env.overlay,
                    target: to,
                    reason,
                    failed_change: Some(&failed_link),
                    evidence_url: actions.evidence_url,
                    branch_prefix: &config.forge.branch_prefix,
                    labels: config.forge.labels.clone(),
                    auto_merge: *auto_merge,
                };
                let git = match revert_in_git(forge, &request).await {
                    Ok(reverted) => {
                        let step = revert_step(&reverted);
                        out.revert = Some(revert_out(reverted));
                        step
                    }
                    Err(e) => {
                        out.failed = true;
                        out.revert_error = Some(e.to_string());
                        StepResult::Failed {
                            error: e.to_string(),
                        }
                    }
                };
                // 3. The hold, only with its revert: a hold without the revert would block
                // the images while the environment still runs them.
                let hold = hold_failed(forge, &mut out, decided, actions, to, held).await;
                out.outcome = Some(Outcome::RolledBack {
                    env: env.name.clone(),
                    failed_commit: to.failed_commit.clone(),
                    failed_images: to.failed_images.clone(),
                    target_images: to.images.clone(),
                    reason: reason.clone(),
                    git,
                    cluster,
                    hold,
                });
            }
        }
        Decision::Escalate { reason, .. } if !actions.dry_run => {
            out.outcome = Some(Outcome::Escalated {
                env: env.name.clone(),
                commit: env.current().map(|c| c.commit.clone()).unwrap_or_default(),
                reason: reason.clone(),
            });
        }
        _ => {}
    }
    // 4. Notifications, from what happened.
    if let Some(outcome) = &out.outcome {
        out.notifications = notify(
            outcome,
            actions.slack_webhook,
            forge.deployment_statuses(),
            actions.evidence_url,
        )
        .await;
        out.failed |= out.notifications.iter().any(|n| !n.is_sent());
    }
    out
}

/// Aborts every Rollout of `actions`; returns each one's step.
async fn abort_rollouts(
    out: &mut Rollback,
    actions: &Actions<'_>,
    cluster: Option<Result<RolloutClient, String>>,
) -> Vec<(String, StepResult)> {
    let mut steps = Vec::new();
    let namespace = actions.namespace.unwrap_or_default().to_owned();
    let failed = |name: &str, error: String| RolloutOut {
        name: name.to_owned(),
        namespace: namespace.clone(),
        action: "abort",
        result: "failed",
        phase: None,
        error: Some(error),
    };
    match cluster {
        None => {}
        Some(Ok(client)) => {
            for name in actions.rollouts {
                match client.abort(name).await {
                    Ok((o, _)) => {
                        out.rollouts.push(RolloutOut {
                            name: name.clone(),
                            namespace: o.namespace.clone(),
                            action: "abort",
                            result: "done",
                            phase: Some(o.status.phase.clone()),
                            error: None,
                        });
                        steps.push((
                            name.clone(),
                            StepResult::Done {
                                detail: format!("aborted ({})", o.status.phase),
                            },
                        ));
                    }
                    Err(e) => {
                        out.failed = true;
                        out.rollouts.push(failed(name, e.to_string()));
                        steps.push((
                            name.clone(),
                            StepResult::Failed {
                                error: e.to_string(),
                            },
                        ));
                    }
                }
            }
        }
        Some(Err(error)) => {
            out.failed = true;
            for name in actions.rollouts {
                out.rollouts.push(failed(name, error.clone()));
                steps.push((
                    name.clone(),
                    StepResult::Failed {
                        error: error.clone(),
                    },
                ));
            }
        }
    }
    steps
}

/// Holds the failed images, unless asked not to or the revert failed.
async fn hold_failed<F: Forge>(
    forge: &F,
    out: &mut Rollback,
    decided: &Decided,
    actions: &Actions<'_>,
    to: &Target,
    held: BTreeMap<String, String>,
) -> StepResult {
    let skipped = |why: &str| StepResult::Skipped { why: why.into() };
    if actions.no_hold || out.revert_error.is_some() {
        let why = if actions.no_hold {
            "--no-hold"
        } else {
            "the revert failed; run the rollback again"
        };
        out.hold = Some(HoldOut {
            result: "skipped",
            images: held,
            error: None,
        });
        return skipped(why);
    }
    let why = format!(
        "{} rolled back from {}: {}",
        decided.env.name,
        short(&to.failed_commit),
        actions
            .reason
            .or(decided.report_reason.as_deref())
            .unwrap_or("requested by hand")
    );
    match hold(forge, &decided.env.name, &held, &why, actions.now).await {
        Ok(_) => {
            let step = StepResult::Done {
                detail: format!("held {}", image_list(&held)),
            };
            out.hold = Some(HoldOut {
                result: "done",
                images: held,
                error: None,
            });
            step
        }
        Err(e) => {
            out.failed = true;
            out.hold = Some(HoldOut {
                result: "failed",
                images: held,
                error: Some(e.to_string()),
            });
            StepResult::Failed {
                error: e.to_string(),
            }
        }
    }
}

fn revert_step(r: &Reverted) -> StepResult {
    let o = &r.opened;
    if o.up_to_date {
        StepResult::Done {
            detail: format!("the base already has the target ({})", short(&o.commit)),
        }
    } else if r.merged() {
        StepResult::Done {
            detail: format!("merged as {}", short(&o.commit)),
        }
    } else {
        let what = o.number.map_or_else(|| o.id.clone(), |n| format!("#{n}"));
        StepResult::Pending {
            detail: format!(
                "change {what} on {} {}",
                o.branch,
                if o.auto_merge {
                    "waits for auto-merge".to_owned()
                } else {
                    format!("waits for review (approve with `ferry pr merge {}`)", o.id)
                }
            ),
        }
    }
}

fn revert_out(r: Reverted) -> RevertOut {
    let merged = r.merged();
    RevertOut {
        commit: r.opened.commit,
        merged,
        id: r.opened.id,
        branch: r.opened.branch,
        url: r.opened.url,
        reverted: r.reverted,
        not_reverted: r.not_reverted,
        warnings: r.opened.warnings,
    }
}

/// The distinct images of a set, sorted, comma-separated.
pub fn image_list(images: &BTreeMap<String, String>) -> String {
    let list: BTreeSet<&str> = images.values().map(String::as_str).collect();
    list.into_iter().collect::<Vec<_>>().join(", ")
}

impl Rollback {
    /// The exit code: 3 when a step failed, 1 escalated, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.failed {
            3
        } else if self.decision.decision == "escalate" {
            1
        } else {
            0
        }
    }

    /// One line naming what was done and what failed.
    pub fn what_happened(&self) -> String {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for r in &self.rollouts {
            let what = format!("abort of rollout {}", r.name);
            if r.result == "done" {
                done.push(what)
            } else {
                failed.push(what)
            }
        }
        match (&self.revert, &self.revert_error) {
            (Some(r), _) if r.merged => {
                done.push(format!("Git revert (merged as {})", short(&r.commit)))
            }
            (Some(r), _) => done.push(format!("Git revert (opened as {}, not merged)", r.id)),
            (None, Some(_)) => failed.push("Git revert".into()),
            _ => {}
        }
        if let Some(h) = &self.hold {
            match h.result {
                "done" => done.push("hold".into()),
                "failed" => failed.push("hold".into()),
                _ => {}
            }
        }
        for n in &self.notifications {
            if n.is_sent() {
                done.push(format!("{} notification", n.channel));
            } else {
                failed.push(format!("{} notification", n.channel));
            }
        }
        let list = |v: &[String]| {
            if v.is_empty() {
                "nothing".to_string()
            } else {
                v.join(", ")
            }
        };
        format!("failed: {}; done: {}", list(&failed), list(&done))
    }

    /// The text report, line by line.
    pub fn text(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let d = &self.decision;
        let dry = if self.dry_run {
            " (dry run, nothing changed)"
        } else {
            ""
        };
        lines.push(format!("{}: {} [{}]{dry}", self.env, d.decision, d.rule));
        lines.push(format!("  {}", d.reason));
        if let Some(t) = &self.target {
            lines.push(format!(
                "target: the set of {} ({}):",
                short(&t.verified_commit),
                t.verified_at
            ));
            lines.extend(t.changes.iter().map(|c| format!("  {c}")));
        }
        match &self.outcome {
            Some(o @ Outcome::Escalated { .. }) => lines.push(o.headline()),
            Some(o) => {
                lines.push(o.headline());
                lines.extend(o.details().iter().skip(1).map(|l| format!("  {l}")));
            }
            None => {
                if let Some(h) = &self.hold {
                    lines.push(format!("would hold: {}", image_list(&h.images)));
                }
            }
        }
        if let Some(r) = &self.revert
            && let Some(url) = &r.url
        {
            lines.push(format!("  change: {url}"));
        }
        for n in &self.notifications {
            lines.push(match &n.error {
                None => format!("notified: {}", n.channel),
                Some(e) => format!("notification {} FAILED: {e}", n.channel),
            });
        }
        lines
    }
}
