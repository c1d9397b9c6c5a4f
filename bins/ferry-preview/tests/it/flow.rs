//! The staging flow: up → test → down, and the cleanup after a failed up or test.

use ferry_test_support::kube_standin::{KubeStandIn, Seen};
use predicates::str::contains;
use serde_json::{Value, json};

use crate::support::{COMMIT, UP, preview, repository};

const NS: &str = "/api/v1/namespaces/staging-pr-7";
const SELECTOR: &str =
    "app.kubernetes.io/managed-by=ferry,ferry.dev/preview=pr-7,ferry.dev/environment=staging";

fn patches(log: &[Seen]) -> Vec<&Seen> {
    log.iter().filter(|s| s.method == "PATCH").collect()
}

fn json_out(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON document ({e}): {}",
            String::from_utf8_lossy(out)
        )
    })
}

/// A conformance Workflow (JSON) whose status a created Workflow takes.
fn workflow_status(rel: &str) -> Value {
    let path = ferry_test_support::conformance_dir().join(rel);
    let text = std::fs::read_to_string(&path).expect("conformance data");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn up_test_down_with_the_request_log() {
    let repo = repository();
    let standin = KubeStandIn::start().await;
    let outputs = repo.path().join("github-output");
    std::fs::write(&outputs, "").expect("outputs file");
    let up = preview(repo.path(), &standin, UP)
        .args(["--image", "backend=1.5.0-rc.1", "--format", "json"])
        .env("GITHUB_OUTPUT", &outputs)
        .assert()
        .success();
    let report = json_out(&up.get_output().stdout);
    assert_eq!(report["namespace"], "staging-pr-7");
    assert_eq!(report["verdict"], "healthy", "{report}");
    // kubectl's order: Services before workloads.
    assert_eq!(
        report["applied"],
        json!(["Service/backend", "Deployment/backend"])
    );
    assert_eq!(report["skipped"][0]["object"], "ClusterRole/backend-reader");
    assert_eq!(
        report["services"]["backend"],
        "http://backend.staging-pr-7.svc.cluster.local:8080"
    );
    let written = std::fs::read_to_string(&outputs).expect("outputs");
    assert!(written.contains("namespace=staging-pr-7"), "{written}");
    assert!(written.contains("verdict=healthy"), "{written}");

    let log = standin.log();
    let applied = patches(&log);
    assert_eq!(
        applied.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
        [
            NS,
            "/api/v1/namespaces/staging-pr-7/services/backend",
            "/apis/apps/v1/namespaces/staging-pr-7/deployments/backend",
        ]
    );
    for p in &applied {
        assert_eq!(p.content_type, "application/apply-patch+yaml");
        assert_eq!(p.query["fieldManager"], "ferry");
        assert!(!p.query.contains_key("force"));
        assert_eq!(p.body["metadata"]["labels"]["ferry.dev/commit"], COMMIT);
    }
    assert_eq!(applied[1].body["metadata"]["namespace"], "staging-pr-7");
    assert_eq!(applied[2].body["metadata"]["namespace"], "staging-pr-7");
    assert_eq!(
        applied[2].body["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/acme/backend:1.5.0-rc.1"
    );

    // test: the Workflow from the repository's template, with its parameters.
    standin.script(
        "workflows",
        vec![
            json!({"status": {"phase": "Running"}}),
            workflow_status("argo-workflows/workflow-succeeded.json"),
        ],
    );
    standin.clear_log();
    preview(
        repo.path(),
        &standin,
        &[
            "test",
            "--env",
            "staging",
            "--name",
            "pr-7",
            "--workflow-template",
            "e2e",
            "--param",
            "base-url=http://backend.{namespace}.svc.cluster.local:8080",
            "--interval",
            "20ms",
        ],
    )
    .assert()
    .success()
    .stdout(contains("Succeeded"));
    let log = standin.log();
    let post = log.iter().find(|s| s.method == "POST").expect("a Workflow");
    assert_eq!(
        post.path,
        "/apis/argoproj.io/v1alpha1/namespaces/staging-pr-7/workflows"
    );
    assert_eq!(
        post.body["spec"],
        json!({"workflowTemplateRef": {"name": "e2e"}, "arguments": {"parameters": [
            {"name": "base-url", "value": "http://backend.staging-pr-7.svc.cluster.local:8080"}]}})
    );
    assert_eq!(post.body["metadata"]["generateName"], "e2e-");
    assert_eq!(post.body["metadata"]["labels"]["ferry.dev/preview"], "pr-7");

    // down: by label selector, then the namespace; again: nothing to do.
    standin.clear_log();
    preview(
        repo.path(),
        &standin,
        &["down", "--env", "staging", "--name", "pr-7"],
    )
    .assert()
    .success()
    .stdout(contains("namespace staging-pr-7: deleting"));
    let log = standin.log();
    let deletes: Vec<&Seen> = log.iter().filter(|s| s.method == "DELETE").collect();
    assert_eq!(deletes.len(), 6, "{deletes:?}");
    for d in &deletes[..5] {
        assert_eq!(d.query["labelSelector"], SELECTOR, "{}", d.path);
    }
    assert_eq!(deletes[5].path, NS);
    assert!(standin.paths().is_empty(), "{:?}", standin.paths());
    preview(
        repo.path(),
        &standin,
        &["down", "--env", "staging", "--name", "pr-7"],
    )
    .assert()
    .success()
    .stdout(contains("already gone"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undeclared_parameter_exits_2_before_any_request() {
    let repo = repository();
    let standin = KubeStandIn::start().await;
    preview(repo.path(), &standin, UP).assert().success();
    standin.clear_log();
    preview(
        repo.path(),
        &standin,
        &[
            "test",
            "--env",
            "staging",
            "--name",
            "pr-7",
            "--workflow-template",
            "e2e",
            "--param",
            "baseUrl=http://backend:8080",
        ],
    )
    .assert()
    .code(2)
    .stderr(contains(
        "does not declare parameter baseUrl; it declares: base-url, suite",
    ));
    assert!(standin.log().is_empty(), "{:?}", standin.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_errored_and_stuck_workflows_exit_1_3_and_3_and_down_cleans_up() {
    let repo = repository();
    let standin = KubeStandIn::start().await;
    preview(repo.path(), &standin, UP).assert().success();
    let test = [
        "test",
        "--env",
        "staging",
        "--name",
        "pr-7",
        "--workflow-template",
        "e2e",
        "--param",
        "base-url=http://x",
        "--interval",
        "20ms",
        "--timeout",
        "300ms",
    ];
    standin.script(
        "workflows",
        vec![
            json!({"status": {"phase": "Failed", "message": "child 'e2e-1' failed",
            "nodes": {"e2e-1": {"id": "e2e-1", "name": "e2e[0].checkout", "displayName": "checkout",
                "type": "Pod", "phase": "Failed", "message": "failed with exit code 2"}}}}),
        ],
    );
    preview(repo.path(), &standin, &test)
        .assert()
        .code(1)
        .stdout(contains(
            "failed node checkout (Pod, Failed): failed with exit code 2",
        ));
    standin.script(
        "workflows",
        vec![json!({"status": {"phase": "Error", "message": "error in entry template execution"}})],
    );
    preview(repo.path(), &standin, &test)
        .assert()
        .code(3)
        .stdout(contains("Error: error in entry template execution"));
    standin.script("workflows", vec![json!({"status": {"phase": "Running"}})]);
    preview(repo.path(), &standin, &test)
        .assert()
        .code(3)
        .stderr(contains("timed out"));
    preview(
        repo.path(),
        &standin,
        &["down", "--env", "staging", "--name", "pr-7"],
    )
    .assert()
    .success();
    assert!(standin.paths().is_empty(), "{:?}", standin.paths());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_fails_up_and_down_removes_what_was_applied() {
    let repo = repository();
    let standin = KubeStandIn::start().await;
    standin.conflict_on("/deployments/backend");
    preview(repo.path(), &standin, UP)
        .assert()
        .code(1)
        .stderr(contains(".spec.replicas"))
        .stderr(contains("not forced"));
    assert!(
        standin
            .object("/api/v1/namespaces/staging-pr-7/services/backend")
            .is_some()
    );
    preview(
        repo.path(),
        &standin,
        &[
            "down", "--env", "staging", "--name", "pr-7", "--format", "json",
        ],
    )
    .assert()
    .success();
    assert!(standin.paths().is_empty(), "{:?}", standin.paths());
    let again = preview(
        repo.path(),
        &standin,
        &[
            "down", "--env", "staging", "--name", "pr-7", "--format", "json",
        ],
    )
    .assert()
    .success();
    assert_eq!(json_out(&again.get_output().stdout)["already_gone"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn gc_removes_expired_previews_only() {
    let repo = repository();
    let standin = KubeStandIn::start().await;
    preview(repo.path(), &standin, UP).assert().success();
    preview(repo.path(), &standin, &["gc"])
        .assert()
        .success()
        .stdout(contains("no preview to remove"));
    preview(repo.path(), &standin, &["gc", "--older-than", "0s"])
        .assert()
        .success()
        .stdout(contains("removed staging-pr-7"));
    assert!(standin.paths().is_empty(), "{:?}", standin.paths());
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    use ferry_test_support::output::assert_json_error;
    let bin = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry-preview"));
        cmd.env_remove("KUBECONFIG");
        cmd
    };
    let out = bin()
        .args([
            "down", "--env", "staging", "--name", "PR_7", "--format", "json",
        ])
        .output()
        .expect("runs");
    assert_json_error(&out, "usage", 2);
    // Nothing listens on port 1: the API failed (exit 3).
    let out = bin()
        .args([
            "down",
            "--env",
            "staging",
            "--name",
            "pr-7",
            "--server",
            "http://127.0.0.1:1",
        ])
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_json_error(&out, "kubernetes", 3);
}
