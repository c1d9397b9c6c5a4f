//! What the `ferry-rollback` test areas share: the binary run in a directory without the user's
//! git configuration or the variables of the environment running the tests, its output, and
//! the dev overlay's backend tag on the remote.

use std::path::Path;
use std::process::Command;

use ferry_test_support::git::{binary_in, git};

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";

/// `ferry-rollback ARGS` in `dir`: no user git configuration, no `GITHUB_OUTPUT`,
/// `GITHUB_TOKEN`, `FERRY_SLACK_WEBHOOK` or `KUBECONFIG` from the environment.
pub fn ferry_rollback(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = binary_in(&assert_cmd::cargo::cargo_bin("ferry-rollback"), dir);
    cmd.env_remove("FERRY_SLACK_WEBHOOK")
        .env_remove("KUBECONFIG")
        .args(args);
    cmd
}

/// Runs [`ferry_rollback`]: (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ferry_rollback(dir, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The backend tag of dev on `origin`'s main.
pub fn dev_backend(origin: &Path) -> String {
    let text = git(origin, &["show", &format!("main:{DEV}")], T0);
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "- name: registry.example.com/acme/backend" {
            let tag = lines.next().expect("newTag").trim();
            let tag = tag.strip_prefix("newTag:").expect("newTag").trim();
            return tag.split_whitespace().next().expect("a tag").to_owned();
        }
    }
    panic!("no backend entry in dev:\n{text}");
}
