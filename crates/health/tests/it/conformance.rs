//! Argo CD health conformance: every case in `fixtures/conformance/health/*.jsonl`.
//!
//! Each line holds a Kubernetes object and the health Argo CD's tests expect for it. The status
//! must match; the message must match wherever the line gives `expected_message` (the Lua suites
//! always do, `""` meaning an empty message). For the built-in checks, upstream asserts few
//! messages; `reference_message` (what Argo CD's rules produce) is compared in a separate test.

use ferry_health::rules::{self, workflow};
use ferry_health::{Health, assess};
use ferry_test_support::conformance_cases;
use serde_json::Value;

/// Assesses a case's object. The inline Argo Workflow cases have no `apiVersion`/`kind` because
/// upstream calls the Workflow check directly; so does this test.
fn assess_case(case: &Value) -> Option<Health> {
    let object = &case["object"];
    if case["fixture"].is_null() && rules::GroupKind::of(object).is_none() {
        Some(workflow::workflow(object))
    } else {
        assess(object)
    }
}

/// Checks every case of one file and returns how many it checked; panics listing all mismatches.
fn check_file(rel: &str) -> usize {
    let cases = conformance_cases(rel);
    let mut failures = Vec::new();
    let mut messages_checked = 0;
    for case in &cases {
        let id = case["id"].as_str().expect("every case has an id");
        let got = assess_case(case);
        let want_status = case["expected_status"].as_str();
        let got_status = got.as_ref().map(|h| h.status.as_str());
        if got_status != want_status {
            failures.push(format!("{id}: status {got_status:?}, want {want_status:?}"));
            continue;
        }
        if let Some(want) = case.get("expected_message").and_then(Value::as_str) {
            messages_checked += 1;
            let got = got.as_ref().map_or("", |h| h.message.as_str());
            if got != want {
                failures.push(format!("{id}: message {got:?}, want {want:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{rel}: {} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(!cases.is_empty(), "{rel} holds no cases");
    eprintln!(
        "{rel}: {} cases pass ({messages_checked} messages checked)",
        cases.len()
    );
    cases.len()
}

#[test]
fn argocd_builtin() {
    assert_eq!(
        check_file("health/argocd-builtin.jsonl"),
        53,
        "the builtin suite has 53 cases upstream"
    );
}

/// Messages pinned against the upstream rule text (Ferry's own cases, `source` on every line).
#[test]
fn ferry_messages_match_upstream_text() {
    assert_eq!(check_file("health/ferry-messages.jsonl"), 30);
}

#[test]
fn argocd_rollout() {
    assert_eq!(check_file("health/argocd-rollout.jsonl"), 24);
}

#[test]
fn argocd_analysisrun() {
    assert_eq!(check_file("health/argocd-analysisrun.jsonl"), 11);
}

#[test]
fn argocd_experiment() {
    assert_eq!(check_file("health/argocd-experiment.jsonl"), 6);
}

#[test]
fn flagger_canary() {
    assert_eq!(check_file("health/argocd-canary.jsonl"), 6);
}

/// The built-in checks also reproduce the messages Argo CD's rules produce (`reference_message`),
/// which upstream's tests do not assert.
#[test]
fn argocd_builtin_reference_messages() {
    let cases = conformance_cases("health/argocd-builtin.jsonl");
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let Some(want) = case.get("reference_message").and_then(Value::as_str) else {
            continue;
        };
        checked += 1;
        let id = case["id"].as_str().expect("id");
        let got = assess_case(case).map(|h| h.message).unwrap_or_default();
        if got != want {
            failures.push(format!("{id}: message {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 47, "47 builtin cases carry a reference message");
}

/// Every leaf of `v`, as a JSON pointer.
fn leaf_pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                leaf_pointers(child, format!("{prefix}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                leaf_pointers(child, format!("{prefix}/{i}"), out);
            }
        }
        _ => out.push(prefix),
    }
}

/// Damaged objects (every `status`/`spec`/`metadata` leaf of every conformance object replaced by
/// `null`, a string, a negative number and an object) never panic, and the kind's rule still
/// answers.
#[test]
fn damaged_objects_still_get_a_health() {
    let replacements = [
        Value::Null,
        Value::from("x"),
        Value::from(-1),
        Value::from(1.5),
        serde_json::json!({}),
    ];
    let mut assessed = 0;
    for rel in [
        "health/argocd-builtin.jsonl",
        "health/argocd-rollout.jsonl",
        "health/argocd-analysisrun.jsonl",
        "health/argocd-canary.jsonl",
        "health/argocd-experiment.jsonl",
    ] {
        let cases = conformance_cases(rel);
        for case in cases {
            let object = &case["object"];
            let Some(gk) = rules::GroupKind::of(object) else {
                continue;
            };
            let has_rule = rules::rule_for(gk).is_some();
            let mut pointers = Vec::new();
            leaf_pointers(object, String::new(), &mut pointers);
            for pointer in pointers.iter().filter(|p| {
                ["/status", "/spec", "/metadata"]
                    .iter()
                    .any(|root| p.starts_with(root))
            }) {
                for replacement in &replacements {
                    let mut damaged = object.clone();
                    *damaged
                        .pointer_mut(pointer)
                        .expect("pointer from the object") = replacement.clone();
                    let got = assess(&damaged);
                    assert_eq!(
                        got.is_some(),
                        has_rule,
                        "{}: {pointer} = {replacement}",
                        case["id"]
                    );
                    assessed += 1;
                }
            }
        }
    }
    assert!(assessed > 1000, "only {assessed} damaged objects assessed");
}
