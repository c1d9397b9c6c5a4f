//! Argo Workflows: Workflow.

use serde_json::Value;

use super::fields::string_or_empty;
use crate::{Health, HealthStatus};

/// Health of an `argoproj.io` Workflow, from `status.phase`, with `status.message` as the message.
///
/// * No phase yet, `Pending` or `Running`: `Progressing`.
/// * `Succeeded`: `Healthy`.
/// * `Failed` or `Error`: `Degraded`.
/// * Anything else: `Unknown`.
pub fn workflow(obj: &Value) -> Health {
    let message = string_or_empty(obj, &["status", "message"]);
    let status = match string_or_empty(obj, &["status", "phase"]) {
        "" | "Pending" | "Running" => HealthStatus::Progressing,
        "Succeeded" => HealthStatus::Healthy,
        "Failed" | "Error" => HealthStatus::Degraded,
        _ => HealthStatus::Unknown,
    };
    Health::new(status, message)
}
