//! `ferry-status` on the demo's story: offline (text, JSON, one environment), through the
//! plain-git forge, and its usage errors.

use crate::stdout;
use std::path::Path;
use std::process::Output;

use ferry_test_support::git::{bare_origin, binary_in, clone, git};
use ferry_test_support::history::History;
use ferry_test_support::output::assert_json_documented;

const T0: i64 = 1_790_000_000;
/// Seven hours into the story: staging was rolled back and held 40 minutes ago.
const NOW: &str = "2026-09-21T21:13:20Z";

fn status(dir: &Path, args: &[&str]) -> Output {
    binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-status")), dir)
        .args(args)
        .output()
        .expect("ferry-status runs")
}

#[test]
fn offline_text_and_json() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, bad) = History::demo(&tmp.path().join("repo"), T0);
    let text = stdout(&status(&h.dir, &["--offline", "--now", NOW]));
    insta::assert_snapshot!("offline_text", text);
    let json: serde_json::Value = serde_json::from_str(&stdout(&status(
        &h.dir,
        &["--offline", "--now", NOW, "--format", "json"],
    )))
    .expect("JSON");
    let staging = &json["environments"][1];
    assert_eq!(staging["state"], "held");
    assert_eq!(staging["deployed"]["rollback_of"], bad.as_str());
    assert_eq!(json["open_changes_read"], false);
    assert_json_documented(&json, "docs/ferry-status.md", "## JSON");
    insta::assert_json_snapshot!("offline_json", json);

    // One environment, with colour forced.
    let one = stdout(&status(
        &h.dir,
        &[
            "--offline",
            "--now",
            NOW,
            "--env",
            "staging",
            "--color",
            "always",
        ],
    ));
    assert_eq!(one.lines().count(), 4, "{one}");
    assert!(one.contains("\x1b[31mheld\x1b[0m"), "{one}");
}

#[test]
fn through_the_plain_git_forge() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("seed"), T0);
    let origin = tmp.path().join("origin.git");
    bare_origin(&h.dir, &origin, T0);
    // The remote has the records and holds; the clone has only main.
    git(
        &h.dir,
        &[
            "push",
            "-q",
            origin.to_str().expect("UTF-8"),
            "refs/notes/ferry",
            "refs/ferry/holds",
        ],
        T0,
    );
    let work = clone(&origin, &tmp.path().join("work"), T0);
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&status(&work, &["--now", NOW, "--format", "json"])))
            .expect("JSON");
    assert_eq!(json["open_changes_read"], true);
    let states: Vec<&str> = json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .map(|e| e["state"].as_str().expect("a state"))
        .collect();
    assert_eq!(states, ["verified", "held", "verified"]);
    assert_eq!(
        json["environments"][2]["open_changes"],
        serde_json::json!([])
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    let out = status(&h.dir, &["--offline", "--env", "qa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("qa"));
    let out = status(&h.dir, &["--offline", "--now", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn step_outputs_in_github_actions() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    let file = tmp.path().join("output");
    let run = |args: &[&str]| {
        std::fs::write(&file, "").expect("the output file is emptied");
        let out = binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-status")), &h.dir)
            .args(["--offline", "--now", NOW])
            .args(args)
            .env("GITHUB_OUTPUT", &file)
            .output()
            .expect("ferry-status runs");
        stdout(&out);
        std::fs::read_to_string(&file).expect("the outputs were written")
    };
    assert_eq!(
        run(&[]),
        "status={\"dev\":\"verified\",\"prod\":\"verified\",\"staging\":\"held\"}\n"
    );
    let backend = "registry.example.com/acme/backend:1.4.0";
    let frontend = "registry.example.com/acme/frontend:1.4.0";
    let postgres = "registry.example.com/mirror/postgres:16.4";
    assert_eq!(
        run(&["--env", "staging", "--format", "json"]),
        format!(
            "status={{\"staging\":\"held\"}}\nstate=held\nimages={{\"backend/backend\":\"{backend}\",\
             \"backend/migrate\":\"{backend}\",\"frontend/frontend\":\"{frontend}\",\
             \"postgres/postgres\":\"{postgres}\"}}\n"
        )
    );
}

#[test]
fn a_forge_that_cannot_be_reached_exits_3() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    // The plain-git forge's remote does not exist.
    let gone = tmp.path().join("gone.git");
    git(
        &h.dir,
        &["remote", "add", "origin", gone.to_str().expect("UTF-8")],
        T0,
    );
    let out = status(&h.dir, &["--now", NOW]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "no table without the forge");
    // --offline does not ask it.
    let out = status(&h.dir, &["--offline", "--now", NOW]);
    assert_eq!(out.status.code(), Some(0));
}

/// Prod's change to 1.4.0, opened through the plain-git forge (as `ferry pr open --env prod`
/// does; prod waits for review), read back by `ferry-status` from the remote's change records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prod_change_open_for_review_through_the_plain_git_forge() {
    use ferry_gitops::flow::{Proposal, open_deploy};
    use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
    use ferry_gitops::image_ref::resolve_image_ref;
    use ferry_gitops::{Repo, Signature};

    const HOUR: i64 = 3600;
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = History::new(&tmp.path().join("seed"), T0);
    let dev = h.deploy("dev", "1.4.0", T0 + HOUR);
    h.verify("dev", "1.4.0", &dev, T0 + HOUR + 600);
    let staging = h.deploy("staging", "1.4.0", T0 + 2 * HOUR);
    h.verify("staging", "1.4.0", &staging, T0 + 2 * HOUR + 600);
    let origin = tmp.path().join("origin.git");
    bare_origin(&h.dir, &origin, T0);
    git(
        &h.dir,
        &[
            "push",
            "-q",
            origin.to_str().expect("UTF-8"),
            "refs/notes/ferry",
        ],
        T0,
    );

    // Another clone opens the change, at T0 + 3h.
    let opener = clone(&origin, &tmp.path().join("opener"), T0);
    let config = ferry_config::Config::load(opener.join("ferry.toml")).expect("the config");
    let opened_at = jiff::Timestamp::from_second(T0 + 3 * HOUR).expect("a time");
    let forge = GitForge::new(
        Repo::open(&opener).expect("the clone opens"),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: config.forge.base_branch.clone(),
            branch_prefix: config.forge.branch_prefix.clone(),
            signature: Signature::new("Ferry", "ferry@example.invalid", opened_at),
        },
    );
    let images = ["backend", "frontend"]
        .map(|name| resolve_image_ref(&config, name, "1.4.0", false).expect("an image"))
        .to_vec();
    let done = open_deploy(
        &forge,
        &config,
        "prod",
        images,
        &Proposal::default(),
        3,
        &opener,
    )
    .await
    .expect("the change opens");
    let opened = done.opened.expect("a change was opened");
    assert!(!opened.merged, "prod waits for review");

    // 25 minutes later, from a clone that has only main.
    let work = clone(&origin, &tmp.path().join("work"), T0);
    let now = jiff::Timestamp::from_second(T0 + 3 * HOUR + 25 * 60)
        .expect("a time")
        .to_string();
    let json: serde_json::Value = serde_json::from_str(&stdout(&status(
        &work,
        &["--now", &now, "--format", "json"],
    )))
    .expect("JSON");
    let envs = json["environments"].as_array().expect("environments");
    assert_eq!(envs[0]["open_changes"], serde_json::json!([]));
    assert_eq!(envs[1]["open_changes"], serde_json::json!([]));
    let changes = envs[2]["open_changes"].as_array().expect("prod's changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    let change = &changes[0];
    assert_eq!(change["id"], opened.id.as_str());
    assert_eq!(
        change["images"],
        serde_json::json!(["backend:1.4.0", "frontend:1.4.0"])
    );
    assert_eq!(change["created_at"], opened_at.to_string());
    assert_eq!(change["age_seconds"], 25 * 60);
    assert_eq!(change["merge"], "review");
    assert_eq!(envs[2]["state"], "unverified", "prod still runs 1.3.1");
    assert_eq!(envs[1]["next"][0]["behind"], true);

    let text = stdout(&status(&work, &["--now", &now]));
    assert!(
        text.contains(&format!(
            "  open {} backend:1.4.0, frontend:1.4.0, opened 25m ago, waits for review",
            opened.id
        )),
        "{text}"
    );
}

/// Golden outputs of the binary (`--offline`, text and JSON) at two more stages of the demo's
/// story: everything verified (1.4.0 everywhere), then 1.5.0 verified in dev with staging's
/// soak not passed (20 minutes left).
#[test]
fn golden_outputs_all_verified_then_soak_not_passed() {
    const HOUR: i64 = 3600;
    const MIN: i64 = 60;
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = History::new(&tmp.path().join("repo"), T0);
    for (env, at) in [("dev", HOUR), ("staging", 2 * HOUR), ("prod", 3 * HOUR)] {
        let commit = h.deploy(env, "1.4.0", T0 + at);
        h.verify(env, "1.4.0", &commit, T0 + at + 10 * MIN);
    }
    let run = |now: i64, format: &str| {
        let now = ferry_test_support::history::rfc3339(now);
        stdout(&status(
            &h.dir,
            &["--offline", "--now", &now, "--format", format],
        ))
    };
    let stage = |name: &str, now: i64| -> serde_json::Value {
        insta::assert_snapshot!(format!("{name}_text"), run(now, "text"));
        let json: serde_json::Value = serde_json::from_str(&run(now, "json")).expect("JSON");
        insta::assert_json_snapshot!(format!("{name}_json"), json);
        json
    };

    let json = stage("all_verified", T0 + 5 * HOUR);
    for env in json["environments"].as_array().expect("environments") {
        assert_eq!(env["state"], "verified", "{env}");
        assert!(
            env["next"]
                .as_array()
                .expect("next")
                .iter()
                .all(|n| { n["behind"] == false && n["soak_left_seconds"] == 0 })
        );
    }

    let dev = h.deploy("dev", "1.5.0", T0 + 5 * HOUR);
    h.verify("dev", "1.5.0", &dev, T0 + 5 * HOUR + 5 * MIN);
    let json = stage("soak_not_passed", T0 + 5 * HOUR + 10 * MIN);
    let next = &json["environments"][0]["next"][0];
    assert_eq!(next["env"], "staging");
    assert_eq!(next["soak_left_seconds"], 20 * MIN);
    assert_eq!(next["behind"], true);
}
