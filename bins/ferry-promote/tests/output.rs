//! `ferry-promote`'s errors as JSON with the shared kinds: an unknown environment is `usage`, as
//! in `ferry-pr`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_test_support::git::{bare_origin, clone, copy_blueprint, init_commit, use_git_forge};
use ferry_test_support::output::assert_json_error;

const T0: i64 = 1_767_225_600;

/// A clone of a bare origin holding the blueprint on the plain-git forge, or `None` without git.
fn checkout(tmp: &Path) -> Option<PathBuf> {
    ferry_test_support::require_tool("git")?;
    let seed = tmp.join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    init_commit(&seed, "blueprint", T0);
    let origin = tmp.join("origin.git");
    bare_origin(&seed, &origin, T0);
    Some(clone(&origin, &tmp.join("clone"), T0))
}

fn promote(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-promote"));
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("DOCKER_CONFIG")
        .args(args)
        .args(["--format", "json"]);
    cmd
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dir) = checkout(tmp.path()) else {
        return;
    };
    for args in [
        ["--from", "dev", "--to", "qa"],
        ["--from", "qa", "--to", "staging"],
    ] {
        let out = promote(&dir, &args).output().unwrap();
        let error = assert_json_error(&out, "usage", 2);
        assert!(error["message"].as_str().unwrap().contains("qa"), "{error}");
    }
    let out = promote(
        &dir,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--config",
            "missing/ferry.toml",
        ],
    )
    .output()
    .unwrap();
    assert_json_error(&out, "bad-input", 2);
}
