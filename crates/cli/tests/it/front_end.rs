//! The front end of every binary, through the `front_end` example: an error's kind, declared by
//! its type, fixes the exit code and the JSON report's `kind`; context is kept in the message.

use std::path::PathBuf;
use std::process::Command;

use ferry_cli::ErrorKind;
use serde_json::Value;

/// The `front_end` example, which `cargo test` builds beside the test binaries.
fn example() -> Command {
    let deps = std::env::current_exe().expect("the test binary's path");
    let dir = deps
        .parent()
        .and_then(|d| d.parent())
        .expect("target/debug");
    let path: PathBuf = dir
        .join("examples")
        .join(format!("front_end{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: cargo test builds the examples",
        path.display()
    );
    Command::new(path)
}

#[test]
fn an_error_of_each_kind_exits_with_its_code_and_reports_its_kind() {
    for kind in ErrorKind::ALL {
        let out = example()
            .args(["world", "--fail", kind.name(), "--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(i32::from(kind.exit_code())),
            "{kind}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim(),
            "front-end: cannot greet world: the library failed as asked"
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
        assert_eq!(report["error"]["kind"], kind.name());
        assert_eq!(report["error"]["exit_code"], kind.exit_code());
        assert_eq!(
            report["error"]["message"],
            "cannot greet world: the library failed as asked"
        );
    }
}

#[test]
fn classes_are_1_for_answers_2_for_usage_3_for_the_environment() {
    let code = |kind: &str| {
        example()
            .args(["world", "--fail", kind])
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(code("refused"), Some(1));
    assert_eq!(code("bad-input"), Some(2));
    assert_eq!(code("io"), Some(3));
    // The binary's own usage error, and clap's.
    assert_eq!(code("nonsense"), Some(2));
    let out = example().arg("--format=json").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    assert_eq!(report["error"]["kind"], "usage");
}

#[test]
fn success_prints_the_result_and_exits_0() {
    let out = example().args(["world"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello, world\n");
    let out = example()
        .args(["world", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"greeting\":\"hello\"}\n"
    );
}
