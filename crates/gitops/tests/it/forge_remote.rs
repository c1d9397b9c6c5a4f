//! The remote of the plain-git forge as an attacker or a typo gives it: options and command
//! transports never reach git (issue 12, break 2), credentials of malformed URLs never show
//! (break 6), and a missing `origin` says how to set one (issue 11).

use std::path::{Path, PathBuf};

use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::forge::{Forge, ForgeError};
use ferry_gitops::{Repo, Signature};
use ferry_test_support::git::{blueprint_origin, clone, git, hostile_remotes};
use tempfile::TempDir;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A clone of a bare origin holding the blueprint.
fn world() -> Option<(TempDir, PathBuf)> {
    ferry_test_support::require_tool("git")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let (origin, _) = blueprint_origin(dir.path(), false, T0);
    let runner = clone(&origin, &dir.path().join("runner"), T0);
    Some((dir, runner))
}

fn forge(clone: &Path, remote: &str) -> GitForge {
    GitForge::new(
        Repo::open(clone).expect("clone opens"),
        GitForgeOptions {
            remote: remote.to_owned(),
            base_branch: "main".to_owned(),
            branch_prefix: "deploy/".to_owned(),
            signature: Signature::new(
                "Ferry",
                "ferry@example.com",
                jiff::Timestamp::from_second(T0).expect("a valid time"),
            ),
        },
    )
}

#[test]
fn hostile_remotes_never_reach_git() {
    let Some((dir, runner)) = world() else { return };
    let marker = dir.path().join("PWNED");
    for remote in hostile_remotes(&marker) {
        let forge = forge(&runner, &remote);
        let err = block_on(forge.sync()).expect_err("a hostile remote is refused");
        assert!(
            matches!(err, ForgeError::InvalidRemote { .. }),
            "{remote}: {err:?}"
        );
        let pushed = block_on(forge.update_holds("dev", &mut |_| {}, "ferry: nothing"));
        assert!(pushed.is_err(), "{remote}");
        assert!(!marker.exists(), "{remote} ran a command");
    }
}

#[test]
fn malformed_credential_urls_never_show() {
    let Some((_dir, runner)) = world() else {
        return;
    };
    let cases = [
        ("http://user:S3CRET/H@127.0.0.1:1/x.git", "S3CRET/H"),
        ("http://user:S3CRET/H@127.0.0.1:1/x.git", "S3CRET"),
        ("https://bot:pa#ss-w0rd@127.0.0.1:1/x.git", "ss-w0rd"),
        ("https://bot:pa?ss-w0rd@127.0.0.1:1/x.git", "ss-w0rd"),
        ("https://bot:p@ss-w0rd@127.0.0.1:1/x.git", "ss-w0rd"),
        (
            "https://127.0.0.1:1/x.git?access_token=t0k3n-value",
            "t0k3n-value",
        ),
        ("https://bot:pa%2Fss-w0rd@127.0.0.1:1/x.git", "ss-w0rd"),
    ];
    for (i, (url, secret)) in cases.iter().enumerate() {
        let name = format!("private{i}");
        git(&runner, &["remote", "add", &name, url], T0);
        for remote in [*url, name.as_str()] {
            let forge = forge(&runner, remote);
            let err = block_on(forge.sync()).expect_err("the remote is unreachable");
            let shown = format!(
                "{err} {err:?} {forge:?} {:?} {}",
                forge.options(),
                forge.remote_display()
            );
            assert!(!shown.contains(secret), "{url} via {remote}: {shown}");
        }
    }
}

#[test]
fn a_missing_origin_says_how_to_set_a_remote() {
    let Some((_dir, runner)) = world() else {
        return;
    };
    git(&runner, &["remote", "remove", "origin"], T0);
    let forge = forge(&runner, "origin");
    let err = block_on(forge.sync()).expect_err("there is no origin");
    assert!(matches!(err, ForgeError::NoRemote { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("add a remote") && text.contains("[forge.git] remote"),
        "{text}"
    );
    assert!(!text.contains("refs/"), "no refspecs: {text}");
}
