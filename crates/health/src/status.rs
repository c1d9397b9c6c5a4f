//! The health vocabulary shared by rules, probes and the monitor.

use serde::{Deserialize, Serialize};

/// Health of one object, with Argo CD's meaning of each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HealthStatus {
    /// Running as desired.
    Healthy,
    /// Not yet healthy, but still moving towards it.
    Progressing,
    /// Paused on purpose (a suspended Job or CronJob, a Rollout paused for promotion).
    Suspended,
    /// Failed, or cannot become healthy without intervention.
    Degraded,
    /// The object does not exist.
    Missing,
    /// Health cannot be told.
    Unknown,
}

impl HealthStatus {
    /// The status as Argo CD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Progressing => "Progressing",
            Self::Suspended => "Suspended",
            Self::Degraded => "Degraded",
            Self::Missing => "Missing",
            Self::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health status with the message that explains it (empty when there is nothing to say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The status.
    pub status: HealthStatus,
    /// Why; empty when there is nothing to say.
    pub message: String,
}

impl Health {
    /// A health with a status and a message.
    pub fn new(status: HealthStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// `Status`, or `Status: message` when there is a message.
impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}
