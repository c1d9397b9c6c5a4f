//! The Kubernetes probe: a workload, its new revision and that revision's pods.
//!
//! Rules, in order: judge nothing before the controller has observed the latest generation
//! ([`rules::generation_lag`]); a blue-green Rollout paused for promotion is the expected state
//! ([`rollout::is_paused_for_promotion`]); a pod of the new revision with a fail-fast signal
//! ([`core::pod_signals`]: CrashLoopBackOff, ImagePullBackOff, ... or OOMKilled after
//! [`OOM_RESTARTS`] restarts) fails at once; otherwise the workload's Argo CD–compatible health
//! decides.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, WatchEvent, WatchParams};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{CheckFuture, Observation, Outcome, Probe};
use crate::HealthStatus;
use crate::kube_api::{resource, to_value};
use crate::rules::{self, apps, core, rollout};

/// How many restarts after an OOM kill count as "repeated OOMKilled".
pub const OOM_RESTARTS: i64 = 2;

/// The workload kinds the probe follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 DaemonSet.
    DaemonSet,
    /// argoproj.io/v1alpha1 Rollout.
    Rollout,
}

impl WorkloadKind {
    /// Parses a kind as kubectl spells it (`deployment`, `deploy`, `Rollout`, `sts`, ...).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" => Some(Self::Deployment),
            "statefulset" | "statefulsets" | "sts" => Some(Self::StatefulSet),
            "daemonset" | "daemonsets" | "ds" => Some(Self::DaemonSet),
            "rollout" | "rollouts" | "ro" => Some(Self::Rollout),
            _ => None,
        }
    }

    /// The kind as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::Rollout => "Rollout",
        }
    }

    fn api_resource(self) -> ApiResource {
        let (group, version, plural) = match self {
            Self::Deployment => ("apps", "v1", "deployments"),
            Self::StatefulSet => ("apps", "v1", "statefulsets"),
            Self::DaemonSet => ("apps", "v1", "daemonsets"),
            Self::Rollout => ("argoproj.io", "v1alpha1", "rollouts"),
        };
        resource(group, version, self.as_str(), plural)
    }
}

/// A workload named `KIND/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its name.
    pub name: String,
}

impl std::str::FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not KIND/NAME"))?;
        let kind = WorkloadKind::parse(kind).ok_or_else(|| {
            format!("unknown workload kind {kind:?} (deployment, statefulset, daemonset, rollout)")
        })?;
        if name.is_empty() || name.contains('/') {
            return Err(format!("{s:?} is not KIND/NAME"));
        }
        Ok(Self {
            kind,
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.name)
    }
}

/// The label that marks the pods of a workload's new revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The label key (`pod-template-hash`, `rollouts-pod-template-hash`, `controller-revision-hash`).
    pub label: String,
    /// Its value for the new revision.
    pub value: String,
}

/// Where the workload stands, before its pods are looked at.
pub fn judge_workload(obj: &Value) -> (Outcome, String) {
    if let Some((generation, observed)) = rules::generation_lag(obj) {
        return (
            Outcome::Waiting,
            format!(
                "generation {generation} not yet observed by the controller (observed {observed})"
            ),
        );
    }
    if rollout::is_paused_for_promotion(obj) {
        return (
            Outcome::Pass,
            "blue-green Rollout paused for promotion (the expected state)".into(),
        );
    }
    match crate::probe::assess_object(obj) {
        None => (Outcome::NoData, "no health rule for this object".into()),
        Some(health) => {
            let outcome = match health.status {
                HealthStatus::Healthy => Outcome::Pass,
                HealthStatus::Progressing | HealthStatus::Suspended => Outcome::Waiting,
                HealthStatus::Degraded => Outcome::Fail,
                HealthStatus::Missing | HealthStatus::Unknown => Outcome::NoData,
            };
            (outcome, health.to_string())
        }
    }
}

/// The new revision of a workload, from the workload and its ReplicaSets.
///
/// Deployment: the ReplicaSet whose `deployment.kubernetes.io/revision` annotation equals the
/// Deployment's. Rollout: `status.currentPodHash`. StatefulSet: `status.updateRevision`.
/// DaemonSet: none (all its pods count).
pub fn new_revision(obj: &Value, replicasets: &[Value]) -> Option<Revision> {
    let revision = |label: &str, value: &str| Revision {
        label: label.to_string(),
        value: value.to_string(),
    };
    match obj.get("kind").and_then(Value::as_str)? {
        "Deployment" => apps::new_replica_set(obj, replicasets)
            .and_then(apps::pod_template_hash)
            .map(|hash| revision("pod-template-hash", hash)),
        "Rollout" => {
            rollout::current_pod_hash(obj).map(|hash| revision("rollouts-pod-template-hash", hash))
        }
        "StatefulSet" => obj
            .pointer("/status/updateRevision")
            .and_then(Value::as_str)
            .map(|r| revision("controller-revision-hash", r)),
        _ => None,
    }
}

/// The label selector of a workload (`spec.selector`), in the API's query syntax.
pub fn selector(obj: &Value) -> Option<String> {
    let sel = obj.pointer("/spec/selector")?;
    let mut parts = Vec::new();
    if let Some(labels) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for expr in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str)?;
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match expr.get("operator").and_then(Value::as_str)? {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// The first fail-fast signal of a pod ([`core::pod_signals`], OOM kills after [`OOM_RESTARTS`]
/// restarts), as one line naming the pod and the container.
pub fn pod_signal(pod: &Value) -> Option<String> {
    let signal = core::pod_signals(pod, OOM_RESTARTS).into_iter().next()?;
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let mut text = format!(
        "pod {name} container {}: {}",
        signal.container, signal.reason
    );
    if signal.reason == "OOMKilled" {
        text = format!("{text}, {} restarts", signal.restart_count);
    } else if !signal.message.is_empty() {
        text = format!("{text} ({})", signal.message);
    }
    Some(text)
}

/// The Kubernetes probe of one workload.
#[derive(Clone)]
pub struct WorkloadProbe {
    client: kube::Client,
    namespace: String,
    workload: Workload,
}

impl WorkloadProbe {
    /// A probe of `workload` in `namespace`, through `client`.
    pub fn new(client: kube::Client, namespace: impl Into<String>, workload: Workload) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            workload,
        }
    }

    fn workloads(&self) -> Api<DynamicObject> {
        Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &self.workload.kind.api_resource(),
        )
    }

    fn pods(&self) -> Api<DynamicObject> {
        Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &resource("", "v1", "Pod", "pods"),
        )
    }

    /// The workload, its new revision and the pod selector of that revision.
    async fn fetch(&self) -> Result<(Value, Option<String>), Observation> {
        let name = self.name();
        let obj = match self.workloads().get(&self.workload.name).await {
            Ok(obj) => to_value(&obj),
            Err(e) => return Err(api_error(&name, &e)),
        };
        let replicasets = if self.workload.kind == WorkloadKind::Deployment {
            let rs: Api<DynamicObject> = Api::namespaced_with(
                self.client.clone(),
                &self.namespace,
                &resource("apps", "v1", "ReplicaSet", "replicasets"),
            );
            let lp = ListParams::default();
            let lp = match selector(&obj) {
                Some(s) => lp.labels(&s),
                None => lp,
            };
            match rs.list(&lp).await {
                Ok(list) => list.items.iter().map(to_value).collect(),
                Err(e) => return Err(api_error(&name, &e)),
            }
        } else {
            Vec::new()
        };
        let pods = pod_selector(&obj, &replicasets);
        Ok((obj, pods))
    }

    async fn run(&self) -> Observation {
        let name = self.name();
        let started = tokio::time::Instant::now();
        let (obj, pods) = match self.fetch().await {
            Ok(found) => found,
            Err(obs) => return obs.with_latency(started.elapsed()),
        };
        let (outcome, message) = judge_workload(&obj);
        if let Some(sel) = pods.filter(|_| rules::generation_observed(&obj)) {
            match self.pods().list(&ListParams::default().labels(&sel)).await {
                Ok(list) => {
                    if let Some(signal) = list.items.iter().find_map(|p| pod_signal(&to_value(p))) {
                        return Observation::fast_fail(name, signal)
                            .with_latency(started.elapsed());
                    }
                }
                Err(e) => return api_error(&name, &e).with_latency(started.elapsed()),
            }
        }
        Observation::new(name, outcome, message).with_latency(started.elapsed())
    }

    /// Watches the pods of the new revision and sends a fast-fail observation on the first watch
    /// event that shows a fast-fail signal; returns after sending it, or when `signals` closes.
    ///
    /// Until the new revision is known (the controller has not created it yet) it looks again
    /// every `retry`; a watch that ends or fails is started again after `retry`.
    pub async fn watch_signals(&self, signals: mpsc::Sender<Observation>, retry: Duration) {
        let name = self.name();
        loop {
            if signals.is_closed() {
                return;
            }
            let selector = match self.fetch().await {
                Ok((obj, Some(sel))) if rules::generation_observed(&obj) => sel,
                _ => {
                    tokio::time::sleep(retry).await;
                    continue;
                }
            };
            let pods = self.pods();
            let list = match pods.list(&ListParams::default().labels(&selector)).await {
                Ok(list) => list,
                Err(_) => {
                    tokio::time::sleep(retry).await;
                    continue;
                }
            };
            if let Some(signal) = list.items.iter().find_map(|p| pod_signal(&to_value(p))) {
                let _ = signals.send(Observation::fast_fail(name, signal)).await;
                return;
            }
            let version = list.metadata.resource_version.unwrap_or_else(|| "0".into());
            let wp = WatchParams::default().labels(&selector);
            let stream = match pods.watch(&wp, &version).await {
                Ok(stream) => stream,
                Err(_) => {
                    tokio::time::sleep(retry).await;
                    continue;
                }
            };
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(WatchEvent::Added(pod) | WatchEvent::Modified(pod)) => {
                        if let Some(signal) = pod_signal(&to_value(&pod)) {
                            let _ = signals.send(Observation::fast_fail(name, signal)).await;
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            tokio::time::sleep(retry).await;
        }
    }
}

impl Probe for WorkloadProbe {
    fn name(&self) -> String {
        self.workload.to_string()
    }

    fn check(&mut self) -> CheckFuture<'_> {
        Box::pin(self.run())
    }
}

/// The label selector of the pods of a workload's new revision.
pub fn pod_selector(obj: &Value, replicasets: &[Value]) -> Option<String> {
    let base = selector(obj)?;
    match new_revision(obj, replicasets) {
        Some(r) => Some(format!("{base},{}={}", r.label, r.value)),
        None if obj.get("kind").and_then(Value::as_str) == Some("DaemonSet") => Some(base),
        None => None,
    }
}

/// Turns an API error into an observation: 404 is "no data", anything else an error.
pub(crate) fn api_error(probe: &str, e: &kube::Error) -> Observation {
    match e {
        kube::Error::Api(status) if status.code == 404 => {
            Observation::new(probe, Outcome::NoData, "not found")
        }
        kube::Error::Api(status) => Observation::new(
            probe,
            Outcome::Error,
            format!("API error {}: {}", status.code, status.message),
        ),
        other => Observation::new(probe, Outcome::Error, format!("API unreachable: {other}")),
    }
}
