//! Argo Rollouts: Rollout (blue-green and canary), AnalysisRun and Experiment.
//!
//! The rules follow the health checks Argo CD bundles for these kinds
//! (`resource_customizations/argoproj.io/*/health.lua`).

use serde_json::Value;

use super::fields::{annotation, array_at, at, int_at, int_or_zero, lenient_int, str_at};
use crate::{Health, HealthStatus};

/// The annotation in which a Rollout that uses `spec.workloadRef` records the referenced
/// workload's generation.
pub const WORKLOAD_GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

/// The label Argo Rollouts puts on the ReplicaSets and pods of a pod template.
pub const ROLLOUT_POD_TEMPLATE_HASH_LABEL: &str = "rollouts-pod-template-hash";

/// The pod template hash of the Rollout's current spec (`status.currentPodHash`): pods whose
/// [`ROLLOUT_POD_TEMPLATE_HASH_LABEL`] equals it belong to the new revision.
pub fn current_pod_hash(obj: &Value) -> Option<&str> {
    str_at(obj, &["status", "currentPodHash"])
}

/// The pause reason of a blue-green Rollout waiting for promotion.
pub const BLUE_GREEN_PAUSE: &str = "BlueGreenPause";

/// Health of an Argo Rollout.
///
/// * `Progressing` (`Waiting for rollout spec update to be observed`) until the controller has
///   observed the Rollout's generation and, with `spec.workloadRef`, the workload's generation.
///   A non-numeric `status.observedGeneration` (Argo Rollouts v0.9 and older) counts as observed.
/// * Argo Rollouts v1.0 and later record `status.phase`: it is taken as the status, with
///   `status.message` as the message, except that phase `Paused` becomes `Suspended` (a canary pause
///   step or a blue-green Rollout waiting for promotion is intended, not a failure).
/// * Older Rollouts: `Degraded` on an `InvalidSpec` condition or a `Progressing` condition with
///   reason `RolloutAborted` or `ProgressDeadlineExceeded`; `Suspended` (`Rollout is paused`) with
///   pause conditions or `spec.paused`; `Progressing` while the status is not reconciled, while
///   replicas are still being updated or becoming available, while old canary replicas are
///   terminating, while a blue-green active service has not cut over or a blue-green or canary
///   stable ReplicaSet is not the current one; `Healthy` (empty message) otherwise.
///
/// An unrecognised phase is `Unknown`.
pub fn rollout(obj: &Value) -> Health {
    if !rollout_spec_observed(obj) {
        return progressing("Waiting for rollout spec update to be observed");
    }
    let status = at(obj, &["status"]).unwrap_or(&Value::Null);
    if let Some(phase) = str_at(status, &["phase"]) {
        let message = str_at(status, &["message"]).unwrap_or("");
        let status = match phase {
            "Paused" => HealthStatus::Suspended,
            other => super::parse_status(other).unwrap_or(HealthStatus::Unknown),
        };
        return Health::new(status, message);
    }
    for condition in array_at(status, &["conditions"]) {
        let kind = str_at(condition, &["type"]);
        let reason = str_at(condition, &["reason"]);
        let degraded = kind == Some("InvalidSpec")
            || (kind == Some("Progressing")
                && matches!(reason, Some("RolloutAborted" | "ProgressDeadlineExceeded")));
        if degraded {
            return Health::new(
                HealthStatus::Degraded,
                str_at(condition, &["message"]).unwrap_or(""),
            );
        }
    }
    if !array_at(status, &["pauseConditions"]).is_empty()
        || at(obj, &["spec", "paused"]).and_then(Value::as_bool) == Some(true)
    {
        return Health::new(HealthStatus::Suspended, "Rollout is paused");
    }
    let Some(current) = str_at(status, &["currentPodHash"]) else {
        return progressing("Waiting for rollout to finish: status has not been reconciled.");
    };
    if let Some(health) = replicas_progress(obj) {
        return health;
    }
    let stable = str_at(status, &["stableRS"])
        .or_else(|| str_at(status, &["canary", "stableRS"]))
        .unwrap_or("");
    if is_strategy(obj, "blueGreen") {
        if str_at(status, &["blueGreen", "activeSelector"]) != Some(current) {
            return progressing("active service cutover pending");
        }
        if !stable.is_empty() && stable != current {
            return progressing("waiting for analysis to complete");
        }
    } else if is_strategy(obj, "canary") && stable != current {
        return progressing("Waiting for rollout to finish steps");
    }
    Health::new(HealthStatus::Healthy, "")
}

/// Whether a blue-green Rollout is paused waiting for promotion: the expected state after a deploy
/// with manual (or delayed) promotion, not a failure or a timeout.
///
/// True when the Rollout uses the blue-green strategy, its spec is observed, it is not aborted,
/// and either a `BlueGreenPause` pause condition is present or (Argo Rollouts v1.0 and later) the
/// phase is `Paused` with message `BlueGreenPause`.
pub fn is_paused_for_promotion(obj: &Value) -> bool {
    if !is_strategy(obj, "blueGreen") || !rollout_spec_observed(obj) || is_aborted(obj) {
        return false;
    }
    let paused_condition = array_at(obj, &["status", "pauseConditions"])
        .iter()
        .any(|c| str_at(c, &["reason"]) == Some(BLUE_GREEN_PAUSE));
    let paused_phase = str_at(obj, &["status", "phase"]) == Some("Paused")
        && str_at(obj, &["status", "message"]) == Some(BLUE_GREEN_PAUSE);
    paused_condition || paused_phase
}

/// The reasons in `status.pauseConditions` (`BlueGreenPause`, `CanaryPauseStep`,
/// `InconclusiveAnalysisRun`, ...), in order.
pub fn pause_reasons(obj: &Value) -> Vec<&str> {
    array_at(obj, &["status", "pauseConditions"])
        .iter()
        .filter_map(|c| str_at(c, &["reason"]))
        .collect()
}

/// Whether the Rollout was aborted (`status.abort`, or a `RolloutAborted` progressing condition).
pub fn is_aborted(obj: &Value) -> bool {
    at(obj, &["status", "abort"]).and_then(Value::as_bool) == Some(true)
        || array_at(obj, &["status", "conditions"]).iter().any(|c| {
            str_at(c, &["type"]) == Some("Progressing")
                && str_at(c, &["reason"]) == Some("RolloutAborted")
        })
}

/// Whether the Rollout's update is complete: the stable ReplicaSet is the current pod template
/// (`status.stableRS == status.currentPodHash`) and, for blue-green, the active service selects it.
pub fn is_fully_promoted(obj: &Value) -> bool {
    let current = str_at(obj, &["status", "currentPodHash"]);
    let stable = str_at(obj, &["status", "stableRS"]);
    if current.is_none() || stable != current || !rollout_spec_observed(obj) {
        return false;
    }
    !is_strategy(obj, "blueGreen")
        || str_at(obj, &["status", "blueGreen", "activeSelector"]) == current
}

/// Whether the controller has observed the Rollout's spec (and its workload's, with
/// `spec.workloadRef`); see [`rollout`].
pub fn rollout_spec_observed(obj: &Value) -> bool {
    let Some(status) = at(obj, &["status"]).filter(|s| !s.is_null()) else {
        return false;
    };
    let generation = int_or_zero(obj, &["metadata", "generation"]);
    let generation_observed = match lenient_int(status.get("observedGeneration")) {
        // Rollouts v0.9 and older record a hash here: nothing to compare.
        None => true,
        Some(observed) => observed >= generation,
    };
    let workload_observed = at(obj, &["spec", "workloadRef"]).is_none_or(Value::is_null)
        || at(obj, &["metadata", "annotations"]).is_none_or(Value::is_null)
        || annotation(obj, WORKLOAD_GENERATION_ANNOTATION)
            .and_then(|s| s.trim().parse::<i64>().ok())
            == lenient_int(status.get("workloadObservedGeneration"));
    generation_observed && workload_observed
}

/// The replica checks of an older Rollout, `None` when replicas are settled.
fn replicas_progress(obj: &Value) -> Option<Health> {
    let desired = int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let replicas = int_or_zero(obj, &["status", "replicas"]);
    let updated = int_or_zero(obj, &["status", "updatedReplicas"]);
    let available = int_or_zero(obj, &["status", "availableReplicas"]);
    if updated < desired {
        return Some(progressing(
            "Waiting for roll out to finish: More replicas need to be updated",
        ));
    }
    if available < updated {
        return Some(progressing(
            "Waiting for roll out to finish: updated replicas are still becoming available",
        ));
    }
    // Blue-green may keep old replicas for a long scale-down delay; only canary waits for them.
    if is_strategy(obj, "canary") && replicas > updated {
        return Some(progressing(
            "Waiting for roll out to finish: old replicas are pending termination",
        ));
    }
    None
}

fn is_strategy(obj: &Value, strategy: &str) -> bool {
    at(obj, &["spec", "strategy", strategy]).is_some_and(|s| !s.is_null())
}

/// Health of an Argo Rollouts AnalysisRun, from `status.phase`.
///
/// * `Pending` and `Running`: `Progressing` (`Analysis run is running`).
/// * `Successful`: `Healthy`. `Failed` and `Error`: `Degraded`. `Inconclusive`: `Unknown`. Each
///   uses `status.message` when set, or a fixed message otherwise.
/// * No status: `Progressing` (`Waiting for analysis run to finish: status has not been
///   reconciled.`). A status without a known phase: `Unknown`, empty message.
pub fn analysis_run(obj: &Value) -> Health {
    let Some(status) = at(obj, &["status"]).filter(|s| !s.is_null()) else {
        return progressing("Waiting for analysis run to finish: status has not been reconciled.");
    };
    let message = |default: &str| str_at(status, &["message"]).unwrap_or(default).to_owned();
    match str_at(status, &["phase"]).unwrap_or("") {
        "Pending" | "Running" => progressing("Analysis run is running"),
        "Successful" => Health::new(
            HealthStatus::Healthy,
            message("Analysis run completed successfully"),
        ),
        "Failed" => Health::new(HealthStatus::Degraded, message("Analysis run failed")),
        "Error" => Health::new(HealthStatus::Degraded, message("Analysis run had an error")),
        "Inconclusive" => Health::new(
            HealthStatus::Unknown,
            message("Analysis run was inconclusive"),
        ),
        _ => Health::new(HealthStatus::Unknown, ""),
    }
}

/// Health of an Argo Rollouts Experiment, from `status.phase`.
///
/// * `Pending` and `Running`: `Progressing`. `Successful`: `Healthy`. `Failed` and `Error`:
///   `Degraded`. Each with a fixed message.
/// * No status: `Progressing` (`Waiting for experiment to finish: status has not been
///   reconciled.`). A status without a known phase: `Unknown`, empty message.
pub fn experiment(obj: &Value) -> Health {
    let Some(status) = at(obj, &["status"]).filter(|s| !s.is_null()) else {
        return progressing("Waiting for experiment to finish: status has not been reconciled.");
    };
    match str_at(status, &["phase"]).unwrap_or("") {
        "Pending" => progressing("Experiment is pending"),
        "Running" => progressing("Experiment is running"),
        "Successful" => Health::new(HealthStatus::Healthy, "Experiment is successful"),
        "Failed" => Health::new(HealthStatus::Degraded, "Experiment has failed"),
        "Error" => Health::new(HealthStatus::Degraded, "Experiment had an error"),
        _ => Health::new(HealthStatus::Unknown, ""),
    }
}

fn progressing(message: &str) -> Health {
    Health::new(HealthStatus::Progressing, message)
}
