//! The same flow against a real cluster with Argo Workflows installed (opt-in: `#[ignore]`).
//!
//! `cargo test -p ferry-preview-cli --test it real_cluster -- --ignored --test-threads 1`
//! with the current kubeconfig context pointing at a disposable cluster (kind, k3d) where Argo
//! Workflows runs (`kubectl create namespace argo && kubectl apply -n argo -f
//! https://github.com/argoproj/argo-workflows/releases/latest/download/quick-start-minimal.yaml`;
//! its controller must watch every namespace, and the `default` ServiceAccount of the preview
//! namespace must be allowed to run Workflows: see docs/ferry-preview.md).

use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A repository whose staging overlay runs an image that exists (`registry.k8s.io/pause`) and
/// whose `e2e` template checks that its `base-url` parameter arrived.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    write(
        root,
        "ferry.toml",
        "[[environment]]\nname = \"staging\"\noverlay = \"overlay\"\n",
    );
    write(
        root,
        "overlay/kustomization.yaml",
        "namespace: staging\nresources:\n  - app.yaml\n",
    );
    write(
        root,
        "overlay/app.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: pause
spec:
  replicas: 1
  selector:
    matchLabels: {app: pause}
  template:
    metadata:
      labels: {app: pause}
    spec:
      containers:
        - name: pause
          image: registry.k8s.io/pause:3.10
---
apiVersion: v1
kind: Service
metadata:
  name: pause
spec:
  selector: {app: pause}
  ports:
    - port: 8080
"#,
    );
    write(
        root,
        "infra/argo-workflows/e2e.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: e2e
spec:
  entrypoint: e2e
  arguments:
    parameters:
      - name: base-url
  templates:
    - name: e2e
      container:
        image: busybox:1.36
        command: [sh, -c]
        args: ['case "{{workflow.parameters.base-url}}" in http://pause.*) exit 0;; *) exit 1;; esac']
"#,
    );
    dir
}

fn ferry_preview(repo: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("ferry-preview").expect("the binary");
    cmd.current_dir(repo).args(args);
    cmd
}

#[test]
#[ignore = "needs a cluster with Argo Workflows from the current kubeconfig context"]
fn up_test_down_on_a_real_cluster() {
    let repo = repository();
    let id = format!("it-{}", std::process::id());
    let preview = ["--env", "staging", "--name", id.as_str()];
    let down = || {
        ferry_preview(repo.path(), &["down"])
            .args(preview)
            .assert()
            .success();
    };
    let up = ferry_preview(repo.path(), &["up"])
        .args(preview)
        .args([
            "--warmup",
            "5s",
            "--interval",
            "5s",
            "--checks",
            "3",
            "--failures",
            "3",
        ])
        .args(["--health-timeout", "5m"])
        .assert();
    if up.get_output().status.code() != Some(0) {
        down();
        panic!("up failed: {up:?}");
    }
    let undeclared = ferry_preview(repo.path(), &["test", "--workflow-template", "e2e"])
        .args(preview)
        .args(["--param", "baseurl=x"])
        .assert();
    let passed = ferry_preview(repo.path(), &["test", "--workflow-template", "e2e"])
        .args(preview)
        .args([
            "--param",
            "base-url=http://pause.{namespace}.svc.cluster.local:8080",
        ])
        .args(["--timeout", "5m"])
        .assert();
    down();
    undeclared.code(2).stderr(contains("does not declare"));
    passed.success().stdout(contains("Succeeded"));
    ferry_preview(repo.path(), &["down"])
        .args(preview)
        .assert()
        .success();
}
