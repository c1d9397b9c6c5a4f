//! `ferry`'s own output: a closed stdout, and its errors as JSON.

use std::process::Command;

use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

fn ferry() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("ferry"))
}

#[test]
fn help_into_a_closed_pipe_ends_quietly() {
    assert_quiet_broken_pipe(&run_into_closed_pipe(ferry().arg("--help")));
}

#[test]
fn an_unknown_step_is_a_json_usage_error() {
    let out = ferry()
        .args(["no-such-step", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no step `no-such-step`")
    );
}
