//! `ferry-monitor` end to end: watch against a real local HTTP server, assess on real objects.

use std::net::{SocketAddr, TcpListener};

use assert_cmd::Command;
use ferry_test_support::http::serve_with;
use predicates::prelude::*;
use serde_json::{Value, json};

/// An HTTP service: `/healthz` answers 200 `{"status":"UP"}`, anything else 503.
fn server() -> SocketAddr {
    serve_with(|request| {
        if request.starts_with("GET /healthz ") {
            ("200 OK", r#"{"status":"UP"}"#.to_string())
        } else {
            ("503 Service Unavailable", "down".to_string())
        }
    })
}

fn monitor() -> Command {
    let mut cmd = Command::cargo_bin("ferry-monitor").unwrap();
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

/// The JSON Lines events of `--format json` output.
fn json_lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const FAST: [&str; 6] = ["--warmup", "0s", "--interval", "50ms", "--checks", "3"];

#[test]
fn watch_healthy_prints_one_line_per_check_and_exits_0() {
    let addr = server();
    let out = monitor()
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/healthz,status=200,json=/status=UP"),
        ])
        .args(FAST)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("watching http GET"), "{text}");
    for (i, line) in lines[1..4].iter().enumerate() {
        assert!(line.contains(&format!("check {}/3 pass", i + 1)), "{line}");
    }
    assert!(lines[4].contains("verdict healthy"), "{text}");
}

#[test]
fn watch_unhealthy_exits_1_with_json_lines() {
    let addr = server();
    let out = monitor()
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/api/health"),
            "--failures",
            "2",
            "--format",
            "json",
        ])
        .args(FAST)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["started", "check", "check", "verdict"]);
    assert_eq!(events[1]["observations"][0]["outcome"], "fail");
    assert_eq!(
        events[1]["observations"][0]["message"],
        "HTTP 503, expected 200"
    );
    assert_eq!(events[3]["verdict"], "unhealthy");
    assert_eq!(events[3]["checks"].as_array().unwrap().len(), 2);
}

#[test]
fn watch_with_only_errors_is_inconclusive_and_exits_3() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("github_output");
    monitor()
        .env("GITHUB_OUTPUT", &output)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/healthz"),
            "--error-budget",
            "1",
        ])
        .args(FAST)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("verdict inconclusive"));
    let written = std::fs::read_to_string(output).unwrap();
    assert!(
        written.starts_with("verdict=inconclusive\nreason=2 inconclusive checks"),
        "{written}"
    );
}

#[test]
fn usage_errors_exit_2() {
    monitor()
        .args(["watch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to watch"));
    monitor()
        .args(["watch", "--http", "http://127.0.0.1/", "--warmup", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid duration"));
    monitor()
        .args(["watch", "--argocd-app", "guestbook"])
        .assert()
        .code(2);
    monitor()
        .args(["watch", "--http", "http://127.0.0.1/,status=abc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid status code"));
    monitor()
        .args(["watch", "--workload", "cronjob/nightly"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown workload kind"));
    monitor()
        .args(["watch", "--http", "http://127.0.0.1/", "--failures", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("failures must be at least 1"));
    monitor()
        .args(["watch", "--http", "http://127.0.0.1/", "--failures", "5"])
        .args(["--checks", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a release could never be found unhealthy",
        ));
    monitor()
        .args(["watch", "--http", "http://127.0.0.1:1/healthz,statuz=200"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown option `statuz`; did you mean `status`?",
        ));
}

#[test]
fn a_service_alternating_200_and_500_is_healthy_after_7_or_8_checks() {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    let addr = serve_with(move |_| {
        if seen
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            .is_multiple_of(2)
        {
            ("200 OK", "ok".to_string())
        } else {
            ("500 Internal Server Error", "boom".to_string())
        }
    });
    for checks in ["7", "8"] {
        count.store(0, std::sync::atomic::Ordering::SeqCst);
        monitor()
            .args(["watch", "--http", &format!("http://{addr}/healthz")])
            .args(["--warmup", "0s", "--interval", "20ms", "--checks", checks])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("verdict healthy"));
    }
}

/// A real object from the conformance data (panics when the data or the case is missing).
fn real(file: &str, id: &str) -> Value {
    ferry_test_support::conformance_cases(&format!("health/{file}"))
        .into_iter()
        .find(|c| c["id"] == id)
        .map(|c| c["object"].clone())
        .unwrap_or_else(|| panic!("no case {id} in {file}"))
}

#[test]
fn assess_reads_multi_document_files_and_lists() {
    let deploy = real("argocd-builtin.jsonl", "TestDeploymentHealth/nginx");
    let pod = real("argocd-builtin.jsonl", "TestPod/pod-crashloop");
    let rollout = real("argocd-rollout.jsonl", "Rollout/suspended_userPause");
    let dir = tempfile::tempdir().unwrap();
    // JSON is YAML, so `---` between JSON documents makes a multi-document YAML stream.
    let yaml = dir.path().join("objects.yaml");
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: b\n";
    std::fs::write(&yaml, format!("{deploy}\n---\n{config_map}---\n{pod}\n")).unwrap();
    let list = dir.path().join("list.json");
    std::fs::write(
        &list,
        json!({"apiVersion": "v1", "kind": "List", "items": [rollout]}).to_string(),
    )
    .unwrap();

    let out = monitor()
        .args(["assess", "--format", "json"])
        .arg(&yaml)
        .arg(&list)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let rows: Value = serde_json::from_slice(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default",
            "name": "nginx-deployment", "status": "Healthy", "message": rows[0]["message"]})
    );
    assert_eq!(rows[1]["kind"], "ConfigMap");
    assert_eq!(rows[1]["status"], Value::Null);
    assert_eq!(rows[2]["status"], "Degraded");
    assert_eq!(rows[3]["kind"], "Rollout");
    assert_eq!(rows[3]["status"], "Suspended");

    monitor()
        .arg("assess")
        .arg(&yaml)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Deployment default/nginx-deployment Healthy",
        ))
        .stdout(predicate::str::contains("Pod argocd/my-pod Degraded"));
}

#[test]
fn assess_names_the_file_on_bad_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: Pod\nmetadata: [unclosed\n").unwrap();
    monitor()
        .arg("assess")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml: invalid YAML"));
    monitor()
        .args(["assess", "/nonexistent/objects.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/objects.yaml",
        ));
}

/// A fake Kubernetes API on 127.0.0.1 in a thread: exact paths → JSON bodies, else a 404 Status.
/// Returns a kubeconfig that points at it (in `dir`).
fn fake_api(dir: &std::path::Path, routes: Vec<(String, Value)>) -> std::path::PathBuf {
    let addr = serve_with(move |request| {
        let target = request.split_whitespace().nth(1).unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/");
        match routes.iter().find(|(p, _)| p == path) {
            Some(_) if target.contains("watch=true") => ("200 OK", String::new()),
            Some((_, body)) => ("200 OK", body.to_string()),
            None => (
                "404 Not Found",
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "message": "not found", "reason": "NotFound", "code": 404})
                .to_string(),
            ),
        }
    });
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\n\
             current-context: fake\nusers:\n- name: fake\n  user:\n    token: t0ken\n"
        ),
    )
    .unwrap();
    kubeconfig
}

const APP_PATH: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook";
const NEW: &str = "f00dfeedc0ffee0123456789abcdef0123456789";
const OLD: &str = "8a1f2c3d4e5f60718293a4b5c6d7e8f901234567";

fn application(revision: &str, phase: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd"},
        "status": {
            "sync": {"status": "Synced", "revision": revision},
            "health": {"status": "Healthy"},
            "reconciledAt": "2026-11-25T10:00:30Z",
            "operationState": {
                "operation": {"sync": {"revision": revision}},
                "phase": phase, "message": "ComparisonError: manifest generation failed",
                "startedAt": "2026-11-25T10:00:00Z", "finishedAt": "2026-11-25T10:00:20Z",
                "syncResult": {"revision": revision}
            }
        }
    })
}

#[test]
fn sync_waits_for_the_revision_through_the_kubernetes_api() {
    let dir = tempfile::tempdir().unwrap();
    let synced = fake_api(
        dir.path(),
        vec![(APP_PATH.into(), application(NEW, "Succeeded"))],
    );
    monitor()
        .env("KUBECONFIG", &synced)
        .args(["sync", "--argocd-app", "guestbook", "--revision", NEW])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "pass Application/guestbook: synced to {NEW}, Healthy"
        )));

    let dir = tempfile::tempdir().unwrap();
    let old = fake_api(
        dir.path(),
        vec![(APP_PATH.into(), application(OLD, "Succeeded"))],
    );
    monitor()
        .env("KUBECONFIG", &old)
        .args(["sync", "--argocd-app", "guestbook", "--revision", NEW])
        .args(["--interval", "100ms", "--timeout", "1s"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("last sync operation was for"))
        .stdout(predicate::str::contains(
            "result waiting Application/guestbook: timed out",
        ));

    let dir = tempfile::tempdir().unwrap();
    let failed = fake_api(
        dir.path(),
        vec![(APP_PATH.into(), application(NEW, "Failed"))],
    );
    monitor()
        .env("KUBECONFIG", &failed)
        .args([
            "sync",
            "--argocd-app",
            "guestbook",
            "--revision",
            NEW,
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(r#""outcome":"fail""#));
}

#[test]
fn watch_fails_fast_on_a_crash_looping_pod_of_the_new_revision() {
    let deploy = real("argocd-builtin.jsonl", "TestDeploymentHealth/nginx");
    let mut pod = real("argocd-builtin.jsonl", "TestPod/pod-crashloop");
    pod["metadata"]["labels"] = json!({"app": "nginx", "pod-template-hash": "648fdd98d4"});
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "nginx-deployment-648fdd98d4",
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "labels": {"app": "nginx", "pod-template-hash": "648fdd98d4"},
            "ownerReferences": [{"kind": "Deployment", "name": "nginx-deployment",
                "uid": deploy["metadata"]["uid"]}]}
    });
    let list = |items: Vec<Value>| json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "9"}, "items": items});
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = fake_api(
        dir.path(),
        vec![
            (
                "/apis/apps/v1/namespaces/default/deployments/nginx-deployment".into(),
                deploy,
            ),
            (
                "/apis/apps/v1/namespaces/default/replicasets".into(),
                list(vec![rs]),
            ),
            ("/api/v1/namespaces/default/pods".into(), list(vec![pod])),
        ],
    );
    let out = monitor()
        .env("KUBECONFIG", &kubeconfig)
        .args([
            "watch",
            "--workload",
            "deployment/nginx-deployment",
            "--format",
            "json",
        ])
        .args(["--warmup", "2s", "--interval", "1s", "--checks", "3"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    let verdict = events.last().unwrap();
    assert_eq!(verdict["verdict"], "unhealthy");
    assert!(
        verdict["reason"]
            .as_str()
            .unwrap()
            .contains("pod my-pod container main: CrashLoopBackOff"),
        "{verdict}"
    );
    assert!(
        verdict["at_ms"].as_u64().unwrap() < 2000,
        "the pod watch's list caught it before the first check: {verdict}"
    );
}
