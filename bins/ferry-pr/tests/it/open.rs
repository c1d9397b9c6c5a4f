//! `ferry-pr` with the plain-git forge on real repositories: a bare origin seeded from
//! `fixtures/blueprint`, and one clone per run.

use std::process::Command;

use crate::common::{
    DEV, SEED_TIME, clone, dev_backend_tag, ferry_pr, hold, origin, parse, refs, run, version,
};
use ferry_test_support::git::git;

#[test]
fn twenty_concurrent_auto_merged_runs_end_with_the_newest_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let runs = 20;
    let (_, outputs) = crate::common::concurrent_opens(tmp.path(), &origin, runs, "--auto-merge");

    let mut merged = Vec::new();
    for (i, out) in outputs.iter().enumerate() {
        let (code, json, stderr) = parse(out);
        match code {
            0 => {
                assert_eq!(json["env"], "dev", "run {i}: {json}");
                if json["merged"] == true {
                    merged.push((i, json["commit"].as_str().unwrap().to_owned()));
                }
            }
            1 => {
                assert_eq!(json["error"]["kind"], "downgrade", "run {i}: {json}");
                assert!(
                    stderr.contains("refusing to downgrade"),
                    "run {i}: {stderr}"
                );
            }
            other => panic!("run {i} exited {other}: {json}\n{stderr}"),
        }
    }
    assert!(
        merged.iter().any(|(i, _)| *i == runs - 1),
        "the newest run merged: {merged:?}"
    );
    // The base ends with the newest tag.
    assert_eq!(
        dev_backend_tag(&origin, "main"),
        format!("2.0.{}", runs - 1)
    );
    // No lost update: every merge reported is in main's history.
    for (i, commit) in &merged {
        let status = Command::new("git")
            .current_dir(&origin)
            .args(["merge-base", "--is-ancestor", commit, "main"])
            .status()
            .unwrap();
        assert!(status.success(), "run {i}'s merge {commit} is not in main");
    }
    // The tag never went down along main's first-parent history.
    let history = git(
        &origin,
        &[
            "log",
            "--first-parent",
            "--reverse",
            "--format=%H",
            "main",
            "--",
            DEV,
        ],
        SEED_TIME,
    );
    let tags: Vec<String> = history
        .lines()
        .map(|c| dev_backend_tag(&origin, c))
        .collect();
    for pair in tags.windows(2) {
        assert!(
            version(&pair[0]) < version(&pair[1]),
            "main went {} → {}: {tags:?}",
            pair[0],
            pair[1]
        );
    }
    assert!(
        refs(&origin, "refs/ferry/changes/").len() <= 1,
        "{:?}",
        refs(&origin, "refs/ferry/changes/")
    );
    assert_eq!(refs(&origin, "refs/heads/deploy/"), Vec::<String>::new());
}

#[test]
fn a_rerun_reuses_the_change_and_a_new_image_supersedes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let args = [
        "open",
        "--env",
        "dev",
        "--image",
        "backend=2.1.0",
        "--no-auto-merge",
        "--format",
        "json",
    ];
    let (code, first, stderr) = run(&dir, &args);
    assert_eq!(code, 0, "{first}\n{stderr}");
    assert_eq!(first["created"], true);
    assert_eq!(first["merged"], false);
    assert_eq!(first["auto_merge"], false);
    let branch = first["branch"].as_str().unwrap().to_owned();
    assert!(branch.starts_with("deploy/dev-"), "{branch}");
    assert_eq!(
        first["changes"][0]["to"],
        "registry.example.com/acme/backend:2.1.0"
    );
    assert_eq!(
        refs(&origin, "refs/heads/deploy/"),
        [format!("refs/heads/{branch}")]
    );
    let main_before = git(&origin, &["rev-parse", "main"], SEED_TIME);

    // The same step again: same change, no new commit.
    let (code, again, stderr) = run(&dir, &args);
    assert_eq!(code, 0, "{again}\n{stderr}");
    assert_eq!(again["created"], false);
    assert_eq!(again["updated"], false);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["branch"], first["branch"]);
    assert_eq!(again["commit"], first["commit"]);
    assert_eq!(refs(&origin, "refs/ferry/changes/").len(), 1);

    // A newer image: a new change that supersedes the first.
    let (code, newer, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.1.1",
            "--no-auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{newer}\n{stderr}");
    assert_eq!(newer["created"], true);
    assert_eq!(newer["superseded"], serde_json::json!([first["id"]]));
    assert_eq!(refs(&origin, "refs/ferry/changes/").len(), 1);
    assert_eq!(
        refs(&origin, "refs/heads/deploy/"),
        [format!("refs/heads/{}", newer["branch"].as_str().unwrap())]
    );
    assert_eq!(
        git(&origin, &["rev-parse", "main"], SEED_TIME),
        main_before,
        "nothing merged"
    );
}

#[test]
fn a_dry_run_plans_on_the_synced_base_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let main_before = git(&origin, &["rev-parse", "main"], SEED_TIME);
    let (code, plan, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.1.0",
            "--auto-merge",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{plan}\n{stderr}");
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["up_to_date"], false);
    assert_eq!(plan["auto_merge"], true);
    assert_eq!(plan["base"], main_before.trim());
    assert!(
        plan["branch"].as_str().unwrap().starts_with("deploy/dev-"),
        "{plan}"
    );
    assert_eq!(plan["files"], serde_json::json!([DEV]));
    assert_eq!(
        plan["changes"][0]["to"],
        "registry.example.com/acme/backend:2.1.0"
    );
    // Nothing on the forge: no branch, no record, the base where it was.
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
    assert!(refs(&origin, "refs/ferry/changes/").is_empty());
    assert_eq!(git(&origin, &["rev-parse", "main"], SEED_TIME), main_before);

    // A refusal is still a refusal.
    let (code, refused, _) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=0.0.1",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{refused}");
    assert_eq!(refused["error"]["kind"], "downgrade", "{refused}");
}

#[test]
fn a_downgrade_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let main_before = git(&origin, &["rev-parse", "main"], SEED_TIME);
    let (code, json, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=1.2.0",
            "--auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "downgrade");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "registry.example.com/acme/backend:1.3.3 → registry.example.com/acme/backend:1.2.0"
        ),
        "{message}"
    );
    assert!(message.contains("--allow-downgrade"), "{message}");
    assert_eq!(git(&origin, &["rev-parse", "main"], SEED_TIME), main_before);
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
    assert!(refs(&origin, "refs/ferry/changes/").is_empty());

    let (code, json, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=1.2.0",
            "--auto-merge",
            "--allow-downgrade",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["merged"], true);
    assert!(
        !json["allowed_downgrades"].as_array().unwrap().is_empty(),
        "{json}"
    );
    assert_eq!(dev_backend_tag(&origin, "main"), "1.2.0");
}

#[test]
fn a_held_image_is_refused_and_others_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    hold(
        &origin,
        "dev",
        r#"[{"env":"dev","images":{"backend/backend":"registry.example.com/acme/backend:2.2.0"},"reason":"rolled back: crash loop","created_at":"2026-01-02T00:00:00Z"}]"#,
    );
    let dir = clone(&origin, &tmp.path().join("clone"));
    let (code, json, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.2.0",
            "--auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "held");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("rolled back: crash loop"), "{message}");
    assert!(
        message.contains("registry.example.com/acme/backend:2.2.0"),
        "{message}"
    );
    assert!(
        message.contains(
            "lift it with `ferry rollback release --env dev --image registry.example.com/acme/backend:2.2.0`"
        ),
        "the refusal names the command that lifts the hold: {message}"
    );
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");

    let (code, json, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.2.1",
            "--auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(dev_backend_tag(&origin, "main"), "2.2.1");
}

#[test]
fn bad_image_arguments_are_usage_errors_that_name_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    for (image, needle) in [
        ("backend", "expected NAME=REF"),
        ("backnd=2.0.0", "known: backend, frontend"),
        ("backend=2.0 0", "not a tag"),
        (
            "registry.example.com/acme/worker=1.0.0",
            "no workload of dev runs registry.example.com/acme/worker",
        ),
    ] {
        let out = ferry_pr(&dir, &["open", "--env", "dev", "--image", image])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{image}: {stderr}");
        assert!(stderr.contains(needle), "{image}: {stderr}");
    }
    let out = ferry_pr(&dir, &["open", "--env", "qa", "--image", "backend=2.0.0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no environment `qa`"), "{stderr}");
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
}

#[test]
fn an_image_typo_never_switches_repositories() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let main_before = git(&origin, &["rev-parse", "main"], SEED_TIME);
    for image in [
        "backend=1.4.0:bad",
        "backend=ghcr.io/acme/backend:2.0.0",
        "backend=registry.example.com/acme/backnd:2.0.0",
    ] {
        let (code, json, stderr) = run(
            &dir,
            &[
                "open",
                "--env",
                "dev",
                "--image",
                image,
                "--auto-merge",
                "--format",
                "json",
            ],
        );
        assert_eq!(code, 2, "{image}: {json}\n{stderr}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("registry.example.com/acme/backend")
                && message.contains("--allow-repository-change"),
            "{image}: {message}"
        );
    }
    assert_eq!(git(&origin, &["rev-parse", "main"], SEED_TIME), main_before);
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());

    // The configured repository written out in full is no change of repository; asked for
    // explicitly, the repository changes.
    for (image, extra) in [
        ("backend=registry.example.com/acme/backend:2.0.0", None),
        (
            "backend=ghcr.io/acme/backend:2.0.1",
            Some("--allow-repository-change"),
        ),
    ] {
        let mut args = vec![
            "open",
            "--env",
            "dev",
            "--image",
            image,
            "--auto-merge",
            "--format",
            "json",
        ];
        args.extend(extra);
        let (code, json, stderr) = run(&dir, &args);
        assert_eq!(code, 0, "{image}: {json}\n{stderr}");
        if extra.is_none() {
            assert_eq!(dev_backend_tag(&origin, "main"), "2.0.0");
            let overlay = git(&origin, &["show", &format!("main:{DEV}")], SEED_TIME);
            assert!(!overlay.contains("newName"), "{overlay}");
        }
    }
    let overlay = git(&origin, &["show", &format!("main:{DEV}")], SEED_TIME);
    assert!(
        overlay.contains("newName: ghcr.io/acme/backend"),
        "{overlay}"
    );
}

#[test]
fn wait_times_out_then_sees_a_merge_by_hand_and_cleanup_removes_what_is_left() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let (code, opened, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "frontend=1.4.0",
            "--no-auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{opened}\n{stderr}");
    let id = opened["id"].as_str().unwrap();
    let branch = opened["branch"].as_str().unwrap();

    let (code, waited, stderr) = run(&dir, &["wait", id, "--timeout", "1s", "--format", "json"]);
    assert_eq!(code, 3, "{waited}\n{stderr}");
    assert_eq!(waited["outcome"]["state"], "timed-out");
    let (code, cleaned, stderr) = run(&dir, &["cleanup", "--format", "json"]);
    assert_eq!(code, 0, "{cleaned}\n{stderr}");
    assert_eq!(
        cleaned["deleted_branches"],
        serde_json::json!([]),
        "the open change is kept"
    );
    assert_eq!(refs(&origin, "refs/ferry/changes/").len(), 1);

    // Someone merges the branch by hand.
    let other = clone(&origin, &tmp.path().join("reviewer"));
    git(&other, &["fetch", "-q", "origin", branch], SEED_TIME);
    git(
        &other,
        &["merge", "-q", "--no-ff", "-m", "merge", "FETCH_HEAD"],
        SEED_TIME + 60,
    );
    git(&other, &["push", "-q", "origin", "main"], SEED_TIME + 60);

    let (code, waited, stderr) = run(&dir, &["wait", id, "--timeout", "30s", "--format", "json"]);
    assert_eq!(code, 0, "{waited}\n{stderr}");
    assert_eq!(waited["outcome"]["state"], "merged");
    let (code, cleaned, stderr) = run(&dir, &["cleanup", "--format", "json"]);
    assert_eq!(code, 0, "{cleaned}\n{stderr}");
    assert!(refs(&origin, "refs/heads/deploy/").is_empty(), "{cleaned}");
    assert!(refs(&origin, "refs/ferry/changes/").is_empty(), "{cleaned}");
}

#[test]
fn github_mode_needs_credentials_and_never_prints_the_token() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let args = [
        "open",
        "--forge",
        "github",
        "--env",
        "dev",
        "--image",
        "backend=2.0.0",
    ];
    let out = ferry_pr(&dir, &args)
        .env_remove("FERRY_GITHUB_TOKEN")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY")
        .env_remove("FERRY_GITHUB_APP_PRIVATE_KEY_PATH")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN"), "{stderr}");

    let api = ferry_test_support::http::serve(
        "401 Unauthorized",
        r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#,
    );
    let token = "ghp_secretTokenValue0123456789";
    let out = ferry_pr(&dir, &args)
        .args(["--format", "json"])
        .env("GITHUB_TOKEN", token)
        .env("GITHUB_API_URL", format!("http://{api}"))
        .env("GITHUB_GRAPHQL_URL", format!("http://{api}/graphql"))
        .env("FERRY_LOG", "trace")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("\"exit_code\":3"), "{stdout}");
    assert!(
        !stdout.contains(token) && !stderr.contains(token),
        "{stdout}\n{stderr}"
    );
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
}

/// `ferry-pr open` builds the ledger once per commit it reads: once for the synced base
/// (which it plans on twice, the preview and the change), once for each open change's head.
#[test]
fn open_builds_the_ledger_once_per_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let builds = |image: &str| {
        let out = ferry_pr(
            &dir,
            &[
                "open",
                "--env",
                "dev",
                "--image",
                image,
                "--no-auto-merge",
                "--format",
                "json",
            ],
        )
        .env("FERRY_LOG", "debug")
        .output()
        .unwrap();
        let (code, json, stderr) = parse(&out);
        assert_eq!(code, 0, "{json}\n{stderr}");
        stderr
            .lines()
            .filter(|l| l.contains("ledger built"))
            .count()
    };
    assert_eq!(builds("backend=2.1.0"), 1, "the base only");
    // The first change is open now: its head is read too, once.
    assert_eq!(builds("backend=2.1.1"), 2, "the base and one open change");
}
