//! `ferry-rollback`'s errors as JSON with the shared kinds.

use std::path::Path;
use std::process::Command;

use ferry_test_support::git::blueprint_checkout;
use ferry_test_support::output::assert_json_error;

use crate::common::T0;

fn rollback(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = crate::common::ferry_rollback(dir, args);
    cmd.args(["--format", "json"]);
    cmd
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rollback(tmp.path(), &["--to", "previous"])
        .output()
        .unwrap();
    assert_json_error(&out, "usage", 2);
    let out = rollback(
        tmp.path(),
        &[
            "--env",
            "dev",
            "--to",
            "previous",
            "--config",
            "missing/ferry.toml",
        ],
    )
    .output()
    .unwrap();
    assert_json_error(&out, "bad-input", 2);
    let Some(dir) = blueprint_checkout(tmp.path(), T0) else {
        return;
    };
    let out = rollback(&dir, &["--env", "qa", "--to", "previous"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(error["message"].as_str().unwrap().contains("qa"), "{error}");
}
