//! Argo Rollouts control through the Kubernetes API, as `kubectl argo rollouts` does it.
//!
//! Pure functions compute what to send from the object ([`promote_patches`], [`ABORT_PATCH`],
//! [`RETRY_PATCH`], [`undo_patch`], [`status`]); [`RolloutClient`] sends it with a
//! [`kube::Client`] through the dynamic API:
//!
//! - **promote**: a merge patch of the status subresource clearing `status.pauseConditions`
//!   (a canary without pause conditions moves `status.currentStepIndex` on by one instead), and a
//!   merge patch of the object setting `spec.paused: false` when it is paused. `--full` patches
//!   `status.promoteFull: true` (nothing when the Rollout is fully promoted already).
//! - **abort**: `{"status":{"abort":true}}` on the status subresource.
//! - **retry**: `{"status":{"abort":false}}` on the status subresource.
//! - **undo**: a JSON patch replacing `spec.template` with the pod template of the ReplicaSet
//!   owned by the Rollout whose `rollout.argoproj.io/revision` annotation is the wanted revision
//!   (default: the second newest), minus its `rollouts-pod-template-hash` label; nothing when the
//!   template already matches.
//!
//! Like the plugin, a 404 from the status subresource (Rollouts v0.9, no subresource) falls back
//! to one merge patch of the object carrying spec and status together.
//!
//! The Argo CD resource actions on Rollouts (`resume`, `abort`, `retry`, `restart`,
//! `promote-full`, `skip-current-step`, `pause`) and their discovery are pure functions on the
//! object too ([`apply_action`], [`discover_actions`]); they follow the conformance cases in
//! `fixtures/conformance/rollouts/actions.jsonl`.
//!
//! # Example
//!
//! Promoting a blue-green Rollout that waits for promotion, with the pure functions
//! (`examples/promote.rs`; `cargo run -p ferry-rollouts --example promote`, and `cargo test` runs
//! it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/promote.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use ferry_health::kube_api::{is_not_found, resource, to_value};
use ferry_health::rules::rollout as rules;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The annotation on a Rollout's ReplicaSets that numbers its revisions.
pub const REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";
/// The label Argo Rollouts adds to pod templates of its ReplicaSets.
pub const POD_TEMPLATE_HASH_LABEL: &str = rules::ROLLOUT_POD_TEMPLATE_HASH_LABEL;
/// The patch `abort` sends to the status subresource.
pub const ABORT_PATCH: &str = r#"{"status":{"abort":true}}"#;
/// The patch `retry` sends to the status subresource.
pub const RETRY_PATCH: &str = r#"{"status":{"abort":false}}"#;

/// Why a Rollouts action failed.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// The Kubernetes API refused or could not be reached.
    #[error("{what}: {source}")]
    Api {
        /// What was asked, e.g. `PATCH rollouts/backend/status`.
        what: String,
        /// The error.
        #[source]
        source: kube::Error,
    },
    /// The Rollout does not exist.
    #[error("rollout {namespace}/{name} not found")]
    NotFound {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// `undo` found no such revision.
    #[error("{0}")]
    NoRevision(String),
    /// The object is not what the action needs.
    #[error("{0}")]
    Invalid(String),
    /// Waiting ended without the Rollout settling.
    #[error("timed out after {} waiting for rollout {name}; last status: {last}", ferry_config::human_duration(*.waited))]
    Timeout {
        /// Name.
        name: String,
        /// How long it waited.
        waited: Duration,
        /// The last status seen.
        last: String,
    },
}

impl ferry_error::Classify for RolloutError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            RolloutError::NotFound { .. } | RolloutError::NoRevision(_) => ErrorKind::NotFound,
            RolloutError::Invalid(_) => ErrorKind::BadInput,
            RolloutError::Api { .. } => ErrorKind::Kubernetes,
            RolloutError::Timeout { .. } => ErrorKind::Timeout,
        }
    }
}

/// The kubectl plugin's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// Read the status.
    Status,
    /// Promote (optionally fully).
    Promote,
    /// Abort.
    Abort,
    /// Retry an aborted Rollout.
    Retry,
    /// Roll the pod template back to an earlier revision.
    Undo,
}

impl Command {
    /// The command's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Promote => "promote",
            Command::Abort => "abort",
            Command::Retry => "retry",
            Command::Undo => "undo",
        }
    }
}

/// The patches one promotion sends; see [`promote_patches`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromotePatches {
    /// Merge patch of the object (`spec.paused`), when needed.
    pub spec: Option<Value>,
    /// Merge patch of the status subresource, when needed.
    pub status: Option<Value>,
    /// The one merge patch used instead of both when the status subresource does not exist.
    pub unified: Option<Value>,
}

fn at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = obj;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn str_at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(obj, path).and_then(Value::as_str)
}

fn bool_at(obj: &Value, path: &[&str]) -> bool {
    at(obj, path).and_then(Value::as_bool) == Some(true)
}

fn int_at(obj: &Value, path: &[&str]) -> Option<i64> {
    match at(obj, path)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn array_len(obj: &Value, path: &[&str]) -> usize {
    at(obj, path).and_then(Value::as_array).map_or(0, Vec::len)
}

/// The canary steps, when the Rollout is a canary with a steps list.
fn canary_steps(obj: &Value) -> Option<usize> {
    at(obj, &["spec", "strategy", "canary", "steps"])
        .and_then(Value::as_array)
        .map(Vec::len)
}

/// The current canary step index (`status.currentStepIndex`, 0 when unset) of a canary with
/// steps; `None` otherwise.
fn current_step(obj: &Value) -> Option<i64> {
    let steps = canary_steps(obj)?;
    (steps > 0).then(|| int_at(obj, &["status", "currentStepIndex"]).unwrap_or(0))
}

/// Whether the current pod hash is the stable one (missing both counts as equal, as in Go).
fn fully_promoted(obj: &Value) -> bool {
    str_at(obj, &["status", "currentPodHash"]) == stable_hash(obj)
}

fn stable_hash(obj: &Value) -> Option<&str> {
    str_at(obj, &["status", "stableRS"])
}

/// The patches `kubectl argo rollouts promote [--full]` sends for `obj`.
pub fn promote_patches(obj: &Value, full: bool) -> PromotePatches {
    if full {
        let status = (!fully_promoted(obj)).then(|| json!({"status": {"promoteFull": true}}));
        return PromotePatches {
            spec: None,
            unified: status.clone(),
            status,
        };
    }
    let mut patches = PromotePatches {
        spec: bool_at(obj, &["spec", "paused"]).then(|| json!({"spec": {"paused": false}})),
        status: None,
        unified: Some(json!({"spec": {"paused": false}, "status": {"pauseConditions": null}})),
    };
    if array_len(obj, &["status", "pauseConditions"]) > 0 {
        patches.status = Some(json!({"status": {"pauseConditions": null}}));
    } else if at(obj, &["spec", "strategy", "canary"]).is_some()
        && let Some(index) = current_step(obj)
    {
        let steps = canary_steps(obj).unwrap_or(0) as i64;
        let next = if index < steps { index + 1 } else { index };
        patches.status =
            Some(json!({"status": {"pauseConditions": null, "currentStepIndex": next}}));
        patches.unified = Some(
            json!({"spec": {"paused": false}, "status": {"pauseConditions": null, "currentStepIndex": next}}),
        );
    }
    patches
}

/// What `undo` would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum UndoPlan {
    /// The template already matches the revision.
    Skip {
        /// The revision.
        revision: i64,
    },
    /// Send this JSON patch (RFC 6902) to the Rollout.
    Patch {
        /// The revision restored.
        revision: i64,
        /// The ReplicaSet whose template is restored.
        replica_set: String,
        /// The JSON patch.
        patch: Value,
    },
}

fn revision_of(rs: &Value) -> Option<i64> {
    match at(rs, &["metadata", "annotations", REVISION_ANNOTATION]) {
        None => Some(0),
        Some(v) => v.as_str().and_then(|s| s.parse().ok()),
    }
}

fn controlled_by(rs: &Value, owner_uid: &str) -> bool {
    at(rs, &["metadata", "ownerReferences"])
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                bool_at(r, &["controller"])
                    && r.get("uid").and_then(Value::as_str) == Some(owner_uid)
            })
        })
}

fn without_hash_label(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }
    t
}

/// Whether every field set in `a` is equal in `b` (Kubernetes' semantic `DeepDerivative`: unset,
/// empty strings, empty maps and empty lists in `a` match anything).
pub fn derivative(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, _) => true,
        (Value::String(s), _) if s.is_empty() => true,
        (Value::Object(m), _) if m.is_empty() => true,
        (Value::Array(v), _) if v.is_empty() => true,
        (Value::Object(ma), Value::Object(mb)) => ma
            .iter()
            .all(|(k, va)| derivative(va, mb.get(k).unwrap_or(&Value::Null))),
        (Value::Array(va), Value::Array(vb)) => {
            va.len() == vb.len() && va.iter().zip(vb).all(|(x, y)| derivative(x, y))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// What `kubectl argo rollouts undo --to-revision N` does to `rollout`, given the ReplicaSets
/// that match its selector (`to_revision` 0: the second newest revision).
pub fn undo_patch(
    rollout: &Value,
    replica_sets: &[Value],
    to_revision: i64,
) -> Result<UndoPlan, RolloutError> {
    let name = str_at(rollout, &["metadata", "name"]).unwrap_or("?");
    let uid = str_at(rollout, &["metadata", "uid"]).unwrap_or("");
    let mut latest: Option<(i64, &Value)> = None;
    let mut previous: Option<(i64, &Value)> = None;
    let mut chosen = None;
    for rs in replica_sets.iter().filter(|rs| controlled_by(rs, uid)) {
        let Some(rev) = revision_of(rs) else { continue };
        if to_revision == 0 {
            if latest.is_none_or(|(l, _)| l < rev) {
                previous = latest;
                latest = Some((rev, rs));
            } else if previous.is_none_or(|(p, _)| p < rev) {
                previous = Some((rev, rs));
            }
        } else if rev == to_revision {
            chosen = Some((rev, rs));
            break;
        }
    }
    let (revision, rs) = match (to_revision, chosen, previous) {
        (0, _, Some(found)) => found,
        (0, _, None) => {
            return Err(RolloutError::NoRevision(format!(
                "no revision found for rollout {name:?}"
            )));
        }
        (_, Some(found), _) => found,
        (n, None, _) => {
            return Err(RolloutError::NoRevision(format!(
                "unable to find specified revision {n} in history"
            )));
        }
    };
    let Some(template) = at(rs, &["spec", "template"]) else {
        return Err(RolloutError::Invalid(format!(
            "ReplicaSet {} has no pod template",
            str_at(rs, &["metadata", "name"]).unwrap_or("?")
        )));
    };
    let current = at(rollout, &["spec", "template"]).unwrap_or(&Value::Null);
    if derivative(&without_hash_label(current), &without_hash_label(template)) {
        return Ok(UndoPlan::Skip { revision });
    }
    Ok(UndoPlan::Patch {
        revision,
        replica_set: str_at(rs, &["metadata", "name"]).unwrap_or("").to_string(),
        patch: json!([{"op": "replace", "path": "/spec/template", "value": without_hash_label(template)}]),
    })
}

/// Where a Rollout stands, as `ferry-rollout status` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutStatus {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `blueGreen`, `canary` or `unknown`.
    pub strategy: String,
    /// `status.phase` (Argo Rollouts v1.0+), else the health status (Argo CD's rule).
    pub phase: String,
    /// The phase's message.
    pub message: String,
    /// Argo CD's health status of the Rollout.
    pub health: String,
    /// Paused (`spec.paused` or pause conditions).
    pub paused: bool,
    /// Reasons of the pause conditions.
    pub pause_reasons: Vec<String>,
    /// Aborted.
    pub aborted: bool,
    /// The pod template hash of the desired spec.
    pub current_hash: Option<String>,
    /// The pod template hash of the stable ReplicaSet.
    pub stable_hash: Option<String>,
    /// The hash the active Service selects (blue-green).
    pub active_selector: Option<String>,
    /// The hash the preview Service selects (blue-green).
    pub preview_selector: Option<String>,
    /// Current canary step and the number of steps.
    pub step: Option<(i64, usize)>,
    /// The canary's set weight, as the kubectl plugin shows it: the last `setWeight` at or
    /// before the current step, 100 past the last step, 0 when aborted.
    pub weight: Option<i64>,
    /// The current canary step's pause: `indefinite`, or its `duration` (`1h`, `30` seconds).
    pub pause: Option<String>,
    /// The stable ReplicaSet is the current one (and, blue-green, the active Service selects
    /// it).
    pub fully_promoted: bool,
    /// The controller has observed the latest spec.
    pub observed: bool,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// Images of the pod template, in container order.
    pub images: Vec<String>,
}

/// The status of a Rollout object.
pub fn status(obj: &Value) -> RolloutStatus {
    let health = rules::rollout(obj);
    let strategy = if at(obj, &["spec", "strategy", "blueGreen"]).is_some() {
        "blueGreen"
    } else if at(obj, &["spec", "strategy", "canary"]).is_some() {
        "canary"
    } else {
        "unknown"
    };
    let (phase, message) = match str_at(obj, &["status", "phase"]) {
        Some(p) => (
            p.to_string(),
            str_at(obj, &["status", "message"])
                .unwrap_or("")
                .to_string(),
        ),
        None => (health.status.to_string(), health.message.clone()),
    };
    let images = at(obj, &["spec", "template", "spec", "containers"])
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("image").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let s = |path: &[&str]| str_at(obj, path).map(String::from);
    RolloutStatus {
        name: s(&["metadata", "name"]).unwrap_or_default(),
        namespace: s(&["metadata", "namespace"]).unwrap_or_default(),
        strategy: strategy.to_string(),
        phase,
        message,
        health: health.status.to_string(),
        paused: bool_at(obj, &["spec", "paused"])
            || array_len(obj, &["status", "pauseConditions"]) > 0,
        pause_reasons: rules::pause_reasons(obj)
            .into_iter()
            .map(String::from)
            .collect(),
        aborted: rules::is_aborted(obj),
        current_hash: s(&["status", "currentPodHash"]),
        stable_hash: s(&["status", "stableRS"]),
        active_selector: s(&["status", "blueGreen", "activeSelector"]),
        preview_selector: s(&["status", "blueGreen", "previewSelector"]),
        step: canary_steps(obj)
            .filter(|n| *n > 0)
            .map(|n| (int_at(obj, &["status", "currentStepIndex"]).unwrap_or(0), n)),
        weight: canary_weight(obj),
        pause: canary_pause(obj),
        fully_promoted: rules::is_fully_promoted(obj),
        observed: rules::rollout_spec_observed(obj),
        generation: int_at(obj, &["metadata", "generation"]),
        images,
    }
}

/// The steps of a canary with steps, and the current index.
fn canary_position(obj: &Value) -> Option<(&Vec<Value>, i64)> {
    let steps = at(obj, &["spec", "strategy", "canary", "steps"])?.as_array()?;
    Some((
        steps,
        int_at(obj, &["status", "currentStepIndex"]).unwrap_or(0),
    ))
}

fn canary_weight(obj: &Value) -> Option<i64> {
    at(obj, &["spec", "strategy", "canary"])?;
    if rules::is_aborted(obj) {
        return Some(0);
    }
    let Some((steps, index)) = canary_position(obj) else {
        return Some(100);
    };
    if index < 0 || index as usize >= steps.len() {
        return Some(100);
    }
    Some(
        steps[..=index as usize]
            .iter()
            .rev()
            .find_map(|s| s.get("setWeight").and_then(Value::as_i64))
            .unwrap_or(0),
    )
}

fn canary_pause(obj: &Value) -> Option<String> {
    let (steps, index) = canary_position(obj)?;
    let pause = steps.get(usize::try_from(index).ok()?)?.get("pause")?;
    Some(match pause.get("duration") {
        Some(Value::String(d)) => d.clone(),
        Some(Value::Number(n)) => format!("{n}s"),
        _ => "indefinite".to_owned(),
    })
}

/// How waiting after a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Settled {
    /// The Rollout is healthy.
    Healthy,
    /// Paused (a canary step or a blue-green Rollout waiting for promotion).
    Paused,
    /// Aborted, the stable version serving (the wanted end of `abort`).
    Aborted,
    /// Degraded.
    Degraded,
}

/// Whether `now` is a settled state after `command` (`before` is the object before it, `sent`
/// the object the API returned after the patches): the controller observed the spec and
/// reached a state that ends the command, or `None` while it is still moving.
pub fn settled(command: Command, before: &Value, sent: &Value, now: &Value) -> Option<Settled> {
    if !rules::rollout_spec_observed(now) {
        return None;
    }
    let generation = int_at(sent, &["metadata", "generation"]).unwrap_or(0);
    if int_at(now, &["status", "observedGeneration"]).is_some_and(|o| o < generation) {
        return None;
    }
    let health = rules::rollout(now).status;
    let aborted = rules::is_aborted(now);
    use ferry_health::HealthStatus as H;
    match command {
        Command::Abort => match health {
            H::Degraded if aborted => Some(Settled::Aborted),
            _ if aborted && rules::is_fully_promoted(now) => Some(Settled::Aborted),
            _ => None,
        },
        Command::Retry if aborted => None,
        Command::Promote
            if health == H::Suspended
                && at(before, &["status", "pauseConditions"])
                    == at(now, &["status", "pauseConditions"])
                && at(before, &["status", "currentStepIndex"])
                    == at(now, &["status", "currentStepIndex"]) =>
        {
            None
        }
        _ => match health {
            H::Healthy => Some(Settled::Healthy),
            H::Suspended => Some(Settled::Paused),
            H::Degraded => Some(Settled::Degraded),
            _ => None,
        },
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The command.
    pub command: Command,
    /// The Rollout's name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The requests sent, in order (`PATCH <path>` and the body).
    pub requests: Vec<SentPatch>,
    /// Nothing needed to be sent (e.g. already fully promoted, template already matches).
    pub skipped: Option<String>,
    /// The status after the command (after waiting, with `--wait`).
    pub status: RolloutStatus,
    /// How waiting ended (with `--wait`).
    pub settled: Option<Settled>,
}

/// One patch sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentPatch {
    /// `status` for the status subresource, empty for the object.
    pub subresource: String,
    /// `merge` or `json`.
    pub kind: String,
    /// The body.
    pub body: Value,
}

/// The Rollouts of one namespace through a Kubernetes client.
#[derive(Clone)]
pub struct RolloutClient {
    client: kube::Client,
    namespace: String,
}

/// The `argoproj.io/v1alpha1` Rollout resource.
pub fn rollout_resource() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "Rollout", "rollouts")
}

fn replica_set_resource() -> ApiResource {
    resource("apps", "v1", "ReplicaSet", "replicasets")
}

impl RolloutClient {
    /// Rollouts in `namespace` through `client`.
    pub fn new(client: kube::Client, namespace: impl Into<String>) -> Self {
        RolloutClient {
            client,
            namespace: namespace.into(),
        }
    }

    fn api(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &rollout_resource())
    }

    fn api_error(&self, what: String, name: &str, source: kube::Error) -> RolloutError {
        if is_not_found(&source) {
            RolloutError::NotFound {
                namespace: self.namespace.clone(),
                name: name.to_string(),
            }
        } else {
            RolloutError::Api { what, source }
        }
    }

    /// The Rollout object.
    pub async fn get(&self, name: &str) -> Result<Value, RolloutError> {
        self.api()
            .get(name)
            .await
            .map(|o| to_value(&o))
            .map_err(|e| self.api_error(format!("GET rollouts/{name}"), name, e))
    }

    /// The Rollout's status.
    pub async fn status(&self, name: &str) -> Result<RolloutStatus, RolloutError> {
        Ok(status(&self.get(name).await?))
    }

    async fn merge(
        &self,
        name: &str,
        subresource: Option<&str>,
        body: &Value,
        sent: &mut Vec<SentPatch>,
    ) -> Result<Value, kube::Error> {
        sent.push(SentPatch {
            subresource: subresource.unwrap_or("").to_string(),
            kind: "merge".into(),
            body: body.clone(),
        });
        let pp = PatchParams::default();
        let obj = match subresource {
            Some(sub) => {
                self.api()
                    .patch_subresource(sub, name, &pp, &Patch::Merge(body))
                    .await?
            }
            None => self.api().patch(name, &pp, &Patch::Merge(body)).await?,
        };
        Ok(to_value(&obj))
    }

    /// A merge patch of the status subresource, falling back to the object on 404.
    async fn status_patch(
        &self,
        name: &str,
        body: &Value,
        sent: &mut Vec<SentPatch>,
    ) -> Result<Value, RolloutError> {
        match self.merge(name, Some("status"), body, sent).await {
            Ok(obj) => Ok(obj),
            Err(e) if is_not_found(&e) => self
                .merge(name, None, body, sent)
                .await
                .map_err(|e| self.api_error(format!("PATCH rollouts/{name}"), name, e)),
            Err(e) => Err(self.api_error(format!("PATCH rollouts/{name}/status"), name, e)),
        }
    }

    fn outcome(
        &self,
        command: Command,
        name: &str,
        requests: Vec<SentPatch>,
        skipped: Option<String>,
        obj: &Value,
    ) -> Outcome {
        Outcome {
            command,
            name: name.to_string(),
            namespace: self.namespace.clone(),
            requests,
            skipped,
            status: status(obj),
            settled: None,
        }
    }

    /// `promote [--full]`.
    pub async fn promote(&self, name: &str, full: bool) -> Result<(Outcome, Value), RolloutError> {
        let before = self.get(name).await?;
        let patches = promote_patches(&before, full);
        let mut sent = Vec::new();
        let mut obj = before.clone();
        let mut spec = patches.spec.clone();
        if let Some(status_patch) = &patches.status {
            match self
                .merge(name, Some("status"), status_patch, &mut sent)
                .await
            {
                Ok(o) => obj = o,
                Err(e) if is_not_found(&e) => spec = patches.unified.clone(),
                Err(e) => {
                    return Err(self.api_error(format!("PATCH rollouts/{name}/status"), name, e));
                }
            }
        }
        if let Some(spec_patch) = &spec {
            obj = self
                .merge(name, None, spec_patch, &mut sent)
                .await
                .map_err(|e| self.api_error(format!("PATCH rollouts/{name}"), name, e))?;
        }
        let skipped = sent
            .is_empty()
            .then(|| "the rollout is fully promoted already".to_string());
        Ok((
            self.outcome(Command::Promote, name, sent, skipped, &obj),
            before,
        ))
    }

    /// `abort`.
    pub async fn abort(&self, name: &str) -> Result<(Outcome, Value), RolloutError> {
        let before = self.get(name).await?;
        let mut sent = Vec::new();
        let body: Value = serde_json::from_str(ABORT_PATCH).expect("a constant patch");
        let obj = self.status_patch(name, &body, &mut sent).await?;
        Ok((self.outcome(Command::Abort, name, sent, None, &obj), before))
    }

    /// `retry`.
    pub async fn retry(&self, name: &str) -> Result<(Outcome, Value), RolloutError> {
        let before = self.get(name).await?;
        let mut sent = Vec::new();
        let body: Value = serde_json::from_str(RETRY_PATCH).expect("a constant patch");
        let obj = self.status_patch(name, &body, &mut sent).await?;
        Ok((self.outcome(Command::Retry, name, sent, None, &obj), before))
    }

    /// `undo [--to-revision N]` (0: the previous revision).
    pub async fn undo(
        &self,
        name: &str,
        to_revision: i64,
    ) -> Result<(Outcome, Value), RolloutError> {
        let before = self.get(name).await?;
        let rs_api: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &replica_set_resource(),
        );
        let mut lp = ListParams::default();
        if let Some(selector) = ferry_health::probe::kubernetes::selector(&before) {
            lp = lp.labels(&selector);
        }
        let replica_sets: Vec<Value> = rs_api
            .list(&lp)
            .await
            .map_err(|e| RolloutError::Api {
                what: "LIST replicasets".into(),
                source: e,
            })?
            .items
            .iter()
            .map(to_value)
            .collect();
        match undo_patch(&before, &replica_sets, to_revision)? {
            UndoPlan::Skip { revision } => {
                let why = format!("the current template already matches revision {revision}");
                Ok((
                    self.outcome(Command::Undo, name, Vec::new(), Some(why), &before),
                    before,
                ))
            }
            UndoPlan::Patch { patch, .. } => {
                let sent = vec![SentPatch {
                    subresource: String::new(),
                    kind: "json".into(),
                    body: patch.clone(),
                }];
                let path = format!(
                    "/apis/argoproj.io/v1alpha1/namespaces/{}/rollouts/{}",
                    self.namespace, name
                );
                let request = http::Request::patch(&path)
                    .header(http::header::CONTENT_TYPE, "application/json-patch+json")
                    .header(http::header::ACCEPT, "application/json")
                    .body(serde_json::to_vec(&patch).expect("a JSON patch serialises"))
                    .map_err(|e| RolloutError::Invalid(format!("cannot build the request: {e}")))?;
                let obj: Value = self
                    .client
                    .request(request)
                    .await
                    .map_err(|e| self.api_error(format!("PATCH {path}"), name, e))?;
                Ok((self.outcome(Command::Undo, name, sent, None, &obj), before))
            }
        }
    }

    /// Polls every `interval` until the Rollout settles after `command` ([`settled`]) or
    /// `timeout` passes. Uses tokio time.
    pub async fn wait(
        &self,
        command: Command,
        name: &str,
        before: &Value,
        sent: &Value,
        interval: Duration,
        timeout: Duration,
    ) -> Result<(Settled, RolloutStatus), RolloutError> {
        let started = tokio::time::Instant::now();
        loop {
            let now = self.get(name).await?;
            if let Some(done) = settled(command, before, sent, &now) {
                return Ok((done, status(&now)));
            }
            if started.elapsed() + interval > timeout {
                let s = status(&now);
                return Err(RolloutError::Timeout {
                    name: name.to_string(),
                    waited: started.elapsed(),
                    last: format!("{} {}", s.phase, s.message).trim().to_string(),
                });
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// One Argo CD resource action on a Rollout, as discovery lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionEntry {
    /// The action's name.
    pub name: String,
    /// Whether the action is disabled for this object.
    pub disabled: bool,
    /// The label Argo CD shows, when it differs from the name.
    #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// The Argo CD resource actions of a Rollout and whether each is enabled.
pub fn discover_actions(obj: &Value) -> Vec<ActionEntry> {
    let entry = |name: &str, disabled: bool| ActionEntry {
        name: name.into(),
        disabled,
        display_name: None,
    };
    let paused = match at(obj, &["status", "pauseConditions"]) {
        Some(conditions) => conditions.as_array().is_some_and(|c| !c.is_empty()),
        None => bool_at(obj, &["spec", "paused"]),
    };
    let promoted = fully_promoted(obj);
    let aborted = bool_at(obj, &["status", "abort"]);
    let promote_full_disabled = if at(obj, &["status"]).is_none() || promoted {
        true
    } else if legacy_generation(obj) {
        // Rollouts v0.9: full promotion only for canary.
        at(obj, &["spec", "strategy", "blueGreen"]).is_some()
    } else {
        false
    };
    let skip_disabled = match canary_steps(obj) {
        None => true,
        Some(n) => int_at(obj, &["status", "currentStepIndex"]) == Some(n as i64),
    };
    vec![
        ActionEntry {
            display_name: Some("Restart Pods".into()),
            ..entry("restart", false)
        },
        entry("resume", !paused),
        entry("abort", promoted || aborted),
        entry("retry", promoted || !aborted),
        entry("promote-full", promote_full_disabled),
        entry("skip-current-step", skip_disabled),
        entry(
            "pause",
            promoted || bool_at(obj, &["spec", "paused"]) || aborted,
        ),
    ]
}

/// Rollouts v0.9 and older: `status.observedGeneration` is a hash (or ahead of the object's
/// generation), so the status subresource is not in use.
fn legacy_generation(obj: &Value) -> bool {
    match int_at(obj, &["status", "observedGeneration"]) {
        None => true,
        Some(observed) => observed > int_at(obj, &["metadata", "generation"]).unwrap_or(0),
    }
}

fn status_mut(obj: &mut Value) -> Result<&mut Map<String, Value>, RolloutError> {
    let root = obj
        .as_object_mut()
        .ok_or_else(|| RolloutError::Invalid("the Rollout is not an object".into()))?;
    let status = root
        .entry("status")
        .or_insert_with(|| Value::Object(Map::new()));
    if status.is_null() {
        *status = Value::Object(Map::new());
    }
    status
        .as_object_mut()
        .ok_or_else(|| RolloutError::Invalid("status is not an object".into()))
}

fn spec_mut(obj: &mut Value) -> Result<&mut Map<String, Value>, RolloutError> {
    obj.get_mut("spec")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| RolloutError::Invalid("the Rollout has no spec".into()))
}

/// Applies Argo CD resource action `action` to a Rollout and returns the new object; `now`
/// is the time `restart` writes.
pub fn apply_action(
    obj: &Value,
    action: &str,
    now: jiff::Timestamp,
) -> Result<Value, RolloutError> {
    let mut out = obj.clone();
    match action {
        "resume" => {
            if array_len(obj, &["status", "pauseConditions"]) > 0 {
                status_mut(&mut out)?.remove("pauseConditions");
            }
            if bool_at(obj, &["spec", "paused"]) {
                spec_mut(&mut out)?.insert("paused".into(), Value::Bool(false));
            }
        }
        "abort" => {
            status_mut(&mut out)?.insert("abort".into(), Value::Bool(true));
        }
        "pause" => {
            spec_mut(&mut out)?.insert("paused".into(), Value::Bool(true));
        }
        "restart" => {
            let stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            spec_mut(&mut out)?.insert("restartAt".into(), Value::String(stamp));
        }
        "retry" => {
            if bool_at(obj, &["status", "abort"]) {
                let status = status_mut(&mut out)?;
                status.remove("abort");
                if let Some(bg) = status.get_mut("blueGreen").and_then(Value::as_object_mut) {
                    bg.remove("prePromotionAnalysisRunStatus");
                    bg.remove("postPromotionAnalysisRunStatus");
                }
                if let Some(canary) = status.get_mut("canary").and_then(Value::as_object_mut) {
                    canary.remove("currentStepAnalysisRunStatus");
                    canary.remove("currentBackgroundAnalysisRunStatus");
                }
            }
        }
        "promote-full" => {
            if at(obj, &["status"]).is_some() {
                if legacy_generation(obj) {
                    let steps = canary_steps(obj);
                    let status = status_mut(&mut out)?;
                    status.remove("abort");
                    if let Some(n) = steps {
                        status.insert("currentStepIndex".into(), json!(n));
                    }
                } else {
                    status_mut(&mut out)?.insert("promoteFull".into(), Value::Bool(true));
                }
            }
        }
        "skip-current-step" => {
            if at(obj, &["status"]).is_some()
                && let Some(steps) = canary_steps(obj)
            {
                let index = int_at(obj, &["status", "currentStepIndex"]).unwrap_or(0);
                if index < steps as i64 {
                    let status = status_mut(&mut out)?;
                    if array_len(obj, &["status", "pauseConditions"]) > 0 {
                        status.remove("pauseConditions");
                    }
                    status.insert("currentStepIndex".into(), json!(index + 1));
                }
            }
        }
        other => {
            return Err(RolloutError::Invalid(format!(
                "unknown Rollout action {other:?} (resume, abort, retry, restart, promote-full, skip-current-step, pause)"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
