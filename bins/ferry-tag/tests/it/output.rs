//! `ferry-tag`'s output: a closed stdout, and its errors as JSON with the shared kinds.

use std::path::Path;
use std::process::Command;

use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

const PAYLOAD: &str = r#"{"repository": {"name": "app", "html_url": "https://github.com/octo/app", "default_branch": "main"}}"#;

/// `ferry-tag` in a GitHub Actions push of `main`, with only `PATH` from this environment.
fn ferry_tag(dir: &Path, payload: &str) -> Command {
    let payload_path = dir.join("event.json");
    std::fs::write(&payload_path, payload).unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-tag"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SHA", "860c1904a1ce19322e91ac35af1ab07466440c37")
        .env("GITHUB_REPOSITORY", "octo/app")
        .env("GITHUB_EVENT_PATH", &payload_path)
        .args([
            "--now",
            "2020-01-10T00:30:00Z",
            "--images",
            "ghcr.io/octo/app",
        ]);
    cmd
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "text"] {
        let out = run_into_closed_pipe(ferry_tag(dir.path(), PAYLOAD).args(["--format", format]));
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry_tag(dir.path(), PAYLOAD)
        .args(["--tags", "type=foo", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("unknown tag type \"foo\""),
        "{error}"
    );
    let out = ferry_tag(dir.path(), "{not json")
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_json_error(&out, "bad-input", 2);
}
