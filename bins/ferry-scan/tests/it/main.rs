//! `ferry-scan` end to end: the gate's exit codes and listing on the conformance reports,
//! ignores on a fixed day, SARIF, the summary and GitHub Actions files, bad input, and real
//! Trivy when it is installed.

mod gate;
mod github;
mod trivy;

use std::path::PathBuf;

use assert_cmd::Command;

/// The fixed day of every test.
pub const TODAY: &str = "2027-01-15";

/// The binary with a clean environment (no GITHUB_* from the machine running the tests), in
/// `dir` (so no `.ferry/scan-ignore.yaml` of the checkout applies).
pub fn ferry_scan(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry-scan").expect("binary");
    cmd.env_clear().current_dir(dir);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    if let Some(home) = std::env::var_os("HOME") {
        cmd.env("HOME", home);
    }
    cmd
}

/// A Trivy conformance report.
pub fn report(name: &str) -> PathBuf {
    let path = ferry_test_support::conformance_dir()
        .join("trivy")
        .join(name);
    assert!(
        path.is_file(),
        "{} is part of the conformance data",
        path.display()
    );
    path
}

/// A report recorded from real Trivy in `fixtures/scan/`.
pub fn recorded(name: &str) -> PathBuf {
    let path = ferry_test_support::fixtures_dir().join("scan").join(name);
    assert!(path.is_file(), "{} is part of the fixtures", path.display());
    path
}
