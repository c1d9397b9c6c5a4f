//! Notifications: the Slack webhook message and the GitHub deployment and status, against
//! wiremock (GitHub answers with the documented bodies from fixtures/conformance/github).

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_github::{Credentials, GithubClient, GithubConfig};
use ferry_notify::{Outcome, Slack, StepResult, github_deployment};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn images(tag: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "backend/backend".to_string(),
        format!("r.example/backend:{tag}"),
    )])
}

fn rolled_back(git: StepResult) -> Outcome {
    Outcome::RolledBack {
        env: "prod".into(),
        failed_commit: "b".repeat(40),
        failed_images: images("1.4.0"),
        target_images: images("1.3.1"),
        reason: "prod is unhealthy (3 consecutive failed checks)".into(),
        git,
        cluster: vec![(
            "backend".into(),
            StepResult::Done {
                detail: "aborted, stable version serving".into(),
            },
        )],
        hold: StepResult::Done {
            detail: "r.example/backend:1.4.0 held".into(),
        },
    }
}

#[test]
fn a_rollback_says_reverted_only_when_the_revert_is_merged() {
    let merged = rolled_back(StepResult::Done {
        detail: "merged as 1a2b3c4d5e6f".into(),
    });
    assert_eq!(
        merged.headline(),
        "prod: reverted in Git to r.example/backend:1.3.1"
    );
    let pending = rolled_back(StepResult::Pending {
        detail: "pull request #43 waits for review".into(),
    });
    assert_eq!(
        pending.headline(),
        "prod: rollback to r.example/backend:1.3.1 opened in Git, not merged yet"
    );
    assert!(!pending.text().contains("reverted"));
    let failed = rolled_back(StepResult::Failed {
        error: "refs/heads/main moved during each of 30 attempts".into(),
    });
    assert!(failed.headline().contains("the Git revert FAILED"));
    assert!(!failed.headline().contains("reverted"));
    assert!(
        failed
            .text()
            .contains("❌ Git revert FAILED: refs/heads/main moved during each of 30 attempts")
    );
    assert!(
        failed
            .text()
            .contains("✅ Rollout backend: aborted, stable version serving")
    );
}

#[tokio::test]
async fn slack_gets_the_headline_and_the_details() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T000/B000/XXX"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let slack = Slack::new(format!("{}/services/T000/B000/XXX", server.uri())).unwrap();
    let outcome = rolled_back(StepResult::Done {
        detail: "merged as 1a2b3c4d5e6f".into(),
    });
    slack.send(&outcome).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body["text"],
        "prod: reverted in Git to r.example/backend:1.3.1"
    );
    let details = body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        details.contains("✅ Git revert: merged as 1a2b3c4d5e6f"),
        "{details}"
    );
    assert!(details.contains("✅ hold of the failed set: r.example/backend:1.4.0 held"));
}

#[tokio::test]
async fn slack_errors_carry_the_answer_but_not_the_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let url = format!("{}/services/T000/B000/SECRET", server.uri());
    let slack = Slack::new(&url).unwrap();
    let err = slack
        .send(&Outcome::Escalated {
            env: "prod".into(),
            commit: "c".repeat(40),
            reason: "no verified image set".into(),
        })
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("404") && text.contains("no_service"),
        "{text}"
    );
    assert!(!text.contains("SECRET"));
    assert!(!format!("{slack:?}").contains("SECRET"));
}

#[tokio::test]
async fn slack_is_tried_again_after_a_failure_or_a_rate_limit_but_not_a_refusal() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_string("rate_limited"),
        )
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .with_priority(3)
        .mount(&server)
        .await;
    let outcome = Outcome::Escalated {
        env: "prod".into(),
        commit: "c".repeat(40),
        reason: "no verified image set".into(),
    };
    let slack = Slack::new(format!("{}/services/T/B/X", server.uri()))
        .unwrap()
        .with_retries(3, Duration::from_millis(5));
    slack.send(&outcome).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // Out of attempts: the last answer is the error.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let err = slack.send(&outcome).await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // A refusal is final.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_string("invalid_token"))
        .mount(&server)
        .await;
    assert!(slack.send(&outcome).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

fn example(operation: &str) -> Value {
    ferry_test_support::github::example(operation)
}

/// A GitHub API answering one deployment and one status with the documented bodies (each
/// expected once), and a client of `acme/shop-deploy` on it.
async fn deployments_api() -> (MockServer, GithubClient) {
    let deployment = example("repos-create-deployment");
    let status = example("repos-create-deployment-status");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/shop-deploy/deployments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&deployment))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/shop-deploy/deployments/1/statuses"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&status))
        .expect(1)
        .mount(&server)
        .await;
    let config = GithubConfig::new("acme", "shop-deploy", Credentials::token("ghp_TEST"))
        .with_urls(server.uri(), format!("{}/graphql", server.uri()));
    (server, GithubClient::new(config).unwrap())
}

#[tokio::test]
async fn github_gets_a_deployment_and_a_status_saying_what_happened() {
    let (server, client) = deployments_api().await;
    let outcome = rolled_back(StepResult::Pending {
        detail: "pull request #43 waits for review".into(),
    });
    let created = github_deployment(&client, &outcome, Some("https://ci.example/run/7"))
        .await
        .unwrap();
    assert_eq!((created.deployment, created.status), (1, 1));
    assert_eq!(created.state, "failure");
    let requests = server.received_requests().await.unwrap();
    let first: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(first["ref"], "b".repeat(40));
    assert_eq!(first["environment"], "prod");
    assert_eq!(first["task"], "deploy");
    assert_eq!(first["auto_merge"], false);
    assert_eq!(first["required_contexts"], json!([]));
    assert_eq!(first["payload"]["outcome"], "rolled-back");
    assert_eq!(first["payload"]["git"]["result"], "pending");
    let second: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(
        second,
        json!({
            "state": "failure",
            "description": "prod: rollback to r.example/backend:1.3.1 opened in Git, not merged yet",
            "log_url": "https://ci.example/run/7",
        })
    );
}

#[tokio::test]
async fn verified_is_a_success_and_long_descriptions_are_cut() {
    let (server, client) = deployments_api().await;
    let many: BTreeMap<String, String> = (0..10)
        .map(|i| (format!("w{i}/c"), format!("r.example/service-{i}:1.0.{i}")))
        .collect();
    let outcome = Outcome::Verified {
        env: "staging".into(),
        commit: "d".repeat(40),
        images: many,
        reason: "10 checks, the last conclusive one passed".into(),
    };
    let created = github_deployment(&client, &outcome, None).await.unwrap();
    assert_eq!(created.state, "success");
    let requests = server.received_requests().await.unwrap();
    let second: Value = serde_json::from_slice(&requests[1].body).unwrap();
    let description = second["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 140);
    assert!(description.ends_with('…'));
    assert_eq!(second["state"], "success");
    assert!(second.get("log_url").is_none());
}
