//! Pull request comments (list with pagination, create, update, delete) against wiremock
//! answering with GitHub's documented bodies (`issues-list-comments.json`,
//! `issues-create-comment.json`, `issues-update-comment.json`) and the 422 bodies GitHub returns
//! for a body over 65,536 characters (`validation-failed-comment-too-long.json`).

use ferry_github::{Credentials, GithubClient, GithubConfig, GithubError};
use ferry_test_support::github::{example, json_of, read_json};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> GithubClient {
    let mut config = GithubConfig::new("octocat", "Hello-World", Credentials::token("t0ken"))
        .with_urls(server.uri(), format!("{}/graphql", server.uri()));
    config.connect_timeout = None;
    config.read_timeout = None;
    GithubClient::new(config).expect("a client")
}

/// The documented list item with another id and body.
fn listed(id: u64, body: &str) -> Value {
    let mut item = example("issues-list-comments")[0].clone();
    item["id"] = json!(id);
    item["body"] = json!(body);
    item
}

#[tokio::test]
async fn lists_every_page_of_comments() {
    let server = MockServer::start().await;
    let first: Vec<Value> = (1..=100).map(|id| listed(id, "page one")).collect();
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/issues/1347/comments"))
        .and(query_param("page", "1"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/issues/1347/comments"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("issues-list-comments")))
        .expect(1)
        .mount(&server)
        .await;
    let comments = client(&server).list_comments(1347).await.expect("listed");
    assert_eq!(comments.len(), 101);
    let last = comments.last().expect("the documented comment");
    assert_eq!(last.id, 1);
    assert_eq!(last.body.as_deref(), Some("Me too"));
    let author = last.user.as_ref().expect("an author");
    assert_eq!(
        (author.login.as_str(), author.kind.as_deref()),
        ("octocat", Some("User"))
    );
}

#[tokio::test]
async fn creates_updates_and_deletes_comments() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/octocat/Hello-World/issues/1347/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("issues-create-comment")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octocat/Hello-World/issues/comments/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("issues-update-comment")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/octocat/Hello-World/issues/comments/1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/octocat/Hello-World/issues/comments/2"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server);
    let created = github.create_comment(1347, "hello").await.expect("created");
    assert_eq!(created.id, 1);
    assert_eq!(
        created.html_url,
        "https://github.com/octocat/Hello-World/issues/1347#issuecomment-1"
    );
    let updated = github
        .update_comment(1, "hello again")
        .await
        .expect("updated");
    assert_eq!(updated.id, 1);
    assert!(github.delete_comment(1).await.expect("deleted"));
    assert!(!github.delete_comment(2).await.expect("gone already"));
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(json_of(&requests[0]), json!({"body": "hello"}));
    assert_eq!(json_of(&requests[1]), json!({"body": "hello again"}));
}

/// Both shapes of GitHub's 422 for a body over 65,536 characters are recognised.
#[tokio::test]
async fn a_body_over_the_limit_is_its_own_error() {
    let data = read_json("validation-failed-comment-too-long.json");
    let observed = data["observed"].as_array().expect("observed bodies");
    assert_eq!(observed.len(), 2);
    assert_eq!(data["limit"]["max_characters"], 65_536);
    for body in observed {
        let server = MockServer::start().await;
        for (verb, route) in [
            ("POST", "/repos/octocat/Hello-World/issues/1347/comments"),
            ("PATCH", "/repos/octocat/Hello-World/issues/comments/1"),
        ] {
            Mock::given(method(verb))
                .and(path(route))
                .respond_with(ResponseTemplate::new(422).set_body_json(body["body"].clone()))
                .mount(&server)
                .await;
        }
        let github = client(&server);
        let long = "x".repeat(65_537);
        for result in [
            github.create_comment(1347, &long).await,
            github.update_comment(1, &long).await,
        ] {
            match result {
                Err(GithubError::CommentTooLong { message }) => {
                    assert!(message.contains("65536"), "{message}")
                }
                other => panic!("{}: {other:?}", body["variant"]),
            }
        }
    }
}

/// Any other 422 stays an API error with GitHub's message.
#[tokio::test]
async fn other_validation_failures_stay_api_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/octocat/Hello-World/issues/1347/comments"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
        })))
        .mount(&server)
        .await;
    let error = client(&server)
        .create_comment(1347, "")
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(422), "{error}");
}
