//! `ferry-set-image` end to end: exit codes, text and JSON output, errors with file:line,
//! GitHub Actions output, and the blueprint acceptance check on a temporary copy.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const DEV: &str = "images:\n  - name: registry.example.com/acme/backend\n    newTag: 1.3.3 # bumped by ferry-pr\n  - name: registry.example.com/acme/frontend\n    newTag: 1.3.3 # bumped by ferry-pr\n";

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ferry-set-image").unwrap();
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

fn overlay(content: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dev");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("kustomization.yaml"), content).unwrap();
    (tmp, dir)
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap()
}

#[test]
fn sets_a_tag_and_is_idempotent() {
    let (_tmp, dir) = overlay(DEV);
    bin()
        .arg(&dir)
        .arg("registry.example.com/acme/backend:1.4.0")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("updated"))
        .stdout(predicate::str::contains(
            "registry.example.com/acme/backend:1.3.3 -> registry.example.com/acme/backend:1.4.0",
        ));
    assert_eq!(
        read(&dir),
        DEV.replacen("newTag: 1.3.3", "newTag: 1.4.0", 1)
    );
    bin()
        .arg(&dir)
        .arg("registry.example.com/acme/backend:1.4.0")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("up to date"));
}

#[test]
fn warns_about_a_short_name() {
    let (_tmp, dir) = overlay(DEV);
    bin()
        .arg(&dir)
        .args(["backend=registry.example.com/acme/backend:1.4.0", "--check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "did you mean `registry.example.com/acme/backend`",
        ));
}

#[test]
fn directory_defaults_to_current() {
    let (_tmp, dir) = overlay(DEV);
    bin()
        .current_dir(&dir)
        .arg("registry.example.com/acme/frontend:2.0.0")
        .assert()
        .code(0);
    assert!(read(&dir).contains("newTag: 2.0.0 # bumped by ferry-pr"));
}

#[test]
fn check_mode_writes_nothing() {
    let (_tmp, dir) = overlay(DEV);
    bin()
        .arg(&dir)
        .args(["registry.example.com/acme/backend:1.4.0", "--check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("would change"));
    assert_eq!(read(&dir), DEV);
    bin()
        .arg(&dir)
        .args(["registry.example.com/acme/backend:1.3.3", "--check"])
        .assert()
        .code(0);
}

#[test]
fn json_output_shows_before_and_after() {
    let (_tmp, dir) = overlay(DEV);
    let out = bin()
        .arg(dir.join("kustomization.yaml"))
        .args(["registry.example.com/acme/backend=*@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3", "--remove", "registry.example.com/acme/frontend", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["changed"], true);
    assert_eq!(v["written"], true);
    assert_eq!(v["before"].as_array().unwrap().len(), 2);
    assert_eq!(v["before"][0]["newTag"], "1.3.3");
    assert_eq!(
        v["after"],
        serde_json::json!([{
            "name": "registry.example.com/acme/backend",
            "digest": "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3"
        }])
    );
    assert!(v["file"].as_str().unwrap().ends_with("kustomization.yaml"));
}

#[test]
fn errors_name_file_and_line() {
    let (_tmp, dir) = overlay("images:\n- name: app\n  newTag: 1.10\n");
    bin()
        .arg(&dir)
        .arg("app:2.0")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:3:11: images[0].newTag",
            dir.join("kustomization.yaml").display()
        )))
        .stderr(predicate::str::contains("quote it"));
    let out = bin()
        .arg(&dir)
        .args(["app:2.0", "--format", "json"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["error"]["line"], 3);
    assert_eq!(v["error"]["column"], 11);
    assert_eq!(read(&dir), "images:\n- name: app\n  newTag: 1.10\n");
}

#[test]
fn usage_errors_exit_2() {
    let (_tmp, dir) = overlay(DEV);
    // kustomize conformance setimage-15 (no arguments) and setimage-16 (`bad args`).
    bin()
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no image specified"));
    bin()
        .arg(&dir)
        .args(["bad", "args"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid image spec `bad`"));
    bin()
        .args(["no/such/dir", "app:1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not an existing file or directory",
        ));
    bin()
        .arg(&dir)
        .args(["app:1", "--format", "yaml"])
        .assert()
        .code(2);
    let empty = dir.parent().unwrap().join("empty");
    std::fs::create_dir(&empty).unwrap();
    bin()
        .arg(&empty)
        .arg("app:1")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no kustomization.yaml"));
    assert_eq!(read(&dir), DEV);
}

#[test]
fn conformance_no_args_and_invalid_args() {
    let cases = ferry_test_support::conformance_cases("kustomize/setimage.jsonl");
    for case in cases.iter().filter(|c| c["expected_error"] == true) {
        let (_tmp, dir) = overlay(case["input"].as_str().unwrap());
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let needle = match case["error_kind"].as_str().unwrap() {
            "no_args" => "no image specified",
            _ => "invalid image spec",
        };
        bin()
            .arg(&dir)
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
        assert_eq!(read(&dir), case["input"].as_str().unwrap());
    }
}

#[test]
fn github_output() {
    let (tmp, dir) = overlay(DEV);
    let out = tmp.path().join("github_output");
    bin()
        .env("GITHUB_OUTPUT", &out)
        .arg(&dir)
        .arg("registry.example.com/acme/backend:1.4.0")
        .assert()
        .code(0);
    bin()
        .env("GITHUB_OUTPUT", &out)
        .arg(&dir)
        .arg("registry.example.com/acme/backend:1.4.0")
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "changed=true\nchanged=false\n"
    );
}

/// The acceptance check, on a temporary copy of the blueprint's dev overlay: a tag bump
/// changes exactly one line.
#[test]
fn blueprint_dev_overlay_changes_one_line() {
    let source = ferry_test_support::fixtures_dir()
        .join("blueprint/infra/k8s/overlays/dev/kustomization.yaml");
    let original = std::fs::read_to_string(&source).expect("fixtures/blueprint dev overlay");
    let (_tmp, dir) = overlay(&original);
    bin()
        .arg(&dir)
        .arg("registry.example.com/acme/backend:1.4.0")
        .assert()
        .code(0);
    let edited = read(&dir);
    let before: Vec<&str> = original.lines().collect();
    let after: Vec<&str> = edited.lines().collect();
    assert_eq!(before.len(), after.len());
    let changed: Vec<(&str, &str)> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("1.4.0"), "{changed:?}");
    assert_eq!(
        std::fs::read_to_string(&source).unwrap(),
        original,
        "the fixture itself is untouched"
    );
}
