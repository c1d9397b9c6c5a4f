//! The Kubernetes and Argo CD probes through kube's client, against a mock API server (tower-test)
//! that serves real objects from fixtures/conformance/health.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_health::monitor::{self, Policy, Verdict};
use ferry_health::probe::argocd::{ApplicationProbe, judge_application};
use ferry_health::probe::kubernetes::{Workload, WorkloadProbe, judge_workload, pod_signal};
use ferry_health::probe::{Observation, Outcome, Probe};
use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// A real object from the conformance data (panics when the data or the case is missing).
fn real(file: &str, id: &str) -> Value {
    let cases = ferry_test_support::conformance_cases(&format!("health/{file}"));
    let case = cases
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in {file}"));
    case["object"].clone()
}

/// What the mock API answers to one request.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

fn ok(body: &Value) -> Reply {
    Reply {
        status: 200,
        body: serde_json::to_vec(body).unwrap(),
        delay: Duration::ZERO,
    }
}

fn status(code: u16, reason: &str) -> Reply {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("mock says {reason}"), "reason": reason, "code": code});
    Reply {
        status: code,
        body: serde_json::to_vec(&body).unwrap(),
        delay: Duration::ZERO,
    }
}

/// Watch events as the API streams them: one JSON object per line.
fn watch(events: &[(&str, &Value)], delay: Duration) -> Reply {
    let mut body = Vec::new();
    for (kind, object) in events {
        body.extend(serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap());
        body.push(b'\n');
    }
    Reply {
        status: 200,
        body,
        delay,
    }
}

fn list(kind: &str, items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "1000"}, "items": items})
}

/// Routes: (path, is a watch) → reply. Unknown requests get 404. Returns the client and the log
/// of requested URIs.
fn mock(routes: Vec<(&'static str, bool, Reply)>) -> (kube::Client, Arc<Mutex<Vec<String>>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let uri = request.uri().to_string();
            seen.lock().unwrap().push(uri.clone());
            let is_watch = uri.contains("watch=true");
            let path = request.uri().path().to_string();
            let reply = routes
                .iter()
                .find(|(p, w, _)| *p == path && *w == is_watch)
                .map(|(_, _, r)| r.clone())
                .unwrap_or_else(|| status(404, "NotFound"));
            tokio::spawn(async move {
                tokio::time::sleep(reply.delay).await;
                let response = Response::builder()
                    .status(reply.status)
                    .header("content-type", "application/json")
                    .body(Body::from(reply.body))
                    .unwrap();
                send.send_response(response);
            });
        }
    });
    (kube::Client::new(service, "default"), log)
}

const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments/nginx-deployment";
const RS: &str = "/apis/apps/v1/namespaces/default/replicasets";
const PODS: &str = "/api/v1/namespaces/default/pods";

/// The real nginx Deployment, its new ReplicaSet (named in its Progressing condition), and a
/// real pod relabelled as a pod of that ReplicaSet.
fn nginx(pod_id: &str) -> (Value, Value, Value) {
    let deploy = real("argocd-builtin.jsonl", "TestDeploymentHealth/nginx");
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "nginx-deployment-648fdd98d4", "namespace": "default",
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "labels": {"app": "nginx", "pod-template-hash": "648fdd98d4"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                "name": "nginx-deployment", "uid": deploy["metadata"]["uid"]}]},
        "spec": {"replicas": 1}, "status": {"replicas": 1}
    });
    let mut pod = real("argocd-builtin.jsonl", pod_id);
    pod["metadata"]["labels"] = json!({"app": "nginx", "pod-template-hash": "648fdd98d4"});
    (deploy, rs, pod)
}

/// An API that serves the Deployment, its ReplicaSet and one pod.
fn deployment_api(
    deploy: &Value,
    rs: Value,
    pod: Value,
) -> (kube::Client, Arc<Mutex<Vec<String>>>) {
    mock(vec![
        (DEPLOY, false, ok(deploy)),
        (RS, false, ok(&list("ReplicaSetList", vec![rs]))),
        (PODS, false, ok(&list("PodList", vec![pod]))),
    ])
}

fn probe(client: kube::Client) -> WorkloadProbe {
    WorkloadProbe::new(
        client,
        "default",
        "deployment/nginx-deployment".parse::<Workload>().unwrap(),
    )
}

#[tokio::test]
async fn a_healthy_deployment_with_running_pods_passes() {
    let (deploy, rs, pod) = nginx("TestPod/pod-running-restart-always");
    let (client, log) = deployment_api(&deploy, rs, pod);
    let obs = probe(client).check().await;
    assert_eq!(obs.outcome, Outcome::Pass, "{}", obs.message);
    assert_eq!(obs.probe, "Deployment/nginx-deployment");
    let log = log.lock().unwrap();
    let pods = log
        .iter()
        .find(|u| u.starts_with(PODS))
        .expect("pods listed");
    assert!(
        pods.contains("labelSelector=app%3Dnginx%2Cpod-template-hash%3D648fdd98d4"),
        "only the new revision's pods: {pods}"
    );
}

#[tokio::test]
async fn nothing_is_judged_before_the_controller_observes_the_generation() {
    let (mut deploy, rs, pod) = nginx("TestPod/pod-crashloop");
    deploy["metadata"]["generation"] = json!(2);
    let (client, log) = deployment_api(&deploy, rs, pod);
    let obs = probe(client).check().await;
    assert_eq!(obs.outcome, Outcome::Waiting);
    assert_eq!(
        obs.message,
        "generation 2 not yet observed by the controller (observed 1)"
    );
    assert!(!log.lock().unwrap().iter().any(|u| u.starts_with(PODS)));
}

#[tokio::test]
async fn a_crash_looping_pod_of_the_new_revision_fails_fast() {
    let (deploy, rs, pod) = nginx("TestPod/pod-crashloop");
    let (client, _) = deployment_api(&deploy, rs, pod);
    let obs = probe(client).check().await;
    assert_eq!(obs.outcome, Outcome::Fail);
    assert!(obs.fast_fail);
    assert!(
        obs.message
            .starts_with("pod my-pod container main: CrashLoopBackOff"),
        "{}",
        obs.message
    );
}

#[tokio::test]
async fn api_errors_are_errors_and_a_missing_workload_is_no_data() {
    for (reply, outcome, message) in [
        (
            status(500, "InternalError"),
            Outcome::Error,
            "API error 500: mock says InternalError",
        ),
        (
            status(503, "ServiceUnavailable"),
            Outcome::Error,
            "API error 503: mock says ServiceUnavailable",
        ),
        (
            status(401, "Unauthorized"),
            Outcome::Error,
            "API error 401: mock says Unauthorized",
        ),
        (
            status(403, "Forbidden"),
            Outcome::Error,
            "API error 403: mock says Forbidden",
        ),
        (status(404, "NotFound"), Outcome::NoData, "not found"),
    ] {
        let (client, _) = mock(vec![(DEPLOY, false, reply)]);
        let obs = probe(client).check().await;
        assert_eq!((obs.outcome, obs.message.as_str()), (outcome, message));
    }
}

/// The real blue-green Rollout, moved on to a new revision and paused by its controller for
/// promotion, as Argo Rollouts leaves it when `autoPromotionEnabled: false`.
fn paused_blue_green() -> Value {
    let mut ro = real(
        "argocd-rollout.jsonl",
        "Rollout/bluegreen/healthy_servingActiveService",
    );
    ro["metadata"]["generation"] = json!(3);
    ro["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] = json!(false);
    let status = &mut ro["status"];
    status["observedGeneration"] = json!("3");
    status["currentPodHash"] = json!("7d9b6c8f5");
    status["blueGreen"]["previewSelector"] = json!("7d9b6c8f5");
    status["pauseConditions"] =
        json!([{"reason": "BlueGreenPause", "startTime": "2019-01-24T10:02:11Z"}]);
    status["controllerPause"] = json!(true);
    status["phase"] = json!("Paused");
    status["message"] = json!("BlueGreenPause");
    ro
}

#[tokio::test(start_paused = true)]
async fn a_blue_green_rollout_paused_for_promotion_is_expected_not_failing() {
    let ro = paused_blue_green();
    assert_eq!(
        ferry_health::assess(&ro).map(|h| h.status),
        Some(ferry_health::HealthStatus::Suspended),
        "Argo CD calls it Suspended"
    );
    let (outcome, message) = judge_workload(&ro);
    assert_eq!(outcome, Outcome::Pass);
    assert_eq!(
        message,
        "blue-green Rollout paused for promotion (the expected state)"
    );

    let mut pod = real("argocd-builtin.jsonl", "TestPod/pod-running-restart-always");
    pod["metadata"]["labels"] =
        json!({"app": "guestbook", "rollouts-pod-template-hash": "7d9b6c8f5"});
    let path = format!(
        "/apis/argoproj.io/v1alpha1/namespaces/default/rollouts/{}",
        ro["metadata"]["name"].as_str().unwrap()
    );
    let (client, log) = mock(vec![
        (Box::leak(path.into_boxed_str()), false, ok(&ro)),
        (PODS, false, ok(&list("PodList", vec![pod]))),
    ]);
    let workload = format!("rollout/{}", ro["metadata"]["name"].as_str().unwrap());
    let probe = WorkloadProbe::new(client, "default", workload.parse().unwrap());
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(probe)];
    let policy = Policy {
        span: monitor::Span::Checks(3),
        ..Policy::default()
    };
    let report = monitor::run(&policy, &mut probes, None, &mut |_| {}).await;
    assert_eq!(report.verdict, Verdict::Healthy, "{}", report.reason);
    assert!(report.checks.iter().all(|c| c.outcome == Outcome::Pass));
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|u| u.contains("rollouts-pod-template-hash%3D7d9b6c8f5")),
        "the preview pods are checked"
    );
}

#[tokio::test(start_paused = true)]
async fn a_crash_loop_is_unhealthy_on_the_first_watch_event_that_shows_it() {
    let (deploy, rs, healthy) = nginx("TestPod/pod-running-restart-always");
    let (_, _, crashing) = nginx("TestPod/pod-crashloop");
    let (_, _, pulling) = nginx("TestPod/pod-imagepullbackoff");
    // The watch answers 75 s after it starts: first a healthy pod, then the crash loop, then
    // another bad pod that must not matter.
    let events = watch(
        &[
            ("ADDED", &healthy),
            ("MODIFIED", &crashing),
            ("MODIFIED", &pulling),
        ],
        Duration::from_secs(75),
    );
    let (client, _) = mock(vec![
        (DEPLOY, false, ok(&deploy)),
        (RS, false, ok(&list("ReplicaSetList", vec![rs]))),
        (PODS, false, ok(&list("PodList", vec![healthy.clone()]))),
        (PODS, true, events),
    ]);
    let watcher = probe(client.clone());
    let (tx, rx) = mpsc::channel::<Observation>(4);
    tokio::spawn(async move { watcher.watch_signals(tx, Duration::from_secs(5)).await });
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(probe(client))];
    let report = monitor::run(&Policy::default(), &mut probes, Some(rx), &mut |_| {}).await;
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert_eq!(
        report.at_ms, 75_000,
        "the verdict comes with the watch event, not a check"
    );
    assert_eq!(report.checks.len(), 1, "the check at 60 s saw healthy pods");
    let signal = report.signal.expect("a signal ended the run");
    assert!(
        signal.observation.message.contains("CrashLoopBackOff"),
        "{}",
        signal.observation.message
    );
}

#[test]
fn pod_signals_of_real_pods() {
    let crash = real("argocd-builtin.jsonl", "TestPod/pod-crashloop");
    let pull = real("argocd-builtin.jsonl", "TestPod/pod-imagepullbackoff");
    let running = real("argocd-builtin.jsonl", "TestPod/pod-running-restart-always");
    let pending = real("argocd-builtin.jsonl", "TestPod/pod-pending");
    assert!(pod_signal(&crash).unwrap().contains("CrashLoopBackOff"));
    assert!(pod_signal(&pull).unwrap().contains("ImagePullBackOff"));
    assert_eq!(pod_signal(&running), None);
    assert_eq!(pod_signal(&pending), None);

    let mut oom = running.clone();
    let status = &mut oom["status"]["containerStatuses"][0];
    status["lastState"] = json!({"terminated": {"reason": "OOMKilled", "exitCode": 137}});
    status["restartCount"] = json!(1);
    assert_eq!(pod_signal(&oom), None, "one OOM kill is not yet repeated");
    oom["status"]["containerStatuses"][0]["restartCount"] = json!(2);
    assert!(pod_signal(&oom).unwrap().contains("OOMKilled, 2 restarts"));

    let mut config = running;
    config["status"]["containerStatuses"][0]["state"] = json!({"waiting": {"reason": "CreateContainerConfigError", "message": "secret \"db\" not found"}});
    assert_eq!(
        pod_signal(&config).unwrap(),
        "pod my-pod container main: CreateContainerConfigError (secret \"db\" not found)"
    );

    let mut run = config;
    run["status"]["containerStatuses"][0]["state"] =
        json!({"waiting": {"reason": "RunContainerError"}});
    assert_eq!(
        pod_signal(&run).unwrap(),
        "pod my-pod container main: RunContainerError"
    );
}

const OLD: &str = "8a1f2c3d4e5f60718293a4b5c6d7e8f901234567";
const NEW: &str = "f00dfeedc0ffee0123456789abcdef0123456789";

/// An Application as Argo CD writes it after syncing `revision`.
fn application(revision: &str, health: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd"},
        "spec": {"source": {"repoURL": "https://github.com/example/gitops", "path": "apps/guestbook/overlays/prod", "targetRevision": "main"}},
        "status": {
            "sync": {"status": "Synced", "revision": revision},
            "health": {"status": health},
            "reconciledAt": "2026-11-25T10:00:30Z",
            "operationState": {
                "operation": {"sync": {"revision": revision}},
                "phase": "Succeeded", "message": "successfully synced (all tasks run)",
                "startedAt": "2026-11-25T10:00:00Z", "finishedAt": "2026-11-25T10:00:20Z",
                "syncResult": {"revision": revision}
            }
        }
    })
}

#[test]
fn an_application_still_on_the_old_revision_is_not_yet_synced() {
    let (outcome, message) = judge_application(&application(OLD, "Healthy"), NEW);
    assert_eq!(outcome, Outcome::Waiting);
    assert_eq!(
        message,
        format!("not synced to {NEW}: last sync operation was for {OLD}")
    );

    // The operation for NEW is done, but the status still shows OLD.
    let mut app = application(NEW, "Healthy");
    app["status"]["sync"]["revision"] = json!(OLD);
    let (outcome, message) = judge_application(&app, NEW);
    assert_eq!(outcome, Outcome::Waiting);
    assert_eq!(
        message,
        format!("not synced to {NEW}: application is at {OLD}")
    );

    // A short SHA of 7 characters or more names the commit; anything shorter does not.
    assert_eq!(
        judge_application(&application(NEW, "Healthy"), &NEW[..7]).0,
        Outcome::Pass
    );
    assert_eq!(
        judge_application(&application(NEW, "Healthy"), &NEW[..6]).0,
        Outcome::Waiting
    );

    // The real object without an operation.
    let real_app = real(
        "argocd-builtin.jsonl",
        "TestApplication/application-healthy",
    );
    assert_eq!(judge_application(&real_app, NEW).0, Outcome::Waiting);
}

#[test]
fn an_application_is_synced_only_once_reconciled_after_the_operation() {
    let mut app = application(NEW, "Healthy");
    app["status"]["reconciledAt"] = json!("2026-11-25T10:00:10Z");
    let (outcome, message) = judge_application(&app, NEW);
    assert_eq!(outcome, Outcome::Waiting);
    assert!(
        message.ends_with("not reconciled since the sync finished"),
        "{message}"
    );

    app["status"]["operationState"]["phase"] = json!("Running");
    assert_eq!(
        judge_application(&app, NEW),
        (
            Outcome::Waiting,
            format!("not synced to {NEW}: sync operation is running")
        )
    );

    let (outcome, message) = judge_application(&application(NEW, "Healthy"), NEW);
    assert_eq!(outcome, Outcome::Pass);
    assert_eq!(message, format!("synced to {NEW}, Healthy"));
    assert_eq!(
        judge_application(&application(NEW, "Suspended"), NEW).0,
        Outcome::Pass
    );
    assert_eq!(
        judge_application(&application(NEW, "Progressing"), NEW).0,
        Outcome::Waiting
    );
    assert_eq!(
        judge_application(&application(NEW, "Degraded"), NEW).0,
        Outcome::Fail
    );

    let mut failed = application(NEW, "Healthy");
    failed["status"]["operationState"]["phase"] = json!("Failed");
    failed["status"]["operationState"]["message"] = json!("one or more objects failed to apply");
    let (outcome, message) = judge_application(&failed, NEW);
    assert_eq!(outcome, Outcome::Fail);
    assert!(
        message.ends_with("one or more objects failed to apply"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_application_probe_waits_for_the_revision_through_the_api() {
    const APP: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook";
    let (client, _) = mock(vec![(APP, false, ok(&application(OLD, "Healthy")))]);
    let mut probe = ApplicationProbe::new(client, "argocd", "guestbook", NEW);
    let mut seen = 0;
    let obs = ferry_health::probe::argocd::wait_until_decided(
        &mut probe,
        Duration::from_secs(5),
        Duration::from_secs(60),
        &mut |_| seen += 1,
    )
    .await;
    assert_eq!(obs.outcome, Outcome::Waiting);
    assert!(
        obs.message.starts_with("timed out after 1m: not synced to"),
        "{}",
        obs.message
    );
    assert_eq!(seen, 12, "checks at 0, 5, ..., 55 s");

    let (client, _) = mock(vec![(APP, false, ok(&application(NEW, "Healthy")))]);
    let mut probe = ApplicationProbe::new(client, "argocd", "guestbook", NEW);
    assert_eq!(probe.check().await.outcome, Outcome::Pass);
}

#[test]
fn selectors_and_new_revisions() {
    use ferry_health::probe::kubernetes::{new_revision, pod_selector, selector};
    let sts = json!({
        "kind": "StatefulSet",
        "spec": {"selector": {
            "matchLabels": {"app": "db"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        }},
        "status": {"updateRevision": "db-7c9f", "currentRevision": "db-6b8e"}
    });
    assert_eq!(selector(&sts).unwrap(), "app=db,tier in (a,b),!canary");
    assert_eq!(
        pod_selector(&sts, &[]).unwrap(),
        "app=db,tier in (a,b),!canary,controller-revision-hash=db-7c9f"
    );
    let ds = json!({"kind": "DaemonSet", "spec": {"selector": {"matchLabels": {"app": "agent"}}}});
    assert_eq!(pod_selector(&ds, &[]).unwrap(), "app=agent");
    // A Deployment whose new ReplicaSet does not exist yet has no new pods to look at.
    let deploy = json!({"kind": "Deployment",
        "metadata": {"uid": "u1", "annotations": {"deployment.kubernetes.io/revision": "4"}},
        "spec": {"selector": {"matchLabels": {"app": "web"}}}});
    let old_rs = json!({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "3"},
        "labels": {"pod-template-hash": "old"}, "ownerReferences": [{"kind": "Deployment", "uid": "u1"}]}});
    let foreign_rs = json!({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "4"},
        "labels": {"pod-template-hash": "other"}, "ownerReferences": [{"kind": "Deployment", "uid": "u2"}]}});
    assert_eq!(
        new_revision(&deploy, &[old_rs.clone(), foreign_rs.clone()]),
        None
    );
    assert_eq!(pod_selector(&deploy, &[old_rs.clone(), foreign_rs]), None);
    let new_rs = json!({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "4"},
        "labels": {"pod-template-hash": "new"}, "ownerReferences": [{"kind": "Deployment", "uid": "u1"}]}});
    assert_eq!(
        pod_selector(&deploy, &[old_rs, new_rs]).unwrap(),
        "app=web,pod-template-hash=new"
    );
}

#[test]
fn workload_names_parse_like_kubectl() {
    let w: Workload = "deploy/web".parse().unwrap();
    assert_eq!(w.to_string(), "Deployment/web");
    assert_eq!(
        "Rollout/api".parse::<Workload>().unwrap().to_string(),
        "Rollout/api"
    );
    assert_eq!(
        "sts/db".parse::<Workload>().unwrap().to_string(),
        "StatefulSet/db"
    );
    assert!("web".parse::<Workload>().is_err());
    assert!("cronjob/x".parse::<Workload>().is_err());
    assert!("deployment/".parse::<Workload>().is_err());
}
