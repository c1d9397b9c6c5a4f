//! `ferry-ledger`'s output: a closed stdout, errors as JSON with the shared kinds, each cause of
//! an error said once.

use std::path::Path;
use std::process::Command;

use ferry_test_support::git::{copy_blueprint, init_commit, without_user_git};
use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

const T0: i64 = 1_767_225_600;

fn ledger(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-ledger"));
    without_user_git(&mut cmd, dir).env_remove("GITHUB_OUTPUT");
    cmd
}

/// No segment of `message` (split at `: `) comes twice.
fn assert_said_once(message: &str) {
    let parts: Vec<&str> = message.split(": ").collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            !parts[i + 1..].contains(part),
            "`{part}` is said twice: {message}"
        );
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_blueprint(dir.path());
    init_commit(dir.path(), "blueprint", T0);
    for format in ["json", "text"] {
        let out = run_into_closed_pipe(ledger(dir.path()).args(["--format", format]));
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let out = ledger(dir.path())
        .args(["--config", "missing/ferry.toml", "--format", "json"])
        .output()
        .unwrap();
    assert_json_error(&out, "bad-input", 2);
    let out = ledger(dir.path())
        .args(["mark-verified", "--format", "json"])
        .output()
        .unwrap();
    assert_json_error(&out, "usage", 2);
}

#[test]
fn an_unknown_environment_is_a_usage_error() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_blueprint(dir.path());
    init_commit(dir.path(), "blueprint", T0);
    let out = ledger(dir.path())
        .args(["qa", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(error["message"].as_str().unwrap().contains("qa"), "{error}");
}

#[test]
fn a_cause_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_blueprint(dir.path());
    let out = ledger(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.to_lowercase().contains("git"), "{message}");
    assert_said_once(message);
    assert_said_once(stderr.trim().trim_start_matches("ferry-ledger: "));
}
