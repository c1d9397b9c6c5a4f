//! Core (`v1`) objects: Pod, Service and PersistentVolumeClaim, plus the pod signals that tell a
//! failed rollout long before its workload turns `Degraded`.

use serde_json::Value;

use super::fields::{annotation, array_at, at, int_or_zero, str_at, string_or_empty};
use crate::{Health, HealthStatus};

/// Annotation that makes Argo CD judge a `Never`/`OnFailure` pod like an `Always` pod (hooks
/// excepted).
pub const IGNORE_RESTART_POLICY_ANNOTATION: &str = "argocd.argoproj.io/ignore-restart-policy";

/// Health of a `v1` Pod.
///
/// * With restart policy `Always`: `Degraded` as soon as any container is waiting with a reason
///   that starts with `Err` or ends in `Error` or `BackOff` (`CrashLoopBackOff`, `ImagePullBackOff`,
///   `ErrImagePull`, `CreateContainerConfigError`, ...); the message joins the waiting messages.
/// * Phase `Pending`: `Progressing`. Phase `Succeeded`: `Healthy`.
/// * Phase `Failed`: `Degraded`, with the pod's message, or else the first container (init
///   containers first) that terminated with a message, `OOMKilled`, or a non-zero exit code.
/// * Phase `Running`: with `Always`, `Healthy` when the `Ready` condition is `True`, `Degraded`
///   when not ready and some container has terminated before, `Progressing` otherwise. With
///   `Never`/`OnFailure` (a pod that runs to completion, usually a hook): `Progressing`.
/// * Anything else: `Unknown`. Unless stated, the message is `status.message`.
///
/// The restart policy is `Always` when `spec.restartPolicy` is missing (the API server's default;
/// Argo CD reads a missing policy as none), and when the pod carries
/// [`IGNORE_RESTART_POLICY_ANNOTATION`]` = "true"` and is not a hook.
pub fn pod(obj: &Value) -> Health {
    let restart_policy = effective_restart_policy(obj);
    let message = string_or_empty(obj, &["status", "message"]);
    let containers = array_at(obj, &["status", "containerStatuses"]);

    if restart_policy == "Always" {
        let waiting: Vec<&str> = containers
            .iter()
            .filter(|c| waiting_reason(c).is_some_and(is_waiting_failure))
            .map(|c| string_or_empty(c, &["state", "waiting", "message"]))
            .collect();
        if !waiting.is_empty() {
            return Health::new(HealthStatus::Degraded, waiting.join(", "));
        }
    }

    match string_or_empty(obj, &["status", "phase"]) {
        "Pending" => Health::new(HealthStatus::Progressing, message),
        "Succeeded" => Health::new(HealthStatus::Healthy, message),
        "Failed" => {
            if !message.is_empty() {
                return Health::new(HealthStatus::Degraded, message);
            }
            let failure = array_at(obj, &["status", "initContainerStatuses"])
                .iter()
                .chain(containers)
                .find_map(termination_message)
                .unwrap_or_default();
            Health::new(HealthStatus::Degraded, failure)
        }
        "Running" => match restart_policy {
            "Always" => {
                if is_ready(obj) {
                    Health::new(HealthStatus::Healthy, message)
                } else if containers
                    .iter()
                    .any(|c| at(c, &["lastState", "terminated"]).is_some_and(|t| !t.is_null()))
                {
                    Health::new(HealthStatus::Degraded, message)
                } else {
                    Health::new(HealthStatus::Progressing, message)
                }
            }
            "Never" | "OnFailure" => Health::new(HealthStatus::Progressing, message),
            _ => Health::new(HealthStatus::Unknown, message),
        },
        _ => Health::new(HealthStatus::Unknown, message),
    }
}

/// Health of a `v1` Service: a `LoadBalancer` Service is `Progressing` until
/// `status.loadBalancer.ingress` lists an address; every other Service is `Healthy`. The message
/// is empty.
pub fn service(obj: &Value) -> Health {
    let load_balancer = string_or_empty(obj, &["spec", "type"]) == "LoadBalancer";
    if load_balancer && array_at(obj, &["status", "loadBalancer", "ingress"]).is_empty() {
        Health::new(HealthStatus::Progressing, "")
    } else {
        Health::new(HealthStatus::Healthy, "")
    }
}

/// Health of a `v1` PersistentVolumeClaim, from `status.phase`: `Bound` is `Healthy`, `Pending` is
/// `Progressing`, `Lost` is `Degraded`, anything else `Unknown`. The message is empty.
pub fn persistent_volume_claim(obj: &Value) -> Health {
    let status = match string_or_empty(obj, &["status", "phase"]) {
        "Bound" => HealthStatus::Healthy,
        "Pending" => HealthStatus::Progressing,
        "Lost" => HealthStatus::Degraded,
        _ => HealthStatus::Unknown,
    };
    Health::new(status, "")
}

/// A container state that ends a health watch at once: the new revision cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSignal {
    /// The container's name.
    pub container: String,
    /// Whether it is an init container.
    pub init_container: bool,
    /// The reason: a waiting reason such as `CrashLoopBackOff`, or `OOMKilled`.
    pub reason: String,
    /// The kubelet's message, when there is one.
    pub message: String,
    /// The container's restart count.
    pub restart_count: i64,
}

/// Waiting reasons that mean a container of this pod spec will not start without a change.
pub const FAIL_FAST_WAITING_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// The fail-fast signals of a pod: containers (init containers included) waiting with a reason in
/// [`FAIL_FAST_WAITING_REASONS`], and containers whose last or current termination was
/// `OOMKilled` after at least `oom_restarts` restarts (`0` reports every OOM kill).
///
/// The caller decides whether the pod belongs to the revision under watch (see
/// [`super::apps::pod_template_hash`]).
pub fn pod_signals(obj: &Value, oom_restarts: i64) -> Vec<PodSignal> {
    let init = array_at(obj, &["status", "initContainerStatuses"])
        .iter()
        .map(|c| (c, true));
    let main = array_at(obj, &["status", "containerStatuses"])
        .iter()
        .map(|c| (c, false));
    init.chain(main)
        .filter_map(|(c, init_container)| {
            let restart_count = int_or_zero(c, &["restartCount"]);
            let signal = |reason: &str, message: &str| PodSignal {
                container: string_or_empty(c, &["name"]).to_owned(),
                init_container,
                reason: reason.to_owned(),
                message: message.to_owned(),
                restart_count,
            };
            if let Some(reason) = waiting_reason(c)
                && FAIL_FAST_WAITING_REASONS.contains(&reason)
            {
                return Some(signal(
                    reason,
                    string_or_empty(c, &["state", "waiting", "message"]),
                ));
            }
            let oom = ["state", "lastState"].into_iter().find_map(|state| {
                let terminated = at(c, &[state, "terminated"])?;
                (str_at(terminated, &["reason"]) == Some("OOMKilled"))
                    .then(|| string_or_empty(terminated, &["message"]))
            });
            match oom {
                Some(message) if restart_count >= oom_restarts => {
                    Some(signal("OOMKilled", message))
                }
                _ => None,
            }
        })
        .collect()
}

/// The restart policy the pod rule applies (see [`pod`]).
fn effective_restart_policy(obj: &Value) -> &str {
    let policy = str_at(obj, &["spec", "restartPolicy"]).unwrap_or("Always");
    let ignore = annotation(obj, IGNORE_RESTART_POLICY_ANNOTATION) == Some("true");
    if ignore && !is_hook(obj) {
        "Always"
    } else {
        policy
    }
}

/// Whether the object is an Argo CD or Helm hook.
fn is_hook(obj: &Value) -> bool {
    annotation(obj, "argocd.argoproj.io/hook").is_some()
        || annotation(obj, "helm.sh/hook").is_some_and(|h| h != "crd-install")
}

fn waiting_reason(container: &Value) -> Option<&str> {
    str_at(container, &["state", "waiting", "reason"])
}

/// Argo CD's test for a waiting reason that marks an `Always` pod `Degraded`.
fn is_waiting_failure(reason: &str) -> bool {
    reason.starts_with("Err") || reason.ends_with("Error") || reason.ends_with("BackOff")
}

/// The message of a terminated container: its message, `OOMKilled`, or its non-zero exit code.
fn termination_message(container: &Value) -> Option<String> {
    let terminated = at(container, &["state", "terminated"]).filter(|t| t.is_object())?;
    let message = string_or_empty(terminated, &["message"]);
    if !message.is_empty() {
        return Some(message.to_owned());
    }
    if str_at(terminated, &["reason"]) == Some("OOMKilled") {
        return Some("OOMKilled".to_owned());
    }
    let code = int_or_zero(terminated, &["exitCode"]);
    let name = super::fields::quoted(string_or_empty(container, &["name"]));
    (code != 0).then(|| format!("container {name} failed with exit code {code}"))
}

/// Whether the pod's `Ready` condition is `True`.
fn is_ready(obj: &Value) -> bool {
    super::fields::condition(obj, "Ready")
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}
