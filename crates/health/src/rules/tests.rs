//! Rules behaviour beyond the upstream conformance data: dispatch, Ferry's deliberate deviations,
//! and the helpers the probes build on.

use serde_json::{Value, json};

use super::argocd::{SyncVerdict, application_health, parse_rfc3339, sync_to_revision};
use super::core::pod_signals;
use super::{apps, assess, generation_lag, generation_observed, rollout};
use crate::{Health, HealthStatus};

fn status_of(obj: &Value) -> Option<HealthStatus> {
    assess(obj).map(|h| h.status)
}

#[test]
fn kinds_without_a_rule_have_no_health() {
    let app = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "status": {"health": {"status": "Healthy"}}});
    assert_eq!(assess(&app), None);
    let knative = json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service"});
    assert_eq!(assess(&knative), None);
    let configmap = json!({"apiVersion": "v1", "kind": "ConfigMap"});
    assert_eq!(assess(&configmap), None);
    assert_eq!(assess(&json!({"apiVersion": "v1"})), None);
    // The group decides, not only the kind.
    let deployment_elsewhere = json!({"apiVersion": "example.com/v1", "kind": "Deployment"});
    assert_eq!(assess(&deployment_elsewhere), None);
}

#[test]
fn objects_being_deleted_are_pending_deletion_unless_hooks() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "deletionTimestamp": "2024-01-01T00:00:00Z"}});
    assert_eq!(
        assess(&cm),
        Some(Health::new(HealthStatus::Progressing, "Pending deletion"))
    );
    let hook = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "x", "deletionTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": ["argocd.argoproj.io/hook-finalizer"]},
        "status": {"conditions": [{"type": "Complete", "status": "True", "message": "done"}]}});
    assert_eq!(
        assess(&hook),
        Some(Health::new(HealthStatus::Healthy, "done"))
    );
}

#[test]
fn generation_must_be_observed() {
    let obj = |g: Value, o: Value| json!({"metadata": {"generation": g}, "status": {"observedGeneration": o}});
    assert!(generation_observed(&obj(json!(3), json!(3))));
    assert!(generation_observed(&obj(json!(3), json!(4))));
    assert!(!generation_observed(&obj(json!(4), json!(3))));
    assert!(!generation_observed(
        &json!({"metadata": {"generation": 1}})
    ));
    assert!(generation_observed(&json!({"kind": "Deployment"})));
    // Argo Rollouts writes the number as a string; older versions wrote a hash.
    assert!(generation_observed(&obj(json!(3), json!("3"))));
    assert!(!generation_observed(&obj(json!(4), json!("3"))));
    assert!(generation_observed(&obj(json!(4), json!("5d8f9c7b6"))));
    assert_eq!(generation_lag(&obj(json!(4), json!("3"))), Some((4, 3)));
    assert_eq!(
        generation_lag(&json!({"metadata": {"generation": 2}})),
        Some((2, 0))
    );
    assert_eq!(generation_lag(&obj(json!(3), json!(3))), None);
}

fn deployment(generation: i64, observed: i64, status: Value) -> Value {
    let mut status = status;
    status["observedGeneration"] = json!(observed);
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": 2}, "status": status})
}

#[test]
fn deployment_is_not_judged_before_its_generation_is_observed() {
    // The status still shows the old, fully available ReplicaSet: not a success.
    let d = deployment(
        5,
        4,
        json!({"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
    );
    assert_eq!(status_of(&d), Some(HealthStatus::Progressing));
    let d = deployment(
        5,
        5,
        json!({"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
    );
    assert_eq!(status_of(&d), Some(HealthStatus::Healthy));
    let d = deployment(
        5,
        5,
        json!({"replicas": 3, "updatedReplicas": 2, "availableReplicas": 2,
        "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
    );
    assert_eq!(
        assess(&d),
        Some(Health::new(
            HealthStatus::Degraded,
            "Deployment \"web\" exceeded its progress deadline"
        ))
    );
}

#[test]
fn replica_set_revision_and_hash() {
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"generation": 1, "annotations": {"deployment.kubernetes.io/revision": "7"},
            "labels": {"pod-template-hash": "5d8f9c7b6"}},
        "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "availableReplicas": 1,
            "conditions": [{"type": "ReplicaFailure", "status": "True", "message": "exceeded quota"}]}});
    assert_eq!(apps::revision(&rs), Some(7));
    assert_eq!(apps::pod_template_hash(&rs), Some("5d8f9c7b6"));
    assert_eq!(
        assess(&rs),
        Some(Health::new(HealthStatus::Degraded, "exceeded quota"))
    );
}

fn pod(restart_policy: Option<&str>, statuses: Value, init: Value) -> Value {
    let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {}, "status": {"phase": "Running", "containerStatuses": statuses,
            "initContainerStatuses": init,
            "conditions": [{"type": "Ready", "status": "True"}]}});
    if let Some(policy) = restart_policy {
        p["spec"]["restartPolicy"] = json!(policy);
    }
    p
}

#[test]
fn pod_fail_fast_signals() {
    let waiting = |reason: &str| {
        json!([{"name": "app", "restartCount": 3,
            "state": {"waiting": {"reason": reason, "message": format!("{reason} happened")}}}])
    };
    for reason in [
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
    ] {
        let p = pod(Some("Always"), waiting(reason), json!([]));
        let signals = pod_signals(&p, 2);
        assert_eq!(signals.len(), 1, "{reason}");
        assert_eq!(signals[0].reason, reason);
        assert_eq!(signals[0].container, "app");
        assert_eq!(signals[0].message, format!("{reason} happened"));
        assert!(!signals[0].init_container);
        assert_eq!(status_of(&p), Some(HealthStatus::Degraded), "{reason}");
    }
    // Ordinary waiting reasons are no signal.
    assert!(
        pod_signals(
            &pod(Some("Always"), waiting("ContainerCreating"), json!([])),
            2
        )
        .is_empty()
    );
    // Init containers count too.
    let p = pod(Some("Always"), json!([]), waiting("ImagePullBackOff"));
    assert!(pod_signals(&p, 2)[0].init_container);
}

#[test]
fn pod_repeated_oom_kills() {
    let oom = |restarts: i64| {
        json!([{"name": "app", "restartCount": restarts, "state": {"running": {}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}])
    };
    assert!(pod_signals(&pod(Some("Always"), oom(1), json!([])), 2).is_empty());
    let signals = pod_signals(&pod(Some("Always"), oom(2), json!([])), 2);
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].reason, "OOMKilled");
    assert_eq!(signals[0].restart_count, 2);
    // A healthy running pod gives no signal.
    let ok = json!([{"name": "app", "restartCount": 0, "state": {"running": {}}}]);
    assert!(pod_signals(&pod(Some("Always"), ok, json!([])), 2).is_empty());
}

#[test]
fn pod_without_restart_policy_is_an_always_pod() {
    let ok = json!([{"name": "app", "ready": true, "state": {"running": {}}}]);
    assert_eq!(
        status_of(&pod(None, ok, json!([]))),
        Some(HealthStatus::Healthy)
    );
}

#[test]
fn resumed_job_is_still_progressing() {
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "status": {"active": 1,
        "conditions": [{"type": "Suspended", "status": "False", "reason": "JobResumed",
            "message": "Job resumed"}]}});
    assert_eq!(status_of(&job), Some(HealthStatus::Progressing));
    let failed = json!({"apiVersion": "batch/v1", "kind": "Job", "status": {
        "conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
    assert_eq!(
        assess(&failed),
        Some(Health::new(HealthStatus::Degraded, "BackoffLimitExceeded"))
    );
}

#[test]
fn hpa_degraded_condition_wins_and_bad_annotation_is_unknown() {
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "status": {"conditions": [
            {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale", "message": "ok"},
            {"type": "ScalingActive", "status": "False", "reason": "FailedGetExternalMetric",
                "message": "no metric"}]}});
    assert_eq!(
        assess(&hpa),
        Some(Health::new(HealthStatus::Degraded, "no metric"))
    );
    let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"annotations": {"autoscaling.alpha.kubernetes.io/conditions": "not json"}}});
    assert_eq!(status_of(&v1), Some(HealthStatus::Unknown));
}

fn blue_green(status: Value) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web", "generation": 3},
        "spec": {"replicas": 2, "strategy": {"blueGreen": {"activeService": "web",
            "previewService": "web-preview", "autoPromotionEnabled": false}}},
        "status": status})
}

#[test]
fn blue_green_paused_for_promotion_is_expected() {
    let paused = blue_green(json!({"observedGeneration": "3", "currentPodHash": "new",
        "stableRS": "old", "replicas": 4, "updatedReplicas": 2, "availableReplicas": 4,
        "blueGreen": {"activeSelector": "old", "previewSelector": "new"},
        "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2024-01-01T00:00:00Z"}],
        "phase": "Paused", "message": "BlueGreenPause"}));
    assert!(rollout::is_paused_for_promotion(&paused));
    assert_eq!(rollout::pause_reasons(&paused), ["BlueGreenPause"]);
    assert!(!rollout::is_fully_promoted(&paused));
    assert_eq!(
        assess(&paused),
        Some(Health::new(HealthStatus::Suspended, "BlueGreenPause"))
    );

    // Before v1.0 there is no phase: the pause condition alone tells.
    let mut legacy = paused.clone();
    legacy["status"].as_object_mut().unwrap().remove("phase");
    legacy["status"].as_object_mut().unwrap().remove("message");
    assert!(rollout::is_paused_for_promotion(&legacy));
    assert_eq!(
        assess(&legacy),
        Some(Health::new(HealthStatus::Suspended, "Rollout is paused"))
    );

    // Not yet observed, aborted, or a canary pause: not "paused for promotion".
    let mut unobserved = paused.clone();
    unobserved["status"]["observedGeneration"] = json!("2");
    assert!(!rollout::is_paused_for_promotion(&unobserved));
    let mut aborted = paused.clone();
    aborted["status"]["abort"] = json!(true);
    assert!(rollout::is_aborted(&aborted));
    assert!(!rollout::is_paused_for_promotion(&aborted));
    let mut canary = paused.clone();
    canary["spec"]["strategy"] = json!({"canary": {"steps": [{"pause": {}}]}});
    assert!(!rollout::is_paused_for_promotion(&canary));
}

#[test]
fn blue_green_fully_promoted() {
    let done = blue_green(json!({"observedGeneration": "3", "currentPodHash": "new",
        "stableRS": "new", "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
        "blueGreen": {"activeSelector": "new"}, "phase": "Healthy"}));
    assert!(rollout::is_fully_promoted(&done));
    assert!(!rollout::is_paused_for_promotion(&done));
    assert_eq!(assess(&done), Some(Health::new(HealthStatus::Healthy, "")));
}

#[test]
fn rollout_unknown_phase_is_unknown() {
    let odd = blue_green(json!({"observedGeneration": 3, "phase": "Exploded", "message": "?"}));
    assert_eq!(assess(&odd), Some(Health::new(HealthStatus::Unknown, "?")));
}

#[test]
fn flagger_and_analysis_edge_cases() {
    let canary = json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary"});
    assert_eq!(
        assess(&canary),
        Some(Health::new(HealthStatus::Unknown, "No status"))
    );
    let waiting = json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "status": {"phase": "WaitingPromotion", "canaryWeight": 0,
            "conditions": [{"message": "Waiting for approval"}]}});
    assert_eq!(
        assess(&waiting),
        Some(Health::new(
            HealthStatus::Unknown,
            "WaitingPromotion --- Waiting for approval"
        ))
    );
    let run = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun", "status": {}});
    assert_eq!(status_of(&run), Some(HealthStatus::Unknown));
}

const SHA: &str = "3f2d86e9090412583ebddd45e33b2f5cd00a0a0b";
const OLD: &str = "d4d8667f5fa6ada9806c7e63ce4840f35d46781c";

fn app(
    phase: &str,
    op_revision: &str,
    finished: &str,
    reconciled: &str,
    at: &str,
    sync: &str,
) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "web"},
        "status": {
            "reconciledAt": reconciled,
            "sync": {"status": sync, "revision": at},
            "health": {"status": "Healthy"},
            "operationState": {"phase": phase, "message": "boom",
                "startedAt": "2024-05-01T10:00:00Z", "finishedAt": finished,
                "syncResult": {"revision": op_revision}}}})
}

#[test]
fn application_synced_to_revision() {
    let t0 = "2024-05-01T10:00:05Z";
    let t1 = "2024-05-01T10:00:09Z";
    let synced = app("Succeeded", SHA, t0, t1, SHA, "Synced");
    assert_eq!(sync_to_revision(&synced, SHA), SyncVerdict::Synced);
    assert_eq!(sync_to_revision(&synced, &SHA[..7]), SyncVerdict::Synced);
    assert_eq!(
        application_health(&synced),
        Health::new(HealthStatus::Healthy, "")
    );

    let still_old = app("Succeeded", OLD, t0, t1, OLD, "Synced");
    assert!(matches!(
        sync_to_revision(&still_old, SHA),
        SyncVerdict::Pending(_)
    ));

    let not_reconciled = app("Succeeded", SHA, t1, t0, SHA, "Synced");
    assert!(matches!(
        sync_to_revision(&not_reconciled, SHA),
        SyncVerdict::Pending(_)
    ));

    let running = app("Running", SHA, "", t1, OLD, "OutOfSync");
    assert!(matches!(
        sync_to_revision(&running, SHA),
        SyncVerdict::Pending(_)
    ));

    let failed = app("Failed", SHA, t0, t1, OLD, "OutOfSync");
    assert_eq!(
        sync_to_revision(&failed, SHA),
        SyncVerdict::Failed("sync operation failed: boom".to_owned())
    );
    // A failure of an older revision is not a verdict on this one.
    let failed_old = app("Failed", OLD, t0, t1, OLD, "OutOfSync");
    assert!(matches!(
        sync_to_revision(&failed_old, SHA),
        SyncVerdict::Pending(_)
    ));

    let out_of_sync = app("Succeeded", SHA, t0, t1, SHA, "OutOfSync");
    assert!(matches!(
        sync_to_revision(&out_of_sync, SHA),
        SyncVerdict::Pending(_)
    ));

    let no_operation = json!({"status": {"sync": {"status": "Synced", "revision": SHA}}});
    assert!(matches!(
        sync_to_revision(&no_operation, SHA),
        SyncVerdict::Pending(_)
    ));
    assert_eq!(
        application_health(&no_operation),
        Health::new(HealthStatus::Progressing, "")
    );
}

#[test]
fn multi_source_application_revisions() {
    let app = json!({"status": {"reconciledAt": "2024-05-01T10:00:09Z",
        "sync": {"status": "Synced", "revisions": [OLD, SHA]},
        "operationState": {"phase": "Succeeded", "finishedAt": "2024-05-01T10:00:05Z",
            "syncResult": {"revisions": [OLD, SHA]}}}});
    assert_eq!(sync_to_revision(&app, SHA), SyncVerdict::Synced);
}

#[test]
fn rfc3339_timestamps() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        parse_rfc3339("2000-01-01T00:00:00Z"),
        Some(946_684_800 * 1_000_000_000)
    );
    assert_eq!(
        parse_rfc3339("2024-05-01T10:00:00.5+02:00"),
        parse_rfc3339("2024-05-01T08:00:00.500Z")
    );
    assert!(
        parse_rfc3339("2024-05-01T10:00:00.000000001Z") > parse_rfc3339("2024-05-01T10:00:00Z")
    );
    assert_eq!(parse_rfc3339("yesterday"), None);
    assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
}

#[test]
fn new_replica_set_of_a_deployment() {
    let d = json!({"metadata": {"name": "web", "uid": "u1",
        "annotations": {"deployment.kubernetes.io/revision": "4"}}});
    let rs = |name: &str, uid: &str, revision: &str| {
        json!({"metadata": {"name": name,
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": uid}]}})
    };
    let sets = [
        rs("web-old", "u1", "3"),
        rs("other-new", "u2", "4"),
        rs("web-new", "u1", "4"),
    ];
    let found = apps::new_replica_set(&d, &sets).expect("new ReplicaSet");
    assert_eq!(found["metadata"]["name"], "web-new");
    assert!(apps::new_replica_set(&d, &sets[..2]).is_none());
}

#[test]
fn worst_health_follows_argo_cd_order() {
    let healthy = Health::new(HealthStatus::Healthy, "");
    let suspended = Health::new(HealthStatus::Suspended, "paused");
    let degraded = Health::new(HealthStatus::Degraded, "crash");
    let missing = super::missing("gone");
    assert_eq!(super::worst([&healthy, &suspended]), Some(&suspended));
    assert_eq!(
        super::worst([&degraded, &missing, &healthy]),
        Some(&degraded)
    );
    assert_eq!(super::worst([]), None);
}
