//! Metric analysis with Argo Rollouts' semantics: a release judged by what Prometheus (or a web
//! endpoint) says about it, measurement after measurement.
//!
//! - [`expr`]: the condition language (`result[0] >= 0.95`), the subset of expr that Rollouts
//!   users write.
//! - [`evaluate`]: one measurement's [`Phase`] from its result and the conditions.
//! - [`metric`]: counting measurements, a metric's phase from its limits (`count`,
//!   `failureLimit`, `inconclusiveLimit`, `consecutiveErrorLimit`, `consecutiveSuccessLimit`),
//!   the run's phase.
//! - [`prometheus`]: the Prometheus HTTP API client (`/api/v1/query` at the measurement's time)
//!   and the provider's reading of its answers.
//! - [`web`]: the web provider (a JSON document, a JSON path).
//! - [`template`]: AnalysisTemplate / ClusterAnalysisTemplate documents (as JSON values) and
//!   `{{args.NAME}}`, `{{env}}`… substitution.
//! - [`run`]: the analysis loop on tokio time, and its [`verdict`](run::verdict_of) in the monitor's
//!   vocabulary: failures make it unhealthy, errors and inconclusive measurements make it
//!   inconclusive, never unhealthy.
//!
//! One deliberate difference from Rollouts: an empty Prometheus vector (or a nil result) is an
//! *inconclusive* measurement before any condition is evaluated, so a release that serves no
//! traffic is never judged healthy (Rollouts would evaluate `len(result) == 0 || …`).

pub mod evaluate;
pub mod expr;
pub mod metric;
pub mod prometheus;
pub mod run;
pub mod template;
pub mod web;

use serde::{Deserialize, Serialize};

/// The phase of a measurement, a metric or a run (Rollouts' `AnalysisPhase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Not started.
    Pending,
    /// In progress.
    Running,
    /// Passed.
    Successful,
    /// Failed: the release is bad.
    Failed,
    /// The provider could not measure (query error, unreachable, bad answer).
    Error,
    /// Neither condition held.
    Inconclusive,
}

impl Phase {
    /// Rollouts' spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Running => "Running",
            Self::Successful => "Successful",
            Self::Failed => "Failed",
            Self::Error => "Error",
            Self::Inconclusive => "Inconclusive",
        }
    }

    /// Parses Rollouts' spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Running,
            Self::Successful,
            Self::Failed,
            Self::Error,
            Self::Inconclusive,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }

    /// Successful, Failed, Error and Inconclusive are completed.
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            Self::Successful | Self::Failed | Self::Error | Self::Inconclusive
        )
    }

    fn rank(self) -> u8 {
        match self {
            Self::Successful => 0,
            Self::Running => 1,
            Self::Pending => 2,
            Self::Inconclusive => 3,
            Self::Error => 4,
            Self::Failed => 5,
        }
    }

    /// Rollouts' order of badness: `Successful < Running < Pending < Inconclusive < Error <
    /// Failed`.
    pub fn worse_than(self, other: Self) -> bool {
        self.rank() > other.rank()
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
