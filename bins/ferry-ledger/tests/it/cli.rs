//! `ferry-ledger` on a real repository holding the blueprint fixture.

use std::path::Path;

use assert_cmd::Command as Bin;
use ferry_test_support::git::{copy_dir, git};
use predicates::prelude::*;

const T0: i64 = 1_767_225_600;

/// The blueprint in `<tmp>/deploy/gitops` (ferry.toml below the repository top), committed,
/// then dev's backend bumped to 1.4.0. Returns (tempdir, config dir, commits).
fn repo() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("deploy");
    let dir = top.join("gitops");
    copy_dir(&ferry_test_support::fixtures_dir().join("blueprint"), &dir);
    git(&top, &["init", "-q", "-b", "main"], T0);
    git(&top, &["add", "-A"], T0);
    git(&top, &["commit", "-q", "-m", "blueprint"], T0 + 60);
    let c0 = git(&top, &["rev-parse", "HEAD"], T0).trim().to_string();
    let rel = dir.join("infra/k8s/overlays/dev/kustomization.yaml");
    let text = std::fs::read_to_string(&rel).unwrap();
    let edited = text.replacen("newTag: 1.3.3 # bumped", "newTag: 1.4.0 # bumped", 1);
    assert_ne!(text, edited);
    std::fs::write(&rel, edited).unwrap();
    git(
        &top,
        &["commit", "-q", "-am", "dev: backend 1.4.0"],
        T0 + 120,
    );
    let c1 = git(&top, &["rev-parse", "HEAD"], T0).trim().to_string();
    (tmp, dir, vec![c0, c1])
}

fn ledger(dir: &Path) -> Bin {
    let mut cmd = Bin::cargo_bin("ferry-ledger").unwrap();
    cmd.current_dir(dir).env_remove("GITHUB_OUTPUT");
    cmd
}

#[test]
fn json_lists_deployments_newest_first_and_what_runs_now() {
    let (_tmp, dir, c) = repo();
    let out = ledger(&dir).args(["--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["base"], c[1]);
    let envs = v["environments"].as_array().unwrap();
    let names: Vec<_> = envs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    let dev = &envs[0];
    assert_eq!(dev["overlay"], "gitops/infra/k8s/overlays/dev");
    let commits: Vec<_> = dev["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["commit"].as_str().unwrap())
        .collect();
    assert_eq!(commits, [c[1].as_str(), c[0].as_str()]);
    assert_eq!(dev["current"]["commit"], c[1]);
    assert_eq!(
        dev["current"]["images"]["backend/backend"],
        "registry.example.com/acme/backend:1.4.0"
    );
    assert_eq!(dev["current"]["time"], "2026-01-01T00:02:00Z");
    assert_eq!(dev["current"]["author"], "Ada <ada@example.com>");
    assert_eq!(
        dev["current"]["changes"][0],
        serde_json::json!({
            "container": "backend/backend",
            "from": "registry.example.com/acme/backend:1.3.3",
            "to": "registry.example.com/acme/backend:1.4.0"
        })
    );
    let staging = &envs[1];
    assert_eq!(staging["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(staging["current"]["commit"], c[0]);
}

#[test]
fn text_for_one_environment_and_github_output() {
    let (tmp, dir, c) = repo();
    let output = tmp.path().join("github_output");
    ledger(&dir)
        .args(["dev", "--config", "ferry.toml"])
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "dev (gitops/infra/k8s/overlays/dev) runs, since {}",
            &c[1][..12]
        )))
        .stdout(predicate::str::contains(
            "backend/backend: registry.example.com/acme/backend:1.3.3 -> registry.example.com/acme/backend:1.4.0",
        ))
        .stdout(predicate::str::contains("staging").not());
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.contains(&format!("commit={}\n", c[1])), "{written}");
    assert!(
        written.contains("images={\"backend/backend\":\"registry.example.com/acme/backend:1.4.0\""),
        "{written}"
    );

    ledger(&dir)
        .args(["--env", "qa"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no environment `qa`"))
        .stderr(predicate::str::contains("known: dev, staging, prod"));
    ledger(&dir)
        .args(["--base", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot find the base branch `nope`",
        ));
}

#[test]
fn mark_verified_writes_a_note_git_can_read() {
    let (_tmp, dir, c) = repo();
    let out = ledger(&dir)
        .args([
            "mark-verified",
            "--env",
            "dev",
            "--by",
            "Rel Eng <releng@example.com>",
            "--evidence",
            r#"{"ticket":"OPS-1"}"#,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["commit"], c[1]);
    assert_eq!(v["record"]["env"], "dev");
    assert_eq!(v["record"]["evidence"]["ticket"], "OPS-1");
    let note = git(&dir, &["notes", "--ref=ferry", "show", &c[1]], T0);
    let record: serde_json::Value = serde_json::from_str(note.trim()).unwrap();
    assert_eq!(record["version"], 1);
    assert_eq!(record["env"], "dev");
    assert_eq!(
        record["images"]["frontend/frontend"],
        "registry.example.com/acme/frontend:1.3.3"
    );
    let author = git(
        &dir,
        &["log", "-1", "--format=%an <%ae>", "refs/notes/ferry"],
        T0,
    );
    assert_eq!(author.trim(), "Rel Eng <releng@example.com>");

    // staging's current deployment is the first commit.
    ledger(&dir)
        .args([
            "mark-verified",
            "--env",
            "staging",
            "--by",
            "Rel Eng <releng@example.com>",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "staging verified at {}",
            &c[0][..12]
        )));
    ledger(&dir)
        .args(["mark-verified", "--env", "dev", "--by", "nobody"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not `Name <email>`"));
}

#[test]
fn limit_reads_only_the_newest_deployments() {
    let (_tmp, dir, c) = repo();
    let out = ledger(&dir)
        .args(["--env", "dev", "--limit", "1", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dev = &v["environments"][0];
    assert_eq!(dev["truncated"], true);
    assert_eq!(dev["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(dev["deployments"][0]["commit"], c[1]);
    // backend and its migrate init container.
    assert_eq!(
        dev["deployments"][0]["changes"].as_array().unwrap().len(),
        2
    );
    ledger(&dir)
        .args(["dev", "--limit", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "older deployments not read (--limit)",
        ));
}

#[test]
fn base_and_commit_accept_what_git_rev_parse_accepts() {
    let (_tmp, dir, c) = repo();
    for rev in [&c[0][..12], &c[0][..7], "HEAD~1", "main^"] {
        let v = ok_json(&dir, &["--base", rev, "--format", "json"]);
        assert_eq!(v["base"], c[0], "--base {rev}");
    }
    let v = ok_json(
        &dir,
        &[
            "mark-verified",
            "--env",
            "dev",
            "--commit",
            &c[0][..12],
            "--by",
            "Rel Eng <releng@example.com>",
            "--format",
            "json",
        ],
    );
    assert_eq!(v["commit"], c[0]);
    assert_eq!(v["pushed"], false);
}

/// Runs `ferry-ledger ARGS` in `dir`, asserts success, and returns its JSON output.
fn ok_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = ledger(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The blueprint on the plain-git forge: a bare origin and a clone of it.
fn git_forge_world() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
) {
    use ferry_test_support::git::{bare_origin, clone, copy_blueprint, init_commit, use_git_forge};
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    let main = init_commit(&seed, "blueprint", T0);
    let origin = tmp.path().join("origin.git");
    bare_origin(&seed, &origin, T0);
    let dir = clone(&origin, &tmp.path().join("clone"), T0);
    (tmp, origin, dir, main)
}

/// The environments of the records on `commit` in `repo` (`git notes --ref=ferry show`).
fn recorded_envs(repo: &Path, commit: &str) -> Vec<String> {
    let out = ferry_test_support::git::output_as(
        repo,
        &["notes", "--ref=ferry", "show", commit],
        ferry_test_support::git::ADA,
        T0,
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["env"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn mark_verified_pushes_with_the_plain_git_forge_unless_no_push() {
    let (_tmp, origin, dir, main) = git_forge_world();
    ledger(&dir)
        .args([
            "mark-verified",
            "--env",
            "prod",
            "--by",
            "Rel Eng <releng@example.com>",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "prod verified at {}",
            &main[..12]
        )))
        .stdout(predicate::str::contains(
            "recorded in refs/notes/ferry and pushed to",
        ));
    assert_eq!(recorded_envs(&origin, &main), ["prod"]);
    assert_eq!(recorded_envs(&dir, &main), ["prod"]);

    let v = ok_json(
        &dir,
        &[
            "mark-verified",
            "--env",
            "staging",
            "--no-push",
            "--by",
            "Rel Eng <releng@example.com>",
            "--format",
            "json",
        ],
    );
    assert_eq!(v["pushed"], false);
    assert!(v["note"].as_str().unwrap().contains("--no-push"), "{v}");
    assert_eq!(recorded_envs(&origin, &main), ["prod"], "not pushed");
    assert_eq!(recorded_envs(&dir, &main), ["prod", "staging"]);

    // A remote that cannot be reached is an external failure, and nothing is recorded.
    ledger(&dir)
        .args([
            "mark-verified",
            "--env",
            "dev",
            "--remote",
            "/nonexistent/origin.git",
            "--by",
            "Rel Eng <releng@example.com>",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--no-push"));
    assert_eq!(recorded_envs(&dir, &main), ["prod", "staging"]);
}
