//! Argo CD's Rollout resource actions and their discovery, against
//! `fixtures/conformance/rollouts/actions.jsonl`.
//!
//! Comparison (as the suite's SOURCE.md recommends, stricter than upstream): deep equality of the
//! whole object after removing `ignore_paths` from both sides, a key with a `null` value counting
//! as absent.

use ferry_rollouts::{apply_action, discover_actions};
use serde_json::{Map, Value};

fn cases() -> Vec<Value> {
    ferry_test_support::conformance_cases("rollouts/actions.jsonl")
}

/// `v` without nulls in objects (recursively).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), normalise(x)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

fn remove_path(v: &mut Value, dotted: &str) {
    let parts: Vec<&str> = dotted.split('.').collect();
    let (last, parents) = parts.split_last().expect("a path");
    let mut cur = v;
    for p in parents {
        match cur.get_mut(*p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(*last);
    }
}

#[test]
fn every_action_case_passes() {
    let cases = cases();
    let now: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
    let mut ran = 0;
    for case in cases.iter().filter(|c| c["type"] == "action") {
        let id = case["id"].as_str().unwrap();
        let action = case["action"].as_str().unwrap();
        let mut got =
            apply_action(&case["object"], action, now).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut want = case["expected_object"].clone();
        for path in case["ignore_paths"].as_array().unwrap() {
            let path = path.as_str().unwrap();
            remove_path(&mut got, path);
            remove_path(&mut want, path);
        }
        assert_eq!(normalise(&got), normalise(&want), "{id}");
        ran += 1;
    }
    assert_eq!(ran, 8, "the suite has 8 action cases");
}

#[test]
fn restart_writes_the_time() {
    let cases = cases();
    let case = cases
        .iter()
        .find(|c| c["action"] == "restart")
        .expect("a restart case");
    let now: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
    let got = apply_action(&case["object"], "restart", now).unwrap();
    assert_eq!(got["spec"]["restartAt"], "2026-11-25T10:00:00Z");
}

#[test]
fn every_discovery_case_returns_exactly_the_listed_actions() {
    let cases = cases();
    let mut ran = 0;
    for case in cases.iter().filter(|c| c["type"] == "discovery") {
        let id = case["id"].as_str().unwrap();
        let mut got: Vec<Value> = discover_actions(&case["object"])
            .into_iter()
            .map(|a| serde_json::to_value(a).unwrap())
            .collect();
        let mut want = case["expected_actions"].as_array().unwrap().clone();
        let key = |v: &Value| v["name"].as_str().unwrap().to_string();
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want, "{id}");
        ran += 1;
    }
    assert_eq!(ran, 9, "the suite has 9 discovery cases");
}

#[test]
fn an_unknown_action_is_refused() {
    let err = apply_action(
        &serde_json::json!({"spec": {}}),
        "scale",
        jiff::Timestamp::UNIX_EPOCH,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown Rollout action \"scale\""));
}
