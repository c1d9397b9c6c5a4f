use serde_json::json;

use super::*;

fn canary(paused: bool, pause_conditions: bool, index: i64) -> Value {
    let mut obj = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "backend", "namespace": "acme", "generation": 4, "uid": "u-1"},
        "spec": {"paused": paused, "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}]}}},
        "status": {"currentStepIndex": index, "currentPodHash": "new", "stableRS": "old", "observedGeneration": "4"}
    });
    if pause_conditions {
        obj["status"]["pauseConditions"] =
            json!([{"reason": "CanaryPauseStep", "startTime": "2026-11-25T10:00:00Z"}]);
    }
    obj
}

fn blue_green(current: &str, stable: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "frontend", "namespace": "acme", "generation": 2},
        "spec": {"strategy": {"blueGreen": {"activeService": "frontend", "autoPromotionEnabled": false}}},
        "status": {"currentPodHash": current, "stableRS": stable, "observedGeneration": "2",
            "blueGreen": {"activeSelector": stable, "previewSelector": current},
            "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-11-25T10:00:00Z"}]}
    })
}

#[test]
fn promote_clears_pause_conditions_and_unpauses() {
    let p = promote_patches(&canary(true, true, 1), false);
    assert_eq!(p.spec, Some(json!({"spec": {"paused": false}})));
    assert_eq!(p.status, Some(json!({"status": {"pauseConditions": null}})));
    assert_eq!(
        p.unified,
        Some(json!({"spec": {"paused": false}, "status": {"pauseConditions": null}}))
    );
}

#[test]
fn promote_moves_a_canary_without_pause_conditions_one_step_on() {
    let p = promote_patches(&canary(false, false, 1), false);
    assert_eq!(p.spec, None);
    assert_eq!(
        p.status,
        Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 2}}))
    );
    // At the last step the index stays.
    let p = promote_patches(&canary(false, false, 3), false);
    assert_eq!(
        p.status,
        Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 3}}))
    );
}

#[test]
fn promote_full_sets_promote_full_unless_fully_promoted() {
    let p = promote_patches(&blue_green("new", "old"), true);
    assert_eq!(p.status, Some(json!({"status": {"promoteFull": true}})));
    assert_eq!(p.spec, None);
    let p = promote_patches(&blue_green("same", "same"), true);
    assert_eq!(p.status, None);
}

fn replica_set(name: &str, revision: &str, owner: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "annotations": {REVISION_ANNOTATION: revision},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "backend", "uid": owner, "controller": true}]},
        "spec": {"template": {
            "metadata": {"labels": {"app": "backend", POD_TEMPLATE_HASH_LABEL: name}},
            "spec": {"containers": [{"name": "backend", "image": image, "imagePullPolicy": "IfNotPresent"}]}}}
    })
}

fn rollout_with(image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "backend", "namespace": "acme", "uid": "u-1", "generation": 5},
        "spec": {"selector": {"matchLabels": {"app": "backend"}},
            "template": {"metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "backend", "image": image}]}}}
    })
}

#[test]
fn undo_restores_the_previous_revision_without_the_hash_label() {
    let rs = vec![
        replica_set("h1", "1", "u-1", "backend:1.2.0"),
        replica_set("h3", "3", "u-1", "backend:1.4.0"),
        replica_set("h2", "2", "u-1", "backend:1.3.1"),
        // Not controlled by this Rollout: ignored, even with a higher revision.
        replica_set("hx", "9", "other", "backend:0.1.0"),
    ];
    let plan = undo_patch(&rollout_with("backend:1.4.0"), &rs, 0).unwrap();
    let UndoPlan::Patch {
        revision,
        replica_set,
        patch,
    } = plan
    else {
        panic!("expected a patch, got {plan:?}");
    };
    assert_eq!((revision, replica_set.as_str()), (2, "h2"));
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/spec/template", "value": {
            "metadata": {"labels": {"app": "backend"}},
            "spec": {"containers": [{"name": "backend", "image": "backend:1.3.1", "imagePullPolicy": "IfNotPresent"}]}}}])
    );
    // An explicit revision.
    let plan = undo_patch(&rollout_with("backend:1.4.0"), &rs, 1).unwrap();
    assert!(matches!(plan, UndoPlan::Patch { revision: 1, .. }));
    // Unknown revision.
    let err = undo_patch(&rollout_with("backend:1.4.0"), &rs, 7).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to find specified revision 7 in history"
    );
    // Only one revision: nothing to go back to.
    let err = undo_patch(&rollout_with("backend:1.4.0"), &rs[..1], 0).unwrap_err();
    assert!(err.to_string().contains("no revision found"));
}

#[test]
fn undo_skips_when_the_template_already_matches() {
    let rs = vec![
        replica_set("h1", "1", "u-1", "backend:1.3.1"),
        replica_set("h2", "2", "u-1", "backend:1.4.0"),
    ];
    // The API server defaulted imagePullPolicy on the ReplicaSet: still the same template.
    let plan = undo_patch(&rollout_with("backend:1.3.1"), &rs, 0).unwrap();
    assert_eq!(plan, UndoPlan::Skip { revision: 1 });
}

#[test]
fn status_reports_hashes_selectors_and_pause() {
    let s = status(&blue_green("new", "old"));
    assert_eq!(s.strategy, "blueGreen");
    assert_eq!(s.current_hash.as_deref(), Some("new"));
    assert_eq!(s.stable_hash.as_deref(), Some("old"));
    assert_eq!(s.active_selector.as_deref(), Some("old"));
    assert_eq!(s.preview_selector.as_deref(), Some("new"));
    assert!(s.paused);
    assert_eq!(s.pause_reasons, vec!["BlueGreenPause".to_string()]);
    assert!(!s.fully_promoted);
    assert!(!s.aborted);
    let s = status(&canary(false, false, 1));
    assert_eq!(s.step, Some((1, 3)));
}

#[test]
fn abort_settles_once_the_controller_reports_it() {
    let before = blue_green("new", "old");
    let mut sent = before.clone();
    sent["status"]["abort"] = json!(true);
    // The controller has not reacted yet: status.abort alone counts as aborted, and the
    // stable version is not the current one, the health still paused.
    assert_eq!(settled(Command::Abort, &before, &sent, &before), None);
    let mut now = sent.clone();
    now["status"]["phase"] = json!("Degraded");
    now["status"]["message"] = json!("RolloutAborted: Rollout aborted update to revision 2");
    assert_eq!(
        settled(Command::Abort, &before, &sent, &now),
        Some(Settled::Aborted)
    );
}

#[test]
fn promote_does_not_settle_on_the_pause_it_was_asked_to_leave() {
    let before = blue_green("new", "old");
    let sent = before.clone();
    assert_eq!(settled(Command::Promote, &before, &sent, &before), None);
    let mut now = before.clone();
    now["status"]["pauseConditions"] = Value::Null;
    now["status"]["stableRS"] = json!("new");
    now["status"]["blueGreen"]["activeSelector"] = json!("new");
    now["status"]["phase"] = json!("Healthy");
    assert_eq!(
        settled(Command::Promote, &before, &sent, &now),
        Some(Settled::Healthy)
    );
}

#[test]
fn semantic_derivative_ignores_unset_fields_of_the_left_side() {
    assert!(derivative(
        &json!({"a": 1, "b": ""}),
        &json!({"a": 1, "b": "x", "c": 2})
    ));
    assert!(!derivative(&json!({"a": 1}), &json!({"a": 2})));
    assert!(!derivative(&json!([1, 2]), &json!([1])));
    assert!(derivative(&json!({"l": []}), &json!({"l": [1]})));
}

#[test]
fn status_shows_the_canary_weight_and_pause() {
    let s = status(&canary(false, true, 1));
    assert_eq!(s.step, Some((1, 3)));
    assert_eq!(s.weight, Some(20));
    assert_eq!(s.pause.as_deref(), Some("indefinite"));
    let s = status(&canary(false, false, 2));
    assert_eq!((s.weight, s.pause), (Some(60), None));
    let s = status(&canary(false, false, 3));
    assert_eq!(s.weight, Some(100));
    let mut aborted = canary(false, false, 2);
    aborted["status"]["abort"] = json!(true);
    assert_eq!(status(&aborted).weight, Some(0));
    let mut timed = canary(false, false, 1);
    timed["spec"]["strategy"]["canary"]["steps"][1] = json!({"pause": {"duration": "1h"}});
    assert_eq!(status(&timed).pause.as_deref(), Some("1h"));
    assert_eq!(status(&blue_green("a", "b")).weight, None);
}
