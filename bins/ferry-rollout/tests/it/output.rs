//! `ferry-rollout`'s errors as JSON with the shared kinds.

use std::process::Command;

use ferry_test_support::output::assert_json_error;

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-rollout"));
    cmd.env_remove("KUBECONFIG");
    cmd
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let out = bin().args(["status", "--format", "json"]).output().unwrap();
    assert_json_error(&out, "usage", 2);
    // Nothing listens on port 1: the API failed (exit 3).
    let out = bin()
        .args([
            "status",
            "backend",
            "-n",
            "acme",
            "--server",
            "http://127.0.0.1:1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "kubernetes", 3);
    assert!(
        error["message"].as_str().unwrap().contains("backend"),
        "{error}"
    );
}
