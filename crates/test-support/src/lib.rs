//! Helpers shared by Ferry's test suites.
//!
//! Tests read upstream conformance data from `fixtures/conformance` (missing data fails) and call
//! real tools (`kubectl`, `git`, `docker-registry`). When one of them is missing, a test skips with
//! a notice on a developer machine and fails when the `CI` environment variable is set, so CI can
//! never pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod git;
pub mod github;
pub mod http;
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

/// Skips (returns `None` after printing a notice) or, under CI, panics, because `what` is missing.
fn missing<T>(what: &str) -> Option<T> {
    assert!(!in_ci(), "{what} is required when CI is set");
    eprintln!("notice: skipping: {what} is not available");
    None
}

/// The repository's copy of the upstream conformance data, `fixtures/conformance`.
///
/// The data is part of the repository, so a missing directory is a broken checkout: this panics
/// (it never skips). Always `Some`; the `Option` is kept only for existing callers.
pub fn conformance_dir() -> Option<PathBuf> {
    let dir = fixtures_dir().join("conformance");
    assert!(
        dir.is_dir(),
        "conformance data is missing at {}: it is part of the repository",
        dir.display()
    );
    Some(dir)
}

/// Reads a JSON Lines file below the conformance directory, one value per non-empty line.
///
/// Returns `None` when the conformance directory is missing outside CI (see [`conformance_dir`]).
pub fn conformance_cases(rel: &str) -> Option<Vec<serde_json::Value>> {
    let path = conformance_dir()?.join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{}:{}: invalid JSON: {e}", path.display(), i + 1))
            })
            .collect(),
    )
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
