//! The cluster side against the Kubernetes stand-in (`ferry_test_support::kube_standin`):
//! the request log of `up`, `test` and `down`, conflicts, phases, timeouts, idempotent cleanup.

use std::time::Duration;

use ferry_error::Classify;
use ferry_health::monitor::{Policy, Span, Verdict};
use ferry_preview::cluster::Cluster;
use ferry_preview::run::{self, TemplateSource, Wait, preview_target, run_workflow, wait_healthy};
use ferry_preview::workflow::Phase;
use ferry_preview::{PreviewError, Scope, plan};
use ferry_test_support::kube_standin::{KubeStandIn, Seen};
use serde_json::{Value, json};

use crate::support::{client, conformance_json, conformance_yaml, preview, rendered, stamp};

const NS: &str = "/api/v1/namespaces/staging-pr-123";
const SELECTOR: &str =
    "app.kubernetes.io/managed-by=ferry,ferry.dev/preview=pr-123,ferry.dev/environment=staging";

fn calls(log: &[Seen]) -> Vec<String> {
    log.iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect()
}

fn quick() -> Wait {
    Wait {
        interval: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
    }
}

fn one_check() -> Policy {
    Policy {
        warmup: Duration::ZERO,
        interval: Duration::from_millis(50),
        span: Span::Checks(1),
        failures: 1,
        error_budget: 0,
        timeout: Duration::from_secs(10),
    }
}

async fn up(standin: &KubeStandIn) -> Result<ferry_preview::Applied, PreviewError> {
    let plan = plan(rendered(), &preview(), &stamp(), &[], Scope::Skip).expect("a plan");
    Cluster::new(client(&standin.uri()))
        .up(&plan, &mut |_| {})
        .await
}

#[tokio::test]
async fn up_applies_the_namespace_then_every_object_by_server_side_apply() {
    let standin = KubeStandIn::start().await;
    let applied = up(&standin).await.expect("applied");
    assert!(applied.created);
    let log = standin.log();
    assert_eq!(
        calls(&log),
        [
            format!("GET {NS}"),
            format!("PATCH {NS}"),
            format!("PATCH {NS}/serviceaccounts/backend"),
            format!(
                "PATCH /apis/rbac.authorization.k8s.io/v1{}/rolebindings/backend-reader",
                &NS[7..]
            ),
            format!("PATCH /apis/apps/v1{}/deployments/backend", &NS[7..]),
            format!("PATCH {NS}/services/backend"),
        ]
    );
    for patch in log.iter().filter(|s| s.method == "PATCH") {
        assert_eq!(
            patch.content_type, "application/apply-patch+yaml",
            "{}",
            patch.path
        );
        assert_eq!(
            patch.query.get("fieldManager").map(String::as_str),
            Some("ferry")
        );
        assert!(!patch.query.contains_key("force"), "never forced");
        let labels = &patch.body["metadata"]["labels"];
        assert_eq!(labels["ferry.dev/preview"], "pr-123", "{}", patch.path);
        assert!(patch.body["metadata"].get("managedFields").is_none());
        if patch.body["kind"] != "Namespace" {
            assert_eq!(
                patch.body["metadata"]["namespace"], "staging-pr-123",
                "{}",
                patch.path
            );
        }
    }
    // The health wait: ferry-health's rules through the monitor's policy.
    let cluster = Cluster::new(client(&standin.uri()));
    let report = wait_healthy(
        &cluster,
        "staging-pr-123",
        &["Deployment/backend".to_string()],
        &one_check(),
        &mut |_| {},
    )
    .await
    .expect("waited")
    .expect("a workload to wait for");
    assert_eq!(report.verdict, Verdict::Healthy, "{}", report.reason);
}

#[tokio::test]
async fn an_unhealthy_workload_makes_the_verdict_unhealthy() {
    let standin = KubeStandIn::start().await;
    standin.failing("/deployments/backend");
    up(&standin).await.expect("applied");
    let report = wait_healthy(
        &Cluster::new(client(&standin.uri())),
        "staging-pr-123",
        &["Deployment/backend".to_string()],
        &one_check(),
        &mut |_| {},
    )
    .await
    .expect("waited")
    .expect("a report");
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert!(
        report.reason.contains("exceeded its progress deadline"),
        "{}",
        report.reason
    );
}

#[tokio::test]
async fn a_conflict_is_reported_with_its_fields_and_never_forced_and_down_cleans_up() {
    let standin = KubeStandIn::start().await;
    standin.conflict_on("/deployments/backend");
    let err = up(&standin).await.expect_err("a conflict");
    let PreviewError::Conflict {
        object,
        conflicts,
        message,
    } = &err
    else {
        panic!("not a conflict: {err}");
    };
    assert_eq!(object, "Deployment/backend");
    assert_eq!(conflicts[0].field, ".spec.replicas");
    assert!(conflicts[0].manager.starts_with("conflict with \"foo\""));
    assert!(message.starts_with("Apply failed with 1 conflict"));
    assert_eq!(err.exit_code(), 1);
    assert!(standin.log().iter().all(|s| !s.query.contains_key("force")));
    assert!(
        standin
            .object(&format!("{NS}/serviceaccounts/backend"))
            .is_some()
    );

    // `down` after the failed `up` removes everything, then is a no-op.
    standin.clear_log();
    let cluster = Cluster::new(client(&standin.uri()));
    let down = cluster.down(&preview()).await.expect("down");
    assert!(down.namespace_deleted && !down.already_gone);
    let log = standin.log();
    let deletes: Vec<&Seen> = log.iter().filter(|s| s.method == "DELETE").collect();
    let (collections, namespace) = deletes.split_at(deletes.len() - 1);
    assert_eq!(
        collections
            .iter()
            .map(|s| s.path.as_str())
            .collect::<Vec<_>>(),
        [
            "/api/v1/namespaces/staging-pr-123/serviceaccounts",
            "/apis/rbac.authorization.k8s.io/v1/namespaces/staging-pr-123/rolebindings",
            "/apis/apps/v1/namespaces/staging-pr-123/deployments",
            "/api/v1/namespaces/staging-pr-123/services",
            "/apis/argoproj.io/v1alpha1/namespaces/staging-pr-123/workflows",
            "/apis/argoproj.io/v1alpha1/namespaces/staging-pr-123/workflowtemplates",
            "/apis/batch/v1/namespaces/staging-pr-123/jobs",
        ]
    );
    for d in collections {
        assert_eq!(
            d.query.get("labelSelector").map(String::as_str),
            Some(SELECTOR)
        );
    }
    assert_eq!(namespace[0].path, NS);
    assert!(standin.paths().is_empty(), "left: {:?}", standin.paths());

    standin.clear_log();
    let again = cluster.down(&preview()).await.expect("down again");
    assert!(again.already_gone);
    assert_eq!(calls(&standin.log()), [format!("GET {NS}")]);
}

#[tokio::test]
async fn a_namespace_that_is_not_the_previews_is_never_touched() {
    let standin = KubeStandIn::start().await;
    standin.insert(
        NS,
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "staging-pr-123", "labels": {"team": "payments"}}}),
    );
    let err = up(&standin).await.expect_err("not ours");
    assert!(matches!(err, PreviewError::NotOurs { .. }), "{err}");
    let err = Cluster::new(client(&standin.uri()))
        .down(&preview())
        .await
        .expect_err("not ours");
    assert!(matches!(err, PreviewError::NotOurs { .. }), "{err}");
    assert!(standin.log().iter().all(|s| s.method == "GET"));
    assert!(standin.object(NS).is_some());
}

fn e2e_template() -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
        "metadata": {"name": "e2e"},
        "spec": {"entrypoint": "main",
            "arguments": {"parameters": [{"name": "base-url"}, {"name": "suite", "value": "all"}]},
            "templates": [{"name": "main", "container": {"image": "busybox"}}]}})
}

#[tokio::test]
async fn an_undeclared_parameter_never_reaches_the_cluster() {
    let standin = KubeStandIn::start().await;
    up(&standin).await.expect("applied");
    standin.clear_log();
    let cluster = Cluster::new(client(&standin.uri()));
    let given = vec![("baseurl".to_string(), "http://x".to_string())];
    let err = run_workflow(
        &cluster,
        &preview(),
        TemplateSource::Repository(e2e_template()),
        &given,
        quick(),
        &mut |_| {},
    )
    .await
    .expect_err("undeclared");
    assert_eq!(
        err.to_string(),
        "WorkflowTemplate e2e does not declare parameter baseurl; it declares: base-url, suite"
    );
    assert_eq!(err.exit_code(), 2);
    assert!(standin.log().is_empty(), "{:?}", calls(&standin.log()));

    // A template in the cluster is read, and nothing else is sent.
    let mut in_cluster = e2e_template();
    in_cluster["metadata"]["namespace"] = json!("staging-pr-123");
    standin.insert(
        "/apis/argoproj.io/v1alpha1/namespaces/staging-pr-123/workflowtemplates/e2e",
        in_cluster,
    );
    let err = run_workflow(
        &cluster,
        &preview(),
        TemplateSource::Cluster("e2e".into()),
        &given,
        quick(),
        &mut |_| {},
    )
    .await
    .expect_err("undeclared");
    assert_eq!(err.exit_code(), 2);
    assert_eq!(
        calls(&standin.log()),
        ["GET /apis/argoproj.io/v1alpha1/namespaces/staging-pr-123/workflowtemplates/e2e"]
    );
}

/// The statuses of a Workflow that runs, then ends as the conformance Workflow `file` did.
fn ending_as(file: &str) -> Vec<Value> {
    let end = if file.ends_with(".json") {
        conformance_json(file)
    } else {
        conformance_yaml(file).remove(0)
    };
    vec![json!({"status": {"phase": "Running"}}), end]
}

async fn run_e2e(
    standin: &KubeStandIn,
    wait: Wait,
) -> Result<ferry_preview::TestRun, PreviewError> {
    let cluster = Cluster::new(client(&standin.uri()));
    let given = vec![(
        "base-url".to_string(),
        "http://backend.staging-pr-123.svc.cluster.local:8080".to_string(),
    )];
    let mut phases = Vec::new();
    let result = run_workflow(
        &cluster,
        &preview(),
        TemplateSource::Repository(e2e_template()),
        &given,
        wait,
        &mut |s| phases.push(s.phase),
    )
    .await;
    if result.is_ok() {
        assert_eq!(phases.first(), Some(&Phase::Running));
    }
    result
}

#[tokio::test]
async fn a_workflow_runs_from_the_template_with_its_parameters_until_it_succeeds() {
    let standin = KubeStandIn::start().await;
    up(&standin).await.expect("applied");
    standin.script(
        "workflows",
        ending_as("argo-workflows/workflow-succeeded.json"),
    );
    standin.clear_log();
    let run = run_e2e(&standin, quick()).await.expect("ran");
    assert_eq!(run.state.phase, Phase::Succeeded);
    assert!(
        run.name.starts_with("e2e-") && run.name.len() > 4,
        "{}",
        run.name
    );
    let log = standin.log();
    let template = log
        .iter()
        .find(|s| s.path.ends_with("/workflowtemplates/e2e"))
        .expect("the template applied");
    assert_eq!(template.method, "PATCH");
    assert_eq!(template.content_type, "application/apply-patch+yaml");
    assert_eq!(template.body["metadata"]["namespace"], "staging-pr-123");
    let post = log
        .iter()
        .find(|s| s.method == "POST")
        .expect("a Workflow created");
    assert_eq!(
        post.path,
        "/apis/argoproj.io/v1alpha1/namespaces/staging-pr-123/workflows"
    );
    assert_eq!(post.body["metadata"]["generateName"], "e2e-");
    assert_eq!(
        post.body["spec"]["workflowTemplateRef"],
        json!({"name": "e2e"})
    );
    assert_eq!(
        post.body["spec"]["arguments"]["parameters"],
        json!([{"name": "base-url", "value": "http://backend.staging-pr-123.svc.cluster.local:8080"}])
    );
    assert_eq!(
        post.body["metadata"]["labels"]["ferry.dev/preview"],
        "pr-123"
    );
    assert_eq!(
        post.body["metadata"]["labels"]["workflows.argoproj.io/workflow-template"],
        "e2e"
    );
}

#[tokio::test]
async fn failed_and_errored_workflows_carry_their_nodes_and_a_timeout_is_reported() {
    let standin = KubeStandIn::start().await;
    up(&standin).await.expect("applied");
    standin.script(
        "workflows",
        ending_as("argo-workflows/workflow-failed-steps.yaml"),
    );
    let run = run_e2e(&standin, quick()).await.expect("ran");
    assert_eq!(run.state.phase, Phase::Failed);
    assert_eq!(run.state.message, "child 'steps-9fkqc-3224593506' failed");
    let pod = run
        .state
        .failed_nodes
        .iter()
        .find(|n| n.node_type == "Pod")
        .expect("the failed pod");
    assert_eq!(
        (pod.name.as_str(), pod.message.as_str()),
        ("fail", "failed with exit code 1")
    );

    standin.script("workflows", ending_as("argo-workflows/workflow-error.yaml"));
    let run = run_e2e(&standin, quick()).await.expect("ran");
    assert_eq!(run.state.phase, Phase::Error);
    assert_eq!(run.state.failed_nodes.len(), 3);

    standin.script("workflows", vec![json!({"status": {"phase": "Running"}})]);
    let err = run_e2e(
        &standin,
        Wait {
            interval: Duration::from_millis(10),
            timeout: Duration::from_millis(100),
        },
    )
    .await
    .expect_err("a timeout");
    assert!(matches!(err, PreviewError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("last: phase Running"), "{err}");
    assert_eq!(err.exit_code(), 3);
}

#[tokio::test]
async fn a_job_runs_instead_of_a_workflow() {
    let standin = KubeStandIn::start().await;
    up(&standin).await.expect("applied");
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "e2e"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "e2e", "image": "busybox"}]}}}});
    standin.script(
        "jobs",
        vec![
            json!({"status": {"active": 1}}),
            json!({"status": {"conditions": [{"type": "Failed", "status": "True",
                "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}}),
        ],
    );
    standin.clear_log();
    let cluster = Cluster::new(client(&standin.uri()));
    let run = run::run_job(&cluster, &preview(), &job, quick(), &mut |_| {})
        .await
        .expect("ran");
    assert_eq!(run.state.phase, Phase::Failed);
    assert_eq!(
        run.state.failed_nodes[0].message,
        "Job has reached the specified backoff limit"
    );
    let post = standin
        .log()
        .into_iter()
        .find(|s| s.method == "POST")
        .expect("created");
    assert_eq!(post.path, "/apis/batch/v1/namespaces/staging-pr-123/jobs");
    assert_eq!(post.body["metadata"]["generateName"], "e2e-");
    assert_eq!(
        post.body["spec"]["template"]["metadata"]["labels"]["ferry.dev/preview"],
        "pr-123"
    );

    // down after the failed test removes the Job with the rest.
    cluster.down(&preview()).await.expect("down");
    assert!(standin.paths().is_empty(), "{:?}", standin.paths());
}

#[tokio::test]
async fn smoke_finds_the_preview_service_of_a_paused_blue_green_rollout() {
    let standin = KubeStandIn::start().await;
    let mut rollout = ferry_test_support::rollouts::paused_blue_green();
    rollout["spec"]["strategy"]["blueGreen"]["previewService"] = json!("backend-preview");
    standin.insert(ferry_test_support::rollouts::ROLLOUT_PATH, rollout.clone());
    standin.insert(
        "/api/v1/namespaces/acme/services/backend-preview",
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "backend-preview", "namespace": "acme"},
            "spec": {"ports": [{"port": 8080}]}}),
    );
    let cluster = Cluster::new(client(&standin.uri()));
    let target = preview_target(&cluster, "acme", "backend")
        .await
        .expect("a target");
    assert_eq!(
        target.url,
        "http://backend-preview.acme.svc.cluster.local:8080"
    );
    assert_eq!(target.preview_selector.as_deref(), Some("new"));

    // Promoted already: nothing waits for promotion, nothing to smoke-test.
    rollout["spec"]["paused"] = json!(false);
    rollout["status"]["pauseConditions"] = json!(null);
    rollout["status"]["phase"] = json!("Healthy");
    rollout["status"]["message"] = json!("");
    standin.insert(ferry_test_support::rollouts::ROLLOUT_PATH, rollout);
    let err = preview_target(&cluster, "acme", "backend")
        .await
        .expect_err("not paused");
    assert!(
        err.to_string().contains("not paused for promotion"),
        "{err}"
    );
    assert_eq!(err.exit_code(), 1);
    let err = preview_target(&cluster, "acme", "frontend")
        .await
        .expect_err("missing");
    assert!(matches!(err, PreviewError::NotFound(_)), "{err}");
}
