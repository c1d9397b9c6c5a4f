//! The Argo CD probe: an Application synced to an expected revision, then its health.
//!
//! It reads the Application custom resource through the Kubernetes API (no Argo CD API token is
//! needed, only `get` on `applications.argoproj.io`). "Synced to R" is
//! [`crate::rules::argocd::sync_to_revision`]: the sync operation for R finished, the controller
//! reconciled the Application after it (`reconciledAt >= finishedAt`), and `status.sync.revision`
//! is R and `Synced`. Only then does its health count.

use std::time::Duration;

use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::kubernetes::api_error;
use super::{CheckFuture, Observation, Outcome, Probe};
use crate::HealthStatus;
use crate::kube_api::{resource, to_value};
use crate::rules::argocd::{SyncVerdict, application_health, sync_to_revision};

/// Where an Application stands with respect to revision `revision`: pending until
/// [`sync_to_revision`] says it is synced, then its health (`Suspended`, as a blue-green Rollout
/// paused for promotion makes it, passes).
pub fn judge_application(app: &Value, revision: &str) -> (Outcome, String) {
    match sync_to_revision(app, revision) {
        SyncVerdict::Pending(why) => (Outcome::Waiting, format!("not synced to {revision}: {why}")),
        SyncVerdict::Failed(why) => (Outcome::Fail, format!("sync to {revision} failed: {why}")),
        SyncVerdict::Synced => {
            let health = application_health(app);
            let outcome = match health.status {
                HealthStatus::Healthy | HealthStatus::Suspended => Outcome::Pass,
                HealthStatus::Progressing => Outcome::Waiting,
                HealthStatus::Degraded | HealthStatus::Missing => Outcome::Fail,
                HealthStatus::Unknown => Outcome::NoData,
            };
            (outcome, format!("synced to {revision}, {health}"))
        }
    }
}

/// The probe of one Argo CD Application, read as a custom resource.
#[derive(Clone)]
pub struct ApplicationProbe {
    client: kube::Client,
    namespace: String,
    name: String,
    revision: String,
}

impl ApplicationProbe {
    /// A probe of Application `name` in `namespace` (usually `argocd`), expecting `revision`.
    pub fn new(
        client: kube::Client,
        namespace: impl Into<String>,
        name: impl Into<String>,
        revision: impl Into<String>,
    ) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            name: name.into(),
            revision: revision.into(),
        }
    }

    async fn run(&self) -> Observation {
        let name = Probe::name(self);
        let started = tokio::time::Instant::now();
        let api: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &resource("argoproj.io", "v1alpha1", "Application", "applications"),
        );
        let obs = match api.get(&self.name).await {
            Ok(app) => {
                let (outcome, message) = judge_application(&to_value(&app), &self.revision);
                Observation::new(name, outcome, message)
            }
            Err(e) => api_error(&name, &e),
        };
        obs.with_latency(started.elapsed())
    }
}

impl Probe for ApplicationProbe {
    fn name(&self) -> String {
        format!("Application/{}", self.name)
    }

    fn check(&mut self) -> CheckFuture<'_> {
        Box::pin(self.run())
    }
}

/// Checks `probe` every `interval` until it passes or fails, or `timeout` passes.
///
/// Returns the deciding observation; on timeout, the last one (never a pass).
pub async fn wait_until_decided(
    probe: &mut dyn Probe,
    interval: Duration,
    timeout: Duration,
    on_check: &mut (dyn FnMut(&Observation) + Send),
) -> Observation {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = Observation::new(probe.name(), Outcome::NoData, "not checked");
    loop {
        let checked = tokio::time::timeout_at(deadline, probe.check()).await;
        match checked {
            Ok(obs) => {
                on_check(&obs);
                if matches!(obs.outcome, Outcome::Pass | Outcome::Fail) {
                    return obs;
                }
                last = obs;
            }
            Err(_) => break,
        }
        let next = tokio::time::Instant::now() + interval;
        if next >= deadline {
            tokio::time::sleep_until(deadline).await;
            break;
        }
        tokio::time::sleep_until(next).await;
    }
    let message = format!(
        "timed out after {}: {}",
        ferry_config::human_duration(timeout),
        last.message
    );
    Observation { message, ..last }
}
