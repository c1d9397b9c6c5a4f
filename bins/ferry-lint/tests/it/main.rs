//! `ferry-lint`'s integration tests: one test binary (see docs/architecture.md).

mod cli;
mod rules;

use std::path::{Path, PathBuf};

/// `fixtures/lint/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    ferry_test_support::fixtures_dir().join("lint").join(name)
}

/// `ferry-lint` with no GitHub Actions environment.
pub fn ferry_lint() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ferry-lint").expect("the ferry-lint binary");
    cmd.env_remove("GITHUB_ACTIONS").env_remove("GITHUB_OUTPUT");
    cmd
}

/// The findings of `--format json` on `dir` as (rule, file:line:column, message), and the
/// exit code.
pub fn findings(dir: &Path) -> (Vec<(String, String, String)>, i32) {
    let out = ferry_lint()
        .arg(dir)
        .args(["--format", "json"])
        .output()
        .expect("run ferry-lint");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let found = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_string(),
                format!(
                    "{}:{}:{}",
                    f["file"].as_str().expect("file"),
                    f["line"],
                    f["column"]
                ),
                f["message"].as_str().expect("message").to_string(),
            )
        })
        .collect();
    (found, out.status.code().expect("an exit code"))
}
