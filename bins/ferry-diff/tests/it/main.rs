//! `ferry-diff`'s integration tests: one test binary (see docs/architecture.md). Every test
//! builds a GitOps repository in a temporary directory (base, staging and prod overlays with
//! generators, prefixes and namespaces), commits it with the real git, changes it, and runs the
//! binary, which renders through `ferry_kustomize::render`.

mod comment;
mod drift;
mod revisions;

use std::path::{Path, PathBuf};

use ferry_test_support::git::{binary_in, git, init_commit};

/// A fixed commit time, so commit ids (and the labels that show them) are reproducible.
pub const T0: i64 = 1_767_225_600;

/// The repository's files: `(path, text)`.
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        (
            "ferry.toml",
            r#"[forge]
kind = "github"
base-branch = "main"

[forge.github]
owner = "octocat"
repo = "Hello-World"

[[environment]]
name = "staging"
overlay = "deploy/overlays/staging"

[[environment]]
name = "prod"
overlay = "deploy/overlays/prod"
upstream = "staging"
"#
            .to_owned(),
        ),
        (
            "deploy/base/kustomization.yaml",
            "resources:
  - web.yaml
  - web-service.yaml
configMapGenerator:
  - name: web-config
    literals:
      - LOG_LEVEL=info
secretGenerator:
  - name: db
    literals:
      - password=hunter2
      - user=ada
"
            .to_owned(),
        ),
        (
            "deploy/base/web.yaml",
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      initContainers:
        - name: migrate
          image: registry.example.com/acme/web
          args: [migrate]
      containers:
        - name: web
          image: registry.example.com/acme/web
          envFrom:
            - configMapRef:
                name: web-config
            - secretRef:
                name: db
          ports:
            - containerPort: 8080
"
            .to_owned(),
        ),
        (
            "deploy/base/web-service.yaml",
            "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"
            .to_owned(),
        ),
        (
            "deploy/overlays/staging/kustomization.yaml",
            overlay("staging", "1.4.0", ""),
        ),
        (
            "deploy/overlays/prod/kustomization.yaml",
            overlay("prod", "1.3.0", ""),
        ),
    ]
}

/// An overlay of the base: its namespace and name prefix, the web image's tag, and more lines.
pub fn overlay(env: &str, tag: &str, more: &str) -> String {
    format!(
        "namespace: shop-{env}
namePrefix: {env}-
resources:
  - ../../base
images:
  - name: registry.example.com/acme/web
    newTag: \"{tag}\"
{more}"
    )
}

/// The repository in `dir`, committed on `main` at [`T0`]; returns its path.
pub fn repository(dir: &Path) -> PathBuf {
    let repo = dir.join("gitops");
    for (path, text) in files() {
        write(&repo, path, &text);
    }
    init_commit(&repo, "the shop", T0);
    repo
}

/// Writes `text` to `repo/path` (directories created).
pub fn write(repo: &Path, path: &str, text: &str) {
    let file = repo.join(path);
    std::fs::create_dir_all(file.parent().expect("a parent")).expect("create the directory");
    std::fs::write(&file, text).expect("write the file");
}

/// Commits everything in `repo` at `T0 + offset`; returns the commit.
pub fn commit(repo: &Path, message: &str, offset: i64) -> String {
    git(repo, &["add", "-A"], T0 + offset);
    git(repo, &["commit", "-q", "-m", message], T0 + offset);
    git(repo, &["rev-parse", "HEAD"], T0 + offset)
        .trim()
        .to_owned()
}

/// `ferry-diff` in `repo`, outside GitHub Actions and without user git configuration.
pub fn ferry_diff(repo: &Path) -> std::process::Command {
    let mut cmd = binary_in(&assert_cmd::cargo::cargo_bin("ferry-diff"), repo);
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_EVENT_NAME",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "FERRY_GITHUB_TOKEN",
        "FERRY_GITHUB_APP_PRIVATE_KEY",
        "FERRY_GITHUB_APP_PRIVATE_KEY_PATH",
        "FERRY_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `ferry-diff ARGS` in `repo`: (exit code, stdout, stderr).
pub fn run(repo: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ferry_diff(repo)
        .args(args)
        .output()
        .expect("ferry-diff runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// Runs `ferry-diff ARGS` in `repo` and returns its stdout, asserting exit 0.
pub fn diff_ok(repo: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run(repo, args);
    assert_eq!(
        code, 0,
        "ferry-diff {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

/// Skips (with a notice; fails under CI) when git is missing.
pub fn require_git() -> bool {
    ferry_test_support::require_tool("git").is_some()
}
