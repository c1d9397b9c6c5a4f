//! Probes: one check of one thing (an HTTP endpoint, a workload, an Argo CD Application).
//!
//! A probe answers each check with an [`Observation`]. Its [`Outcome`] keeps apart what the monitor
//! must keep apart: a failure of the new version, an error of the probe itself (timeout, refused
//! connection, API 5xx/401/403), "no data", and an expected intermediate state (waiting).

pub mod argocd;
pub mod cluster;
pub mod http;
pub mod kubernetes;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

/// What one check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The new version is healthy.
    Pass,
    /// An expected intermediate state: not yet observed, still progressing, not yet synced.
    Waiting,
    /// The new version is failing.
    Fail,
    /// The probe could not tell: timeout, refused connection, API 5xx/401/403.
    Error,
    /// The probe got an answer without data (an object that does not exist, an unknown status).
    NoData,
}

impl Outcome {
    /// The outcome as it is spelled in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Waiting => "waiting",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::NoData => "no_data",
        }
    }

    /// True for outcomes that say nothing about the new version (errors and "no data").
    pub fn is_inconclusive(self) -> bool {
        matches!(self, Self::Error | Self::NoData)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one check by one probe: the evidence the monitor keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The probe's name (`http GET URL`, `Deployment/NAME`, `Application/NAME`).
    pub probe: String,
    /// What the check found.
    pub outcome: Outcome,
    /// Why, in one line.
    pub message: String,
    /// How long the check took, in milliseconds, where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// A failure that must end the monitor at once (a crash loop of the new revision...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fast_fail: bool,
}

impl Observation {
    /// An observation without latency that is not a fast-fail signal.
    pub fn new(probe: impl Into<String>, outcome: Outcome, message: impl Into<String>) -> Self {
        Self {
            probe: probe.into(),
            outcome,
            message: message.into(),
            latency_ms: None,
            fast_fail: false,
        }
    }

    /// A failure that ends the monitor at once.
    pub fn fast_fail(probe: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            fast_fail: true,
            ..Self::new(probe, Outcome::Fail, message)
        }
    }

    /// The same observation with a latency.
    pub fn with_latency(mut self, latency: std::time::Duration) -> Self {
        self.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
        self
    }
}

/// The future a probe returns for one check.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Observation> + Send + 'a>>;

/// Something the monitor can check again and again.
///
/// Tests script probes by implementing this trait; the monitor only ever calls [`Probe::check`].
pub trait Probe: Send {
    /// The probe's name, as it appears in observations.
    fn name(&self) -> String;
    /// Runs one check. Never panics on bad answers: they become [`Outcome::Error`] or
    /// [`Outcome::NoData`].
    fn check(&mut self) -> CheckFuture<'_>;
}

/// The one place probes ask the health rules about an object.
pub(crate) fn assess_object(obj: &serde_json::Value) -> Option<crate::Health> {
    crate::assess(obj)
}
