//! Recording a verification as a commit status, the way the GitHub forge does, against a local
//! stand-in for the GitHub API (127.0.0.1): every URL of the client is given, so tests and
//! GitHub Enterprise Server work alike.
//!
//! Run with `cargo run -p ferry-github --example commit_status`.

use ferry_github::{
    Credentials, GithubClient, GithubConfig, NewStatus, StatusState, verified_context,
};
use serde_json::json;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHA: &str = "860c1904a1ce19322e91ac35af1ab07466440c37";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The stand-in answers the two calls this example makes, as GitHub would.
    let github = MockServer::start().await;
    let status = json!({
        "id": 1, "state": "success", "context": "ferry/verified/dev",
        "description": "healthy for 10 checks", "target_url": null,
        "created_at": "2026-12-07T10:00:00Z", "updated_at": "2026-12-07T10:00:00Z"
    });
    Mock::given(method("POST"))
        .and(path(format!("/repos/acme/shop-deploy/statuses/{SHA}")))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&status))
        .expect(1)
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/repos/acme/shop-deploy/commits/{SHA}/statuses"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([status])))
        .mount(&github)
        .await;

    let config = GithubConfig::new(
        "acme",
        "shop-deploy",
        Credentials::token("ghp_exampletoken0123456789abcdef"),
    )
    .with_urls(github.uri(), format!("{}/graphql", github.uri()));
    // Tokens never show in Debug output.
    assert!(!format!("{config:?}").contains("ghp_exampletoken"));
    let client = GithubClient::new(config)?;

    let created = client
        .create_status(
            SHA,
            &NewStatus {
                state: StatusState::Success,
                context: verified_context("dev"),
                description: Some("healthy for 10 checks".into()),
                target_url: None,
            },
        )
        .await?;
    println!("{} on {}: {:?}", created.context, &SHA[..12], created.state);
    assert_eq!(created.context, "ferry/verified/dev");

    let statuses = client.list_statuses(SHA).await?;
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].state, StatusState::Success);
    println!("{} status(es) on {}", statuses.len(), &SHA[..12]);
    Ok(())
}
