//! `networking.k8s.io` (and legacy `extensions`) objects: Ingress.

use serde_json::Value;

use super::fields::array_at;
use crate::{Health, HealthStatus};

/// Health of an Ingress: `Healthy` once `status.loadBalancer.ingress` lists an address,
/// `Progressing` until then. The message is empty.
pub fn ingress(obj: &Value) -> Health {
    if array_at(obj, &["status", "loadBalancer", "ingress"]).is_empty() {
        Health::new(HealthStatus::Progressing, "")
    } else {
        Health::new(HealthStatus::Healthy, "")
    }
}
