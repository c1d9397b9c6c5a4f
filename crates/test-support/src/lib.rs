//! Helpers shared by Ferry's test suites.
//!
//! Tests read upstream conformance data from `fixtures/conformance` (missing data always fails:
//! there is no skip path) and call real tools (`kubectl`, `git`, `docker-registry`, `openssl`,
//! the Docker Engine).
//! When a tool is missing, a test skips with a notice that shows in `cargo test` output (see
//! [`skip_notice`]) on a developer machine, and fails when the `CI` environment variable is set,
//! so CI can never pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod bounded;
pub mod faults;
pub mod git;
pub mod github;
pub mod history;
pub mod http;
pub mod kube_standin;
pub mod output;
pub mod prometheus;
pub mod registry;
pub mod rollouts;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/test-support sits two levels below the workspace root")
        .to_path_buf()
}

/// The `fixtures/` directory of the workspace.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}

/// Whether this run is a CI run (the `CI` variable is set to anything but `false` or empty).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Skips (returns `None` after a visible notice, [`skip_notice`]) or, under CI, panics, because
/// `what` is missing.
fn missing<T>(what: &str) -> Option<T> {
    skip_notice(&format!("{what} is not available"));
    None
}

/// Announces that the running test skips because `why`, or panics under CI (CI never passes by
/// skipping).
///
/// The notice goes to the process's standard error directly, not through `eprintln!`: libtest
/// captures only the print macros, and drops what a passing test printed, so a skip announced
/// with `eprintln!` would be invisible in `cargo test` output. It names the test (libtest names
/// each test's thread after it) and how to make the skip a failure.
pub fn skip_notice(why: &str) {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map(str::to_owned);
    let test = test.as_deref().unwrap_or("a test");
    assert!(!in_ci(), "{test}: {why}; required when CI is set");
    let line = format!("notice: SKIPPED {test}: {why} (with CI set this fails)\n");
    // One write of the whole line, so parallel tests do not interleave within it.
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
}

/// The repository's copy of the upstream conformance data, `fixtures/conformance`.
///
/// The data is part of the repository, so a missing directory is a broken checkout: this panics.
/// There is no skip path: a conformance test can never pass without its data.
pub fn conformance_dir() -> PathBuf {
    let dir = fixtures_dir().join("conformance");
    assert!(
        dir.is_dir(),
        "conformance data is missing at {}: it is part of the repository",
        dir.display()
    );
    dir
}

/// Reads a JSON Lines file below the conformance directory, one value per non-empty line.
///
/// Panics when the file is missing, unreadable or holds no case: a conformance test never passes
/// without its data.
pub fn conformance_cases(rel: &str) -> Vec<serde_json::Value> {
    jsonl_cases(&conformance_dir().join(rel))
}

/// The values of the JSON Lines file `path`, one per non-empty line; panics when the file is
/// missing, unreadable, invalid or empty.
fn jsonl_cases(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read conformance data {}: {e}", path.display()));
    let cases: Vec<serde_json::Value> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: invalid JSON: {e}", path.display(), i + 1))
        })
        .collect();
    assert!(!cases.is_empty(), "{} holds no case", path.display());
    cases
}

/// The path of an external program on `PATH`, or `None` (skip notice; panic under CI).
pub fn require_tool(program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(path) => Some(path),
        None => missing(&format!("the program `{program}`")),
    }
}

/// The `docker` CLI, when it is installed and its engine answers (`docker info`); otherwise a
/// skip notice, or a panic under CI (the engine is started before CI runs).
pub fn require_docker() -> Option<PathBuf> {
    let docker = require_tool("docker")?;
    let info = Command::new(&docker)
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match info {
        Ok(out) if out.status.success() => Some(docker),
        Ok(out) => missing(&format!(
            "the Docker Engine (`docker info`: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => missing(&format!("the Docker Engine (`docker info`: {e})")),
    }
}

/// Runs a command and returns its standard output, panicking with its stderr when it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "cannot read conformance data")]
    fn a_missing_conformance_file_panics() {
        conformance_cases("no-such-suite/no-such-file.jsonl");
    }

    #[test]
    #[should_panic(expected = "cannot read conformance data")]
    fn a_missing_github_conformance_file_panics() {
        github::read_json("no-such-operation.json");
    }

    #[test]
    #[should_panic(expected = "holds no case")]
    fn an_empty_conformance_file_panics() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("empty.jsonl");
        std::fs::write(&path, "\n\n").expect("write");
        jsonl_cases(&path);
    }

    #[test]
    fn the_conformance_data_is_in_the_repository() {
        assert!(conformance_dir().ends_with("fixtures/conformance"));
        assert!(!conformance_cases("image/reference.jsonl").is_empty());
    }
}
