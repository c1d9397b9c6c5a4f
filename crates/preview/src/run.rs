//! The flows over a [`Cluster`]: tests as an Argo Workflow or a Job, the health wait of `up`,
//! and the target of `smoke` (a paused blue-green Rollout's preview Service).

use ferry_health::monitor::{self, Event, Policy, Report};
use ferry_health::probe::cluster::cluster_probes;
use ferry_health::probe::http::HttpSpec;
use ferry_health::probe::kubernetes::Workload;
use ferry_health::rules::rollout as rollout_rules;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cluster::Cluster;
pub use crate::cluster::Wait;
use crate::error::{ParameterError, PreviewError};
use crate::identity::{COMMIT, ENVIRONMENT, EXPIRES, MANAGED_BY, PREVIEW, Preview};
use crate::job::{job_body, job_state};
use crate::resource::ResourceType;
use crate::workflow::{WorkflowState, check_parameters, interpret, template_name, workflow_body};

/// Where the WorkflowTemplate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateSource {
    /// A file of the repository (`infra/argo-workflows/`): checked before any request, then
    /// applied into the preview namespace.
    Repository(Value),
    /// A template already in the preview namespace, by name: read, then checked before the
    /// Workflow is sent.
    Cluster(String),
}

/// A test that ran to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestRun {
    /// `Workflow` or `Job`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The parameters sent (Workflows).
    pub parameters: Vec<(String, String)>,
    /// How it ended.
    pub state: WorkflowState,
}

/// Ferry's labels of a preview namespace: what the test objects carry too.
fn preview_labels(namespace: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(labels) = namespace
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
    {
        for key in [MANAGED_BY, PREVIEW, ENVIRONMENT, COMMIT, EXPIRES] {
            if let Some(v) = labels.get(key) {
                out.insert(key.into(), v.clone());
            }
        }
    }
    out
}

/// The Workflow resource type.
pub fn workflows() -> ResourceType {
    ResourceType::of("argoproj.io/v1alpha1", "Workflow")
}

/// The WorkflowTemplate resource type.
pub fn workflow_templates() -> ResourceType {
    ResourceType::of("argoproj.io/v1alpha1", "WorkflowTemplate")
}

fn name_of(obj: &Value) -> String {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Runs a WorkflowTemplate against the preview: parameters checked against what the template
/// declares before any request (a repository template) or before anything is written (a
/// cluster template), the template applied (repository), the Workflow created and waited for.
pub async fn run_workflow(
    cluster: &Cluster,
    preview: &Preview,
    source: TemplateSource,
    parameters: &[(String, String)],
    wait: Wait,
    on_change: &mut (dyn FnMut(&WorkflowState) + Send),
) -> Result<TestRun, PreviewError> {
    let (template, from_repository) = match source {
        TemplateSource::Repository(template) => {
            check_parameters(&template, parameters)?;
            (template, true)
        }
        TemplateSource::Cluster(name) => {
            let found = cluster
                .get(&workflow_templates(), Some(&preview.namespace), &name)
                .await?
                .ok_or_else(|| {
                    PreviewError::NotFound(format!(
                        "WorkflowTemplate {name} is neither under infra/argo-workflows/ nor in \
                         namespace {}",
                        preview.namespace
                    ))
                })?;
            check_parameters(&found, parameters)?;
            (found, false)
        }
    };
    let name = template_name(&template)?.to_string();
    let namespace = cluster.require_preview(preview).await?;
    let labels = preview_labels(&namespace);
    if from_repository {
        let mut applied = template.clone();
        let metadata = applied
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                ParameterError::Invalid("the WorkflowTemplate has no metadata".into())
            })?;
        metadata.insert("namespace".into(), Value::String(preview.namespace.clone()));
        let own = metadata
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(map) = own.as_object_mut() {
            map.extend(labels.clone());
        }
        cluster.apply(&applied).await?;
    }
    let body = workflow_body(&name, &preview.namespace, parameters, &labels);
    let created = cluster
        .create(&workflows(), &preview.namespace, &body)
        .await?;
    let workflow = name_of(&created);
    let state = cluster
        .wait_done(
            &workflows(),
            &preview.namespace,
            &workflow,
            interpret,
            wait,
            on_change,
        )
        .await?;
    Ok(TestRun {
        kind: "Workflow".into(),
        name: workflow,
        parameters: parameters.to_vec(),
        state,
    })
}

/// Runs the Job of a `--job` file in the preview and waits for it.
pub async fn run_job(
    cluster: &Cluster,
    preview: &Preview,
    job: &Value,
    wait: Wait,
    on_change: &mut (dyn FnMut(&WorkflowState) + Send),
) -> Result<TestRun, PreviewError> {
    // The file is checked before anything is sent.
    job_body(job, &preview.namespace, &Map::new())?;
    let namespace = cluster.require_preview(preview).await?;
    let body = job_body(job, &preview.namespace, &preview_labels(&namespace))?;
    let jobs = ResourceType::of("batch/v1", "Job");
    let created = cluster.create(&jobs, &preview.namespace, &body).await?;
    let name = name_of(&created);
    let state = cluster
        .wait_done(&jobs, &preview.namespace, &name, job_state, wait, on_change)
        .await?;
    Ok(TestRun {
        kind: "Job".into(),
        name,
        parameters: Vec::new(),
        state,
    })
}

/// Waits until the workloads of a preview are healthy: ferry-health's rules through the
/// monitor's loop and `policy` (pod fast-fail signals watched beside it). `None` when there
/// is no workload to wait for.
pub async fn wait_healthy(
    cluster: &Cluster,
    namespace: &str,
    workloads: &[String],
    policy: &Policy,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<Option<Report>, PreviewError> {
    let parsed: Vec<Workload> = workloads
        .iter()
        .map(|w| w.parse().map_err(PreviewError::NotReady))
        .collect::<Result<_, _>>()?;
    if parsed.is_empty() {
        return Ok(None);
    }
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut probes = cluster_probes(
        cluster.client(),
        namespace,
        parsed,
        None,
        &tx,
        policy.interval,
    );
    drop(tx);
    Ok(Some(
        monitor::run(policy, &mut probes, Some(rx), on_event).await,
    ))
}

/// The preview Service of a blue-green Rollout paused for promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewTarget {
    /// The Rollout.
    pub rollout: String,
    /// Its namespace.
    pub namespace: String,
    /// `spec.strategy.blueGreen.previewService`.
    pub service: String,
    /// The Service's first port.
    pub port: u64,
    /// `http://SERVICE.NAMESPACE.svc.cluster.local:PORT`.
    pub url: String,
    /// The pod template hash the preview Service selects (the green ReplicaSet).
    pub preview_selector: Option<String>,
}

/// Finds the preview Service of `rollout` in `namespace`: refused unless the Rollout is
/// blue-green, has a preview Service and is paused for promotion.
pub async fn preview_target(
    cluster: &Cluster,
    namespace: &str,
    rollout: &str,
) -> Result<PreviewTarget, PreviewError> {
    let rollouts = ferry_rollouts::RolloutClient::new(cluster.client().clone(), namespace);
    let obj = rollouts.get(rollout).await.map_err(|e| match e {
        ferry_rollouts::RolloutError::NotFound { .. } => {
            PreviewError::NotFound(format!("rollout {namespace}/{rollout} not found"))
        }
        ferry_rollouts::RolloutError::Api { what, source } => PreviewError::Api { what, source },
        other => PreviewError::NotReady(other.to_string()),
    })?;
    let Some(service) = obj
        .pointer("/spec/strategy/blueGreen/previewService")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(PreviewError::NotReady(format!(
            "rollout {namespace}/{rollout} is not a blue-green Rollout with a previewService: \
             there is no preview to smoke-test"
        )));
    };
    if !rollout_rules::is_paused_for_promotion(&obj) {
        let status = ferry_rollouts::status(&obj);
        return Err(PreviewError::NotReady(format!(
            "rollout {namespace}/{rollout} is not paused for promotion (phase {}{}): nothing \
             waits to be promoted",
            status.phase,
            if status.message.is_empty() {
                String::new()
            } else {
                format!(": {}", status.message)
            }
        )));
    }
    let svc = cluster
        .get(
            &ResourceType::of("v1", "Service"),
            Some(namespace),
            &service,
        )
        .await?
        .ok_or_else(|| {
            PreviewError::NotFound(format!(
                "preview Service {namespace}/{service} of rollout {rollout} not found"
            ))
        })?;
    let port = svc
        .pointer("/spec/ports/0/port")
        .and_then(Value::as_u64)
        .unwrap_or(80);
    Ok(PreviewTarget {
        rollout: rollout.to_string(),
        namespace: namespace.to_string(),
        url: format!("http://{service}.{namespace}.svc.cluster.local:{port}"),
        service,
        port,
        preview_selector: obj
            .pointer("/status/blueGreen/previewSelector")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// The HTTP probes of `smoke`: `paths` (at least `/`) under `base` (the target's URL, or a
/// URL that reaches it from outside the cluster).
pub fn smoke_specs(base: &str, paths: &[String]) -> Vec<HttpSpec> {
    let base = base.trim_end_matches('/');
    let paths: Vec<String> = if paths.is_empty() {
        vec!["/".into()]
    } else {
        paths.to_vec()
    };
    paths
        .iter()
        .map(|p| {
            let p = if p.starts_with('/') {
                p.clone()
            } else {
                format!("/{p}")
            };
            HttpSpec::new(format!("{base}{p}"))
        })
        .collect()
}
