//! The demo's story on the blueprint (`cargo xtask demo`): 1.4.0 through dev, staging and
//! prod, each verified; 1.5.0 verified in dev, broken in staging, rolled back there and held.
//! Status at each stage, and the metrics of the whole story.

use std::collections::BTreeMap;

use ferry_delivery::OpenChange;
use ferry_delivery::metrics::{MetricsRequest, metrics};
use ferry_delivery::status::{State, status};
use ferry_delivery::{metrics_text, status_text};
use ferry_test_support::history::History as GitHistory;

use crate::support::{HOUR, MIN, T0, at, load};

fn snapshot_status(
    name: &str,
    h: &GitHistory,
    open: Option<&BTreeMap<String, Vec<OpenChange>>>,
    now: i64,
) -> ferry_delivery::status::Status {
    let history = load(h);
    let s = status(&history, open, at(now));
    insta::assert_snapshot!(format!("{name}_text"), status_text::render(&s, false));
    insta::assert_json_snapshot!(format!("{name}_json"), s);
    s
}

#[test]
fn the_demo_story_at_each_stage() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = GitHistory::new(tmp.path(), T0);

    // 1.4.0 through every environment, each verified ten minutes after it landed.
    let dev = h.deploy("dev", "1.4.0", T0 + HOUR);
    h.verify("dev", "1.4.0", &dev, T0 + HOUR + 10 * MIN);
    let staging = h.deploy("staging", "1.4.0", T0 + 2 * HOUR);
    h.verify("staging", "1.4.0", &staging, T0 + 2 * HOUR + 10 * MIN);

    // Prod's change is open for review.
    let open = BTreeMap::from([(
        "prod".to_owned(),
        vec![OpenChange {
            id: "7".into(),
            url: Some("https://github.com/acme/shop-deploy/pull/7".into()),
            images: GitHistory::images("prod", "1.4.0")
                .into_iter()
                .filter(|(c, _)| c != "postgres/postgres" && c != "backend/migrate")
                .map(|(_, i)| i)
                .collect(),
            created_at: Some(at(T0 + 3 * HOUR)),
            auto_merge: false,
        }],
    )]);
    let s = snapshot_status(
        "prod_change_open",
        &h,
        Some(&open),
        T0 + 3 * HOUR + 25 * MIN,
    );
    let prod = &s.environments[2];
    assert_eq!(prod.open_changes.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        prod.state,
        State::Unverified,
        "prod still runs the blueprint's 1.3.1"
    );
    assert!(s.environments[1].next[0].behind, "prod is behind staging");

    let prod_commit = h.deploy("prod", "1.4.0", T0 + 3 * HOUR + 30 * MIN);
    h.verify("prod", "1.4.0", &prod_commit, T0 + 3 * HOUR + 45 * MIN);
    let s = snapshot_status("all_verified", &h, Some(&BTreeMap::new()), T0 + 5 * HOUR);
    assert!(s.environments.iter().all(|e| e.state == State::Verified));
    assert!(
        s.environments
            .iter()
            .flat_map(|e| &e.next)
            .all(|n| !n.behind)
    );

    // 1.5.0: dev, verified; staging's soak (30m) has 20 minutes left.
    let dev = h.deploy("dev", "1.5.0", T0 + 5 * HOUR);
    h.verify("dev", "1.5.0", &dev, T0 + 5 * HOUR + 5 * MIN);
    let s = snapshot_status("soak_not_passed", &h, None, T0 + 5 * HOUR + 10 * MIN);
    let next = &s.environments[0].next[0];
    assert_eq!(next.soak_left_seconds, Some(20 * 60));
    assert!(next.behind);

    // Staging breaks: rolled back and held.
    let bad = h.deploy("staging", "1.5.0", T0 + 6 * HOUR);
    h.rollback("staging", "1.4.0", &bad, T0 + 6 * HOUR + 20 * MIN);
    h.hold(
        "staging",
        Some("1.5.0"),
        "health checks failed after promoting v1.5.0",
        T0 + 6 * HOUR + 20 * MIN,
    );
    let s = snapshot_status("staging_held", &h, None, T0 + 7 * HOUR);
    let staging = &s.environments[1];
    assert_eq!(staging.state, State::Held);
    assert_eq!(staging.holds[0].images, ["backend:1.5.0", "frontend:1.5.0"]);
    assert!(
        staging
            .deployed
            .as_ref()
            .is_some_and(|d| d.rollback_of.as_deref() == Some(bad.as_str()))
    );

    // The metrics of the story.
    let history = load(&h);
    let m = metrics(
        &history,
        &MetricsRequest {
            since: at(T0 - 24 * HOUR),
            now: at(T0 + 7 * HOUR),
            only: None,
            revisions: None,
        },
    );
    let staging = &m.environments[1];
    // The blueprint's commit, 1.4.0, 1.5.0 and the rollback.
    assert_eq!(staging.deployment_frequency.count, 4);
    assert_eq!(staging.change_failure_rate.failed, 1);
    assert_eq!(staging.change_failure_rate.deployments, 3);
    assert_eq!(staging.change_failure_rate.failures[0].commit, bad);
    // Restored by the rollback to the verified 1.4.0, 20 minutes later.
    assert_eq!(staging.time_to_restore.samples[0].seconds, 20 * MIN);
    insta::assert_snapshot!("demo_metrics_text", metrics_text::render(&m));
    insta::assert_snapshot!("demo_metrics_summary", metrics_text::summary_markdown(&m));
    insta::assert_json_snapshot!("demo_metrics_json", m);
}

/// Containers that share an image need not be next to each other (`api/api` and
/// `worker/api` around `db/db`): the table, a hold and an open change name each image once.
#[test]
fn an_image_shared_by_containers_is_shown_once() {
    use ferry_delivery::{DeploymentFact, EnvHistory, History};

    let api = "r.io/acme/api:1.1.0";
    let images = BTreeMap::from([
        ("api/api".to_owned(), api.to_owned()),
        ("db/db".to_owned(), "postgres:16.4".to_owned()),
        ("worker/api".to_owned(), api.to_owned()),
    ]);
    let history = History {
        base: "0".repeat(40),
        environments: vec![EnvHistory {
            name: "dev".into(),
            deployments: vec![DeploymentFact {
                commit: "1".repeat(40),
                time: at(T0),
                summary: "deploy 1.1.0".into(),
                images: images.clone(),
                changed: vec!["api/api".into(), "worker/api".into()],
                error: None,
                rollback_of: None,
                verified_at: None,
            }],
            ..EnvHistory::default()
        }],
        holds: vec![ferry_gitops::gates::Hold::new(
            "dev",
            images.clone(),
            "held",
            at(T0 + MIN),
        )],
        ..History::default()
    };
    let open = BTreeMap::from([(
        "dev".to_owned(),
        vec![OpenChange {
            id: "9".into(),
            url: None,
            images: vec![api.into(), "postgres:16.4".into(), api.into()],
            created_at: Some(at(T0)),
            auto_merge: true,
        }],
    )]);
    let s = status(&history, Some(&open), at(T0 + HOUR));
    let dev = &s.environments[0];
    assert_eq!(dev.holds[0].images, ["api:1.1.0", "postgres:16.4"]);
    let change = &dev.open_changes.as_ref().expect("read")[0];
    assert_eq!(change.images, ["api:1.1.0", "postgres:16.4"]);
    let text = status_text::render(&s, false);
    let row = text.lines().nth(1).expect("dev's row");
    assert!(row.contains("  api:1.1.0, postgres:16.4  "), "{text}");
    assert!(
        text.contains("  held api:1.1.0, postgres:16.4 since"),
        "{text}"
    );
    assert!(
        text.contains("  open 9 api:1.1.0, postgres:16.4, opened 1h ago, auto-merge"),
        "{text}"
    );
}
