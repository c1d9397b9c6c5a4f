//! Promotion gates: whether the images an environment runs may be promoted to the next one.
//!
//! Everything here is a pure function over facts the caller gathered (the ledger, the last
//! verification record, registry look-ups, holds, the clock), so each rule is decided the same
//! way in a binary, a test or a dry run. [`check_promotion`] applies every rule and reports all
//! refusals together, each naming its [`Rule`] and the evidence; when none refuses it returns
//! the [`PromotionPlan`]: the image changes for the target, container by container.
//!
//! Images are compared as exact strings (tags and digests never as prefixes), and the verified
//! set must equal the promoted set container for container.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use ferry_image::reference::Reference;
use serde::{Deserialize, Serialize};

use ferry_ledger::ledger::{EnvLedger, ImageChange};
use ferry_ledger::verify::VerifiedSet;
pub use ferry_ledger::verify::whole_seconds;

/// A promotion rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The target's configured upstream is the source.
    Upstream,
    /// The source runs something: it has a deployment in the ledger.
    SourceDeployed,
    /// The source has a verification record for exactly the images it runs.
    Verified,
    /// Every image exists in the registry, with the pinned digest when there is one.
    Registry,
    /// The images have run in the source for at least the soak time.
    Soak,
    /// The target is not on hold for these images.
    Hold,
}

impl Rule {
    /// The rule's name as shown to users and in JSON (`upstream`, `source-deployed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Upstream => "upstream",
            Rule::SourceDeployed => "source-deployed",
            Rule::Verified => "verified",
            Rule::Registry => "registry",
            Rule::Soak => "soak",
            Rule::Hold => "hold",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's refusal and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The rule that refused.
    pub rule: Rule,
    /// What was found, in words (names the images, commits and times concerned).
    pub evidence: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.evidence)
    }
}

/// A promotion refused by one or more rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("promotion {from} → {to} refused: {}", render_refusals(.refusals))]
pub struct Refused {
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    /// Every refusal, in rule order.
    pub refusals: Vec<Refusal>,
}

/// A refused promotion is a verdict (exit 1).
impl ferry_error::Classify for Refused {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Refused
    }
}

impl Refused {
    /// Whether `rule` is among the refusals.
    pub fn refuses(&self, rule: Rule) -> bool {
        self.refusals.iter().any(|r| r.rule == rule)
    }

    /// The evidence of `rule`'s refusal, if it refused.
    pub fn evidence(&self, rule: Rule) -> Option<&str> {
        self.refusals
            .iter()
            .find(|r| r.rule == rule)
            .map(|r| r.evidence.as_str())
    }
}

fn render_refusals(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(Refusal::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a registry said about one image (the caller looks it up, e.g. with
/// `ferry_image::registry`: by tag when the reference has one, otherwise by digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RegistryFact {
    /// The manifest exists; its digest (`sha256:…`).
    Found {
        /// Manifest digest.
        digest: String,
    },
    /// The registry answered that the tag or digest does not exist.
    NotFound,
    /// The look-up failed (network, authentication, …): the image is not proven to exist.
    LookupFailed {
        /// Why.
        error: String,
    },
}

/// A hold: the environment must not receive these images (written by a rollback, or by hand).
///
/// A hold with an empty image set holds the whole environment. Stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The environment on hold.
    pub env: String,
    /// The held images by `workload/container` (as in the ledger); empty: every image.
    #[serde(default)]
    pub images: BTreeMap<String, String>,
    /// Why, in words (e.g. the rollback that wrote it).
    pub reason: String,
    /// When the hold was written, RFC 3339 (UTC).
    pub created_at: String,
    /// Whether the hold has been released (kept for the record, no longer blocks).
    #[serde(default)]
    pub released: bool,
}

impl Hold {
    /// A new, active hold.
    pub fn new(
        env: impl Into<String>,
        images: BTreeMap<String, String>,
        reason: impl Into<String>,
        created_at: jiff::Timestamp,
    ) -> Self {
        Hold {
            env: env.into(),
            images,
            reason: reason.into(),
            created_at: whole_seconds(created_at),
            released: false,
        }
    }

    /// `created_at` as a timestamp, when it parses.
    pub fn created_at(&self) -> Option<jiff::Timestamp> {
        self.created_at.parse().ok()
    }

    /// The images of `images` this hold blocks for environment `env`: none when it is released
    /// or for another environment; every image when its image set is empty; otherwise the
    /// images (exact strings, in any container) that the hold names.
    pub fn blocked<'a>(&self, env: &str, images: &'a BTreeMap<String, String>) -> Vec<&'a str> {
        if self.released || self.env != env {
            return Vec::new();
        }
        let held: BTreeSet<&str> = self.images.values().map(String::as_str).collect();
        let mut out: Vec<&str> = images
            .values()
            .map(String::as_str)
            .filter(|i| held.is_empty() || held.contains(i))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The command that lifts this hold: `ferry rollback release --env ENV --image IMAGE`, with
    /// the first of `blocked` (or of the held images); `--all` for a hold of every image.
    pub fn release_command(&self, blocked: &[&str]) -> String {
        let image = blocked
            .first()
            .copied()
            .or_else(|| self.images.values().next().map(String::as_str));
        let target = match image {
            Some(image) if !self.images.is_empty() => format!("--image {image}"),
            _ => "--all".to_owned(),
        };
        format!("ferry rollback release --env {} {target}", self.env)
    }
}

/// What the source environment runs, and since when each image has run there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceState {
    /// Environment name.
    pub env: String,
    /// The commit of its current deployment (hex), for evidence.
    pub commit: String,
    /// Images by `workload/container`.
    pub images: BTreeMap<String, String>,
    /// By `workload/container`: when its current image entered (the start of its current
    /// uninterrupted run). Missing when unknown (older than a truncated ledger).
    #[serde(serialize_with = "timestamps_as_strings")]
    pub since: BTreeMap<String, jiff::Timestamp>,
}

impl SourceState {
    /// The state of an environment from its ledger; `None` when it has no deployment.
    ///
    /// A container's image entered at the oldest deployment of the newest run of deployments
    /// in which that container had exactly that image. When that run reaches past a truncated
    /// ledger, the time is unknown and left out.
    pub fn from_ledger(env: &EnvLedger) -> Option<SourceState> {
        let current = env.current()?;
        let mut since = BTreeMap::new();
        for (container, image) in &current.images {
            let run = env
                .deployments
                .iter()
                .take_while(|d| d.images.get(container) == Some(image))
                .count();
            let oldest = &env.deployments[run - 1];
            // In a truncated ledger the oldest deployment kept still knows its changes
            // relative to the one before it.
            let entered_here = oldest
                .changes
                .iter()
                .any(|c| c.container == *container && c.to.as_ref() == Some(image));
            if env.truncated && run == env.deployments.len() && !entered_here {
                continue;
            }
            since.insert(container.clone(), oldest.timestamp());
        }
        Some(SourceState {
            env: env.name.clone(),
            commit: current.commit.clone(),
            images: current.images.clone(),
            since,
        })
    }
}

fn timestamps_as_strings<S: serde::Serializer>(
    map: &BTreeMap<String, jiff::Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(k, v)| (k, v.to_string())))
}

/// What the target environment is and runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetState {
    /// Environment name.
    pub env: String,
    /// Its configured upstream (ferry-config's `Environment::upstream`).
    pub upstream: Option<String>,
    /// What it runs now, by `workload/container` (empty when it has no deployment).
    pub images: BTreeMap<String, String>,
}

impl TargetState {
    /// The state of an environment from its ledger and configured upstream.
    pub fn from_ledger(env: &EnvLedger, upstream: Option<&str>) -> TargetState {
        TargetState {
            env: env.name.clone(),
            upstream: upstream.map(str::to_owned),
            images: env.current().map(|d| d.images.clone()).unwrap_or_default(),
        }
    }
}

/// The facts a promotion is decided on.
#[derive(Debug, Clone, Copy)]
pub struct PromotionFacts<'a> {
    /// The source environment; `None` when it has no deployment.
    pub source: Option<&'a SourceState>,
    /// The source's name (used when `source` is `None`).
    pub source_env: &'a str,
    /// The target environment.
    pub target: &'a TargetState,
    /// The source's last verification at or before the base tip, from the records the forge
    /// holds ([`crate::Ledger::last_verified_before_in`] the remote's notes, or commit
    /// statuses).
    pub verification: Option<&'a VerifiedSet>,
    /// Where `verification` was read, in words (e.g. `the remote's refs/notes/ferry`), for
    /// the evidence.
    pub verification_source: &'a str,
    /// A newer (or the only) record of the source that exists only in the local repository:
    /// it does not count, and the evidence says so.
    pub unpublished: Option<&'a VerifiedSet>,
    /// Registry look-ups by image string (as the source runs it). An image without an entry
    /// was not looked up and is refused.
    pub registry: &'a BTreeMap<String, RegistryFact>,
    /// Holds (of any environment; only the target's active ones apply).
    pub holds: &'a [Hold],
    /// The target's soak time: how long images must have run in the source.
    pub soak: Duration,
    /// The current time.
    pub now: jiff::Timestamp,
}

/// A promotion every rule allowed: the image changes to make in the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromotionPlan {
    /// Source environment.
    pub from: String,
    /// Target environment.
    pub to: String,
    /// The promoted image set: what the source runs, by `workload/container`.
    pub images: BTreeMap<String, String>,
    /// Containers of the target whose image changes (old → new); empty when the target
    /// already runs the set.
    pub changes: Vec<ImageChange>,
    /// Containers of the source the target does not have (not promoted).
    pub not_in_target: Vec<String>,
    /// The verification the promotion rests on, and where it was read.
    pub verification: Option<PlanVerification>,
}

/// The verification record a [`PromotionPlan`] rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanVerification {
    /// The commit the record is attached to (hex).
    pub commit: String,
    /// When the source was verified (RFC 3339).
    pub verified_at: String,
    /// Where the record was read (the forge's records).
    pub source: String,
}

impl PromotionPlan {
    /// The overlay updates that carry out [`PromotionPlan::changes`] (for
    /// [`crate::plan::overlay_update`]); an image that is not a reference is
    /// [`crate::plan::OverlayError::BadImage`].
    pub fn updates(&self) -> Result<Vec<crate::plan::ImageUpdate>, crate::plan::OverlayError> {
        let mut updates = Vec::new();
        for change in &self.changes {
            updates.extend(crate::plan::ImageUpdate::from_change(change)?);
        }
        Ok(updates)
    }

    /// Whether the target already runs the promoted images (nothing to change).
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Applies every promotion rule to `facts`; all refusals are reported together.
pub fn check_promotion(facts: &PromotionFacts<'_>) -> Result<PromotionPlan, Refused> {
    let from = facts.source.map_or(facts.source_env, |s| s.env.as_str());
    let to = facts.target.env.as_str();
    let mut refusals = Vec::new();
    if let Some(evidence) = upstream_rule(from, facts.target) {
        refusals.push(Refusal {
            rule: Rule::Upstream,
            evidence,
        });
    }
    let Some(source) = facts.source else {
        refusals.push(Refusal {
            rule: Rule::SourceDeployed,
            evidence: format!(
                "{from} has no deployment in the ledger: there is nothing to promote"
            ),
        });
        return Err(Refused {
            from: from.into(),
            to: to.into(),
            refusals,
        });
    };
    let verified = verified_rule(source, facts.verification).map(|e| {
        let mut evidence = format!("{e}; read from {}", facts.verification_source);
        if let Some(local) = facts.unpublished {
            evidence.push_str(&format!(
                "; a record of {} on {} ({}) exists only in the local repository and does \
                 not count until it is pushed",
                local.record.env,
                short(&local.commit),
                local.record.verified_at
            ));
        }
        evidence
    });
    let rules: [(Rule, Option<String>); 4] = [
        (Rule::Verified, verified),
        (
            Rule::Registry,
            registry_rule(&source.images, facts.registry),
        ),
        (Rule::Soak, soak_rule(source, facts.soak, facts.now)),
        (Rule::Hold, hold_rule(to, &source.images, facts.holds)),
    ];
    refusals.extend(
        rules
            .into_iter()
            .filter_map(|(rule, e)| e.map(|evidence| Refusal { rule, evidence })),
    );
    if !refusals.is_empty() {
        return Err(Refused {
            from: from.into(),
            to: to.into(),
            refusals,
        });
    }
    let mut changes = Vec::new();
    let mut not_in_target = Vec::new();
    for (container, image) in &source.images {
        match facts.target.images.get(container) {
            None => not_in_target.push(container.clone()),
            Some(old) if old == image => {}
            Some(old) => changes.push(ImageChange {
                container: container.clone(),
                from: Some(old.clone()),
                to: Some(image.clone()),
            }),
        }
    }
    Ok(PromotionPlan {
        from: from.into(),
        to: to.into(),
        images: source.images.clone(),
        changes,
        not_in_target,
        verification: facts.verification.map(|v| PlanVerification {
            commit: v.commit.clone(),
            verified_at: v.record.verified_at.clone(),
            source: facts.verification_source.to_owned(),
        }),
    })
}

/// `upstream`: refuses unless the target's configured upstream is `from`.
pub fn upstream_rule(from: &str, target: &TargetState) -> Option<String> {
    match target.upstream.as_deref() {
        Some(u) if u == from => None,
        Some(u) => Some(format!(
            "the upstream of {} is {u}, not {from}; promote {u} → {} instead",
            target.env, target.env
        )),
        None => Some(format!(
            "{} has no upstream (it is a first environment); nothing is promoted into it",
            target.env
        )),
    }
}

/// `verified`: refuses unless `verification` is a record of the source for exactly the image
/// set it runs, and consistent with the ledger.
pub fn verified_rule(source: &SourceState, verification: Option<&VerifiedSet>) -> Option<String> {
    let Some(v) = verification else {
        return Some(format!(
            "{} has no verification record on its history",
            source.env
        ));
    };
    if v.record.env != source.env {
        return Some(format!(
            "the verification record on commit {} is for {}, not {}",
            short(&v.commit),
            v.record.env,
            source.env
        ));
    }
    let diff = set_difference(&v.record.images, &source.images);
    if !diff.is_empty() {
        return Some(format!(
            "the last verification of {} (commit {}, {}) is for a different image set: {}",
            source.env,
            short(&v.commit),
            v.record.verified_at,
            diff.join("; ")
        ));
    }
    if !v.matches_ledger {
        return Some(format!(
            "the verification record on commit {} names images {} did not run at that commit \
             according to the ledger",
            short(&v.commit),
            source.env
        ));
    }
    None
}

/// Differences between a verified set and the running set, one line per container.
fn set_difference(
    verified: &BTreeMap<String, String>,
    runs: &BTreeMap<String, String>,
) -> Vec<String> {
    let keys: BTreeSet<&String> = verified.keys().chain(runs.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (verified.get(k), runs.get(k)) {
            (Some(v), Some(r)) if v == r => None,
            (Some(v), Some(r)) => Some(format!("{k} verified {v} but runs {r}")),
            (None, Some(r)) => Some(format!("{k} runs {r}, never verified")),
            (Some(v), None) => Some(format!("{k} verified {v} but no longer exists")),
            (None, None) => None,
        })
        .collect()
}

/// `registry`: refuses unless every image was found, with the pinned digest when it has one.
pub fn registry_rule(
    images: &BTreeMap<String, String>,
    registry: &BTreeMap<String, RegistryFact>,
) -> Option<String> {
    let distinct: BTreeSet<&String> = images.values().collect();
    let mut problems = Vec::new();
    for image in distinct {
        match registry.get(image) {
            None => problems.push(format!("{image} was not looked up in the registry")),
            Some(RegistryFact::NotFound) => {
                problems.push(format!("{image} does not exist in the registry"));
            }
            Some(RegistryFact::LookupFailed { error }) => {
                problems.push(format!("{image} could not be looked up: {error}"));
            }
            Some(RegistryFact::Found { digest }) => {
                let pinned = Reference::parse(image)
                    .ok()
                    .and_then(|r| r.digest().map(str::to_owned));
                if let Some(pinned) = pinned
                    && pinned != *digest
                {
                    problems.push(format!(
                        "{image} is pinned to {pinned} but the registry has {digest}"
                    ));
                }
            }
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// `soak`: refuses unless every image has run in the source for at least `soak` at `now`.
pub fn soak_rule(source: &SourceState, soak: Duration, now: jiff::Timestamp) -> Option<String> {
    if soak.is_zero() {
        return None;
    }
    let needed = jiff::SignedDuration::try_from(soak).unwrap_or(jiff::SignedDuration::MAX);
    let mut problems = Vec::new();
    for (container, image) in &source.images {
        let Some(since) = source.since.get(container) else {
            problems.push(format!(
                "{container}: when {image} entered {} is unknown (older than the ledger read)",
                source.env
            ));
            continue;
        };
        let ran = now.duration_since(*since);
        if ran < needed {
            let left = needed - ran;
            problems.push(format!(
                "{container}: {image} entered {} at {}, {} ago; {} of the {} soak left",
                source.env,
                ferry_config::human_time(&since.to_string()),
                human(ran),
                human(left),
                human(needed)
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// `hold`: refuses when an active hold of `target` names one of `images`.
pub fn hold_rule(
    target: &str,
    images: &BTreeMap<String, String>,
    holds: &[Hold],
) -> Option<String> {
    let problems: Vec<String> = holds
        .iter()
        .filter_map(|h| {
            let blocked = h.blocked(target, images);
            if blocked.is_empty() {
                return None;
            }
            let what = if h.images.is_empty() {
                format!("{target} is on hold for every image")
            } else {
                format!("{target} is on hold for {}", blocked.join(", "))
            };
            Some(format!(
                "{what} since {}: {} (lift it with `{}`)",
                ferry_config::human_time(&h.created_at),
                h.reason,
                h.release_command(&blocked)
            ))
        })
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// A duration as every message prints it ([`ferry_config::human_duration`]); negative as `0s`.
fn human(d: jiff::SignedDuration) -> String {
    ferry_config::human_seconds(d.as_secs())
}
