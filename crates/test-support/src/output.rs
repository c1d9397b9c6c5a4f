//! What every binary's output promises: a closed stdout ends the run quietly, and with
//! `--format json` an error is one JSON object on stdout.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs `cmd` with its stdout a pipe whose reading end is closed before the program starts (as
/// `ferry … | head -0` would leave it), stderr captured.
pub fn run_into_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    cmd.stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
        .wait_with_output()
        .expect("wait for the program")
}

/// Asserts that a run whose stdout was closed ended quietly: exit 0, no panic, no broken-pipe
/// message.
pub fn assert_quiet_broken_pipe(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe"),
        "a closed stdout is no error: {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
}

/// Asserts that `out` is a failure reported as `{"error": {"kind", "exit_code", "message"}}` on
/// stdout with this kind and exit code, and returns the `error` object.
pub fn assert_json_error(out: &Output, kind: &str, exit_code: i32) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let value: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("with --format json the error is JSON on stdout ({e}): {stdout:?}\nstderr: {stderr}")
    });
    let error = value["error"].clone();
    assert_eq!(error["kind"], kind, "{value}\nstderr: {stderr}");
    assert_eq!(error["exit_code"], exit_code, "{value}");
    assert_eq!(out.status.code(), Some(exit_code), "stderr: {stderr}");
    let message = error["message"].as_str().expect("a message");
    assert!(!message.is_empty(), "{value}");
    let start: String = message.chars().take(40).collect();
    assert!(
        stderr.contains(&start),
        "the same message is on stderr: {stderr}"
    );
    error
}
