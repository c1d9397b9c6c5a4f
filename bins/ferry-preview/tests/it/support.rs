//! A GitOps repository in a temporary directory and the binary's command line.

use std::path::Path;

use assert_cmd::Command;
use ferry_test_support::kube_standin::KubeStandIn;

pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A repository: `ferry.toml` (staging, prod), the staging overlay (a Deployment, a Service, a
/// ClusterRole), WorkflowTemplates `e2e` and `load` under `infra/argo-workflows/`.
pub fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    write(
        root,
        "ferry.toml",
        r#"[images]
backend = "ghcr.io/acme/backend"

[[environment]]
name = "staging"
overlay = "infra/k8s/overlays/staging"

[[environment]]
name = "prod"
overlay = "infra/k8s/overlays/prod"
upstream = "staging"

[environment.monitor]
namespace = "acme"
"#,
    );
    write(
        root,
        "infra/k8s/overlays/staging/kustomization.yaml",
        "namespace: staging\nresources:\n  - backend.yaml\nimages:\n  - name: ghcr.io/acme/backend\n    newTag: 1.4.0\n",
    );
    write(
        root,
        "infra/k8s/overlays/staging/backend.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  replicas: 1
  selector:
    matchLabels: {app: backend}
  template:
    metadata:
      labels: {app: backend}
    spec:
      containers:
        - name: backend
          image: ghcr.io/acme/backend:1.0.0
---
apiVersion: v1
kind: Service
metadata:
  name: backend
spec:
  selector: {app: backend}
  ports:
    - port: 8080
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: backend-reader
rules: []
"#,
    );
    write(
        root,
        "infra/k8s/overlays/prod/kustomization.yaml",
        "namespace: acme\nresources:\n  - ../staging\n",
    );
    write(
        root,
        "infra/argo-workflows/tests.yaml",
        r#"apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: e2e
spec:
  entrypoint: e2e
  arguments:
    parameters:
      - name: base-url
      - name: suite
        value: all
  templates:
    - name: e2e
      container:
        image: ghcr.io/acme/e2e:1.0.0
        args: ["--base-url", "{{workflow.parameters.base-url}}"]
"#,
    );
    dir
}

/// `ferry-preview ARGS --server STANDIN` in `repo`, without kubeconfig or GitHub variables.
pub fn preview(repo: &Path, standin: &KubeStandIn, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("ferry-preview").expect("the binary");
    cmd.current_dir(repo)
        .args(args)
        .args(["--server", &standin.uri()])
        .env_remove("KUBECONFIG")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_SHA");
    cmd
}

/// The arguments of `up` for preview pr-7 of staging, waiting one quick check.
pub const UP: &[&str] = &[
    "up",
    "--env",
    "staging",
    "--name",
    "pr-7",
    "--commit",
    COMMIT,
    "--warmup",
    "0s",
    "--interval",
    "100ms",
    "--checks",
    "1",
    "--failures",
    "1",
    "--health-timeout",
    "20s",
];
