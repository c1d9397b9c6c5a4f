//! `ferry-build` end to end: flags and exit codes, and builds on the real Docker Engine pushed
//! to real `docker-registry` instances (anonymous and htpasswd), checked with skopeo, the
//! registry client behind `ferry image digest` and `docker inspect`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once.

mod cli;
mod engine;

use std::path::Path;

use assert_cmd::Command;

/// The binary, with no Ferry or GitHub variables from the test run's environment.
fn ferry_build() -> Command {
    let mut cmd = Command::cargo_bin("ferry-build").expect("binary");
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_EVENT_NAME",
        "FERRY_REGISTRY_USERNAME",
        "FERRY_REGISTRY_PASSWORD",
        "FERRY_REGISTRY_TOKEN",
        "FERRY_PLAIN_HTTP",
        "FERRY_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DOCKER_CONFIG", "/nonexistent-ferry-docker-config");
    cmd
}

/// Writes `files` (path, text) below `dir`.
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("directories");
        }
        std::fs::write(&path, text).expect("write");
    }
}
