//! `ferry-render` end to end: overlays from the working tree, from `--env`, from a Git revision
//! (`--at`, without the working tree), JSON output, refusals and `--help`.

use std::path::Path;

use assert_cmd::Command;
use ferry_test_support::git::{copy_blueprint, git, init_commit};
use ferry_test_support::require_tool;
use serde_json::Value;

const OVERLAYS: [&str; 3] = [
    "infra/k8s/overlays/dev",
    "infra/k8s/overlays/staging",
    "infra/k8s/overlays/prod",
];

fn ferry_render(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry-render").expect("the ferry-render binary");
    cmd.current_dir(dir).env_remove("GITHUB_OUTPUT");
    cmd
}

/// What `ferry-render ARGS` prints in `dir`, asserting it succeeds.
fn render(dir: &Path, args: &[&str]) -> String {
    let out = ferry_render(dir)
        .args(args)
        .output()
        .expect("run ferry-render");
    assert!(
        out.status.success(),
        "ferry-render {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A copy of the blueprint, committed as `main`.
fn blueprint_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    copy_blueprint(tmp.path());
    init_commit(tmp.path(), "blueprint", 1_700_000_000);
    tmp
}

#[test]
fn several_overlays_print_one_stream_as_kubectl_kustomize_does() {
    let repo = blueprint_repo();
    let all = render(repo.path(), &OVERLAYS);
    let each: Vec<String> = OVERLAYS.iter().map(|o| render(repo.path(), &[o])).collect();
    assert!(each.iter().all(|t| t.starts_with("apiVersion: ")));
    assert_eq!(
        all,
        each.join("---\n"),
        "one stream, documents joined by ---"
    );
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    for (overlay, text) in OVERLAYS.iter().zip(&each) {
        let out = std::process::Command::new(&kubectl)
            .arg("kustomize")
            .arg(repo.path().join(overlay))
            .output()
            .expect("run kubectl");
        assert!(out.status.success(), "kubectl kustomize {overlay}");
        assert_eq!(
            text,
            &String::from_utf8(out.stdout).expect("UTF-8"),
            "{overlay}: byte for byte as kubectl kustomize"
        );
    }
}

#[test]
fn env_renders_the_overlay_ferry_toml_names() {
    let repo = blueprint_repo();
    let by_env = render(repo.path(), &["--env", "staging"]);
    let by_path = render(repo.path(), &["infra/k8s/overlays/staging"]);
    assert_eq!(by_env, by_path);
    assert!(by_env.contains("namespace: acme-staging"), "{by_env}");
    // From a subdirectory, the config is found above; two environments make one stream.
    let sub = repo.path().join("infra");
    let two = render(&sub, &["--env", "dev", "--env", "prod"]);
    let dev = render(repo.path(), &["infra/k8s/overlays/dev"]);
    let prod = render(repo.path(), &["infra/k8s/overlays/prod"]);
    assert_eq!(two, format!("{dev}---\n{prod}"));

    let out = ferry_render(repo.path())
        .args(["--env", "qa"])
        .output()
        .expect("run ferry-render");
    assert_eq!(out.status.code(), Some(2), "an unknown environment");
    assert!(String::from_utf8_lossy(&out.stderr).contains("qa"));
}

#[test]
fn at_renders_a_revision_without_reading_the_working_tree() {
    let repo = blueprint_repo();
    let dir = repo.path();
    let first = render(dir, &["infra/k8s/overlays/staging"]);
    // A second commit bumps staging's backend image.
    let kustomization = dir.join("infra/k8s/overlays/staging/kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization).expect("read the kustomization");
    let bumped = text.replacen("newTag: ", "newTag: 9.9.9-", 1);
    assert_ne!(bumped, text, "staging sets an image tag");
    std::fs::write(&kustomization, &bumped).expect("write the kustomization");
    git(dir, &["commit", "-qam", "bump"], 1_700_000_100);
    let second = render(dir, &["infra/k8s/overlays/staging"]);
    assert_ne!(first, second);
    assert!(second.contains(":9.9.9-"), "{second}");

    // The working tree goes: only .git is left, yet each revision renders as it was.
    for entry in std::fs::read_dir(dir).expect("list the repository") {
        let path = entry.expect("an entry").path();
        if path.file_name().is_some_and(|n| n != ".git") {
            std::fs::remove_dir_all(&path)
                .or_else(|_| std::fs::remove_file(&path))
                .expect("remove from the working tree");
        }
    }
    assert_eq!(
        render(dir, &["--at", "HEAD~1", "infra/k8s/overlays/staging"]),
        first
    );
    assert_eq!(
        render(dir, &["--at", "main", "infra/k8s/overlays/staging"]),
        second
    );

    let out = ferry_render(dir)
        .args(["--at", "no-such-rev", "infra/k8s/overlays/staging"])
        .output()
        .expect("run ferry-render");
    assert!(!out.status.success(), "an unknown revision fails");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rev"));
}

#[test]
fn a_field_ferry_does_not_render_is_refused_by_name_and_file() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path();
    std::fs::write(
        dir.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("kustomization.yaml"),
        "resources:\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n    name: a\n    fieldPath: data.k\n  targets:\n  - select:\n      kind: ConfigMap\n    fieldPaths:\n    - data.j\n    options:\n      create: true\n",
    )
    .expect("write");
    let out = ferry_render(dir)
        .args(["--root", ".", "."])
        .output()
        .expect("run ferry-render");
    assert_eq!(out.status.code(), Some(2), "refused: bad input");
    assert!(out.stdout.is_empty(), "nothing rendered");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`replacements`"), "{stderr}");
    assert!(stderr.contains("kustomization.yaml"), "{stderr}");

    // The same refusal as a JSON report.
    let out = ferry_render(dir)
        .args(["--root", ".", "--format", "json", "."])
        .output()
        .expect("run ferry-render");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON error report");
    assert!(report.to_string().contains("replacements"), "{report}");
}

#[test]
fn json_lists_each_overlays_objects() {
    let repo = blueprint_repo();
    let out = render(
        repo.path(),
        &[
            "--format",
            "json",
            "--env",
            "prod",
            "infra/k8s/overlays/dev",
        ],
    );
    let report: Value = serde_json::from_str(&out).expect("JSON output");
    let overlays = report["overlays"].as_array().expect("overlays");
    assert_eq!(overlays.len(), 2);
    assert_eq!(overlays[0]["environment"], "prod");
    assert_eq!(overlays[0]["overlay"], "infra/k8s/overlays/prod");
    assert_eq!(overlays[1]["environment"], Value::Null);
    let text = render(repo.path(), &["--env", "prod"]);
    let objects = overlays[0]["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), text.matches("\napiVersion: ").count() + 1);
    let rollout = objects
        .iter()
        .find(|o| o["kind"] == "Rollout")
        .expect("prod runs Rollouts");
    assert_eq!(rollout["namespace"], "acme-prod");
    assert_eq!(rollout["object"]["kind"], "Rollout");
    assert_eq!(rollout["object"]["metadata"]["name"], rollout["name"]);
}

#[test]
fn help_describes_the_options() {
    let out = ferry_render(Path::new("."))
        .arg("--help")
        .output()
        .expect("run ferry-render");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--at", "--env", "--format", "--config", "--root", "OVERLAY"] {
        assert!(help.contains(option), "--help names {option}:\n{help}");
    }
    assert!(help.contains("kubectl kustomize"), "{help}");
}
