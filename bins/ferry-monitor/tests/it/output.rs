//! `ferry-monitor`'s output: a closed stdout, and its errors as JSON.

use std::process::Command;

use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-monitor"));
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

const DEPLOYMENT: &str = r#"{"apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "default", "generation": 1},
  "spec": {"replicas": 1},
  "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
    "readyReplicas": 1, "availableReplicas": 1}}"#;

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deploy.json");
    std::fs::write(&file, DEPLOYMENT).unwrap();
    for format in ["json", "text"] {
        let out = run_into_closed_pipe(bin().arg("assess").arg(&file).args(["--format", format]));
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("assess")
        .arg(dir.path().join("missing.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(error["message"].as_str().unwrap().contains("missing.yaml"));
    let out = bin()
        .args(["watch", "--format", "json", "--checks", "many"])
        .output()
        .unwrap();
    assert_json_error(&out, "usage", 2);
}
