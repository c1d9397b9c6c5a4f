//! `ferry-pr`'s output: `ferry pr open … --format json | head -1` ends quietly, and errors are
//! JSON with the shared kinds (an unknown environment is `usage`, as in `ferry-promote`).

use ferry_test_support::git::blueprint_checkout;
use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

use crate::common::ferry_pr;

const T0: i64 = 1_767_225_600;

#[test]
fn open_into_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dir) = blueprint_checkout(tmp.path(), T0) else {
        return;
    };
    let args = [
        "open",
        "--env",
        "dev",
        "--image",
        "backend=2.1.0",
        "--auto-merge",
        "--format",
        "json",
    ];
    assert_quiet_broken_pipe(&run_into_closed_pipe(&mut ferry_pr(&dir, &args)));
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dir) = blueprint_checkout(tmp.path(), T0) else {
        return;
    };
    let out = ferry_pr(
        &dir,
        &[
            "open",
            "--env",
            "qa",
            "--image",
            "backend=2.1.0",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(error["message"].as_str().unwrap().contains("qa"), "{error}");
    let out = ferry_pr(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.1.0",
            "--config",
            "missing/ferry.toml",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert_json_error(&out, "bad-input", 2);
    let out = ferry_pr(&dir, &["open", "--format", "json"])
        .output()
        .unwrap();
    assert_json_error(&out, "usage", 2);
}
