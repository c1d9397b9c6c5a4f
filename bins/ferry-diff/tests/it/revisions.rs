//! The rendered difference between two revisions: golden outputs of an image bump, a patch, a
//! resource added and removed, a generated ConfigMap whose name changes with every reference,
//! a masked Secret; the sides, formats, exit codes and the GitHub Actions pull request.

use serde_json::Value;

use crate::{T0, commit, diff_ok, overlay, repository, require_git, run, write};

#[test]
fn an_image_bump_only_shows_the_image_change_first() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    write(
        &repo,
        "deploy/overlays/staging/kustomization.yaml",
        &overlay("staging", "1.5.0", ""),
    );
    let text = diff_ok(&repo, &[]);
    insta::assert_snapshot!("image_bump", text);
    // prod is unchanged; only staging's Deployment differs (its two containers).
    assert!(text.contains("prod: 0 changed, 0 added, 0 removed, 0 renamed, 4 unchanged"));
    let json: Value = serde_json::from_str(&diff_ok(&repo, &["--format", "json"])).expect("JSON");
    insta::assert_json_snapshot!("image_bump_json", json);
}

#[test]
fn a_patch_change_shows_in_the_objects_it_patches() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let patch = "patches:
  - target:
      kind: Deployment
      name: web
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 3
";
    write(
        &repo,
        "deploy/overlays/prod/kustomization.yaml",
        &overlay("prod", "1.3.0", patch),
    );
    insta::assert_snapshot!("patch", diff_ok(&repo, &["--env", "prod"]));
}

#[test]
fn a_resource_added_and_one_removed() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    write(
        &repo,
        "deploy/base/kustomization.yaml",
        &std::fs::read_to_string(repo.join("deploy/base/kustomization.yaml"))
            .expect("the base")
            .replace("  - web-service.yaml\n", "  - cleanup.yaml\n"),
    );
    write(
        &repo,
        "deploy/base/cleanup.yaml",
        "apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/acme/cleanup:2.0.0
",
    );
    insta::assert_snapshot!("added_and_removed", diff_ok(&repo, &["--env", "staging"]));
}

#[test]
fn a_configmap_change_renames_it_and_every_reference() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let base =
        std::fs::read_to_string(repo.join("deploy/base/kustomization.yaml")).expect("the base");
    write(
        &repo,
        "deploy/base/kustomization.yaml",
        &base.replace("LOG_LEVEL=info", "LOG_LEVEL=debug"),
    );
    let text = diff_ok(&repo, &["--env", "prod"]);
    insta::assert_snapshot!("configmap_renamed", text);
    assert!(
        text.contains("> renamed: ConfigMap shop-prod/prod-web-config-"),
        "{text}"
    );
    assert!(
        text.contains("referenced by: Deployment shop-prod/prod-web"),
        "{text}"
    );
}

#[test]
fn secret_values_are_masked_in_every_format() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let base =
        std::fs::read_to_string(repo.join("deploy/base/kustomization.yaml")).expect("the base");
    write(
        &repo,
        "deploy/base/kustomization.yaml",
        &base.replace("password=hunter2", "password=correct-horse"),
    );
    let text = diff_ok(&repo, &["--env", "staging"]);
    insta::assert_snapshot!("secret_masked", text);
    let all = [
        text,
        diff_ok(&repo, &["--env", "staging", "--format", "json"]),
        diff_ok(&repo, &["--env", "staging", "--format", "markdown"]),
    ]
    .concat();
    // The values, plain and as the Secret holds them (base64).
    for secret in [
        "hunter2",
        "aHVudGVyMg==",
        "correct-horse",
        "Y29ycmVjdC1ob3JzZQ==",
    ] {
        assert!(!all.contains(secret), "{secret} is shown");
    }
    // The user did not change: the same mask on both sides, so no line of it differs.
    assert!(all.contains("(values masked)"));
}

#[test]
fn committed_revisions_markdown_and_exit_codes() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let first = ferry_test_support::git::git(&repo, &["rev-parse", "HEAD"], T0)
        .trim()
        .to_owned();
    ferry_test_support::git::git(&repo, &["checkout", "-q", "-b", "feature"], T0);
    write(
        &repo,
        "deploy/overlays/prod/kustomization.yaml",
        &overlay("prod", "1.4.0", ""),
    );
    let bumped = commit(&repo, "prod runs 1.4.0", 60);
    // Nothing uncommitted, but the branch differs from main: the working tree against the
    // merge base of main and HEAD.
    let (code, stdout, stderr) = run(&repo, &["--exit-code"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.starts_with("ferry diff: main ("), "{stdout}");
    assert!(
        stdout
            .contains("registry.example.com/acme/web:1.3.0 → registry.example.com/acme/web:1.4.0"),
        "{stdout}"
    );
    let markdown = diff_ok(
        &repo,
        &["--from", &first, "--to", &bumped, "--format", "markdown"],
    );
    insta::assert_snapshot!("markdown", markdown);
    let (code, stdout, _) = run(&repo, &["--from", &bumped, "--to", "HEAD", "--exit-code"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("no difference"), "{stdout}");
    let (code, _, stderr) = run(&repo, &["--env", "qa"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("qa"), "{stderr}");
    let (code, _, stderr) = run(&repo, &["--from", "no-such-branch"]);
    assert_eq!(code, 2, "{stderr}");
}
