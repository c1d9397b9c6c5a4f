//! The rollback policy: a pure decision from a monitor report and the facts the caller gathered.
//!
//! [`decide`] answers one of [`Decision::Continue`], [`Decision::Healthy`],
//! [`Decision::RollBack`] or [`Decision::Escalate`], and names the [`Rule`] that decided. The rules,
//! in the order they apply:
//!
//! 1. [`Rule::Stale`]: a report about another deployment than the one the environment runs now
//!    decides nothing (continue).
//! 2. [`Rule::Healthy`]: a healthy verdict marks the current deployment verified.
//! 3. [`Rule::Inconclusive`]: an inconclusive verdict never rolls back (continue): probe errors are
//!    not failures.
//! 4. [`Rule::ProbeErrorsOnly`]: an unhealthy verdict without one failed check or fast-fail signal
//!    in its evidence does not roll back either (continue).
//! 5. [`Rule::Window`]: failures older than the window ([`Settings::window`], measured back from
//!    `now`) are ignored: the fresh failures must reach the report's own threshold (or include a
//!    fast-fail signal), else continue.
//! 6. [`Rule::RollbackOfRollback`]: the current deployment is itself a rollback (its commit
//!    message carries a [`ROLLBACK_TRAILER`]): escalate, never roll back a rollback.
//! 7. [`Rule::InFlight`]: a newer change for the environment is in flight: escalate instead of
//!    racing it.
//! 8. [`Rule::NoVerifiedTarget`]: the target is the environment's last verified image set before
//!    the current deployment; none, one that does not match the ledger, or one equal to what runs
//!    now: escalate.
//! 9. [`Rule::TargetHeld`]: the target is on hold for the environment: escalate.
//! 10. Otherwise [`Rule::RollBack`]: roll back to the target.
//!
//! How "the current deployment is a rollback" is known: every Git revert Ferry makes
//! ([`crate::actions::revert_in_git`]) ends its commit message with the trailer
//! `Ferry-Rollback: <commit of the failed deployment>`; [`rollback_trailer`] reads it back (the
//! caller reads the commit message, see [`crate::facts::rollback_of`]).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use ferry_gitops::gates::Hold;
use ferry_health::monitor::{Report, Verdict};
use ferry_health::probe::Outcome;
use ferry_ledger::ledger::{Deployment, EnvLedger, ImageChange};
use ferry_ledger::verify::VerifiedSet;
use serde::Serialize;

/// The rollback trailer lives with the ledger, which every reader of the history uses.
pub use ferry_ledger::trailer::{ROLLBACK_TRAILER, rollback_trailer, trailer_line};

/// The rule that made a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The report is about another deployment than the current one.
    Stale,
    /// The verdict is healthy.
    Healthy,
    /// The verdict is inconclusive.
    Inconclusive,
    /// Unhealthy without a single failure in the evidence.
    ProbeErrorsOnly,
    /// The failures are older than the window.
    Window,
    /// The current deployment is itself a rollback.
    RollbackOfRollback,
    /// A newer change for the environment is in flight.
    InFlight,
    /// No usable verified image set before the current deployment.
    NoVerifiedTarget,
    /// The target image set is on hold.
    TargetHeld,
    /// Roll back.
    RollBack,
}

impl Rule {
    /// The rule's name as shown to users and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Stale => "stale",
            Rule::Healthy => "healthy",
            Rule::Inconclusive => "inconclusive",
            Rule::ProbeErrorsOnly => "probe-errors-only",
            Rule::Window => "window",
            Rule::RollbackOfRollback => "rollback-of-rollback",
            Rule::InFlight => "in-flight",
            Rule::NoVerifiedTarget => "no-verified-target",
            Rule::TargetHeld => "target-held",
            Rule::RollBack => "roll-back",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Failures observed longer ago than this (before `now`) are ignored.
    pub window: Duration,
    /// Whether the Git revert may be merged at once (plain git) or with auto-merge (GitHub);
    /// copied into [`Decision::RollBack`].
    pub auto_merge: bool,
}

impl Default for Settings {
    /// A 30-minute window; reverts merged at once.
    fn default() -> Self {
        Settings {
            window: Duration::from_secs(30 * 60),
            auto_merge: true,
        }
    }
}

/// What the environment runs now: its current deployment, as the ledger tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployed {
    /// The deployment commit (hex).
    pub commit: String,
    /// Images by `workload/container`.
    pub images: BTreeMap<String, String>,
}

impl From<&Deployment> for Deployed {
    fn from(d: &Deployment) -> Self {
        Deployed {
            commit: d.commit.clone(),
            images: d.images.clone(),
        }
    }
}

/// A newer change for the environment that has not landed yet (an open pull request, a deploy
/// branch, a sync in progress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InFlight {
    /// The forge's id of the change (pull request number, change record), or a description.
    pub id: String,
    /// A link to it, when there is one.
    pub url: Option<String>,
}

/// Everything [`decide`] looks at, gathered by the caller (see [`crate::facts`]).
#[derive(Debug, Clone, Serialize)]
pub struct Facts<'a> {
    /// The environment.
    pub env: &'a str,
    /// The monitor's report.
    pub report: &'a Report,
    /// The deployment commit (hex) the monitor watched.
    pub monitored: &'a str,
    /// When the monitor started (the report's `at_ms` values count from here).
    pub started_at: jiff::Timestamp,
    /// The time of the decision.
    pub now: jiff::Timestamp,
    /// The environment's current deployment (`None`: it has none).
    pub current: Option<Deployed>,
    /// The last verification of the environment before its current deployment
    /// ([`crate::facts::verified_before_current`]).
    pub verified: Option<&'a VerifiedSet>,
    /// Every hold of the environment (released ones are ignored).
    pub holds: &'a [Hold],
    /// A newer change for the environment in flight, if there is one.
    pub in_flight: Option<InFlight>,
    /// The failed deployment the current one rolled back, when the current deployment is a
    /// rollback (its [`ROLLBACK_TRAILER`]).
    pub rollback_of: Option<String>,
}

impl<'a> Facts<'a> {
    /// Facts with the current deployment taken from `ledger`, no verified set, no holds,
    /// nothing in flight and no rollback trailer; fill in the rest.
    pub fn new(
        ledger: &'a EnvLedger,
        report: &'a Report,
        monitored: &'a str,
        started_at: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Self {
        Facts {
            env: &ledger.name,
            report,
            monitored,
            started_at,
            now,
            current: ledger.current().map(Deployed::from),
            verified: None,
            holds: &[],
            in_flight: None,
            rollback_of: None,
        }
    }
}

/// Where to roll back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The commit the verification record is attached to (hex).
    pub verified_commit: String,
    /// When it was verified (RFC 3339).
    pub verified_at: String,
    /// The verified images, by `workload/container`.
    pub images: BTreeMap<String, String>,
    /// The failed deployment (hex).
    pub failed_commit: String,
    /// What the failed deployment runs, by `workload/container`.
    pub failed_images: BTreeMap<String, String>,
    /// The image changes from the failed set to the target, container by container.
    pub changes: Vec<ImageChange>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Nothing to do now; keep watching.
    Continue {
        /// The rule.
        rule: Rule,
        /// Why, with the evidence.
        reason: String,
    },
    /// Mark the current deployment verified.
    Healthy {
        /// The deployment commit (hex).
        commit: String,
        /// Its images.
        images: BTreeMap<String, String>,
        /// The monitor's reason.
        reason: String,
    },
    /// Roll back to `to`: in the cluster (Rollouts abort/undo), in Git (revert) and hold the
    /// failed set.
    RollBack {
        /// The target.
        to: Target,
        /// Why, with the evidence.
        reason: String,
        /// Whether the revert may be merged at once ([`Settings::auto_merge`]).
        auto_merge: bool,
    },
    /// A person must decide.
    Escalate {
        /// The rule.
        rule: Rule,
        /// Why, with the evidence.
        reason: String,
    },
}

impl Decision {
    /// The rule that decided.
    pub fn rule(&self) -> Rule {
        match self {
            Decision::Continue { rule, .. } | Decision::Escalate { rule, .. } => *rule,
            Decision::Healthy { .. } => Rule::Healthy,
            Decision::RollBack { .. } => Rule::RollBack,
        }
    }

    /// Why, in one line.
    pub fn reason(&self) -> &str {
        match self {
            Decision::Continue { reason, .. }
            | Decision::Healthy { reason, .. }
            | Decision::RollBack { reason, .. }
            | Decision::Escalate { reason, .. } => reason,
        }
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// Decides what to do (see the module documentation for the rules).
pub fn decide(facts: &Facts<'_>, settings: &Settings) -> Decision {
    let report = facts.report;
    let continue_ = |rule, reason: String| Decision::Continue { rule, reason };
    let escalate = |rule, reason: String| Decision::Escalate { rule, reason };

    let Some(current) = facts.current.as_ref() else {
        return continue_(
            Rule::Stale,
            format!("{} has no deployment on the base branch", facts.env),
        );
    };
    if current.commit != facts.monitored {
        return continue_(
            Rule::Stale,
            format!(
                "the report is about {}, but {} now runs {}",
                short(facts.monitored),
                facts.env,
                short(&current.commit)
            ),
        );
    }
    match report.verdict {
        Verdict::Healthy => {
            return Decision::Healthy {
                commit: current.commit.clone(),
                images: current.images.clone(),
                reason: report.reason.clone(),
            };
        }
        Verdict::Inconclusive => {
            return continue_(
                Rule::Inconclusive,
                format!(
                    "the verdict is inconclusive ({}); probe errors never roll back",
                    report.reason
                ),
            );
        }
        Verdict::Unhealthy => {}
    }

    let at = |ms: u64| {
        facts
            .started_at
            .checked_add(jiff::SignedDuration::from_millis(
                i64::try_from(ms).unwrap_or(i64::MAX),
            ))
            .unwrap_or(facts.started_at)
    };
    let window =
        jiff::SignedDuration::try_from(settings.window).unwrap_or(jiff::SignedDuration::MAX);
    let horizon = facts
        .now
        .checked_sub(window)
        .unwrap_or(jiff::Timestamp::MIN);
    let failed: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    let signal = report
        .signal
        .as_ref()
        .filter(|s| s.observation.outcome == Outcome::Fail);
    if failed.is_empty() && signal.is_none() {
        return continue_(
            Rule::ProbeErrorsOnly,
            format!(
                "the verdict is unhealthy ({}) but no check failed: probe errors alone never roll back",
                report.reason
            ),
        );
    }
    let recent: Vec<_> = failed.iter().filter(|c| at(c.at_ms) >= horizon).collect();
    let fast_fail = signal.filter(|s| at(s.at_ms) >= horizon).is_some()
        || recent.iter().any(|c| {
            c.observations
                .iter()
                .any(|o| o.fast_fail && o.outcome == Outcome::Fail)
        });
    let threshold = report.policy.failures.max(1) as usize;
    if !fast_fail && recent.len() < threshold {
        return continue_(
            Rule::Window,
            format!(
                "{} of {} failed checks are within the last {} (needs {threshold}); older failures are ignored",
                recent.len(),
                failed.len(),
                ferry_config::human_duration(settings.window)
            ),
        );
    }
    let evidence = report.reason.clone();

    if let Some(failed_commit) = &facts.rollback_of {
        return escalate(
            Rule::RollbackOfRollback,
            format!(
                "{} is unhealthy ({evidence}), but its deployment {} is itself a rollback of {}; never rolling back a rollback",
                facts.env,
                short(&current.commit),
                short(failed_commit)
            ),
        );
    }
    if let Some(change) = &facts.in_flight {
        return escalate(
            Rule::InFlight,
            format!(
                "{} is unhealthy ({evidence}), but change {} for it is in flight; not racing it",
                facts.env, change.id
            ),
        );
    }
    let Some(verified) = facts.verified else {
        return escalate(
            Rule::NoVerifiedTarget,
            format!(
                "{} is unhealthy ({evidence}) and has no verified image set before {}",
                facts.env,
                short(&current.commit)
            ),
        );
    };
    if verified.record.env != facts.env || !verified.matches_ledger {
        return escalate(
            Rule::NoVerifiedTarget,
            format!(
                "{} is unhealthy ({evidence}); the last verification record (on {}) does not match what the ledger says {} ran there",
                facts.env,
                short(&verified.commit),
                facts.env
            ),
        );
    }
    if verified.record.images == current.images {
        return escalate(
            Rule::NoVerifiedTarget,
            format!(
                "{} is unhealthy ({evidence}), but its last verified image set (on {}) is what it runs now: rolling back images would change nothing",
                facts.env,
                short(&verified.commit)
            ),
        );
    }
    let held: Vec<String> = facts
        .holds
        .iter()
        .filter_map(|h| {
            let blocked = h.blocked(facts.env, &verified.record.images);
            (!blocked.is_empty()).then(|| format!("{} ({})", blocked.join(", "), h.reason))
        })
        .collect();
    if !held.is_empty() {
        return escalate(
            Rule::TargetHeld,
            format!(
                "{} is unhealthy ({evidence}), but its last verified image set is on hold: {}",
                facts.env,
                held.join("; ")
            ),
        );
    }
    let changes = image_changes(&current.images, &verified.record.images);
    let summary = changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.container,
                c.from.as_deref().unwrap_or("(none)"),
                c.to.as_deref().unwrap_or("(none)")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Decision::RollBack {
        reason: format!(
            "{} is unhealthy ({evidence}); back to the set verified at {} on {}: {summary}",
            facts.env,
            verified.record.verified_at,
            short(&verified.commit)
        ),
        to: Target {
            verified_commit: verified.commit.clone(),
            verified_at: verified.record.verified_at.clone(),
            images: verified.record.images.clone(),
            failed_commit: current.commit.clone(),
            failed_images: current.images.clone(),
            changes,
        },
        auto_merge: settings.auto_merge,
    }
}

/// The changes from `from` to `to`, container by container, in container order.
pub fn image_changes(
    from: &BTreeMap<String, String>,
    to: &BTreeMap<String, String>,
) -> Vec<ImageChange> {
    let mut keys: Vec<&String> = from.keys().chain(to.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| from.get(*k) != to.get(*k))
        .map(|k| ImageChange {
            container: k.clone(),
            from: from.get(k).cloned(),
            to: to.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
