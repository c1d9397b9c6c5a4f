//! Health assessment rules: pure functions from a Kubernetes object to a [`Health`].
//!
//! The rules follow Argo CD: the built-in checks of gitops-engine (`apps`, core, `batch`,
//! `networking.k8s.io`, `autoscaling`, `apiregistration.k8s.io`, Argo Workflows) and the bundled
//! resource customizations for Argo Rollouts (`Rollout`, `AnalysisRun`, `Experiment`) and Flagger
//! (`Canary`). [`assess`] picks the rule from the object's API group and kind and returns `None`
//! for kinds without a rule, as Argo CD does. Argo CD Applications have no built-in check there
//! either; [`argocd`] offers separate functions that read an Application's health and sync state.
//!
//! Every rule reads an untyped [`serde_json::Value`]: a missing field reads as Go's zero value, so
//! the rules agree with Argo CD on partial objects. Where Ferry deviates from Argo CD on purpose,
//! the rule's documentation says so (see also `docs/health-rules.md`).

pub mod apiregistration;
pub mod apps;
pub mod argocd;
pub mod autoscaling;
pub mod batch;
pub mod core;
mod fields;
pub mod flagger;
pub mod networking;
pub mod rollout;
pub mod workflow;

use serde_json::Value;

use crate::{Health, HealthStatus};

/// The API group and kind of an object (`""` is the core group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKind<'a> {
    /// The API group: the part of `apiVersion` before `/`, or `""` for the core group (`v1`).
    pub group: &'a str,
    /// The `kind`.
    pub kind: &'a str,
}

impl<'a> GroupKind<'a> {
    /// Reads `apiVersion` and `kind`; `None` when `kind` is missing.
    pub fn of(object: &'a Value) -> Option<Self> {
        let kind = object.get("kind")?.as_str()?;
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        Some(Self { group, kind })
    }
}

/// The rule for a group and kind, or `None` when Ferry (like Argo CD) has no built-in check for it.
pub fn rule_for(gk: GroupKind<'_>) -> Option<fn(&Value) -> Health> {
    let rule: fn(&Value) -> Health = match (gk.group, gk.kind) {
        ("apps", "Deployment") => apps::deployment,
        ("apps", "StatefulSet") => apps::stateful_set,
        ("apps", "DaemonSet") => apps::daemon_set,
        ("apps", "ReplicaSet") => apps::replica_set,
        ("", "Pod") => core::pod,
        ("", "Service") => core::service,
        ("", "PersistentVolumeClaim") => core::persistent_volume_claim,
        ("batch", "Job") => batch::job,
        ("networking.k8s.io" | "extensions", "Ingress") => networking::ingress,
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::horizontal_pod_autoscaler,
        ("apiregistration.k8s.io", "APIService") => apiregistration::api_service,
        ("argoproj.io", "Workflow") => workflow::workflow,
        ("argoproj.io", "Rollout") => rollout::rollout,
        ("argoproj.io", "AnalysisRun") => rollout::analysis_run,
        ("argoproj.io", "Experiment") => rollout::experiment,
        ("flagger.app", "Canary") => flagger::canary,
        _ => return None,
    };
    Some(rule)
}

/// Assesses the health of one Kubernetes object the way Argo CD does.
///
/// * An object being deleted (`metadata.deletionTimestamp` set) is `Progressing` with
///   `Pending deletion`, whatever its kind, unless it still carries Argo CD's hook finalizer.
/// * Otherwise the rule for the object's API group and kind decides (see [`rule_for`]).
/// * `None` means there is no built-in check for the kind (for example an Argo CD `Application`
///   or a Knative `Service`): the caller must not read anything into it.
pub fn assess(object: &Value) -> Option<Health> {
    if let Some(health) = pending_deletion(object) {
        return Some(health);
    }
    let rule = rule_for(GroupKind::of(object)?)?;
    Some(rule(object))
}

/// The finalizer Argo CD puts on hooks it still has to observe; such objects are judged normally.
const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";

/// `Progressing` / `Pending deletion` for an object that is being deleted (see [`assess`]).
fn pending_deletion(object: &Value) -> Option<Health> {
    let deleting =
        fields::at(object, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null());
    let hook_finalizer = fields::array_at(object, &["metadata", "finalizers"])
        .iter()
        .any(|f| f.as_str() == Some(HOOK_FINALIZER));
    (deleting && !hook_finalizer)
        .then(|| Health::new(HealthStatus::Progressing, "Pending deletion"))
}

/// Whether the controller has seen the object's latest spec: `metadata.generation` is at most
/// `status.observedGeneration`.
///
/// Nothing about a workload should be judged before this holds: until then its status describes
/// the previous spec. An object without `metadata.generation` (one read from a file) counts as
/// observed; an object without `status.observedGeneration` does not, unless its generation is
/// missing too. A number written as a string (as Argo Rollouts writes it) counts as that number;
/// any other string (a hash, as Argo Rollouts v0.9 and older wrote) leaves nothing to compare and
/// counts as observed.
pub fn generation_observed(object: &Value) -> bool {
    generation_lag(object).is_none()
}

/// `Some((generation, observed))` while the controller has not seen the object's latest spec, with
/// a missing `status.observedGeneration` read as `0`; `None` when [`generation_observed`] holds.
pub fn generation_lag(object: &Value) -> Option<(i64, i64)> {
    let generation = fields::int_at(object, &["metadata", "generation"])?;
    let observed = match fields::at(object, &["status", "observedGeneration"]) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().parse().ok()?),
        Some(v) => fields::as_int(v),
    };
    match observed {
        Some(observed) if observed >= generation => None,
        observed => Some((generation, observed.unwrap_or(0))),
    }
}

/// The health of an object that does not exist (Argo CD's `Missing`).
pub fn missing(message: impl Into<String>) -> Health {
    Health::new(HealthStatus::Missing, message)
}

/// Rank of a status when several objects' health is combined, from best (0) to worst, in Argo
/// CD's order: Healthy, Suspended, Progressing, Missing, Degraded, Unknown.
pub fn severity(status: HealthStatus) -> u8 {
    match status {
        HealthStatus::Healthy => 0,
        HealthStatus::Suspended => 1,
        HealthStatus::Progressing => 2,
        HealthStatus::Missing => 3,
        HealthStatus::Degraded => 4,
        HealthStatus::Unknown => 5,
    }
}

/// The worst of several healths by [`severity`] (the first one among equals), as Argo CD combines
/// the health of an Application's resources; `None` for no input.
pub fn worst<'a>(healths: impl IntoIterator<Item = &'a Health>) -> Option<&'a Health> {
    healths
        .into_iter()
        .fold(None, |worst: Option<&Health>, h| match worst {
            Some(w) if severity(w.status) >= severity(h.status) => Some(w),
            _ => Some(h),
        })
}

/// Parses a status as Argo CD spells it (`Healthy`, `Progressing`, ...).
pub fn parse_status(s: &str) -> Option<HealthStatus> {
    [
        HealthStatus::Healthy,
        HealthStatus::Progressing,
        HealthStatus::Suspended,
        HealthStatus::Degraded,
        HealthStatus::Missing,
        HealthStatus::Unknown,
    ]
    .into_iter()
    .find(|status| status.as_str() == s)
}

#[cfg(test)]
mod tests;
