//! Flagger: Canary.

use serde_json::Value;

use super::fields::{array_at, at, lenient_int, string_or_empty};
use crate::{Health, HealthStatus};

/// Separator between the parts of a Canary's message.
const SEP: &str = " --- ";

/// Health of a Flagger Canary, from `status.phase`.
///
/// * `Failed`: `Degraded`. `Progressing`, `Finalising`, `Promoting`: `Progressing`. `Succeeded`,
///   `Initialized`: `Healthy`. Any other phase (`Waiting`, `WaitingPromotion`, `Initializing`,
///   `Terminating`, ...): `Unknown`.
/// * The message is `<phase> --- <details>`, where the details are `Canary Weight: <w> %` when the
///   canary weight is positive, followed by the message of each condition, all joined by ` --- `.
/// * No status: `Unknown`, `No status`.
pub fn canary(obj: &Value) -> Health {
    let Some(status) = at(obj, &["status"]).filter(|s| !s.is_null()) else {
        return Health::new(HealthStatus::Unknown, "No status");
    };
    let weight = lenient_int(status.get("canaryWeight")).unwrap_or(0);
    let details: Vec<String> = (weight > 0)
        .then(|| format!("Canary Weight: {weight} %"))
        .into_iter()
        .chain(
            array_at(status, &["conditions"])
                .iter()
                .map(|c| string_or_empty(c, &["message"]).to_owned()),
        )
        .collect();
    let phase = string_or_empty(status, &["phase"]);
    let health = match phase {
        "Failed" => HealthStatus::Degraded,
        "Progressing" | "Finalising" | "Promoting" => HealthStatus::Progressing,
        "Succeeded" | "Initialized" => HealthStatus::Healthy,
        _ => HealthStatus::Unknown,
    };
    Health::new(health, format!("{phase}{SEP}{}", details.join(SEP)))
}
