//! `ferry-pr` with the plain-git forge: one open change per environment under concurrent runs,
//! the downgrade guard against open changes, merged-at-once reports, and reviewing by command
//! (list, show, merge, close) on a real bare origin.

use std::path::Path;

use crate::common::{SEED_TIME, clone, dev_backend_tag, ferry_pr, origin, parse, refs, run};
use ferry_test_support::git::git;
use serde_json::Value;

fn open_args<'a>(image: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["open", "--env", "dev", "--image", image, "--format", "json"];
    args.extend_from_slice(extra);
    args
}

fn open_for_review(dir: &Path, image: &str) -> Value {
    let (code, json, stderr) = run(dir, &open_args(image, &["--no-auto-merge"]));
    assert_eq!(code, 0, "{json}\n{stderr}");
    json
}

/// `ferry-pr ARGS` in text format: exit code and stdout.
fn text(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = ferry_pr(dir, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn concurrent_runs_left_for_review_leave_one_open_change() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let runs = 8;
    let (clones, outputs) =
        crate::common::concurrent_opens(tmp.path(), &origin, runs, "--no-auto-merge");
    for (i, out) in outputs.iter().enumerate() {
        let (code, json, stderr) = parse(out);
        assert!(
            code == 0 || (code == 1 && json["error"]["kind"] == "downgrade"),
            "run {i}: {json}\n{stderr}"
        );
    }
    let records = refs(&origin, "refs/ferry/changes/");
    let branches = refs(&origin, "refs/heads/deploy/");
    assert_eq!(records.len(), 1, "one open change: {records:?}");
    assert_eq!(branches.len(), 1, "one deploy branch: {branches:?}");
    assert_eq!(
        records[0].strip_prefix("refs/ferry/changes/"),
        branches[0].strip_prefix("refs/heads/deploy/")
    );
    // Nothing was merged, and the change left open is the newest version asked for.
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");
    let (code, listed, stderr) = run(&clones[0], &["list", "--env", "dev", "--format", "json"]);
    assert_eq!(code, 0, "{listed}\n{stderr}");
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        listed["changes"][0]["title"],
        format!("dev: backend 2.0.{}", runs - 1)
    );
}

/// Copies the origin's refs of change `id` from `from` (`ferry`: where Ferry keeps them) to
/// `to` (`saved`: out of its way, to put them back later as a leftover of an older Ferry).
fn copy_change(origin: &Path, id: &str, from: &str, to: &str) {
    let place = |root: &str, kind: &str| match (root, kind) {
        ("ferry", "record") => format!("refs/ferry/changes/{id}"),
        ("ferry", _) => format!("refs/heads/deploy/{id}"),
        (_, "record") => format!("refs/saved/changes/{id}"),
        (_, _) => format!("refs/saved/heads/{id}"),
    };
    for kind in ["record", "branch"] {
        git(
            origin,
            &["update-ref", &place(to, kind), &place(from, kind)],
            SEED_TIME,
        );
    }
}

#[test]
fn cleanup_closes_the_older_open_changes_of_an_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let first = open_for_review(&dir, "backend=2.1.0");
    let old = first["id"].as_str().unwrap().to_owned();
    copy_change(&origin, &old, "ferry", "saved");
    let second = open_for_review(&dir, "backend=2.1.1");
    assert_eq!(second["superseded"], serde_json::json!([old]));
    // Two open changes of dev, as runs of an older Ferry left them.
    copy_change(&origin, &old, "saved", "ferry");
    assert_eq!(refs(&origin, "refs/ferry/changes/").len(), 2);

    let (code, cleaned, stderr) = run(&dir, &["cleanup", "--format", "json"]);
    assert_eq!(code, 0, "{cleaned}\n{stderr}");
    assert_eq!(cleaned["superseded"], serde_json::json!([old]), "{cleaned}");
    assert_eq!(
        refs(&origin, "refs/ferry/changes/"),
        [format!(
            "refs/ferry/changes/{}",
            second["id"].as_str().unwrap()
        )]
    );
    assert_eq!(
        refs(&origin, "refs/heads/deploy/"),
        [format!("refs/heads/{}", second["branch"].as_str().unwrap())]
    );
}

#[test]
fn an_older_version_never_replaces_a_newer_open_change() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let newer = open_for_review(&dir, "backend=3.0.29");
    let (code, json, stderr) = run(&dir, &open_args("backend=3.0.5", &["--no-auto-merge"]));
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "downgrade", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("3.0.29"), "{message}");
    assert!(message.contains(newer["id"].as_str().unwrap()), "{message}");
    assert_eq!(
        refs(&origin, "refs/ferry/changes/"),
        [format!(
            "refs/ferry/changes/{}",
            newer["id"].as_str().unwrap()
        )],
        "the newer change stays open"
    );
    // Merged at once, an older version would supersede it just the same.
    let (code, json, stderr) = run(&dir, &open_args("backend=3.0.5", &["--auto-merge"]));
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");
    // Asked for, the downgrade goes through and supersedes it.
    let (code, json, stderr) = run(
        &dir,
        &open_args("backend=3.0.5", &["--no-auto-merge", "--allow-downgrade"]),
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["superseded"], serde_json::json!([newer["id"]]));
    // A newer version supersedes as before.
    let (code, json, stderr) = run(&dir, &open_args("backend=3.0.30", &["--no-auto-merge"]));
    assert_eq!(code, 0, "{json}\n{stderr}");
}

#[test]
fn a_change_merged_at_once_is_reported_merged_without_a_branch_link() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let (code, json, stderr) = run(&dir, &open_args("backend=2.3.0", &["--auto-merge"]));
    assert_eq!(code, 0, "{json}\n{stderr}");
    let main = git(&origin, &["rev-parse", "main"], SEED_TIME);
    assert_eq!(json["merged"], true);
    assert_eq!(json["url"], Value::Null, "no branch was pushed: {json}");
    assert_eq!(json["merge_commit"], main.trim());

    let (code, stdout, stderr) = text(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.3.1",
            "--auto-merge",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let main = git(&origin, &["rev-parse", "main"], SEED_TIME);
    assert!(!stdout.contains("opened"), "{stdout}");
    assert!(!stdout.contains("deploy/dev-"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "merged the change for dev into the base branch as {}",
            &main[..12]
        )),
        "{stdout}"
    );
}

#[test]
fn a_person_lists_shows_and_merges_a_change_left_for_review() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let (code, stdout, stderr) = text(
        &dir,
        &[
            "open",
            "--env",
            "dev",
            "--image",
            "backend=2.4.0",
            "--no-auto-merge",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let records = refs(&origin, "refs/ferry/changes/");
    let id = records[0]
        .strip_prefix("refs/ferry/changes/")
        .unwrap()
        .to_owned();
    assert!(
        stdout.contains(&format!(
            "open for review: approve with `ferry pr merge {id}`"
        )),
        "{stdout}"
    );

    let (code, listed, stderr) = run(&dir, &["list", "--format", "json"]);
    assert_eq!(code, 0, "{listed}\n{stderr}");
    let change = &listed["changes"][0];
    assert_eq!(change["id"], id.as_str());
    assert_eq!(change["env"], "dev");
    assert_eq!(change["state"], "open");
    let head = change["head"].as_str().unwrap().to_owned();
    let (code, stdout, _) = text(&dir, &["list", "--env", "staging"]);
    assert_eq!((code, stdout.trim()), (0, "no open change for staging"));

    let (code, shown, stderr) = run(&dir, &["show", &id, "--format", "json"]);
    assert_eq!(code, 0, "{shown}\n{stderr}");
    assert_eq!(shown["head"], head.as_str());
    assert_eq!(shown["title"], "dev: backend 2.4.0");

    // Approving another head than the change's is refused.
    let (code, json, stderr) = run(
        &dir,
        &["merge", &id, "--head", "0123456789ab", "--format", "json"],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "head-moved");
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");

    // Another environment's change moves the base meanwhile: the dev files did not change,
    // so the approval still lands.
    let (code, json, stderr) = run(
        &dir,
        &[
            "open",
            "--env",
            "staging",
            "--image",
            "frontend=1.9.0",
            "--auto-merge",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    let (code, merged, stderr) = run(
        &dir,
        &["merge", &id, "--head", &head[..12], "--format", "json"],
    );
    assert_eq!(code, 0, "{merged}\n{stderr}");
    assert_eq!(merged["state"], "merged");
    let main = git(&origin, &["rev-parse", "main"], SEED_TIME);
    assert_eq!(merged["merge_commit"], main.trim());
    assert_eq!(dev_backend_tag(&origin, "main"), "2.4.0");
    assert!(refs(&origin, "refs/ferry/changes/").is_empty());
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
    // Merged already: a second approval is refused.
    let (code, json, _) = run(&dir, &["merge", &id, "--format", "json"]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["error"]["kind"], "unknown-change");
}

#[test]
fn a_stale_change_is_not_merged_and_a_closed_one_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let opened = open_for_review(&dir, "backend=2.5.0");
    let id = opened["id"].as_str().unwrap().to_owned();
    // Someone edits dev's kustomization on main by hand.
    let other = clone(&origin, &tmp.path().join("other"));
    let file = other.join(crate::common::DEV);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# edited by hand\n{text}")).unwrap();
    git(&other, &["commit", "-qam", "edit dev"], SEED_TIME + 60);
    git(&other, &["push", "-q", "origin", "main"], SEED_TIME + 60);

    let (code, json, stderr) = run(&dir, &["merge", &id, "--format", "json"]);
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "stale", "{json}");
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");

    let (code, closed, stderr) = run(&dir, &["close", &id, "--format", "json"]);
    assert_eq!(code, 0, "{closed}\n{stderr}");
    assert_eq!(closed["state"], "closed");
    assert!(refs(&origin, "refs/ferry/changes/").is_empty());
    assert!(refs(&origin, "refs/heads/deploy/").is_empty());
}

#[test]
fn a_change_whose_branch_was_deleted_by_hand_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let opened = open_for_review(&dir, "backend=2.6.0");
    let id = opened["id"].as_str().unwrap();
    let branch = opened["branch"].as_str().unwrap();
    git(
        &origin,
        &["update-ref", "-d", &format!("refs/heads/{branch}")],
        SEED_TIME,
    );
    let (code, waited, stderr) = run(&dir, &["wait", id, "--timeout", "20s", "--format", "json"]);
    assert_eq!(code, 1, "{waited}\n{stderr}");
    assert_eq!(waited["outcome"]["state"], "closed");
    let (code, listed, stderr) = run(&dir, &["list", "--format", "json"]);
    assert_eq!(code, 0, "{listed}\n{stderr}");
    assert_eq!(listed["changes"][0]["state"], "closed", "{listed}");
    assert!(
        listed["changes"][0]["note"]
            .as_str()
            .unwrap()
            .contains("deleted"),
        "{listed}"
    );
    let (code, cleaned, stderr) = run(&dir, &["cleanup", "--format", "json"]);
    assert_eq!(code, 0, "{cleaned}\n{stderr}");
    assert!(refs(&origin, "refs/ferry/changes/").is_empty());
}

#[test]
fn an_image_held_after_the_change_was_opened_is_not_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = origin(tmp.path());
    let dir = clone(&origin, &tmp.path().join("clone"));
    let opened = open_for_review(&dir, "backend=2.7.0");
    crate::common::hold(
        &origin,
        "dev",
        r#"[{"env":"dev","images":{"backend/backend":"registry.example.com/acme/backend:2.7.0"},"reason":"rolled back in prod","created_at":"2026-01-02T00:00:00Z"}]"#,
    );
    let id = opened["id"].as_str().unwrap();
    let (code, json, stderr) = run(&dir, &["merge", id, "--format", "json"]);
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(json["error"]["kind"], "held", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("ferry rollback release --env dev"),
        "{message}"
    );
    assert_eq!(dev_backend_tag(&origin, "main"), "1.3.3");
    assert_eq!(refs(&origin, "refs/ferry/changes/").len(), 1, "still open");
}
