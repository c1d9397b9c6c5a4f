//! `ferry STEP` runs `ferry-STEP` and passes its arguments, exit code and output through.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// Writes an executable shell script `ferry-<step>` into `dir`.
fn fake_step(dir: &Path, step: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("ferry-{step}"));
    fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn ferry(path: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").unwrap();
    cmd.env("PATH", path);
    cmd
}

#[test]
fn runs_the_step_with_its_arguments_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    fake_step(dir.path(), "echo-args", r#"echo "args: $*"; exit 3"#);
    ferry(dir.path())
        .args(["echo-args", "--env", "dev", "two words"])
        .assert()
        .code(3)
        .stdout("args: --env dev two words\n");
}

#[test]
fn help_lists_known_and_found_steps() {
    let dir = tempfile::tempdir().unwrap();
    fake_step(dir.path(), "custom", "exit 0");
    ferry(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("init "))
        .stdout(predicate::str::contains("promote"))
        .stdout(predicate::str::contains("rollback"))
        .stdout(predicate::str::contains(
            "Other ferry-* programs found:\n  custom",
        ));
}

#[test]
fn help_step_runs_the_step_with_help() {
    let dir = tempfile::tempdir().unwrap();
    fake_step(dir.path(), "zz-fake", r#"echo "zz-fake $*""#);
    ferry(dir.path())
        .args(["help", "zz-fake"])
        .assert()
        .success()
        .stdout("zz-fake --help\n");
}

#[test]
fn an_unknown_step_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    ferry(dir.path())
        .arg("nope")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no step `nope`: `ferry-nope` is neither beside",
        ));
}

#[test]
fn no_arguments_prints_help_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    ferry(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: ferry STEP"));
}

#[test]
fn a_known_step_runs_in_process_even_when_no_step_binary_is_installed() {
    // PATH holds no ferry-* program, and the step's answer comes from this binary.
    let dir = tempfile::tempdir().unwrap();
    ferry(dir.path())
        .args(["validate", "--version"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ferry-validate "));
    ferry(dir.path())
        .args(["set-image", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn a_link_named_after_a_step_runs_that_step() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ferry-ledger");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("ferry"), &link).unwrap();
    let help = Command::new(&link)
        .env("PATH", dir.path())
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(help).unwrap();
    assert!(help.contains("Usage: ferry-ledger"), "{help}");
    // With --format json, a refused command line is the JSON usage report of the step.
    Command::new(&link)
        .env("PATH", dir.path())
        .args(["--no-such-flag", "--format", "json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""kind":"usage""#));
}

#[test]
fn generate_answers_for_a_step_in_process() {
    let dir = tempfile::tempdir().unwrap();
    ferry(dir.path())
        .args(["pr", "--ferry-generate", "man"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH ferry-pr 1"));
}
