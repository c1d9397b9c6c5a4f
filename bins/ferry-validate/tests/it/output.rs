//! `ferry-validate`'s output: a closed stdout, errors as JSON, and `ferry.toml` found upward.

use std::process::Command;

use ferry_test_support::git::copy_blueprint;
use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-validate"));
    cmd.env_remove("GITHUB_OUTPUT").env_remove("GITHUB_ACTIONS");
    cmd
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let config = ferry_test_support::fixtures_dir().join("blueprint/ferry.toml");
    for format in ["json", "text"] {
        let out = run_into_closed_pipe(
            bin()
                .arg("--config")
                .arg(&config)
                .args(["--format", format]),
        );
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["--config", "missing/ferry.toml", "--format", "json"])
        .output()
        .unwrap();
    assert_json_error(&out, "bad-input", 2);
    // A command line clap refuses is a usage error, as JSON too.
    let out = bin()
        .args(["--format", "json", "--no-such-flag"])
        .output()
        .unwrap();
    assert_json_error(&out, "usage", 2);
}

#[test]
fn ferry_toml_is_found_from_a_subdirectory() {
    let dir = tempfile::tempdir().unwrap();
    copy_blueprint(dir.path());
    let sub = dir.path().join("infra/k8s/overlays/dev");
    let out = bin()
        .current_dir(&sub)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let paths: Vec<&str> = report["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "infra/k8s/overlays/dev",
            "infra/k8s/overlays/staging",
            "infra/k8s/overlays/prod"
        ]
    );
}
