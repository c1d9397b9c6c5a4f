//! The prod smoke step: the preview Service of a paused blue-green Rollout, probed with the
//! monitor's HTTP probes and verdicts.

use ferry_test_support::kube_standin::KubeStandIn;
use ferry_test_support::rollouts::{ROLLOUT_PATH, paused_blue_green};
use predicates::str::contains;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{preview, repository};

async fn cluster_with_paused_rollout() -> KubeStandIn {
    let standin = KubeStandIn::start().await;
    let mut rollout = paused_blue_green();
    rollout["spec"]["strategy"]["blueGreen"]["previewService"] = json!("backend-preview");
    standin.insert(ROLLOUT_PATH, rollout);
    standin.insert(
        "/api/v1/namespaces/acme/services/backend-preview",
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "backend-preview", "namespace": "acme"},
            "spec": {"ports": [{"port": 8080}]}}),
    );
    standin
}

async fn app(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/healthz"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

fn smoke(url: &str) -> Vec<String> {
    [
        "smoke",
        "--env",
        "prod",
        "--rollout",
        "backend",
        "--http",
        "/api/healthz",
        "--url",
        url,
        "--warmup",
        "0s",
        "--interval",
        "100ms",
        "--checks",
        "2",
        "--failures",
        "1",
        "--health-timeout",
        "20s",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_probes_the_preview_service_and_gives_the_monitors_verdict() {
    let repo = repository();
    let standin = cluster_with_paused_rollout().await;
    let healthy = app(200).await;
    let args = smoke(&healthy.uri());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    preview(repo.path(), &standin, &args)
        .assert()
        .success()
        .stdout(contains("preview Service backend-preview"))
        .stdout(contains("healthy"));
    assert_eq!(
        healthy.received_requests().await.expect("requests").len(),
        2
    );
    let log = standin.log();
    assert!(
        log.iter()
            .any(|s| s.path == ROLLOUT_PATH && s.method == "GET")
    );
    assert!(log.iter().all(|s| s.method == "GET"), "smoke only reads");

    let failing = app(503).await;
    let args = smoke(&failing.uri());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    preview(repo.path(), &standin, &args)
        .assert()
        .code(1)
        .stdout(contains("HTTP 503, expected 200"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_that_is_not_paused_is_refused() {
    let repo = repository();
    let standin = cluster_with_paused_rollout().await;
    let mut promoted = paused_blue_green();
    promoted["spec"]["paused"] = json!(false);
    promoted["status"]["pauseConditions"] = json!(null);
    promoted["status"]["phase"] = json!("Healthy");
    promoted["status"]["message"] = json!("");
    promoted["spec"]["strategy"]["blueGreen"]["previewService"] = json!("backend-preview");
    standin.insert(ROLLOUT_PATH, promoted);
    let args = smoke("http://127.0.0.1:9");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    preview(repo.path(), &standin, &args)
        .assert()
        .code(1)
        .stderr(contains("not paused for promotion"));
}
