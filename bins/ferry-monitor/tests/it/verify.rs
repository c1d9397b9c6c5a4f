//! `ferry-monitor watch --verify`: a real GitOps repository holding the blueprint, an HTTP probe
//! against a real local server, and the verification note read back with git.

use std::path::{Path, PathBuf};

use assert_cmd::Command as Bin;
use ferry_test_support::git::copy_dir;
use ferry_test_support::http::serve;
use predicates::prelude::*;
use serde_json::Value;

const T0: i64 = 1_767_225_600;

/// Runs git in `dir` as Ada one minute after `T0`, with no global or system configuration.
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    ferry_test_support::git::output_as(dir, args, ferry_test_support::git::ADA, T0 + 60)
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The blueprint in `<tmp>/gitops`: c0 blueprint; c1 dev backend 1.4.0; c2 README only (so dev
/// still runs what c1 deployed). Returns (tempdir, repository, [c0, c1, c2]).
fn repo() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gitops");
    copy_dir(&ferry_test_support::fixtures_dir().join("blueprint"), &dir);
    git_ok(&dir, &["init", "-q", "-b", "main"]);
    git_ok(&dir, &["add", "-A"]);
    git_ok(&dir, &["commit", "-q", "-m", "blueprint"]);
    let c0 = git_ok(&dir, &["rev-parse", "HEAD"]);
    let rel = dir.join("infra/k8s/overlays/dev/kustomization.yaml");
    let text = std::fs::read_to_string(&rel).unwrap();
    let edited = text.replacen("newTag: 1.3.3 # bumped", "newTag: 1.4.0 # bumped", 1);
    assert_ne!(text, edited);
    std::fs::write(&rel, edited).unwrap();
    git_ok(&dir, &["commit", "-q", "-am", "dev: backend 1.4.0"]);
    let c1 = git_ok(&dir, &["rev-parse", "HEAD"]);
    std::fs::write(dir.join("README.md"), "# acme shop deploy\n").unwrap();
    git_ok(&dir, &["add", "-A"]);
    git_ok(&dir, &["commit", "-q", "-m", "docs: readme"]);
    let c2 = git_ok(&dir, &["rev-parse", "HEAD"]);
    (tmp, dir, vec![c0, c1, c2])
}

/// `ferry-monitor` in `dir`, with no git configuration but the repository's own.
fn monitor(dir: &Path) -> Bin {
    let mut cmd = Bin::cargo_bin("ferry-monitor").unwrap();
    cmd.current_dir(dir)
        .env_remove("GITHUB_OUTPUT")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL");
    cmd
}

const FAST: [&str; 6] = ["--warmup", "0s", "--interval", "10ms", "--checks", "2"];

fn note(dir: &Path, commit: &str) -> Option<Value> {
    let out = git(dir, &["notes", "--ref=ferry", "show", commit]);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn healthy_verdict_writes_the_record_of_what_env_runs() {
    let (tmp, dir, c) = repo();
    git_ok(&dir, &["config", "user.name", "Deploy Bot"]);
    git_ok(&dir, &["config", "user.email", "deploy@example.com"]);
    let addr = serve("200 OK", "{}");
    let url = format!("http://{addr}/healthz");
    let output = tmp.path().join("github_output");
    let out = monitor(&dir)
        .args(["watch", "--http", &url, "--verify", "dev", "--no-push"])
        .args(FAST)
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("verdict healthy"), "{text}");
    assert!(
        text.contains(&format!("verified dev at {} (", &c[1][..12])),
        "{text}"
    );
    assert!(
        text.contains("backend/backend    registry.example.com/acme/backend:1.4.0"),
        "{text}"
    );
    assert!(
        text.contains(
            "recorded in refs/notes/ferry; push it with `git push origin refs/notes/ferry`"
        ),
        "{text}"
    );

    // dev's current deployment is c1; c2 changed nothing of dev.
    assert!(note(&dir, &c[2]).is_none());
    let record = note(&dir, &c[1]).expect("a note on c1");
    assert_eq!(record["version"], 1);
    assert_eq!(record["env"], "dev");
    assert_eq!(
        record["images"]["backend/backend"],
        "registry.example.com/acme/backend:1.4.0"
    );
    let evidence = &record["evidence"];
    assert_eq!(evidence["by"], "ferry-monitor");
    assert_eq!(evidence["verdict"], "healthy");
    assert_eq!(evidence["checks"], 2);
    assert_eq!(evidence["passed"], 2);
    let probes = evidence["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 1);
    assert!(probes[0].as_str().unwrap().contains(&url), "{probes:?}");
    for key in ["started_at", "finished_at"] {
        let t: jiff::Timestamp = evidence[key].as_str().unwrap().parse().unwrap();
        assert!(t > jiff::Timestamp::from_second(T0).unwrap(), "{key}");
    }
    assert!(evidence["duration_ms"].is_u64());
    let author = git_ok(
        &dir,
        &["log", "-1", "--format=%an <%ae>", "refs/notes/ferry"],
    );
    assert_eq!(author, "Deploy Bot <deploy@example.com>");

    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.contains("verdict=healthy\n"), "{written}");
    assert!(written.contains("verified=true\n"), "{written}");
}

#[test]
fn unhealthy_verdict_writes_nothing_and_says_so() {
    let (tmp, dir, c) = repo();
    let addr = serve("503 Service Unavailable", "{}");
    let output = tmp.path().join("github_output");
    monitor(&dir)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/healthz"),
            "--failures",
            "2",
            "--verify",
            "dev",
            "--no-push",
        ])
        .args(FAST)
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("verdict unhealthy"))
        .stdout(predicate::str::contains(
            "not verified: the verdict is unhealthy; no verification record written for dev",
        ));
    for commit in &c {
        assert!(note(&dir, commit).is_none());
    }
    assert!(
        !git(&dir, &["rev-parse", "--verify", "-q", "refs/notes/ferry"])
            .status
            .success()
    );
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.contains("verdict=unhealthy\n"), "{written}");
    assert!(written.contains("verified=false\n"), "{written}");
}

#[test]
fn json_with_commit_config_and_repo_from_elsewhere() {
    let (tmp, dir, c) = repo();
    let addr = serve("200 OK", "{}");
    // Run from an unrelated directory: the config and the repository are named.
    let elsewhere = tmp.path().join("app");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (slack, heads) = ferry_test_support::http::serve_recording("200 OK", "ok");
    let out = monitor(&elsewhere)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/"),
            "--verify",
            "staging",
            "--commit",
            &c[2],
            "--config",
            dir.join("ferry.toml").to_str().unwrap(),
            "--repo",
            dir.to_str().unwrap(),
            "--no-push",
            "--slack-webhook",
            &format!("http://{slack}/services/T/B/X"),
            "--format",
            "json",
        ])
        .args(FAST)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let events: Vec<Value> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<_> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["started", "check", "check", "verdict", "verification"]
    );
    let v = events.last().unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["env"], "staging");
    assert_eq!(v["commit"], c[2].as_str());
    assert_eq!(v["notes_ref"], "refs/notes/ferry");
    assert_eq!(v["pushed"], false);
    assert_eq!(v["push"], "git push origin refs/notes/ferry");
    assert_eq!(
        v["record"]["images"]["backend/backend"],
        "registry.example.com/acme/backend:1.3.2"
    );
    assert_eq!(v["notifications"][0]["channel"], "slack", "{v}");
    assert_eq!(v["notifications"][0]["result"], "sent", "{v}");
    assert!(
        v["notifications"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("staging: verified healthy: "),
        "{v}"
    );
    assert_eq!(*heads.lock().unwrap(), ["POST /services/T/B/X HTTP/1.1"]);
    let record = note(&dir, &c[2]).expect("a note on the given commit");
    assert_eq!(record, v["record"]);
    // No identity is configured: the fallback one made the notes commit.
    let author = git_ok(
        &dir,
        &["log", "-1", "--format=%an <%ae>", "refs/notes/ferry"],
    );
    assert_eq!(author, "ferry-monitor <ferry-monitor@localhost>");
}

#[test]
fn verify_mistakes_exit_2_before_watching() {
    let (_tmp, dir, c) = repo();
    let addr = serve("200 OK", "{}");
    let url = format!("http://{addr}/healthz");
    let run = |extra: &[&str]| {
        let mut cmd = monitor(&dir);
        cmd.args(["watch", "--http", &url]).args(FAST).args(extra);
        cmd.assert()
    };
    run(&["--verify", "qa"])
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no environment `qa`"))
        .stderr(predicate::str::contains("known: dev, staging, prod"));
    run(&["--verify", "dev", "--no-push", "--commit", "nope"])
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--commit"))
        .stderr(predicate::str::contains("nope"));
    // A commit off the base branch.
    git_ok(&dir, &["checkout", "-q", "-b", "side", &c[0]]);
    std::fs::write(dir.join("side.txt"), "side\n").unwrap();
    git_ok(&dir, &["add", "-A"]);
    git_ok(&dir, &["commit", "-q", "-m", "side"]);
    let side = git_ok(&dir, &["rev-parse", "HEAD"]);
    git_ok(&dir, &["checkout", "-q", "main"]);
    run(&["--verify", "dev", "--no-push", "--commit", &side])
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "is not on the first-parent history of the base branch",
        ));
    run(&["--commit", &c[1]])
        .code(2)
        .stderr(predicate::str::contains("--verify"));
    run(&["--verify", "dev", "--config", "/nonexistent/ferry.toml"])
        .code(2)
        .stdout(predicate::str::is_empty());
    assert!(
        !git(&dir, &["rev-parse", "--verify", "-q", "refs/notes/ferry"])
            .status
            .success()
    );
}

/// The blueprint repository switched to the plain-git forge (c3), pushed to a bare origin, and
/// a clone of it. Returns (tempdir, origin, clone, [c0, c1, c2, c3]).
fn with_origin() -> (tempfile::TempDir, PathBuf, PathBuf, Vec<String>) {
    let (tmp, dir, mut c) = repo();
    let toml = std::fs::read_to_string(dir.join("ferry.toml")).unwrap();
    std::fs::write(
        dir.join("ferry.toml"),
        toml.replace("kind = \"github\"", "kind = \"git\""),
    )
    .unwrap();
    git_ok(&dir, &["commit", "-q", "-am", "forge: plain git"]);
    c.push(git_ok(&dir, &["rev-parse", "HEAD"]));
    let origin = tmp.path().join("origin.git");
    git_ok(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.to_str().unwrap(),
            origin.to_str().unwrap(),
        ],
    );
    let clone = tmp.path().join("clone");
    git_ok(
        tmp.path(),
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    (tmp, origin, clone, c)
}

#[test]
fn through_the_plain_git_forge_the_record_reaches_the_remote() {
    let (_tmp, origin, clone, c) = with_origin();
    let addr = serve("200 OK", "{}");
    let out = monitor(&clone)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/healthz"),
            "--verify",
            "dev",
        ])
        .args(FAST)
        .args(["--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let events: Vec<Value> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The verdict line says when the watch started and which commit it watched.
    let verdict = &events[events.len() - 2];
    assert_eq!(verdict["event"], "verdict");
    assert_eq!(verdict["commit"], c[1].as_str());
    let started: jiff::Timestamp = verdict["started_at"].as_str().unwrap().parse().unwrap();
    assert!(started > jiff::Timestamp::from_second(T0).unwrap());
    let v = events.last().unwrap();
    assert_eq!(v["event"], "verification");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["pushed"], true, "{v}");
    assert_eq!(v["commit"], c[1].as_str());
    // dev's deployment is c1 (c2 and c3 change nothing dev renders); the note is on the
    // remote, the same record.
    let remote = git(&origin, &["notes", "--ref=ferry", "show", &c[1]]);
    assert!(
        remote.status.success(),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let record: Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(record, v["record"]);
    assert_eq!(
        record["images"]["backend/backend"],
        "registry.example.com/acme/backend:1.4.0"
    );
    // A second verification of the same commit appends a record (records are append-only;
    // the newest counts), on the remote too. Records are merged as a union of lines, so two
    // byte-identical records (same second, same duration) are one: wait for the next second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    monitor(&clone)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/healthz"),
            "--verify",
            "dev",
        ])
        .args(FAST)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "recorded in refs/notes/ferry and pushed to",
        ));
    let remote = git(&origin, &["notes", "--ref=ferry", "show", &c[1]]);
    let lines: Vec<Value> = String::from_utf8_lossy(&remote.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], record, "the first record stays");
    assert!(lines.iter().all(|l| l["env"] == "dev"), "{lines:?}");
}

#[test]
fn without_a_usable_forge_verify_exits_2_before_watching() {
    // The blueprint's forge is GitHub; there are no credentials.
    let (_tmp, dir, _c) = repo();
    let addr = serve("200 OK", "{}");
    monitor(&dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("FERRY_GITHUB_TOKEN")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY_PATH")
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/"),
            "--verify",
            "dev",
        ])
        .args(FAST)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--no-push"))
        .stderr(predicate::str::contains("credentials"));
    // Plain git without a remote: nowhere to push.
    let toml = std::fs::read_to_string(dir.join("ferry.toml")).unwrap();
    std::fs::write(
        dir.join("ferry.toml"),
        toml.replace("kind = \"github\"", "kind = \"git\""),
    )
    .unwrap();
    monitor(&dir)
        .args([
            "watch",
            "--http",
            &format!("http://{addr}/"),
            "--verify",
            "dev",
        ])
        .args(FAST)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--no-push"));
    assert!(
        !git(&dir, &["rev-parse", "--verify", "-q", "refs/notes/ferry"])
            .status
            .success()
    );
}
