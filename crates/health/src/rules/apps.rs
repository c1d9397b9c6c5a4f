//! Workloads of the `apps` group: Deployment, StatefulSet, DaemonSet and ReplicaSet.
//!
//! These follow `kubectl rollout status`, as Argo CD does. None of them is ever `Degraded` except a
//! Deployment past its progress deadline and a ReplicaSet that cannot create pods, so a crash-looping
//! rollout stays `Progressing` here; the pod rules ([`super::core`]) see such signals much sooner.

use serde_json::Value;

use super::fields::{
    annotation, at, condition, int_at, int_or_zero, is_true, quoted, str_at, string_or_empty,
};
use crate::{Health, HealthStatus};

/// The annotation in which the Deployment controller records a revision number on a Deployment
/// and on each of its ReplicaSets.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// The label that ties a ReplicaSet's pods to its pod template.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";

/// Health of an `apps/v1` Deployment.
///
/// * `Suspended` (`Deployment is paused`) when `spec.paused` is true.
/// * `Progressing` while `metadata.generation` is ahead of `status.observedGeneration`.
/// * `Degraded` when the `Progressing` condition has reason `ProgressDeadlineExceeded`.
/// * `Progressing` while fewer than `spec.replicas` replicas are updated, while old replicas are
///   still running, or while updated replicas are not yet available.
/// * `Healthy` (empty message) otherwise.
pub fn deployment(obj: &Value) -> Health {
    if is_true(obj, &["spec", "paused"]) {
        return Health::new(HealthStatus::Suspended, "Deployment is paused");
    }
    if !observed(obj) {
        return progressing(
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let progress = condition(obj, "Progressing");
    if progress
        .and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        == Some("ProgressDeadlineExceeded")
    {
        let name = quoted(string_or_empty(obj, &["metadata", "name"]));
        return Health::new(
            HealthStatus::Degraded,
            format!("Deployment {name} exceeded its progress deadline"),
        );
    }
    let updated = int_or_zero(obj, &["status", "updatedReplicas"]);
    let replicas = int_or_zero(obj, &["status", "replicas"]);
    let available = int_or_zero(obj, &["status", "availableReplicas"]);
    if let Some(desired) = int_at(obj, &["spec", "replicas"])
        && updated < desired
    {
        return progressing(format!(
            "Waiting for rollout to finish: {updated} out of {desired} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return progressing(format!(
            "Waiting for rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return progressing(format!(
            "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    Health::new(HealthStatus::Healthy, "")
}

/// Health of an `apps/v1` StatefulSet.
///
/// * `Progressing` while `status.observedGeneration` is 0 or behind `metadata.generation`.
/// * `Progressing` while fewer than `spec.replicas` pods are ready.
/// * With a `RollingUpdate` strategy that has a `rollingUpdate` block: `Progressing` while fewer
///   than `replicas − partition` pods are updated, `Healthy` after that.
/// * With `OnDelete`: `Healthy`, reporting the number of ready pods.
/// * Otherwise `Progressing` while `updateRevision` differs from `currentRevision`, then `Healthy`.
///
/// A StatefulSet is never `Degraded`.
pub fn stateful_set(obj: &Value) -> Health {
    let observed = int_or_zero(obj, &["status", "observedGeneration"]);
    if observed == 0 || int_or_zero(obj, &["metadata", "generation"]) > observed {
        return progressing("Waiting for statefulset spec update to be observed...");
    }
    let desired = int_at(obj, &["spec", "replicas"]);
    let ready = int_or_zero(obj, &["status", "readyReplicas"]);
    if let Some(desired) = desired
        && ready < desired
    {
        return progressing(format!(
            "Waiting for {} pods to be ready...",
            desired - ready
        ));
    }
    let updated = int_or_zero(obj, &["status", "updatedReplicas"]);
    let strategy = string_or_empty(obj, &["spec", "updateStrategy", "type"]);
    let rolling = at(obj, &["spec", "updateStrategy", "rollingUpdate"]).filter(|r| !r.is_null());
    if strategy == "RollingUpdate"
        && let Some(rolling) = rolling
    {
        if let (Some(desired), Some(partition)) = (desired, int_at(rolling, &["partition"])) {
            let target = desired - partition;
            if updated < target {
                return progressing(format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {target} new pods have been updated..."
                ));
            }
        }
        return Health::new(
            HealthStatus::Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if strategy == "OnDelete" {
        return Health::new(
            HealthStatus::Healthy,
            format!("statefulset has {ready} ready pods"),
        );
    }
    let update_revision = string_or_empty(obj, &["status", "updateRevision"]);
    let current_revision = string_or_empty(obj, &["status", "currentRevision"]);
    if update_revision != current_revision {
        return progressing(format!(
            "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
        ));
    }
    let current = int_or_zero(obj, &["status", "currentReplicas"]);
    Health::new(
        HealthStatus::Healthy,
        format!(
            "statefulset rolling update complete {current} pods at revision {current_revision}..."
        ),
    )
}

/// Health of an `apps/v1` DaemonSet.
///
/// * `Progressing` while `metadata.generation` is ahead of `status.observedGeneration`.
/// * With `OnDelete`: `Healthy`, reporting how many pods are updated.
/// * `Progressing` while fewer than `desiredNumberScheduled` pods are updated or available.
/// * `Healthy` (empty message) otherwise. A DaemonSet is never `Degraded`.
pub fn daemon_set(obj: &Value) -> Health {
    if int_or_zero(obj, &["metadata", "generation"])
        > int_or_zero(obj, &["status", "observedGeneration"])
    {
        return progressing(
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let updated = int_or_zero(obj, &["status", "updatedNumberScheduled"]);
    let desired = int_or_zero(obj, &["status", "desiredNumberScheduled"]);
    let available = int_or_zero(obj, &["status", "numberAvailable"]);
    if string_or_empty(obj, &["spec", "updateStrategy", "type"]) == "OnDelete" {
        return Health::new(
            HealthStatus::Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    let name = quoted(string_or_empty(obj, &["metadata", "name"]));
    if updated < desired {
        return progressing(format!(
            "Waiting for daemon set {name} rollout to finish: {updated} out of {desired} new pods have been updated..."
        ));
    }
    if available < desired {
        return progressing(format!(
            "Waiting for daemon set {name} rollout to finish: {available} of {desired} updated pods are available..."
        ));
    }
    Health::new(HealthStatus::Healthy, "")
}

/// Health of an `apps/v1` ReplicaSet.
///
/// * `Progressing` while `metadata.generation` is ahead of `status.observedGeneration`.
/// * `Degraded` with the condition's message when `ReplicaFailure` is `True` (pods cannot be
///   created: quota, admission webhooks, ...).
/// * `Progressing` while fewer than `spec.replicas` replicas are available.
/// * `Healthy` (empty message) otherwise.
pub fn replica_set(obj: &Value) -> Health {
    if !observed(obj) {
        return progressing(
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if let Some(failure) = condition(obj, "ReplicaFailure")
        && failure.get("status").and_then(Value::as_str) == Some("True")
    {
        return Health::new(
            HealthStatus::Degraded,
            string_or_empty(failure, &["message"]),
        );
    }
    let available = int_or_zero(obj, &["status", "availableReplicas"]);
    if let Some(desired) = int_at(obj, &["spec", "replicas"])
        && available < desired
    {
        return progressing(format!(
            "Waiting for rollout to finish: {available} out of {desired} new replicas are available..."
        ));
    }
    Health::new(HealthStatus::Healthy, "")
}

/// The revision number the Deployment controller recorded on a Deployment or ReplicaSet
/// (annotation [`REVISION_ANNOTATION`]).
///
/// The new ReplicaSet of a Deployment is the one whose revision equals the Deployment's.
pub fn revision(obj: &Value) -> Option<u64> {
    annotation(obj, REVISION_ANNOTATION)?.trim().parse().ok()
}

/// The `pod-template-hash` label of a ReplicaSet or Pod (see [`POD_TEMPLATE_HASH_LABEL`]).
pub fn pod_template_hash(obj: &Value) -> Option<&str> {
    str_at(obj, &["metadata", "labels", POD_TEMPLATE_HASH_LABEL])
}

/// The new ReplicaSet of a Deployment among `replica_sets`: one controlled by the Deployment
/// (an owner reference with the Deployment's `uid`, or with its name when either `uid` is missing)
/// whose [`revision`] equals the Deployment's.
///
/// `None` while the Deployment controller has not created or annotated it yet; a caller should
/// then wait rather than judge the old pods.
pub fn new_replica_set<'a>(deployment: &Value, replica_sets: &'a [Value]) -> Option<&'a Value> {
    let wanted = revision(deployment)?;
    let uid = str_at(deployment, &["metadata", "uid"]);
    let name = str_at(deployment, &["metadata", "name"]);
    replica_sets.iter().find(|rs| {
        let owned = super::fields::array_at(rs, &["metadata", "ownerReferences"])
            .iter()
            .any(|owner| {
                str_at(owner, &["kind"]) == Some("Deployment")
                    && match (uid, str_at(owner, &["uid"])) {
                        (Some(uid), Some(owner_uid)) => uid == owner_uid,
                        _ => name.is_some() && str_at(owner, &["name"]) == name,
                    }
            });
        owned && revision(rs) == Some(wanted)
    })
}

/// Argo CD's test for Deployments and ReplicaSets: `generation <= observedGeneration`, both read
/// as 0 when missing.
fn observed(obj: &Value) -> bool {
    int_or_zero(obj, &["metadata", "generation"])
        <= int_or_zero(obj, &["status", "observedGeneration"])
}

fn progressing(message: impl Into<String>) -> Health {
    Health::new(HealthStatus::Progressing, message)
}
