//! Shared by the `ferry-pr` tests: a bare origin seeded from `fixtures/blueprint`, one clone
//! per run, and `ferry-pr` run with no user git configuration.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferry_test_support::git::{
    self as support, bare_origin, copy_blueprint, git, init_commit, use_git_forge,
};
use serde_json::Value;

pub const SEED_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";

/// A bare origin holding the blueprint (forge kind `git`, a fixed author) on `main`.
pub fn origin(tmp: &Path) -> PathBuf {
    let seed = tmp.join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    init_commit(&seed, "blueprint", SEED_TIME);
    let origin = tmp.join("origin.git");
    bare_origin(&seed, &origin, SEED_TIME);
    origin
}

pub fn clone(origin: &Path, dir: &Path) -> PathBuf {
    support::clone(origin, dir, SEED_TIME)
}

/// `ferry-pr ARGS` in `dir` with no user git configuration, no `GITHUB_OUTPUT` or
/// `GITHUB_TOKEN` from the environment (every test area runs it so).
pub fn ferry_pr(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = support::binary_in(&assert_cmd::cargo::cargo_bin("ferry-pr"), dir);
    cmd.args(args);
    cmd
}

pub fn run(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = ferry_pr(dir, args).output().unwrap();
    parse(&out)
}

pub fn parse(out: &Output) -> (i32, Value, String) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {stdout}\nstderr: {stderr}");
    });
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// The backend tag of dev on the origin's main.
pub fn dev_backend_tag(origin: &Path, rev: &str) -> String {
    let text = git(origin, &["show", &format!("{rev}:{DEV}")], SEED_TIME);
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "- name: registry.example.com/acme/backend" {
            let tag = lines.next().unwrap().trim();
            let tag = tag.strip_prefix("newTag:").unwrap().trim();
            return tag.split_whitespace().next().unwrap().to_owned();
        }
    }
    panic!("no backend entry in {rev}:{DEV}:\n{text}");
}

pub fn refs(origin: &Path, prefix: &str) -> Vec<String> {
    git(
        origin,
        &["for-each-ref", "--format=%(refname)", prefix],
        SEED_TIME,
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

pub fn version(tag: &str) -> (u64, u64, u64) {
    let mut parts = tag.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// `runs` clones of `origin` under `tmp`, each running `ferry-pr open --env dev --image
/// backend=2.0.<i> MERGE --format json` at once; their outputs, in clone order.
pub fn concurrent_opens(
    tmp: &Path,
    origin: &Path,
    runs: usize,
    merge: &str,
) -> (Vec<PathBuf>, Vec<Output>) {
    let clones: Vec<PathBuf> = (0..runs)
        .map(|i| clone(origin, &tmp.join(format!("clone-{i}"))))
        .collect();
    let children: Vec<_> = clones
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let image = format!("backend=2.0.{i}");
            let args = [
                "open", "--env", "dev", "--image", &image, merge, "--format", "json",
            ];
            ferry_pr(dir, &args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    (clones, outputs)
}

/// Writes `holds` (a JSON array) as the origin's holds of `env` (`refs/ferry/holds`).
pub fn hold(origin: &Path, env: &str, holds: &str) {
    let blob_file = origin.join("hold.json");
    std::fs::write(&blob_file, holds).unwrap();
    let blob = git(
        origin,
        &["hash-object", "-w", blob_file.to_str().unwrap()],
        SEED_TIME,
    );
    std::fs::remove_file(&blob_file).unwrap();
    let mut mktree = Command::new("git")
        .current_dir(origin)
        .arg("mktree")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(
        mktree.stdin.take().unwrap(),
        "100644 blob {}\t{env}.json",
        blob.trim()
    )
    .unwrap();
    let tree = String::from_utf8(mktree.wait_with_output().unwrap().stdout).unwrap();
    let commit = git(
        origin,
        &["commit-tree", tree.trim(), "-m", "hold"],
        SEED_TIME,
    );
    git(
        origin,
        &["update-ref", "refs/ferry/holds", commit.trim()],
        SEED_TIME,
    );
}
