//! `ferry-rollout` against the stateful stand-in API server (`ferry_test_support::kube_standin`):
//! the exact requests each command sends, what they leave, its output and exit codes.

use assert_cmd::Command;
use ferry_test_support::kube_standin::KubeStandIn;
use ferry_test_support::rollouts::{ROLLOUT_PATH, ROLLOUT_STATUS_PATH, paused_blue_green};
use serde_json::{Value, json};

use crate::{api, patches, run};

#[tokio::test(flavor = "multi_thread")]
async fn promote_sends_the_plugins_patches() {
    let server = api(&paused_blue_green()).await;
    run(&server, &["promote", "backend"])
        .success()
        .stdout(predicates::str::contains("rollout 'backend' promoted"));
    assert_eq!(
        patches(&server),
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
    // What the patches leave: running, no pause condition.
    let rollout = server.object(ROLLOUT_PATH).expect("the Rollout");
    assert_eq!(rollout["spec"]["paused"], false);
    assert!(
        rollout["status"].get("pauseConditions").is_none(),
        "{rollout:#}"
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
                "labels": {"app": "backend", "rollouts-pod-template-hash": name},
                "annotations": {"rollout.argoproj.io/revision": revision},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "backend", "uid": "u-1", "controller": true}]},
            "spec": {"template": {"metadata": {"labels": {"app": "backend", "rollouts-pod-template-hash": name}},
                "spec": {"containers": [{"name": "backend", "image": image}]}}}})
    };
    for (name, revision, image) in [
        ("a", "1", "r.example/backend:1.2.0"),
        ("b", "2", "r.example/backend:1.3.1"),
        ("c", "3", "r.example/backend:1.4.0"),
    ] {
        server.insert(
            &format!("/apis/apps/v1/namespaces/acme/replicasets/backend-{name}"),
            rs(name, revision, image),
        );
    }
    run(&server, &["undo", "backend", "--to-revision", "1"])
        .success()
        .stdout(predicates::str::contains("rollout 'backend' rolled back"));
    assert_eq!(
        patches(&server),
        vec![(
            ROLLOUT_PATH.to_string(),
            "application/json-patch+json".to_string(),
            json!([{"op": "replace", "path": "/spec/template", "value": {
                "metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "backend", "image": "r.example/backend:1.2.0"}]}}}])
        )]
    );
    let rollout = server.object(ROLLOUT_PATH).expect("the Rollout");
    assert_eq!(
        rollout["spec"]["template"]["spec"]["containers"][0]["image"],
        "r.example/backend:1.2.0"
    );
    // No such revision: a negative answer, nothing sent.
    run(&server, &["undo", "backend", "--to-revision", "9"])
        .code(1)
        .stderr(predicates::str::contains(
            "unable to find specified revision 9 in history",
        ));
    assert_eq!(patches(&server).len(), 1);
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
    assert!(patches(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_rollouts_and_unreachable_servers() {
    // An empty cluster: the conformance 404 of every read.
    let server = KubeStandIn::start().await;
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
