//! `autoscaling` objects: HorizontalPodAutoscaler.

use serde_json::Value;

use super::fields::{annotation, array_at, string_or_empty};
use crate::{Health, HealthStatus};

/// The annotation in which `autoscaling/v1` HPAs carry their conditions, as a JSON string.
pub const V1_CONDITIONS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// `(type, reason)` pairs that make an HPA `Degraded`, whatever the condition's status.
const DEGRADED: &[(&str, &str)] = &[
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "FailedGetObjectMetric"),
    ("ScalingActive", "FailedGetPodsMetric"),
    ("ScalingActive", "FailedGetExternalMetric"),
    ("ScalingActive", "FailedComputeMetricsReplicas"),
    ("ScalingActive", "InvalidSelector"),
];

/// The message while no condition tells health.
const WAITING: &str = "Waiting to Autoscale";

/// The fields of an HPA condition that the rule reads.
struct Condition<'a> {
    kind: &'a str,
    status: &'a str,
    reason: &'a str,
    message: &'a str,
}

impl<'a> Condition<'a> {
    fn read(c: &'a Value) -> Self {
        Self {
            kind: string_or_empty(c, &["type"]),
            status: string_or_empty(c, &["status"]),
            reason: string_or_empty(c, &["reason"]),
            message: string_or_empty(c, &["message"]),
        }
    }
}

/// Health of a HorizontalPodAutoscaler (`autoscaling/v1`, `v2`, `v2beta1`, `v2beta2`).
///
/// The conditions come from `status.conditions`, or for `autoscaling/v1` from the
/// [`V1_CONDITIONS_ANNOTATION`] annotation.
///
/// * `Degraded` with the condition's message when any condition reports a failure to read the
///   scale target, to update it, to read a metric or compute replicas from metrics, or an invalid
///   selector. These win over healthy
///   conditions, whatever their order (as in Argo CD since PR #26274).
/// * `Healthy` with the message of the first `AbleToScale` or `ScalingLimited` condition that is
///   `True`.
/// * `Progressing` with `Waiting to Autoscale` otherwise.
/// * `Unknown` when the v1 annotation is not valid JSON.
pub fn horizontal_pod_autoscaler(obj: &Value) -> Health {
    let v1 = string_or_empty(obj, &["apiVersion"]) == "autoscaling/v1";
    let parsed: Vec<Value>;
    let raw: &[Value] = if v1 {
        let Some(text) = annotation(obj, V1_CONDITIONS_ANNOTATION) else {
            return Health::new(HealthStatus::Progressing, WAITING);
        };
        match serde_json::from_str(text) {
            Ok(conditions) => {
                parsed = conditions;
                &parsed
            }
            Err(e) => {
                return Health::new(
                    HealthStatus::Unknown,
                    format!("cannot read the {V1_CONDITIONS_ANNOTATION} annotation: {e}"),
                );
            }
        }
    } else {
        array_at(obj, &["status", "conditions"])
    };
    let conditions: Vec<Condition<'_>> = raw.iter().map(Condition::read).collect();
    if let Some(c) = conditions
        .iter()
        .find(|c| DEGRADED.contains(&(c.kind, c.reason)))
    {
        return Health::new(HealthStatus::Degraded, c.message);
    }
    if let Some(c) = conditions
        .iter()
        .find(|c| matches!(c.kind, "AbleToScale" | "ScalingLimited") && c.status == "True")
    {
        return Health::new(HealthStatus::Healthy, c.message);
    }
    Health::new(HealthStatus::Progressing, WAITING)
}
