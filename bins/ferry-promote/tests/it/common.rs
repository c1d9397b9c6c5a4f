//! What the `ferry-promote` test areas share: the binary run in a directory without the
//! user's git configuration, step outputs or docker credentials.

use std::path::Path;
use std::process::Command;

use ferry_test_support::git::without_user_git;

/// 2026-01-01T00:00:00Z: the time of the seeded commits.
pub const SEED_TIME: i64 = 1_767_225_600;

/// `ferry-promote` in `dir`: no user git configuration, no `GITHUB_OUTPUT` or `DOCKER_CONFIG`
/// from the environment.
pub fn ferry_promote(dir: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-promote"));
    without_user_git(&mut cmd, dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("DOCKER_CONFIG");
    cmd
}
