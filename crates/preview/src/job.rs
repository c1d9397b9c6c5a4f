//! Tests as a Kubernetes Job, for teams without Argo Workflows, pure: the Job to create and
//! what its state means (ferry-health's Job rule).

use serde_json::{Map, Value, json};

use crate::error::ParameterError;
use crate::workflow::{FailedNode, Phase, WorkflowState};

/// The Job of a `--job` file to create in `namespace`: `generateName: NAME-` instead of its
/// name (so every run is a new Job), the preview's labels on the Job and its pods.
pub fn job_body(
    job: &Value,
    namespace: &str,
    labels: &Map<String, Value>,
) -> Result<Value, ParameterError> {
    let kind = job.get("kind").and_then(Value::as_str).unwrap_or("");
    let api_version = job.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if kind != "Job" || api_version != "batch/v1" {
        return Err(ParameterError::Invalid(format!(
            "--job: expected a batch/v1 Job, found {api_version} {kind}"
        )));
    }
    let name = job
        .pointer("/metadata/name")
        .or_else(|| job.pointer("/metadata/generateName"))
        .and_then(Value::as_str)
        .map(|n| n.trim_end_matches('-').to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ParameterError::Invalid("--job: the Job has no metadata.name".into()))?;
    if job.pointer("/spec/template").is_none() {
        return Err(ParameterError::Invalid(format!(
            "--job: Job {name} has no spec.template"
        )));
    }
    let mut out = job.clone();
    let metadata = out
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| ParameterError::Invalid("--job: the Job has no metadata".into()))?;
    metadata.remove("name");
    metadata.remove("resourceVersion");
    metadata.remove("uid");
    metadata.insert("generateName".into(), json!(format!("{name}-")));
    metadata.insert("namespace".into(), json!(namespace));
    let job_labels = metadata.entry("labels").or_insert_with(|| json!({}));
    if let Some(map) = job_labels.as_object_mut() {
        map.extend(labels.clone());
    }
    if let Some(template) = out
        .pointer_mut("/spec/template")
        .and_then(Value::as_object_mut)
    {
        let meta = template.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            let pod_labels = meta.entry("labels").or_insert_with(|| json!({}));
            if let Some(map) = pod_labels.as_object_mut() {
                map.extend(labels.clone());
            }
        }
    }
    if let Some(status) = out.as_object_mut() {
        status.remove("status");
    }
    Ok(out)
}

/// A Job's state in the words of a Workflow's: Succeeded when complete, Failed with the
/// condition's message when failed, Running otherwise.
pub fn job_state(job: &Value) -> WorkflowState {
    let health = ferry_health::rules::batch::job(job);
    let name = job
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    use ferry_health::HealthStatus as H;
    let phase = match health.status {
        H::Healthy => Phase::Succeeded,
        H::Degraded => Phase::Failed,
        H::Progressing | H::Suspended => Phase::Running,
        H::Missing | H::Unknown => Phase::Pending,
    };
    let failed_nodes = if phase == Phase::Failed {
        vec![FailedNode {
            id: name.clone(),
            name: name.clone(),
            node_type: "Job".into(),
            phase: "Failed".into(),
            message: health.message.clone(),
        }]
    } else {
        Vec::new()
    };
    WorkflowState {
        name,
        phase,
        message: health.message,
        failed_nodes,
    }
}
