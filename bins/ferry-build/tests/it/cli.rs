//! Flags: what is refused before any engine is asked (exit 2), and an engine that cannot be
//! reached (exit 3).

use std::os::unix::net::UnixListener;

use predicates::prelude::*;
use serde_json::Value;

use crate::{ferry_build, write};

#[test]
fn a_tag_is_required_and_must_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    ferry_build()
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--tag"));
    ferry_build()
        .args(["-t", "Not A Tag"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid tag `Not A Tag`"));
    let digest = format!("app@sha256:{}", "a".repeat(64));
    ferry_build()
        .args(["-t", &digest])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a tag cannot carry a digest"));
}

#[test]
fn a_build_argument_from_an_unset_variable_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    ferry_build()
        .env_remove("FERRY_TEST_UNSET")
        .args(["-t", "app:1", "--secret-build-arg", "FERRY_TEST_UNSET"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--secret-build-arg FERRY_TEST_UNSET: the environment variable FERRY_TEST_UNSET is not set",
        ));
    ferry_build()
        .args(["-t", "app:1", "--label", "no-equals-sign"])
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn an_unsupported_engine_address_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    ferry_build()
        .args(["-t", "app:1", "--docker-host", "ftp://engine"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unsupported Docker host"));
}

/// A socket nobody listens on any more: connection refused, exit 3 with kind `unavailable`.
#[test]
fn an_unreachable_engine_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), &[("Dockerfile", "FROM scratch\n")]);
    let socket = dir.path().join("engine.sock");
    drop(UnixListener::bind(&socket).expect("bind"));
    let out = ferry_build()
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .args(["-t", "app:1", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON error report");
    assert_eq!(report["error"]["kind"], "unavailable");
    let message = report["error"]["message"].as_str().expect("message");
    assert!(message.contains("cannot be reached"), "{message}");
}
