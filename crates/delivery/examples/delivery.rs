//! A history of two environments built as data: dev ran 1.0 then 1.1 (verified); staging got
//! 1.0, then 1.1, which was rolled back. Its status and its metrics over the week.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_delivery::metrics::{MetricsRequest, metrics};
use ferry_delivery::status::{State, status};
use ferry_delivery::{DeploymentFact, EnvHistory, History};
use jiff::Timestamp;

fn at(hours: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + hours * 3600).expect("a valid time")
}

fn deployment(commit: &str, hours: i64, tag: &str, verified: bool) -> DeploymentFact {
    DeploymentFact {
        commit: commit.repeat(40),
        time: at(hours),
        summary: format!("deploy {tag}"),
        images: BTreeMap::from([(
            "api/api".to_owned(),
            format!("registry.example.com/acme/api:{tag}"),
        )]),
        changed: vec!["api/api".to_owned()],
        error: None,
        rollback_of: None,
        verified_at: verified.then(|| at(hours + 1)),
    }
}

fn main() {
    let dev = EnvHistory {
        name: "dev".into(),
        deployments: vec![
            deployment("a", 0, "1.0", true),
            deployment("b", 24, "1.1", true),
        ],
        since: BTreeMap::from([("api/api".to_owned(), at(24))]),
        ..EnvHistory::default()
    };
    let mut rollback = deployment("e", 52, "1.0", false);
    rollback.rollback_of = Some("d".repeat(40));
    let staging = EnvHistory {
        name: "staging".into(),
        upstream: Some("dev".into()),
        soak: Duration::from_secs(3600),
        deployments: vec![
            deployment("c", 2, "1.0", true),
            deployment("d", 50, "1.1", false),
            rollback,
        ],
        since: BTreeMap::from([("api/api".to_owned(), at(2))]),
        ..EnvHistory::default()
    };
    let history = History {
        base: "e".repeat(40),
        environments: vec![dev, staging],
        image_names: BTreeMap::from([(
            "registry.example.com/acme/api".to_owned(),
            "api".to_owned(),
        )]),
        holds: Vec::new(),
    };

    let now = at(60);
    let status = status(&history, None, now);
    assert_eq!(status.environments[0].state, State::Verified);
    assert_eq!(status.environments[0].images[0].short, "api:1.1");
    // Staging runs 1.0 again: the set verified at its first deployment.
    assert_eq!(status.environments[1].state, State::Verified);
    assert!(
        status.environments[0].next[0].behind,
        "staging runs 1.0, dev 1.1"
    );
    print!("{}", ferry_delivery::status_text::render(&status, false));

    let request = MetricsRequest {
        since: at(-24 * 6),
        now,
        only: None,
        revisions: None,
    };
    let metrics = metrics(&history, &request);
    let staging = &metrics.environments[1];
    assert_eq!(staging.deployment_frequency.count, 3);
    // Two deployments that are not rollbacks, one rolled back.
    assert_eq!(staging.change_failure_rate.failed, 1);
    assert_eq!(staging.change_failure_rate.rate, Some(0.5));
    // Restored two hours later by the rollback to the verified 1.0.
    assert_eq!(staging.time_to_restore.samples[0].seconds, 2 * 3600);
    // 1.0 entered dev at hour 0 and staging at hour 2; 1.1 entered dev at 24, staging at 50.
    let leads: Vec<i64> = staging
        .lead_time
        .samples
        .iter()
        .map(|s| s.seconds)
        .collect();
    assert_eq!(leads, [2 * 3600, 26 * 3600]);
    print!("{}", ferry_delivery::metrics_text::render(&metrics));
}
