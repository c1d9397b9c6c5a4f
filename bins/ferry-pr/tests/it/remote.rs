//! Break 2 of issue 12: a hostile `--remote` or `--base` never reaches git as an option or a
//! command; it is refused as bad input (exit 2) before anything runs.

#[test]
fn hostile_remotes_are_refused_and_never_run() {
    ferry_test_support::git::assert_hostile_remotes_refused(
        &assert_cmd::cargo::cargo_bin("ferry-pr"),
        &["open", "--env", "dev", "--image", "backend=2.0.0"],
        &["--remote", "--base"],
    );
}

/// Issue 11: a clone without `origin` is told how to set a remote, not shown git's refspecs.
#[test]
fn a_missing_origin_says_add_a_remote_or_set_forge_git_remote() {
    use ferry_test_support::git::{binary_in, blueprint_origin, clone, git};
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    const T0: i64 = 1_767_225_600;
    let tmp = tempfile::tempdir().unwrap();
    let (origin, _) = blueprint_origin(tmp.path(), true, T0);
    let dir = clone(&origin, &tmp.path().join("clone"), T0);
    git(&dir, &["remote", "remove", "origin"], T0);
    let out = binary_in(&assert_cmd::cargo::cargo_bin("ferry-pr"), &dir)
        .args(["open", "--env", "dev", "--image", "backend=2.0.0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("add a remote") && stderr.contains("[forge.git] remote"),
        "{stderr}"
    );
    assert!(!stderr.contains("refs/"), "no refspecs: {stderr}");
}
