//! The Rollouts client through kube's client against a mock API server (tower-test): the exact
//! requests promote, abort, retry and undo send, the v0.9 fallback, and waiting.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_rollouts::{Command, RolloutClient, RolloutError, Settled};
use ferry_test_support::rollouts::{ROLLOUT_PATH, ROLLOUT_STATUS_PATH, paused_blue_green};
use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

/// One request the mock saw: method, path and query, content type, body.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    uri: String,
    content_type: String,
    body: Value,
}

type Handler = Box<dyn Fn(&Seen) -> (u16, Value) + Send + Sync>;

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server could not find the requested resource", "reason": "NotFound", "code": 404}),
    )
}

/// A mock API answering with `handler`; returns the client and the log of requests.
fn mock(handler: Handler) -> (kube::Client, Arc<Mutex<Vec<Seen>>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = collect(body).await;
            let entry = Seen {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                content_type: parts
                    .headers
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default(),
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            };
            let (status, reply) = handler(&entry);
            seen.lock().unwrap().push(entry);
            let response = Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&reply).unwrap()))
                .unwrap();
            send.send_response(response);
        }
    });
    (kube::Client::new(service, "acme"), log)
}

async fn collect(body: Body) -> Vec<u8> {
    body.collect_bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default()
}

fn path(seen: &Seen) -> &str {
    seen.uri.split('?').next().unwrap()
}

#[tokio::test]
async fn promote_patches_status_then_spec() {
    let obj = paused_blue_green();
    let (client, log) = mock(Box::new(move |_| (200, obj.clone())));
    let rollouts = RolloutClient::new(client, "acme");
    let (outcome, _) = rollouts.promote("backend", false).await.unwrap();
    let log = log.lock().unwrap().clone();
    let calls: Vec<(String, &str, &str)> = log
        .iter()
        .map(|s| (s.method.clone(), path(s), s.content_type.as_str()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("GET".to_string(), ROLLOUT_PATH, ""),
            (
                "PATCH".to_string(),
                ROLLOUT_STATUS_PATH,
                "application/merge-patch+json"
            ),
            (
                "PATCH".to_string(),
                ROLLOUT_PATH,
                "application/merge-patch+json"
            ),
        ]
    );
    assert_eq!(log[1].body, json!({"status": {"pauseConditions": null}}));
    assert_eq!(log[2].body, json!({"spec": {"paused": false}}));
    assert_eq!(outcome.requests.len(), 2);
    assert_eq!(outcome.skipped, None);
}

#[tokio::test]
async fn promote_full_and_abort_and_retry_patch_the_status_subresource() {
    let obj = paused_blue_green();
    let (client, log) = mock(Box::new(move |_| (200, obj.clone())));
    let rollouts = RolloutClient::new(client, "acme");
    rollouts.promote("backend", true).await.unwrap();
    rollouts.abort("backend").await.unwrap();
    rollouts.retry("backend").await.unwrap();
    let patches: Vec<(String, Value)> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "PATCH")
        .map(|s| (path(s).to_string(), s.body.clone()))
        .collect();
    assert_eq!(
        patches,
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

#[tokio::test]
async fn without_a_status_subresource_the_object_is_patched_whole() {
    let obj = paused_blue_green();
    let (client, log) = mock(Box::new(move |seen| {
        if path(seen) == ROLLOUT_STATUS_PATH {
            not_found()
        } else {
            (200, obj.clone())
        }
    }));
    let rollouts = RolloutClient::new(client, "acme");
    rollouts.promote("backend", false).await.unwrap();
    rollouts.abort("backend").await.unwrap();
    let patches: Vec<(String, Value)> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.method == "PATCH")
        .map(|s| (path(s).to_string(), s.body.clone()))
        .collect();
    assert_eq!(
        patches,
        vec![
            (
                ROLLOUT_STATUS_PATH.to_string(),
                json!({"status": {"pauseConditions": null}})
            ),
            (
                ROLLOUT_PATH.to_string(),
                json!({"spec": {"paused": false}, "status": {"pauseConditions": null}})
            ),
            (
                ROLLOUT_STATUS_PATH.to_string(),
                json!({"status": {"abort": true}})
            ),
            (ROLLOUT_PATH.to_string(), json!({"status": {"abort": true}})),
        ]
    );
}

#[tokio::test]
async fn a_missing_rollout_is_not_found() {
    let (client, _) = mock(Box::new(|_| not_found()));
    let rollouts = RolloutClient::new(client, "acme");
    let err = rollouts.abort("backend").await.unwrap_err();
    assert!(matches!(err, RolloutError::NotFound { .. }), "{err:?}");
    assert_eq!(err.to_string(), "rollout acme/backend not found");
}

#[tokio::test]
async fn undo_sends_a_json_patch_of_the_previous_template() {
    let obj = paused_blue_green();
    let rs = |name: &str, revision: &str, image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("backend-{name}"), "namespace": "acme",
                "annotations": {"rollout.argoproj.io/revision": revision},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "backend", "uid": "u-1", "controller": true}]},
            "spec": {"template": {"metadata": {"labels": {"app": "backend", "rollouts-pod-template-hash": name}},
                "spec": {"containers": [{"name": "backend", "image": image}]}}}})
    };
    let list = json!({"apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {"resourceVersion": "9"},
        "items": [rs("old", "4", "r.example/backend:1.3.1"), rs("new", "5", "r.example/backend:1.4.0")]});
    let (client, log) = mock(Box::new(move |seen| {
        if path(seen) == "/apis/apps/v1/namespaces/acme/replicasets" {
            (200, list.clone())
        } else {
            (200, obj.clone())
        }
    }));
    let rollouts = RolloutClient::new(client, "acme");
    let (outcome, _) = rollouts.undo("backend", 0).await.unwrap();
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log[1].uri,
        "/apis/apps/v1/namespaces/acme/replicasets?&labelSelector=app%3Dbackend"
    );
    let patch = &log[2];
    assert_eq!(
        (patch.method.as_str(), path(patch)),
        ("PATCH", ROLLOUT_PATH)
    );
    assert_eq!(patch.content_type, "application/json-patch+json");
    assert_eq!(
        patch.body,
        json!([{"op": "replace", "path": "/spec/template", "value": {
            "metadata": {"labels": {"app": "backend"}},
            "spec": {"containers": [{"name": "backend", "image": "r.example/backend:1.3.1"}]}}}])
    );
    assert_eq!(outcome.requests[0].kind, "json");
}

#[tokio::test(start_paused = true)]
async fn wait_polls_until_the_rollout_settles() {
    let before = paused_blue_green();
    let mut done = before.clone();
    done["spec"]["paused"] = json!(false);
    done["status"]["pauseConditions"] = Value::Null;
    done["status"]["phase"] = json!("Healthy");
    done["status"]["message"] = json!("");
    done["status"]["stableRS"] = json!("new");
    done["status"]["blueGreen"]["activeSelector"] = json!("new");
    let gets = Arc::new(Mutex::new(0));
    let counter = gets.clone();
    let (first, last) = (before.clone(), done.clone());
    let (client, _) = mock(Box::new(move |_| {
        let mut n = counter.lock().unwrap();
        *n += 1;
        (200, if *n < 3 { first.clone() } else { last.clone() })
    }));
    let rollouts = RolloutClient::new(client, "acme");
    let (settled, status) = rollouts
        .wait(
            Command::Promote,
            "backend",
            &before,
            &before,
            Duration::from_secs(2),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(settled, Settled::Healthy);
    assert!(status.fully_promoted);
    assert_eq!(*gets.lock().unwrap(), 3);

    // Never settling: a timeout naming the last status.
    let stuck = before.clone();
    let (client, _) = mock(Box::new(move |_| (200, stuck.clone())));
    let rollouts = RolloutClient::new(client, "acme");
    let err = rollouts
        .wait(
            Command::Promote,
            "backend",
            &before,
            &before,
            Duration::from_secs(2),
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RolloutError::Timeout { .. }));
    assert!(err.to_string().contains("Paused BlueGreenPause"), "{err}");
}
