//! Argo Workflows, pure: the parameters a WorkflowTemplate declares, the check of the ones given
//! (before anything is sent), the Workflow that runs the template, and what its phase means.
//!
//! Argo accepts parameters a template does not declare and runs without them
//! (`fixtures/conformance/argo-workflows/FACTS.md`): a misspelt `--param` would test the wrong
//! target and still pass. So a parameter is accepted only when the template declares it in
//! `spec.arguments.parameters` or as an input parameter of its entrypoint.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ParameterError;

/// A parameter a WorkflowTemplate declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declared {
    /// Its name.
    pub name: String,
    /// Whether the template gives it a value (`value`, `default` or `valueFrom`).
    pub has_value: bool,
    /// The allowed values (`enum`), empty when any value goes.
    pub allowed: Vec<String>,
}

fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn declared_in(list: Option<&Value>, out: &mut Vec<Declared>) {
    for p in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        let has_value = ["value", "default", "valueFrom"]
            .iter()
            .any(|k| p.get(*k).is_some_and(|v| !v.is_null()));
        let allowed = p
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(string_of).collect())
            .unwrap_or_default();
        match out.iter_mut().find(|d| d.name == name) {
            Some(d) => d.has_value |= has_value,
            None => out.push(Declared {
                name: name.to_string(),
                has_value,
                allowed,
            }),
        }
    }
}

/// The name of a WorkflowTemplate object, checking its kind.
pub fn template_name(template: &Value) -> Result<&str, ParameterError> {
    let kind = template.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "WorkflowTemplate" {
        return Err(ParameterError::Invalid(format!(
            "expected a WorkflowTemplate, found kind {kind:?}"
        )));
    }
    template
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| ParameterError::Invalid("the WorkflowTemplate has no metadata.name".into()))
}

/// The parameters `template` declares: `spec.arguments.parameters`, then the input parameters
/// of its entrypoint template.
pub fn declared_parameters(template: &Value) -> Vec<Declared> {
    let mut out = Vec::new();
    declared_in(template.pointer("/spec/arguments/parameters"), &mut out);
    if let Some(entry) = template.pointer("/spec/entrypoint").and_then(Value::as_str) {
        let entry_template = template
            .pointer("/spec/templates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(entry));
        if let Some(t) = entry_template {
            declared_in(t.pointer("/inputs/parameters"), &mut out);
        }
    }
    out
}

/// `NAME=VALUE` split at the first `=` (as `argo submit -p` does).
pub fn parse_param(text: &str) -> Result<(String, String), ParameterError> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(ParameterError::Syntax(text.to_string())),
    }
}

/// `{namespace}` in a parameter value becomes the preview's namespace, so a parameter can point
/// at the preview's Services (`http://backend.{namespace}.svc.cluster.local:8080`).
pub fn expand(value: &str, namespace: &str) -> String {
    value.replace("{namespace}", namespace)
}

/// Checks `given` against what `template` declares: every name declared, every value allowed,
/// every declared parameter without a value of its own given one.
pub fn check_parameters(
    template: &Value,
    given: &[(String, String)],
) -> Result<(), ParameterError> {
    let name = template_name(template)?.to_string();
    let declared = declared_parameters(template);
    let undeclared: Vec<String> = given
        .iter()
        .filter(|(n, _)| !declared.iter().any(|d| d.name == *n))
        .map(|(n, _)| n.clone())
        .collect();
    if !undeclared.is_empty() {
        return Err(ParameterError::Undeclared {
            template: name,
            undeclared,
            declared: declared.into_iter().map(|d| d.name).collect(),
        });
    }
    for (n, v) in given {
        if let Some(d) = declared.iter().find(|d| d.name == *n)
            && !d.allowed.is_empty()
            && !d.allowed.contains(v)
        {
            return Err(ParameterError::NotInEnum {
                template: name,
                name: n.clone(),
                value: v.clone(),
                allowed: d.allowed.clone(),
            });
        }
    }
    let missing: Vec<String> = declared
        .iter()
        .filter(|d| !d.has_value && !given.iter().any(|(n, _)| *n == d.name))
        .map(|d| d.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ParameterError::Missing {
            template: name,
            missing,
        });
    }
    Ok(())
}

/// The Workflow that runs `template` in `namespace` with `parameters`, labelled: what
/// `argo submit --from workflowtemplate/NAME -p …` creates (`generateName: NAME-`, the
/// `workflows.argoproj.io/workflow-template` label, `spec.workflowTemplateRef`).
pub fn workflow_body(
    template: &str,
    namespace: &str,
    parameters: &[(String, String)],
    labels: &Map<String, Value>,
) -> Value {
    let mut labels = labels.clone();
    labels.insert(
        "workflows.argoproj.io/workflow-template".into(),
        json!(template),
    );
    let parameters: Vec<Value> = parameters
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    let mut spec = json!({"workflowTemplateRef": {"name": template}});
    if !parameters.is_empty() {
        spec["arguments"] = json!({"parameters": parameters});
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": format!("{template}-"),
            "namespace": namespace,
            "labels": labels,
        },
        "spec": spec,
    })
}

/// A Workflow's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Not started (or no status yet).
    Pending,
    /// Running.
    Running,
    /// Every step passed.
    Succeeded,
    /// A step failed: the tests failed.
    Failed,
    /// Argo could not run it: the verdict on the candidate is unknown.
    Error,
}

impl Phase {
    /// Whether the Workflow has ended.
    pub fn is_done(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed | Phase::Error)
    }

    /// The phase as Argo spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Error => "Error",
        }
    }
}

/// A node that failed or erred, with its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedNode {
    /// The node's id.
    pub id: String,
    /// Its display name (its name when it has none).
    pub name: String,
    /// `Pod`, `Steps`, `DAG`, `Retry`, …
    #[serde(rename = "type")]
    pub node_type: String,
    /// `Failed` or `Error`.
    pub phase: String,
    /// Its message (may be empty).
    pub message: String,
}

/// Where a Workflow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowState {
    /// `metadata.name`.
    pub name: String,
    /// `status.phase`.
    pub phase: Phase,
    /// `status.message`.
    pub message: String,
    /// Every node in phase Failed or Error, in the order of `status.nodes`.
    pub failed_nodes: Vec<FailedNode>,
}

/// Reads a Workflow's state.
pub fn interpret(workflow: &Value) -> WorkflowState {
    let text = |path: &str| {
        workflow
            .pointer(path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let phase = match text("/status/phase").as_str() {
        "Running" => Phase::Running,
        "Succeeded" => Phase::Succeeded,
        "Failed" => Phase::Failed,
        "Error" => Phase::Error,
        _ => Phase::Pending,
    };
    let mut failed_nodes = Vec::new();
    if let Some(nodes) = workflow.pointer("/status/nodes").and_then(Value::as_object) {
        for (id, node) in nodes {
            let field = |k: &str| {
                node.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let node_phase = field("phase");
            if node_phase != "Failed" && node_phase != "Error" {
                continue;
            }
            let name = Some(field("displayName"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| field("name"));
            failed_nodes.push(FailedNode {
                id: Some(field("id"))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| id.clone()),
                name,
                node_type: field("type"),
                phase: node_phase,
                message: field("message"),
            });
        }
    }
    WorkflowState {
        name: text("/metadata/name"),
        phase,
        message: text("/status/message"),
        failed_nodes,
    }
}
