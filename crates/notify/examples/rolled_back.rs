//! Telling people what a rollback did: the message is built from each step's own result (no
//! "reverted" unless the revert landed), and sent to a Slack incoming webhook, here a local
//! stand-in on 127.0.0.1 that records what it got.
//!
//! Run with `cargo run -p ferry-notify --example rolled_back`.

use std::collections::BTreeMap;

use ferry_notify::{Outcome, StepResult, notify};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn images(tag: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "backend/backend".to_string(),
        format!("registry.example.com/acme/backend:{tag}"),
    )])
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The revert waits for review; the cluster abort worked; the hold is written.
    let outcome = Outcome::RolledBack {
        env: "staging".into(),
        failed_commit: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".into(),
        failed_images: images("1.4.0"),
        target_images: images("1.3.1"),
        reason: "3 consecutive failed checks".into(),
        git: StepResult::Pending {
            detail: "pull request #43 waits for review".into(),
        },
        cluster: vec![(
            "backend".into(),
            StepResult::Done {
                detail: "aborted".into(),
            },
        )],
        hold: StepResult::Done {
            detail: "registry.example.com/acme/backend:1.4.0 held".into(),
        },
    };
    println!("{}", outcome.text());
    assert!(
        !outcome.text().contains("reverted in Git"),
        "the revert has not landed"
    );

    // A Slack stand-in: answers `200 ok` like Slack and keeps the requests.
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&slack)
        .await;
    let webhook = format!("{}/services/T000/B000/XXXX", slack.uri());
    let sent = notify(&outcome, Some(&webhook), None, None).await;
    println!("{sent:?}");
    assert!(sent.iter().all(|s| s.is_sent()), "{sent:?}");

    let requests = slack.received_requests().await.unwrap_or_default();
    let payload: serde_json::Value = serde_json::from_slice(&requests[0].body)?;
    assert_eq!(payload, outcome.slack_payload());
    Ok(())
}
