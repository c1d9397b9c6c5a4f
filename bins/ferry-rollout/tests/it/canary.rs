//! Canary Rollouts from `fixtures/conformance/rollouts/actions.jsonl` (Argo CD's recorded Rollout
//! objects): `status` shows the step, weight and pause; `promote`, `promote --full`, `abort` and
//! `retry` send the kubectl plugin's patches, and those patches applied to the recorded object
//! (by the stand-in API server, as merge patches) give the recorded result of the same action.

use ferry_test_support::rollouts::{ROLLOUT_PATH, ROLLOUT_STATUS_PATH};
use serde_json::{Value, json};

use crate::{api, patches, run};

/// The case `id` of the data, its object renamed to acme/backend (the stand-in's path).
fn case(id: &str) -> Value {
    let mut case = ferry_test_support::conformance_cases("rollouts/actions.jsonl")
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    for key in ["object", "expected_object"] {
        if case[key].is_object() {
            case[key]["metadata"]["name"] = json!("backend");
            case[key]["metadata"]["namespace"] = json!("acme");
        }
    }
    case
}

/// Without null values, `metadata.creationTimestamp` and `resourceVersion` (the stand-in's
/// own) and `status.abort: false` (the plugin's `retry` writes false where Argo CD's action
/// deletes the key: both mean "not aborted").
fn normalise(v: &Value) -> Value {
    let mut v = strip_nulls(v);
    if let Some(m) = v["metadata"].as_object_mut() {
        m.remove("creationTimestamp");
        m.remove("resourceVersion");
    }
    if v["status"]["abort"] == json!(false)
        && let Some(s) = v["status"].as_object_mut()
    {
        s.remove("abort");
    }
    v
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Runs `args` on the case's object; asserts the patches sent and that, applied to the object,
/// they give the case's expected object.
async fn action(id: &str, args: &[&str], expected: &[(&str, Value)]) {
    let case = case(id);
    let server = api(&case["object"]).await;
    run(&server, args).success();
    let sent = patches(&server);
    let want: Vec<(String, String, Value)> = expected
        .iter()
        .map(|(p, body)| {
            (
                (*p).to_owned(),
                "application/merge-patch+json".to_owned(),
                body.clone(),
            )
        })
        .collect();
    assert_eq!(sent, want, "{id}");
    let object = server.object(ROLLOUT_PATH).expect("the Rollout");
    assert_eq!(
        normalise(&object),
        normalise(&case["expected_object"]),
        "{id}: the plugin's patches do not give Argo CD's recorded result"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_canary_step_weight_and_pause() {
    let case = case("action/resume/has_pause_condition_rollout");
    let server = api(&case["object"]).await;
    let out = run(&server, &["status", "backend"])
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("UTF-8");
    for line in [
        "step      1/",
        "weight    40",
        "pause     indefinite (a pause step)",
    ] {
        assert!(text.contains(line), "{line:?} missing in:\n{text}");
    }
    let out = run(&server, &["status", "backend", "--format", "json"])
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(json["strategy"], "canary");
    assert_eq!(json["weight"], 40);
    assert_eq!(json["pause"], "indefinite");
    assert_eq!(json["step"][0], 1);
    assert!(patches(&server).is_empty(), "status only reads");
}

#[tokio::test(flavor = "multi_thread")]
async fn promote_clears_the_canary_pause() {
    action(
        "action/resume/has_pause_condition_rollout",
        &["promote", "backend"],
        &[(
            ROLLOUT_STATUS_PATH,
            json!({"status": {"pauseConditions": null}}),
        )],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn promote_full_sets_promote_full() {
    action(
        "action/promote-full/aborted_rollout",
        &["promote", "backend", "--full"],
        &[(
            ROLLOUT_STATUS_PATH,
            json!({"status": {"promoteFull": true}}),
        )],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_sets_abort() {
    action(
        "action/abort/has_pause_condition_rollout",
        &["abort", "backend"],
        &[(ROLLOUT_STATUS_PATH, json!({"status": {"abort": true}}))],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_clears_abort() {
    action(
        "action/retry/v0.9_aborted_rollout",
        &["retry", "backend"],
        &[(ROLLOUT_STATUS_PATH, json!({"status": {"abort": false}}))],
    )
    .await;
}
