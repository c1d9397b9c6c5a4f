//! `ferry-status` through the GitHub forge, end to end: the stateful GitHub stand-in of
//! `ferry_test_support::github::standin` (answers built from the documented response bodies of
//! `fixtures/conformance/github/`) serves a repository whose prod change is open for review;
//! and `--offline` never asks it anything.

use crate::stdout;
use std::path::Path;
use std::process::Output;

use ferry_test_support::git::{bare_origin, binary_in, git};
use ferry_test_support::github::standin::StandIn;
use ferry_test_support::history::History;

const T0: i64 = 1_790_000_000;
const HOUR: i64 = 3600;
const MIN: i64 = 60;
/// Prod's change was opened at T0 + 3h; the status is for 25 minutes later.
const NOW: &str = "2026-09-21T17:38:20Z";
/// A deploy branch as `ferry pr` names it (`deploy/<env>-<12 hex digits>`).
const BRANCH: &str = "deploy/prod-0123456789ab";

/// The body `ferry pr` writes for prod's change to 1.4.0 (marker, summary, image table).
const BODY: &str = "<!-- ferry:change env=prod -->
Ferry updates the images of **prod** (base `main`).

| Workload | Container | Image | Source |
| --- | --- | --- | --- |
| Deployment/backend | backend | `registry.example.com/acme/backend:1.3.1` → `registry.example.com/acme/backend:1.4.0` |  |
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

/// 1.4.0 through dev and staging, each verified; GitHub's copy (the stand-in's bare
/// repository) has main and prod's change to 1.4.0 on its deploy branch, open for review.
async fn world(tmp: &Path) -> (History, StandIn) {
    let h = History::new(&tmp.join("repo"), T0);
    let dev = h.deploy("dev", "1.4.0", T0 + HOUR);
    h.verify("dev", "1.4.0", &dev, T0 + HOUR + 10 * MIN);
    let staging = h.deploy("staging", "1.4.0", T0 + 2 * HOUR);
    h.verify("staging", "1.4.0", &staging, T0 + 2 * HOUR + 10 * MIN);

    // The GitHub forge of the blueprint's ferry.toml, on the stand-in's repository `o/r`.
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
    git(
        &h.dir,
        &["commit", "-q", "-a", "-m", "forge: o/r"],
        T0 + 2 * HOUR,
    );

    let origin = tmp.join("origin.git");
    bare_origin(&h.dir, &origin, T0);
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
