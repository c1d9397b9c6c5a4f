//! `ferry-set-image`'s output: a closed stdout, and its errors as JSON with the shared kinds.

use std::process::Command;

use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

const KUSTOMIZATION: &str =
    "resources:\n  - deploy.yaml\nimages:\n  - name: app\n    newTag: \"1.0\"\n";

fn bin(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-set-image"));
    cmd.current_dir(dir).env_remove("GITHUB_OUTPUT");
    cmd
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kustomization.yaml"), KUSTOMIZATION).unwrap();
    for format in ["json", "text"] {
        let out = run_into_closed_pipe(bin(dir.path()).args(["app=app:2.0", "--format", format]));
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_with_a_kind_and_their_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kustomization.yaml"), KUSTOMIZATION).unwrap();
    let out = bin(dir.path())
        .args(["bad", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(error.get("file").is_some(), "{error}");

    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "images:\n  - name: app\n    newTag: 1.10\n",
    )
    .unwrap();
    let out = bin(dir.path())
        .args(["app=app:2.0", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "bad-input", 2);
    assert_eq!(error["line"], 3, "{error}");
}
