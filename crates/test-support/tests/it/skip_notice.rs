//! A test that skips because a tool is missing says so in `cargo test` output, where libtest's
//! capture would swallow an `eprintln!`; under CI it fails instead.
//!
//! Each check runs this test binary again, as `cargo test` runs it (output captured, no
//! `--nocapture`), with only `child_asks_for_a_missing_tool` selected.

use std::process::{Command, Output};

/// Set in the child runs: the tool the child test asks for.
const CHILD_TOOL: &str = "FERRY_TEST_SUPPORT_CHILD_TOOL";

/// The child test's name in this test binary (its module path, as libtest names it).
const CHILD: &str = "skip_notice::child_asks_for_a_missing_tool";

/// The child: asks for a tool that does not exist. Outside a child run it has nothing to do.
#[test]
fn child_asks_for_a_missing_tool() {
    let Ok(tool) = std::env::var(CHILD_TOOL) else {
        return;
    };
    assert!(ferry_test_support::require_tool(&tool).is_none());
}

fn run_child(ci: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", CHILD])
        .env(CHILD_TOOL, "ferry-no-such-tool-3f9c")
        .env_remove("CI");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    cmd.output().expect("run the test binary")
}

#[test]
fn a_skip_for_a_missing_tool_shows_in_captured_test_output() {
    let out = run_child(None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("test {CHILD} ... ok")), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "notice: SKIPPED {CHILD}: the program `ferry-no-such-tool-3f9c` is not available"
        )),
        "the skip notice must reach the terminal: stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[test]
fn under_ci_a_missing_tool_fails_the_test() {
    let out = run_child(Some("true"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("required when CI is set"),
        "the failure names why: {stdout}"
    );
}
