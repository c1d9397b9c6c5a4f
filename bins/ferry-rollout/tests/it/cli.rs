//! `ferry-rollout` against a stand-in API server (wiremock): the exact requests each command
//! sends, its output and exit codes.

use assert_cmd::Command;
use ferry_test_support::rollouts::{ROLLOUT_PATH, ROLLOUT_STATUS_PATH, paused_blue_green};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn api(object: &Value) -> MockServer {
    let server = MockServer::start().await;
    for m in ["GET", "PATCH"] {
        Mock::given(method(m))
            .and(path(ROLLOUT_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(object))
            .mount(&server)
            .await;
    }
    Mock::given(method("PATCH"))
        .and(path(ROLLOUT_STATUS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(object))
        .mount(&server)
        .await;
    server
}

fn run(server: &MockServer, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("ferry-rollout")
        .unwrap()
        .args(args)
        .args(["-n", "acme", "--server", &server.uri()])
        .env_remove("KUBECONFIG")
        .assert()
}

/// `METHOD path content-type body` of every PATCH the server saw.
async fn patches(server: &MockServer) -> Vec<(String, String, Value)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| {
            (
                r.url.path().to_string(),
                r.headers["content-type"].to_str().unwrap().to_string(),
                serde_json::from_slice(&r.body).unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn promote_sends_the_plugins_patches() {
    let server = api(&paused_blue_green()).await;
    run(&server, &["promote", "backend"])
        .success()
        .stdout(predicates::str::contains("rollout 'backend' promoted"));
    assert_eq!(
        patches(&server).await,
        vec![
            (
                ROLLOUT_STATUS_PATH.to_string(),
                "application/merge-patch+json".to_string(),
                json!({"status": {"pauseConditions": null}})
            ),
            (
                ROLLOUT_PATH.to_string(),
                "application/merge-patch+json".to_string(),
                json!({"spec": {"paused": false}})
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn promote_full_abort_and_retry() {
    let server = api(&paused_blue_green()).await;
    run(&server, &["promote", "backend", "--full"]).success();
    run(&server, &["abort", "backend"])
        .success()
        .stdout(predicates::str::contains("rollout 'backend' aborted"));
    run(&server, &["retry", "backend"]).success();
    let bodies: Vec<(String, Value)> = patches(&server)
        .await
        .into_iter()
        .map(|(p, _, b)| (p, b))
        .collect();
    assert_eq!(
        bodies,
        vec![
            (
                ROLLOUT_STATUS_PATH.to_string(),
                json!({"status": {"promoteFull": true}})
            ),
            (
                ROLLOUT_STATUS_PATH.to_string(),
                json!({"status": {"abort": true}})
            ),
            (
                ROLLOUT_STATUS_PATH.to_string(),
                json!({"status": {"abort": false}})
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_replaces_the_template() {
    let server = api(&paused_blue_green()).await;
    let rs = |name: &str, revision: &str, image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("backend-{name}"), "namespace": "acme",
                "annotations": {"rollout.argoproj.io/revision": revision},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "backend", "uid": "u-1", "controller": true}]},
            "spec": {"template": {"metadata": {"labels": {"app": "backend", "rollouts-pod-template-hash": name}},
                "spec": {"containers": [{"name": "backend", "image": image}]}}}})
    };
    Mock::given(method("GET"))
        .and(path("/apis/apps/v1/namespaces/acme/replicasets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {},
            "items": [rs("a", "1", "r.example/backend:1.2.0"), rs("b", "2", "r.example/backend:1.3.1"), rs("c", "3", "r.example/backend:1.4.0")]})))
        .mount(&server)
        .await;
    run(&server, &["undo", "backend", "--to-revision", "1"])
        .success()
        .stdout(predicates::str::contains("rollout 'backend' rolled back"));
    assert_eq!(
        patches(&server).await,
        vec![(
            ROLLOUT_PATH.to_string(),
            "application/json-patch+json".to_string(),
            json!([{"op": "replace", "path": "/spec/template", "value": {
                "metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "backend", "image": "r.example/backend:1.2.0"}]}}}])
        )]
    );
    // No such revision: a negative answer, nothing sent.
    run(&server, &["undo", "backend", "--to-revision", "9"])
        .code(1)
        .stderr(predicates::str::contains(
            "unable to find specified revision 9 in history",
        ));
    assert_eq!(patches(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_as_text_and_json() {
    let server = api(&paused_blue_green()).await;
    let out = run(&server, &["status", "backend"]).success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("rollout   acme/backend (blueGreen)"),
        "{text}"
    );
    assert!(text.contains("phase     Paused - BlueGreenPause"));
    assert!(text.contains("paused    yes (BlueGreenPause)"));
    assert!(text.contains("current   new"));
    assert!(text.contains("stable    old"));
    assert!(text.contains("active    old"));
    let out = run(&server, &["status", "backend", "--format", "json"]).success();
    let status: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(status["phase"], "Paused");
    assert_eq!(status["current_hash"], "new");
    assert_eq!(status["stable_hash"], "old");
    assert_eq!(status["active_selector"], "old");
    assert_eq!(status["paused"], true);
    assert!(patches(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_rollouts_and_unreachable_servers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "rollouts.argoproj.io \"backend\" not found", "reason": "NotFound", "code": 404})))
        .mount(&server)
        .await;
    run(&server, &["abort", "backend"])
        .code(1)
        .stderr(predicates::str::contains("rollout acme/backend not found"));
    Command::cargo_bin("ferry-rollout")
        .unwrap()
        .args([
            "status",
            "backend",
            "-n",
            "acme",
            "--server",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(3);
}
