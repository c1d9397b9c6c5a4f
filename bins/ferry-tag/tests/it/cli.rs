//! `ferry-tag` end to end: GitHub Actions context, GITHUB_OUTPUT, a real git repository, errors.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use ferry_test_support::require_tool;
use predicates::str::contains;
use serde_json::Value;

const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";
const NOW: &str = "2020-01-10T00:30:00Z";

/// The binary with a clean environment (no GITHUB_* from the machine running the tests).
fn ferry_tag() -> Command {
    let mut cmd = Command::cargo_bin("ferry-tag").expect("binary");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.args(["--now", NOW]);
    cmd
}

/// Parses a GITHUB_OUTPUT file written with `name<<DELIM` blocks.
fn read_outputs(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).expect("output file");
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(head) = lines.next() {
        let (name, delim) = head.split_once("<<").expect("heredoc header");
        let mut value = Vec::new();
        for l in lines.by_ref() {
            if l == delim {
                break;
            }
            value.push(l);
        }
        out.insert(name.to_string(), value.join("\n"));
    }
    out
}

fn workflow(cmd: &mut Command, dir: &Path, git_ref: &str, event: &str, payload: &str) {
    let payload_path = dir.join("event.json");
    std::fs::write(&payload_path, payload).unwrap();
    cmd.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_REF", git_ref)
        .env("GITHUB_SHA", SHA)
        .env("GITHUB_REPOSITORY", "octo/app")
        .env("GITHUB_EVENT_PATH", &payload_path);
}

const PAYLOAD: &str = r#"{"repository": {"name": "app", "description": "An app", "html_url": "https://github.com/octo/app", "default_branch": "main", "license": {"spdx_id": "MIT"}}}"#;

#[test]
fn semver_tags_and_github_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out");
    let mut cmd = ferry_tag();
    workflow(&mut cmd, dir.path(), "refs/tags/v1.2.3", "push", PAYLOAD);
    cmd.env("GITHUB_OUTPUT", &out_file)
        .args(["--images", "ghcr.io/Octo/App", "--tags"])
        .arg("type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha")
        .assert()
        .success()
        .stdout(contains("ghcr.io/octo/app:1.2.3\nghcr.io/octo/app:1.2\nghcr.io/octo/app:sha-860c190\nghcr.io/octo/app:latest\n"))
        .stdout(contains("org.opencontainers.image.licenses=MIT"));
    let outputs = read_outputs(&out_file);
    assert_eq!(outputs["version"], "1.2.3");
    assert_eq!(
        outputs["tags"],
        "ghcr.io/octo/app:1.2.3\nghcr.io/octo/app:1.2\nghcr.io/octo/app:sha-860c190\nghcr.io/octo/app:latest"
    );
    assert_eq!(outputs["tag-names"], "1.2.3\n1.2\nsha-860c190\nlatest");
    assert!(
        outputs["labels"]
            .contains("org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37")
    );
    assert!(
        outputs["labels"].contains("org.opencontainers.image.created=2020-01-10T00:30:00.000Z")
    );
    assert!(outputs["annotations"].starts_with("manifest:org.opencontainers.image.created="));
    let json: Value = serde_json::from_str(&outputs["json"]).unwrap();
    assert_eq!(json["tags"][0], "ghcr.io/octo/app:1.2.3");
    assert_eq!(json["labels"]["org.opencontainers.image.version"], "1.2.3");
    assert_eq!(json["labels"]["org.opencontainers.image.title"], "app");
}

#[test]
fn sep_tags_and_json_format_on_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ferry_tag();
    workflow(
        &mut cmd,
        dir.path(),
        "refs/pull/15/merge",
        "pull_request",
        PAYLOAD,
    );
    let out = cmd
        .args([
            "--images",
            "user/app",
            "--format",
            "json",
            "--sep-tags",
            ",",
        ])
        .args([
            "--tags",
            "type=ref,event=pr",
            "type=raw,value=pr-{{base_ref}}",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["tags"],
        serde_json::json!(["user/app:pr-15", "user/app:pr-"])
    );
    assert_eq!(json["version"], "pr-15");
    assert_eq!(json["context"]["source"], "workflow");
    assert_eq!(json["context"]["event"], "pull_request");

    let mut cmd = ferry_tag();
    workflow(&mut cmd, dir.path(), "refs/heads/main", "push", PAYLOAD);
    cmd.args(["--images", "user/app", "--sep-tags", ","])
        .args([
            "--tags",
            "type=edge",
            "type=raw,x,enable={{is_default_branch}}",
        ])
        .assert()
        .success()
        .stdout(contains("tags:\nuser/app:edge,user/app:x\n"));
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = ferry_tag();
    workflow(&mut cmd, dir.path(), "refs/heads/main", "push", PAYLOAD);
    cmd.args(["--images", "user/app", "--tags", "type=foo"])
        .assert()
        .code(2)
        .stderr(contains(
            "invalid tags entry \"type=foo\": unknown tag type \"foo\"",
        ));

    let mut cmd = ferry_tag();
    workflow(&mut cmd, dir.path(), "refs/heads/main", "push", PAYLOAD);
    cmd.args(["--flavor", "latest=maybe"])
        .assert()
        .code(2)
        .stderr(contains("latest must be auto, true or false"));

    let mut cmd = ferry_tag();
    workflow(&mut cmd, dir.path(), "refs/heads/main", "push", "{not json");
    cmd.assert().code(2).stderr(contains("is not valid JSON"));

    ferry_tag().args(["--format", "yaml"]).assert().code(2);
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = StdCommand::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Ferry",
            "-c",
            "user.email=ferry@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .env("GIT_COMMITTER_DATE", "2021-03-04T05:06:07Z")
        .env("GIT_AUTHOR_DATE", "2021-03-04T05:06:07Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A bare "origin" with one commit on main and a clone of it.
fn cloned_repo(root: &Path) -> std::path::PathBuf {
    let seed = root.join("seed");
    std::fs::create_dir(&seed).unwrap();
    git(&seed, &["init", "-q"]);
    std::fs::write(seed.join("file.txt"), "one\n").unwrap();
    git(&seed, &["add", "file.txt"]);
    git(&seed, &["commit", "-q", "-m", "first"]);
    git(root, &["clone", "-q", "--bare", "seed", "origin.git"]);
    git(root, &["clone", "-q", "origin.git", "work"]);
    root.join("work")
}

#[test]
fn git_context_on_a_branch() {
    if require_tool("git").is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = cloned_repo(root.path());
    let sha = git(&work, &["rev-parse", "HEAD"]);
    let out = ferry_tag()
        .args([
            "--context",
            "git",
            "--format",
            "json",
            "--images",
            "ghcr.io/o/app",
        ])
        .args([
            "--tags",
            "type=ref,event=branch",
            "type=edge",
            "type=sha",
            "type=raw,value=cd-{{commit_date 'YYYYMMDD-HHmmss'}}",
            "type=raw,value=default,enable={{is_default_branch}}",
        ])
        .arg("--repo")
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let short = &sha[..7];
    // Sorted by priority: edge 700, ref 600, raw 200, sha 100.
    assert_eq!(
        json["tag-names"],
        serde_json::json!([
            "edge",
            "main",
            "cd-20210304-050607",
            "default",
            format!("sha-{short}")
        ])
    );
    assert_eq!(json["context"]["ref"], "refs/heads/main");
    assert_eq!(json["context"]["sha"], sha.as_str());
    assert_eq!(json["context"]["git"]["dirty"], false);
    assert_eq!(
        json["labels"]["org.opencontainers.image.revision"],
        sha.as_str()
    );
    assert_eq!(json["labels"]["org.opencontainers.image.title"], "work");
}

#[test]
fn git_context_on_a_tag_and_dirty_tree() {
    if require_tool("git").is_none() {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = cloned_repo(root.path());
    git(&work, &["tag", "-a", "v2.3.4", "-m", "release"]);
    git(&work, &["tag", "unrelated"]);
    git(&work, &["checkout", "-q", "--detach", "v2.3.4"]);
    let out = ferry_tag()
        .args(["--context", "git", "--format", "json", "--images", "o/app"])
        .args([
            "--tags",
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
        ])
        .arg("--repo")
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["tags"],
        serde_json::json!(["o/app:2.3.4", "o/app:2.3", "o/app:latest"])
    );
    assert_eq!(json["context"]["ref"], "refs/tags/v2.3.4");
    assert_eq!(
        json["context"]["git"]["tags_at_head"],
        serde_json::json!(["unrelated", "v2.3.4"])
    );
    assert_eq!(json["context"]["git"]["dirty"], false);

    std::fs::write(work.join("file.txt"), "changed\n").unwrap();
    ferry_tag()
        .args(["--context", "git", "--format", "json"])
        .arg("--repo")
        .arg(&work)
        .assert()
        .success()
        .stdout(contains("\"dirty\": true"))
        .stderr(contains("uncommitted changes"));
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    ferry_tag()
        .args(["--context", "git", "--repo"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("is not inside a git repository"));
}
