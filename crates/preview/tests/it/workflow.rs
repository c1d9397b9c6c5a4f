//! WorkflowTemplate parameters and Workflow phases, on the Argo Workflows conformance data.

use ferry_preview::ParameterError;
use ferry_preview::workflow::{
    Phase, check_parameters, declared_parameters, expand, interpret, parse_param, workflow_body,
};
use ferry_test_support::conformance_cases;
use serde_json::{Value, json};

use crate::support::{conformance_json, conformance_yaml};

fn template(file: &str, name: &str) -> Value {
    conformance_yaml(file)
        .into_iter()
        .find(|t| t["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{file} holds {name}"))
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn declared_parameters_come_from_arguments_and_the_entrypoints_inputs() {
    let submittable = template(
        "argo-workflows/workflowtemplates-print-message.yaml",
        "workflow-template-submittable",
    );
    let names: Vec<String> = declared_parameters(&submittable)
        .into_iter()
        .map(|d| format!("{} {}", d.name, d.has_value))
        .collect();
    assert_eq!(names, ["message true"]);
    let print = template(
        "argo-workflows/workflowtemplates-print-message.yaml",
        "workflow-template-print-message",
    );
    let names: Vec<String> = declared_parameters(&print)
        .into_iter()
        .map(|d| format!("{} {}", d.name, d.has_value))
        .collect();
    assert_eq!(names, ["message false"]);
}

#[test]
fn an_undeclared_parameter_is_refused_naming_the_declared_ones() {
    // Upstream's own event-consumer template uses `appellation` without declaring it; Argo
    // accepts it at submission (FACTS.md). Ferry refuses it.
    let consumer =
        conformance_yaml("argo-workflows/workflowtemplate-event-consumer.yaml").remove(0);
    let err =
        check_parameters(&consumer, &params(&[("appellation", "Mr")])).expect_err("undeclared");
    assert_eq!(
        err,
        ParameterError::Undeclared {
            template: "event-consumer".into(),
            undeclared: vec!["appellation".into()],
            declared: vec!["salutation".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "WorkflowTemplate event-consumer does not declare parameter appellation; it declares: salutation"
    );
    assert_eq!(ferry_error::Classify::exit_code(&err), 2);
}

#[test]
fn a_declared_parameter_without_a_value_must_be_given() {
    let whalesay =
        conformance_json("argo-workflows/server-test-templates.json")["workflowtmpl"]["object"]
            .clone();
    let err = check_parameters(&whalesay, &[]).expect_err("missing");
    assert!(matches!(err, ParameterError::Missing { ref missing, .. } if missing == &["message"]));
    check_parameters(&whalesay, &params(&[("message", "hello")])).expect("declared and given");
}

#[test]
fn enum_values_are_checked() {
    let template = json!({"kind": "WorkflowTemplate", "metadata": {"name": "load"},
        "spec": {"arguments": {"parameters": [{"name": "profile", "value": "smoke", "enum": ["smoke", "soak"]}]}}});
    check_parameters(&template, &params(&[("profile", "soak")])).expect("allowed");
    let err =
        check_parameters(&template, &params(&[("profile", "spike")])).expect_err("not allowed");
    assert_eq!(
        err.to_string(),
        "--param profile=spike: WorkflowTemplate load allows only smoke, soak"
    );
}

#[test]
fn params_split_at_the_first_equals_sign_and_expand_the_namespace() {
    assert_eq!(
        parse_param("url=http://x/?a=b").expect("valid"),
        ("url".to_string(), "http://x/?a=b".to_string())
    );
    assert!(matches!(
        parse_param("novalue"),
        Err(ParameterError::Syntax(_))
    ));
    assert!(matches!(parse_param("=v"), Err(ParameterError::Syntax(_))));
    assert_eq!(
        expand("http://backend.{namespace}.svc:8080", "staging-pr-1"),
        "http://backend.staging-pr-1.svc:8080"
    );
}

#[test]
fn the_workflow_references_the_template_with_its_parameters_and_labels() {
    let mut labels = serde_json::Map::new();
    labels.insert("ferry.dev/preview".into(), json!("pr-1"));
    let body = workflow_body(
        "e2e",
        "staging-pr-1",
        &params(&[("base-url", "http://b")]),
        &labels,
    );
    assert_eq!(
        body,
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": "e2e-", "namespace": "staging-pr-1",
                "labels": {"ferry.dev/preview": "pr-1", "workflows.argoproj.io/workflow-template": "e2e"}},
            "spec": {"workflowTemplateRef": {"name": "e2e"},
                "arguments": {"parameters": [{"name": "base-url", "value": "http://b"}]}}})
    );
    // The shape of upstream's Workflow that references a template with arguments.
    let upstream =
        conformance_yaml("argo-workflows/workflow-template-ref-with-args.yaml").remove(0);
    assert!(upstream["spec"]["workflowTemplateRef"]["name"].is_string());
    assert!(upstream["spec"]["arguments"]["parameters"][0]["value"].is_string());
}

#[test]
fn phases_and_failed_nodes_match_the_conformance_workflows() {
    for case in conformance_cases("argo-workflows/workflows.jsonl") {
        let file = case["file"].as_str().expect("file");
        let workflow = if file.ends_with(".json") {
            conformance_json(file)
        } else {
            conformance_yaml(file).remove(0)
        };
        let state = interpret(&workflow);
        assert_eq!(state.phase.as_str(), case["phase"], "{file}");
        assert_eq!(
            state.message,
            case["message"].as_str().unwrap_or(""),
            "{file}"
        );
        assert!(state.phase.is_done());
        let mut expected: Vec<(String, String, String)> = case["failed_or_messaged_nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter(|n| n["phase"] == "Failed" || n["phase"] == "Error")
            .map(|n| {
                (
                    n["id"].as_str().expect("id").to_string(),
                    n["displayName"].as_str().expect("name").to_string(),
                    n["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let mut found: Vec<(String, String, String)> = state
            .failed_nodes
            .iter()
            .map(|n| (n.id.clone(), n.name.clone(), n.message.clone()))
            .collect();
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{file}");
    }
    assert_eq!(
        interpret(&json!({"metadata": {"name": "x"}})).phase,
        Phase::Pending
    );
}
