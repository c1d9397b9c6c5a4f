//! `apiregistration.k8s.io` objects: APIService.

use serde_json::Value;

use super::fields::{condition, string_or_empty};
use crate::{Health, HealthStatus};

/// Health of an APIService (`v1` or `v1beta1`), from its `Available` condition.
///
/// * `Healthy` when it is `True`, `Progressing` otherwise; the message is `"<reason>: <message>"`.
/// * `Progressing` with `Waiting to be processed` when there is no such condition yet.
pub fn api_service(obj: &Value) -> Health {
    let Some(available) = condition(obj, "Available") else {
        return Health::new(HealthStatus::Progressing, "Waiting to be processed");
    };
    let message = format!(
        "{}: {}",
        string_or_empty(available, &["reason"]),
        string_or_empty(available, &["message"])
    );
    let status = if string_or_empty(available, &["status"]) == "True" {
        HealthStatus::Healthy
    } else {
        HealthStatus::Progressing
    };
    Health::new(status, message)
}
