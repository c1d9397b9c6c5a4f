//! `ferry-status` through the GitHub forge, end to end: the stateful GitHub stand-in of
//! `ferry_test_support::github::standin` (answers built from the documented response bodies of
//! `fixtures/conformance/github/`) serves a repository whose prod change is open for review,
//! and one whose verifications are GitHub commit statuses (`ferry/verified/<env>`); `--offline`
//! never asks it anything.

use crate::stdout;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use ferry_test_support::git::{bare_origin, binary_in, git};
use ferry_test_support::github::standin::StandIn;
use ferry_test_support::history::{History, rfc3339};
use ferry_test_support::output::assert_json_documented;
use sha2::{Digest as _, Sha256};

const T0: i64 = 1_790_000_000;
const HOUR: i64 = 3600;
const MIN: i64 = 60;
/// Prod's change was opened at T0 + 3h; the status is for 25 minutes later.
const NOW: &str = "2026-09-21T17:38:20Z";
/// A deploy branch as `ferry pr` names it (`deploy/<env>-<12 hex digits>`).
const BRANCH: &str = "deploy/prod-0123456789ab";

/// The body `ferry pr` writes for prod's change to 1.4.0 (marker, summary, image table: a row
/// per container, so backend's image twice).
const BODY: &str = "<!-- ferry:change env=prod -->
Ferry updates the images of **prod** (base `main`).

| Workload | Container | Image | Source |
| --- | --- | --- | --- |
| Deployment/backend | backend | `registry.example.com/acme/backend:1.3.1` → `registry.example.com/acme/backend:1.4.0` |  |
| Deployment/backend | migrate | `registry.example.com/acme/backend:1.3.1` → `registry.example.com/acme/backend:1.4.0` |  |
| Deployment/frontend | frontend | `registry.example.com/acme/frontend:1.3.1` → `registry.example.com/acme/frontend:1.4.0` |  |
";

fn status(dir: &Path, standin: &StandIn, args: &[&str]) -> Output {
    binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-status")), dir)
        .env("FERRY_GITHUB_TOKEN", "ghp_FERRYSTATUS0123456789")
        .env("GITHUB_API_URL", standin.api_url())
        .env("GITHUB_GRAPHQL_URL", standin.graphql_url())
        .args(["--forge", "github"])
        .args(args)
        .output()
        .expect("ferry-status runs")
}

/// Makes the blueprint's GitHub forge the stand-in's repository `o/r` (a commit of `h` at
/// `seconds`) and GitHub's copy of `h` (`tmp/origin.git`, a bare repository): its path.
fn on_github(h: &History, tmp: &Path, seconds: i64) -> PathBuf {
    let config = h.dir.join("ferry.toml");
    let text = std::fs::read_to_string(&config).expect("ferry.toml reads");
    let text = text
        .replace("owner = \"acme\"", "owner = \"o\"")
        .replace("repo = \"shop-deploy\"", "repo = \"r\"");
    assert!(
        text.contains("owner = \"o\""),
        "the blueprint's [forge.github]"
    );
    std::fs::write(&config, text).expect("ferry.toml writes");
    git(&h.dir, &["commit", "-q", "-a", "-m", "forge: o/r"], seconds);
    let origin = tmp.join("origin.git");
    bare_origin(&h.dir, &origin, T0);
    origin
}

/// 1.4.0 through dev and staging, each verified; GitHub's copy (the stand-in's bare
/// repository) has main and prod's change to 1.4.0 on its deploy branch, open for review.
async fn world(tmp: &Path) -> (History, StandIn) {
    let h = History::new(&tmp.join("repo"), T0);
    let dev = h.deploy("dev", "1.4.0", T0 + HOUR);
    h.verify("dev", "1.4.0", &dev, T0 + HOUR + 10 * MIN);
    let staging = h.deploy("staging", "1.4.0", T0 + 2 * HOUR);
    h.verify("staging", "1.4.0", &staging, T0 + 2 * HOUR + 10 * MIN);

    let origin = on_github(&h, tmp, T0 + 2 * HOUR);
    let origin = origin.to_str().expect("a UTF-8 path");
    git(&h.dir, &["remote", "add", "origin", origin], T0);
    git(&h.dir, &["switch", "-q", "-c", BRANCH], T0);
    h.deploy("prod", "1.4.0", T0 + 3 * HOUR);
    git(&h.dir, &["push", "-q", "origin", BRANCH], T0 + 3 * HOUR);
    git(&h.dir, &["switch", "-q", "main"], T0 + 3 * HOUR);

    let standin = StandIn::start(Path::new(origin)).await;
    standin.set_clock(T0 + 3 * HOUR);
    let number = standin.open_pull(BRANCH, "main", "ferry: deploy 1.4.0 to prod", BODY);
    assert_eq!(number, 1347);
    (h, standin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_prod_change_is_shown_and_offline_asks_nothing() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, standin) = world(tmp.path()).await;

    let text = stdout(&status(&h.dir, &standin, &["--now", NOW]));
    insta::assert_snapshot!("github_prod_change_open_text", text);
    assert!(
        text.contains(
            "  open 1347 backend:1.4.0, frontend:1.4.0, opened 25m ago, waits for review \
             https://github.com/o/r/pull/1347"
        ),
        "{text}"
    );
    let log = standin.log();
    assert!(
        log.iter().any(|c| c == "graphql FerrySnapshot"),
        "the open changes come from GitHub: {log:?}"
    );
    // Prod's deployment has no local record, so GitHub's commit statuses are asked.
    assert!(
        log.iter()
            .any(|c| c.starts_with("GET /repos/o/r/commits/") && c.contains("/statuses?")),
        "{log:?}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&status(
        &h.dir,
        &standin,
        &["--now", NOW, "--format", "json"],
    )))
    .expect("JSON");
    assert_eq!(json["open_changes_read"], true);
    let envs = json["environments"].as_array().expect("environments");
    let states: Vec<&str> = envs
        .iter()
        .map(|e| e["state"].as_str().expect("a state"))
        .collect();
    assert_eq!(states, ["verified", "verified", "unverified"]);
    assert_eq!(envs[0]["open_changes"], serde_json::json!([]));
    let change = &envs[2]["open_changes"][0];
    assert_eq!(change["id"], "1347");
    assert_eq!(change["url"], "https://github.com/o/r/pull/1347");
    assert_eq!(
        change["images"],
        serde_json::json!(["backend:1.4.0", "frontend:1.4.0"])
    );
    assert_eq!(change["created_at"], "2026-09-21T17:13:20Z");
    assert_eq!(change["age_seconds"], 25 * MIN);
    assert_eq!(change["merge"], "review");
    // Open changes included, every field is in the documented schema.
    assert_json_documented(&json, "docs/ferry-status.md", "## JSON");
    assert_eq!(envs[1]["next"][0]["behind"], true, "prod is behind staging");

    // --offline reads the local repository alone: not one request.
    standin.clear_log();
    let offline: serde_json::Value = serde_json::from_str(&stdout(&status(
        &h.dir,
        &standin,
        &["--offline", "--now", NOW, "--format", "json"],
    )))
    .expect("JSON");
    assert_eq!(offline["open_changes_read"], false);
    assert_eq!(
        offline["environments"][2]["open_changes"],
        serde_json::Value::Null
    );
    assert_eq!(standin.log(), Vec::<String>::new());
}

/// The description of the commit status that verifies `images` in `env`, written here from
/// the format GitHub keeps (statuses written by earlier versions must still be read):
/// `images <first 12 hex digits of SHA-256("ferry-images-v1\n" + "container=image\n"…, in
/// container order)>: <env> verified by Ferry (<n> containers)`.
fn description(env: &str, images: &[(String, String)]) -> String {
    let sorted: BTreeMap<&str, &str> = images
        .iter()
        .map(|(c, i)| (c.as_str(), i.as_str()))
        .collect();
    let mut text = String::from("ferry-images-v1\n");
    for (container, image) in &sorted {
        text.push_str(&format!("{container}={image}\n"));
    }
    let digest: String = Sha256::digest(text.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "images {digest}: {env} verified by Ferry ({} containers)",
        sorted.len()
    )
}

/// The states and `verified` objects of a JSON status.
fn verification(json: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    json["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .map(|e| {
            (
                e["state"].as_str().expect("a state").to_owned(),
                e["verified"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_read_from_github_commit_statuses() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = History::new(&tmp.path().join("repo"), T0);
    let blueprint = git(&h.dir, &["rev-parse", "HEAD"], T0).trim().to_owned();
    // dev: 1.4.0, verified by a local record (GitHub is not asked about it).
    let dev = h.deploy("dev", "1.4.0", T0 + HOUR);
    h.verify("dev", "1.4.0", &dev, T0 + HOUR + 10 * MIN);
    // staging: 1.4.0, verified only on GitHub.
    let staging = h.deploy("staging", "1.4.0", T0 + 2 * HOUR);
    let origin = on_github(&h, tmp.path(), T0 + 2 * HOUR);
    let standin = StandIn::start(&origin).await;
    standin.set_clock(T0 + 2 * HOUR + 10 * MIN);
    standin.add_status(
        &staging,
        "success",
        "ferry/verified/staging",
        &description("staging", &History::images("staging", "1.4.0")),
    );
    // Another context on the same commit counts for nothing.
    standin.add_status(
        &staging,
        "failure",
        "ferry/verified/prod",
        &description("staging", &History::images("staging", "1.4.0")),
    );
    // prod runs the blueprint's 1.3.1: verified at T0 + 30m, then a failure status (the
    // newest of the context is the one that counts).
    let prod_images = History::images("prod", &h.tag("prod"));
    standin.set_clock(T0 + 30 * MIN);
    standin.add_status(
        &blueprint,
        "success",
        "ferry/verified/prod",
        &description("prod", &prod_images),
    );
    standin.set_clock(T0 + 40 * MIN);
    standin.add_status(
        &blueprint,
        "failure",
        "ferry/verified/prod",
        "prod is unhealthy",
    );

    let json = |standin: &StandIn| -> serde_json::Value {
        serde_json::from_str(&stdout(&status(
            &h.dir,
            standin,
            &["--now", NOW, "--format", "json"],
        )))
        .expect("JSON")
    };
    let first = json(&standin);
    let expected = [
        (
            "verified",
            serde_json::json!({"verified": true, "at": rfc3339(T0 + HOUR + 10 * MIN), "commit": dev}),
        ),
        (
            "verified",
            serde_json::json!({"verified": true, "at": rfc3339(T0 + 2 * HOUR + 10 * MIN), "commit": staging}),
        ),
        (
            "unverified",
            serde_json::json!({"verified": false, "at": null, "commit": null}),
        ),
    ]
    .map(|(s, v)| (s.to_owned(), v));
    assert_eq!(verification(&first), expected);
    // Asked about the deployments no local record verifies, by commit, and nothing else.
    let asked: Vec<String> = standin
        .log()
        .into_iter()
        .filter(|c| c.contains("/statuses"))
        .collect();
    assert_eq!(
        asked,
        [staging.as_str(), blueprint.as_str()]
            .map(|c| format!("GET /repos/o/r/commits/{c}/statuses?per_page=100&page=1")),
    );

    // A success that describes another image set does not verify prod.
    standin.set_clock(T0 + 50 * MIN);
    standin.add_status(
        &blueprint,
        "success",
        "ferry/verified/prod",
        &description("prod", &History::images("prod", "1.4.0")),
    );
    assert_eq!(verification(&json(&standin))[2].0, "unverified");
    // One that describes what prod runs does, as of its time.
    standin.set_clock(T0 + 55 * MIN);
    standin.add_status(
        &blueprint,
        "success",
        "ferry/verified/prod",
        &description("prod", &prod_images),
    );
    let last = json(&standin);
    assert_eq!(
        verification(&last)[2],
        (
            "verified".to_owned(),
            serde_json::json!({"verified": true, "at": rfc3339(T0 + 55 * MIN), "commit": blueprint})
        )
    );
    let text = stdout(&status(&h.dir, &standin, &["--now", NOW]));
    let prod_row = text
        .lines()
        .find(|l| l.starts_with("prod "))
        .expect("prod's row");
    assert!(
        prod_row.contains("verified  backend:") && prod_row.contains(&rfc3339(T0 + 55 * MIN)),
        "{text}"
    );
}
