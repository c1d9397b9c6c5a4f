//! `batch` objects: Job.

use serde_json::Value;

use super::fields::{array_at, string_or_empty};
use crate::{Health, HealthStatus};

/// Health of a `batch/v1` Job, from its conditions.
///
/// * `Degraded` with the condition's message when a `Failed` condition exists.
/// * `Suspended` with the condition's message when the `Suspended` condition is `True`.
/// * `Healthy` when a `Complete` condition exists, with the message of the last `Complete` or
///   `Suspended` condition (Argo CD's message).
/// * `Progressing` otherwise (the Job is still running).
///
/// Ferry deviates from Argo CD in one case: Argo CD treats any `Suspended` condition as the end of
/// the Job, so a resumed, running Job (whose `Suspended` condition turned `False`) reads `Healthy`
/// there; Ferry keeps it `Progressing`.
pub fn job(obj: &Value) -> Health {
    let mut failed = None;
    let mut complete = None;
    let mut suspended = None;
    for condition in array_at(obj, &["status", "conditions"]) {
        let message = string_or_empty(condition, &["message"]);
        match string_or_empty(condition, &["type"]) {
            "Failed" => failed = Some(message),
            "Complete" => complete = Some(message),
            "Suspended" if string_or_empty(condition, &["status"]) == "True" => {
                suspended = Some(message);
            }
            _ => {}
        }
        // As in Argo CD, the message of a finished Job is that of the last `Complete` or
        // `Suspended` condition in the list.
        match string_or_empty(condition, &["type"]) {
            "Complete" | "Suspended" if complete.is_some() => complete = Some(message),
            _ => {}
        }
    }
    match (failed, suspended, complete) {
        (Some(message), _, _) => Health::new(HealthStatus::Degraded, message),
        (None, Some(message), _) => Health::new(HealthStatus::Suspended, message),
        (None, None, Some(message)) => Health::new(HealthStatus::Healthy, message),
        (None, None, None) => Health::new(HealthStatus::Progressing, ""),
    }
}
