//! The GitHub client against wiremock serving GitHub's documented and recorded response bodies
//! from `fixtures/conformance/github/`.
//!
//! GitHub documents no response body for the GraphQL mutations, nor for rate-limit answers,
//! nor for `GET /repos/{owner}/{repo}/installation` and the installation token; those bodies
//! are built here following the published schema and error envelope (see docs/github.md).

use std::time::Duration;

use base64::Engine as _;
use ferry_github::{
    AutoMergeRefusal, BranchCommit, Credentials, FileAddition, GithubClient, GithubConfig,
    GithubError, MergeMethod, MergeOptions, NewPullRequest, NewStatus, PullRequestUpdate,
    PullState, RetryPolicy, StatusState, verified_context,
};
use ferry_test_support::github::{self, example, graphql_error, json_of, read_json};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghp_FERRYTESTTOKEN0123456789";

/// One recorded exchange: (method, path, request body, status, response body).
fn recorded(scenario: &str, index: usize) -> (String, String, Value, u16, Value) {
    let x = github::recorded(scenario, index);
    (
        x["method"].as_str().unwrap().to_uppercase(),
        x["path"].as_str().unwrap().to_owned(),
        x["body"].clone(),
        x["status"].as_u64().unwrap() as u16,
        x["response"].clone(),
    )
}

fn config(server: &MockServer, owner: &str, repo: &str, credentials: Credentials) -> GithubConfig {
    let mut config = GithubConfig::new(owner, repo, credentials)
        .with_urls(server.uri(), format!("{}/api/graphql", server.uri()));
    // Real read timeouts would fire early on a paused clock; wiremock answers at once.
    config.connect_timeout = None;
    config.read_timeout = None;
    config
}

fn client(server: &MockServer, owner: &str, repo: &str) -> GithubClient {
    GithubClient::new(config(server, owner, repo, Credentials::token(TOKEN))).unwrap()
}

/// `METHOD /path?query` of every request the server saw, in order.
async fn calls(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{} {}{query}", r.method, r.url.path())
        })
        .collect()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn auth_of(request: &Request) -> String {
    request.headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn finds_creates_updates_and_labels_pull_requests() {
    let server = MockServer::start().await;
    let listed = example("pulls-list");
    let branch = listed[0]["head"]["ref"].as_str().unwrap().to_owned();
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("head", format!("octocat:{branch}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(&listed))
        .expect(1)
        .mount(&server)
        .await;
    let new = NewPullRequest {
        head: "deploy/dev-1a2b3c4".into(),
        base: "main".into(),
        title: "Deploy dev".into(),
        body: "body".into(),
        draft: false,
    };
    Mock::given(method("POST"))
        .and(path("/repos/octocat/Hello-World/pulls"))
        .and(body_json(json!({
            "head": "deploy/dev-1a2b3c4", "base": "main", "title": "Deploy dev",
            "body": "body", "draft": false
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("pulls-create")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octocat/Hello-World/pulls/1347"))
        .and(body_json(
            json!({ "title": "Deploy dev (2)", "body": "new body" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-update")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octocat/Hello-World/issues/1347/labels"))
        .and(body_json(json!({ "labels": ["bug"] })))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("issues-add-labels")))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "octocat", "Hello-World");

    let found = github.find_open_pull(&branch).await.unwrap().unwrap();
    assert_eq!(found.number, 1347);
    assert_eq!(found.head.name, branch);
    assert_eq!(found.base.name, "master");
    assert_eq!(found.node_id, "MDExOlB1bGxSZXF1ZXN0MQ==");
    assert_eq!(
        found.html_url,
        "https://github.com/octocat/Hello-World/pull/1347"
    );
    assert!(!found.is_merged());
    let labels: Vec<_> = found.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(labels, ["bug"]);

    let created = github.create_pull(&new).await.unwrap();
    assert_eq!(created.number, 1347);
    assert_eq!(
        created.pull_state(),
        PullState::Open {
            mergeable_state: Some("clean".into()),
            auto_merge: false
        }
    );

    let update = PullRequestUpdate {
        title: Some("Deploy dev (2)".into()),
        body: Some("new body".into()),
        state: None,
    };
    assert_eq!(
        github.update_pull(1347, &update).await.unwrap().number,
        1347
    );
    // GitHub answers with all labels of the issue afterwards.
    let all: Vec<String> = example("issues-add-labels")
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(all.len() > 1);
    assert_eq!(github.add_labels(1347, &["bug"]).await.unwrap(), all);

    assert_eq!(
        calls(&server).await,
        [
            "GET /repos/octocat/Hello-World/pulls?state=open&head=octocat%3Anew-topic&per_page=100",
            "POST /repos/octocat/Hello-World/pulls",
            "PATCH /repos/octocat/Hello-World/pulls/1347",
            "POST /repos/octocat/Hello-World/issues/1347/labels",
        ]
    );
    for request in requests(&server).await {
        assert_eq!(auth_of(&request), format!("Bearer {TOKEN}"));
        assert_eq!(request.headers["accept"], "application/vnd.github+json");
    }
}

#[tokio::test]
async fn no_open_pull_for_another_branch() {
    let server = MockServer::start().await;
    // GitHub filters by head already; a stray answer for another branch is not taken.
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-list")))
        .mount(&server)
        .await;
    let github = client(&server, "octocat", "Hello-World");
    assert_eq!(
        github.find_open_pull("deploy/dev-0000000").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn labels_match_the_recorded_exchange() {
    let (verb, route, body, status, response) = recorded("add-labels-to-issue", 1);
    let server = MockServer::start().await;
    Mock::given(method(verb.as_str()))
        .and(path(route.as_str()))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(status).set_body_json(&response))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "octokit-fixture-org", "add-labels-to-issue");
    let wanted: Vec<&str> = body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let got = github.add_labels(1, &wanted).await.unwrap();
    let expected: Vec<&str> = response
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn refs_match_the_recorded_exchanges() {
    let server = MockServer::start().await;
    let create = recorded("git-refs", 1);
    let update = recorded("git-refs", 2);
    let delete = recorded("git-refs", 4);
    for (verb, route, _, status, response) in [&create, &update, &delete] {
        let template = ResponseTemplate::new(*status);
        let template = if response.is_object() {
            template.set_body_json(response)
        } else {
            template
        };
        Mock::given(method(verb.as_str()))
            .and(path(route.as_str()))
            .respond_with(template)
            .expect(1)
            .mount(&server)
            .await;
    }
    let github = client(&server, "octokit-fixture-org", "git-refs");
    let new_sha = create.2["sha"].as_str().unwrap();
    github.create_branch("test", new_sha).await.unwrap();
    let moved_sha = update.2["sha"].as_str().unwrap();
    github.update_branch("test", moved_sha, true).await.unwrap();
    assert!(github.delete_branch("test").await.unwrap());

    let seen = requests(&server).await;
    // The recorded request bodies, plus `force` on the update.
    assert_eq!(json_of(&seen[0]), create.2);
    assert_eq!(
        json_of(&seen[1]),
        json!({ "sha": moved_sha, "force": true })
    );
    assert!(seen[2].body.is_empty());
    assert_eq!(
        calls(&server).await,
        [
            "POST /repos/octokit-fixture-org/git-refs/git/refs",
            "PATCH /repos/octokit-fixture-org/git-refs/git/refs/heads/test",
            "DELETE /repos/octokit-fixture-org/git-refs/git/refs/heads/test",
        ]
    );
}

#[tokio::test]
async fn branch_heads_and_missing_branches() {
    let server = MockServer::start().await;
    let found = example("git-get-ref");
    let (_, _, _, status, not_found) = recorded("branch-protection", 0);
    assert_eq!(status, 404);
    Mock::given(method("GET"))
        .and(path("/repos/o/r/git/ref/heads/featureA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&found))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/git/ref/heads/deploy/dev-1a2b3c4"))
        .respond_with(ResponseTemplate::new(404).set_body_json(&not_found))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/git/refs/heads/deploy/dev-1a2b3c4"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Reference does not exist",
            "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"
        })))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    assert_eq!(
        github.branch_head("featureA").await.unwrap().as_deref(),
        found["object"]["sha"].as_str()
    );
    assert_eq!(
        github.branch_head("deploy/dev-1a2b3c4").await.unwrap(),
        None
    );
    assert!(!github.delete_branch("deploy/dev-1a2b3c4").await.unwrap());
}

#[tokio::test]
async fn existing_refs_and_validation_errors_are_typed() {
    let server = MockServer::start().await;
    let (_, _, _, status, invalid) = recorded("errors", 0);
    assert_eq!(status, 422);
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/refs"))
        .and(body_json(
            json!({ "ref": "refs/heads/taken", "sha": "1".repeat(40) }),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Reference already exists",
            "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/refs"))
        .and(body_json(
            json!({ "ref": "refs/heads/bad", "sha": "1".repeat(40) }),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(&invalid))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let taken = github
        .create_branch("taken", &"1".repeat(40))
        .await
        .unwrap_err();
    assert!(
        matches!(&taken, GithubError::RefExists { name } if name == "refs/heads/taken"),
        "{taken:?}"
    );
    let bad = github
        .create_branch("bad", &"1".repeat(40))
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422));
    assert_eq!(
        bad.to_string(),
        "GitHub answered POST /repos/o/r/git/refs with 422: Validation Failed (Label color invalid)"
    );
}

fn branch_commit() -> BranchCommit {
    BranchCommit {
        branch: "deploy/dev-1a2b3c4".into(),
        expected_head: "a".repeat(40),
        headline: "ferry: dev api → v1.3.0".into(),
        body: Some("Promoted by Ferry.".into()),
        additions: vec![FileAddition {
            path: "overlays/dev/kustomization.yaml".into(),
            contents: b"images:\n- name: api\n  newTag: v1.3.0\n".to_vec(),
        }],
        deletions: vec!["overlays/dev/old.yaml".into()],
    }
}

#[tokio::test]
async fn commits_through_graphql_with_the_expected_head() {
    let server = MockServer::start().await;
    let oid = "b".repeat(40);
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "createCommitOnBranch": { "commit": {
                "oid": oid, "url": format!("https://github.com/o/r/commit/{oid}")
            } } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let commit = github.commit_on_branch(&branch_commit()).await.unwrap();
    assert_eq!(commit.oid, oid);
    assert_eq!(commit.url, format!("https://github.com/o/r/commit/{oid}"));

    let seen = requests(&server).await;
    let sent = json_of(&seen[0]);
    assert!(
        sent["query"]
            .as_str()
            .unwrap()
            .contains("createCommitOnBranch(input: $input)")
    );
    let contents = base64::engine::general_purpose::STANDARD
        .encode("images:\n- name: api\n  newTag: v1.3.0\n");
    assert_eq!(
        sent["variables"]["input"],
        json!({
            "branch": { "repositoryNameWithOwner": "o/r", "branchName": "deploy/dev-1a2b3c4" },
            "expectedHeadOid": "a".repeat(40),
            "message": { "headline": "ferry: dev api → v1.3.0", "body": "Promoted by Ferry." },
            "fileChanges": {
                "additions": [{ "path": "overlays/dev/kustomization.yaml", "contents": contents }],
                "deletions": [{ "path": "overlays/dev/old.yaml" }]
            }
        })
    );
}

#[tokio::test]
async fn a_moved_branch_is_a_conflict() {
    let server = MockServer::start().await;
    // The shape GitHub answers a stale expectedHeadOid with: data null, a STALE_DATA error.
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(github::stale_answer(&"a".repeat(40))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let err = github.commit_on_branch(&branch_commit()).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    match err {
        GithubError::Conflict {
            branch, expected, ..
        } => {
            assert_eq!(branch, "deploy/dev-1a2b3c4");
            assert_eq!(expected, "a".repeat(40));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn documented_graphql_errors_are_reported() {
    let errors = read_json("graphql-errors.json");
    for example in errors["examples"].as_array().unwrap() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/graphql"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&example["body"]))
            .mount(&server)
            .await;
        let github = client(&server, "o", "r");
        let err = github.commit_on_branch(&branch_commit()).await.unwrap_err();
        let message = example["body"]["errors"][0]["message"].as_str().unwrap();
        match &err {
            GithubError::Graphql {
                operation,
                messages,
                ..
            } => {
                assert_eq!(operation, "createCommitOnBranch");
                assert_eq!(messages, &[message.to_owned()]);
            }
            other => panic!("{}: {other:?}", example["name"]),
        }
    }
}

#[tokio::test]
async fn enables_auto_merge_or_says_why_not() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(wiremock::matchers::body_partial_json(json!({
            "variables": { "input": { "pullRequestId": "PR_ok", "mergeMethod": "SQUASH" } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "enablePullRequestAutoMerge": { "pullRequest": {
                "number": 1, "autoMergeRequest": { "mergeMethod": "SQUASH" }
            } } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(wiremock::matchers::body_partial_json(json!({
            "variables": { "input": { "pullRequestId": "PR_refused" } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(graphql_error(
            "enablePullRequestAutoMerge",
            "UNPROCESSABLE",
            "Pull request Auto merge is not allowed for this repository",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    github
        .enable_auto_merge(1, "PR_ok", &MergeOptions::new(MergeMethod::Squash))
        .await
        .unwrap();
    let err = github
        .enable_auto_merge(
            2,
            "PR_refused",
            &MergeOptions::new(MergeMethod::Merge)
                .with_message("ferry: deploy dev\n\nFerry-Rollback: abc")
                .with_expected_head(&"d".repeat(40)),
        )
        .await
        .unwrap_err();
    match &err {
        GithubError::AutoMergeRefused { number, reason, .. } => {
            assert_eq!(*number, 2);
            assert_eq!(*reason, AutoMergeRefusal::NotAllowed);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "cannot enable auto-merge on pull request #2: Pull request Auto merge is not allowed for this repository"
    );
    let seen = requests(&server).await;
    assert!(
        json_of(&seen[0])["query"]
            .as_str()
            .unwrap()
            .contains("enablePullRequestAutoMerge")
    );
    assert_eq!(
        json_of(&seen[0])["variables"]["input"],
        json!({ "pullRequestId": "PR_ok", "mergeMethod": "SQUASH" })
    );
    assert_eq!(
        json_of(&seen[1])["variables"]["input"],
        json!({
            "pullRequestId": "PR_refused", "mergeMethod": "MERGE",
            "commitHeadline": "ferry: deploy dev", "commitBody": "Ferry-Rollback: abc",
            "expectedHeadOid": "d".repeat(40)
        })
    );
}

#[tokio::test]
async fn closes_a_superseded_pull_with_a_comment_then_deletes_its_branch() {
    let server = MockServer::start().await;
    let mut closed = example("pulls-update");
    closed["state"] = json!("closed");
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/1347/comments"))
        .and(body_json(json!({ "body": "Superseded by #1348." })))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("issues-create-comment")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/pulls/1347"))
        .and(body_json(json!({ "state": "closed" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(&closed))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/git/refs/heads/new-topic"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let pull = github
        .close_pull(1347, Some("Superseded by #1348."))
        .await
        .unwrap();
    assert_eq!(pull.pull_state(), PullState::Closed);
    assert!(github.delete_branch(&pull.head.name).await.unwrap());
    assert_eq!(
        calls(&server).await,
        [
            "POST /repos/o/r/issues/1347/comments",
            "PATCH /repos/o/r/pulls/1347",
            "DELETE /repos/o/r/git/refs/heads/new-topic",
        ]
    );
}

#[tokio::test]
async fn statuses_match_the_recorded_exchanges() {
    let server = MockServer::start().await;
    let (verb, route, sent, status, created) = recorded("create-status", 0);
    let (list_verb, list_route, _, list_status, listed) = recorded("create-status", 2);
    Mock::given(method(verb.as_str()))
        .and(path(route.as_str()))
        .and(body_json(&sent))
        .respond_with(ResponseTemplate::new(status).set_body_json(&created))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method(list_verb.as_str()))
        .and(path(list_route.as_str()))
        .respond_with(ResponseTemplate::new(list_status).set_body_json(&listed))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "octokit-fixture-org", "create-status");
    let sha = route.rsplit('/').next().unwrap();
    let new = NewStatus {
        state: StatusState::Failure,
        context: sent["context"].as_str().unwrap().into(),
        description: sent["description"].as_str().map(Into::into),
        target_url: sent["target_url"].as_str().map(Into::into),
    };
    let made = github.create_status(sha, &new).await.unwrap();
    assert_eq!(made.id, 1000);
    assert_eq!(made.state, StatusState::Failure);
    assert_eq!(made.context, "example/1");

    let all = github.list_statuses(sha).await.unwrap();
    assert_eq!(all.len(), listed.as_array().unwrap().len());
    assert_eq!(all[0].context, "example/2");
    assert_eq!(all[0].state, StatusState::Success);
    assert_eq!(verified_context("staging"), "ferry/verified/staging");
}

#[tokio::test]
async fn long_status_descriptions_are_cut_to_140_characters() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/statuses/abc"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 1, "state": "success", "context": "ferry/verified/dev",
            "created_at": "2017-10-10T16:00:00Z", "updated_at": "2017-10-10T16:00:00Z"
        })))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let status = NewStatus {
        state: StatusState::Success,
        context: verified_context("dev"),
        description: Some("é".repeat(200)),
        target_url: None,
    };
    github.create_status("abc", &status).await.unwrap();
    let sent = json_of(&requests(&server).await[0]);
    assert_eq!(sent["description"].as_str().unwrap().chars().count(), 140);
    assert_eq!(sent["context"], "ferry/verified/dev");
    assert_eq!(sent["state"], "success");
}

#[tokio::test(start_paused = true)]
async fn secondary_rate_limit_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "30")
                .set_body_json(json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
                })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("pulls-create")))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let started = tokio::time::Instant::now();
    let new = NewPullRequest {
        head: "deploy/dev-1".into(),
        base: "main".into(),
        title: "t".into(),
        body: "b".into(),
        draft: false,
    };
    let pull = github.create_pull(&new).await.unwrap();
    assert_eq!(pull.number, 1347);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(30), "waited {waited:?}");
    assert!(waited < Duration::from_secs(31), "waited {waited:?}");
    assert_eq!(
        calls(&server).await,
        ["POST /repos/o/r/pulls", "POST /repos/o/r/pulls"]
    );
    let seen = requests(&server).await;
    assert_eq!(json_of(&seen[0]), json_of(&seen[1]));
}

#[tokio::test(start_paused = true)]
async fn exhausted_primary_limit_waits_until_reset() {
    let server = MockServer::start().await;
    let reset = jiff::Timestamp::now().as_second() + 20;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(
                    json!({ "message": "API rate limit exceeded for installation ID 1." }),
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-get")))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let started = tokio::time::Instant::now();
    assert_eq!(github.get_pull(1347).await.unwrap().number, 1347);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(18) && waited <= Duration::from_secs(21),
        "waited {waited:?}"
    );
    assert_eq!(calls(&server).await.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_with_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-get")))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let started = tokio::time::Instant::now();
    assert_eq!(github.get_pull(1347).await.unwrap().number, 1347);
    // 1 s, then 2 s.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "waited {waited:?}"
    );
    assert_eq!(calls(&server).await.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_in_count_and_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/2"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_json(json!({ "message": "You have exceeded a secondary rate limit." })),
        )
        .mount(&server)
        .await;
    let mut config = config(&server, "o", "r", Credentials::token(TOKEN));
    config.retry = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let github = GithubClient::new(config).unwrap();

    let err = github.get_pull(1).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(calls(&server).await.len(), 3);

    // An hour is beyond the time budget: give up at once and say how long GitHub asked for.
    let started = tokio::time::Instant::now();
    let err = github.get_pull(2).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    match err {
        GithubError::RateLimited {
            attempts,
            retry_after,
            ..
        } => {
            assert_eq!(attempts, 1);
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(calls(&server).await.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn waits_for_a_merge() {
    let server = MockServer::start().await;
    let open = example("pulls-get");
    let mut merged = open.clone();
    merged["state"] = json!("closed");
    merged["merged"] = json!(true);
    merged["merged_at"] = json!("2011-01-26T19:01:12Z");
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&open))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&merged))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let state = github
        .wait_for_merge(1347, Duration::from_secs(10), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        state,
        PullState::Merged {
            merge_commit: open["merge_commit_sha"].as_str().map(Into::into)
        }
    );
    assert_eq!(calls(&server).await.len(), 3);

    let err = github
        .wait_for_merge(1347, Duration::from_secs(10), Duration::from_secs(5))
        .await;
    // Merged already: answered without waiting.
    assert!(err.is_ok());
}

/// A fresh RSA key in PKCS#1 PEM (the form GitHub hands out), made with openssl.
fn app_key() -> Option<Vec<u8>> {
    let openssl = ferry_test_support::require_tool("openssl")?;
    let out = std::process::Command::new(openssl)
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[tokio::test]
async fn github_app_exchanges_a_jwt_for_an_installation_token() {
    let Some(key) = app_key() else { return };
    let server = MockServer::start().await;
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/installation"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 4242, "app_id": 77, "target_type": "Organization"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/app/installations/4242/access_tokens"))
        .and(body_json(json!({ "repositories": ["Hello-World"] })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "ghs_INSTALLATIONTOKEN", "expires_at": expires.to_string()
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/octocat/Hello-World/pulls/1347"))
        .and(header("authorization", "Bearer ghs_INSTALLATIONTOKEN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-get")))
        .expect(2)
        .mount(&server)
        .await;
    let credentials = Credentials::app(77, &key).unwrap();
    assert!(!format!("{credentials:?}").contains("PRIVATE"));
    let github = GithubClient::new(config(&server, "octocat", "Hello-World", credentials)).unwrap();
    assert_eq!(github.get_pull(1347).await.unwrap().number, 1347);
    // The token is cached: no second exchange.
    assert_eq!(github.get_pull(1347).await.unwrap().number, 1347);
    assert_eq!(
        calls(&server).await,
        [
            "GET /repos/octocat/Hello-World/installation",
            "POST /app/installations/4242/access_tokens",
            "GET /repos/octocat/Hello-World/pulls/1347",
            "GET /repos/octocat/Hello-World/pulls/1347",
        ]
    );
    // The first two requests carry the App's JWT (RS256, issuer = App id).
    let seen = requests(&server).await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for request in &seen[..2] {
        let auth = auth_of(request);
        let jwt = auth.strip_prefix("Bearer ").unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let head: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(head["alg"], "RS256");
        assert_eq!(claims["iss"], 77);
        assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    }
    assert_eq!(
        github.token().await.unwrap().expose(),
        "ghs_INSTALLATIONTOKEN"
    );
    assert!(!format!("{github:?}").contains("ghs_"));
}

#[tokio::test]
async fn a_known_installation_skips_the_lookup() {
    let Some(key) = app_key() else { return };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/9/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "ghs_NINE", "expires_at": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let Credentials::App(mut app) = Credentials::app(77, &key).unwrap() else {
        unreachable!()
    };
    app.installation_id = Some(9);
    let github = GithubClient::new(config(&server, "o", "r", Credentials::App(app))).unwrap();
    assert_eq!(github.token().await.unwrap().expose(), "ghs_NINE");
    assert_eq!(
        calls(&server).await,
        ["POST /app/installations/9/access_tokens"]
    );
}

#[test]
fn bad_keys_and_urls_are_config_errors() {
    let err = match Credentials::app(
        1,
        b"-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----\n",
    ) {
        Err(err) => err,
        Ok(_) => panic!("a bad key is refused"),
    };
    assert!(matches!(err, GithubError::Config(_)), "{err:?}");
    assert!(!err.to_string().contains("nope"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = GithubConfig::new("o", "r", Credentials::token(TOKEN))
            .with_urls("api.github.com", "https://api.github.com/graphql");
        let err = GithubClient::new(config).unwrap_err();
        assert!(err.to_string().contains("must be absolute"), "{err}");
    });
}

#[tokio::test]
async fn tokens_never_show() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/5"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    let credentials = Credentials::token(TOKEN);
    let github = GithubClient::new(config(&server, "o", "r", credentials.clone())).unwrap();
    let err = github.get_pull(5).await.unwrap_err();
    for text in [
        format!("{credentials:?}"),
        format!("{github:?}"),
        format!("{:?}", config(&server, "o", "r", credentials.clone())),
        format!("{err}"),
        format!("{err:?}"),
        format!("{:?}", github.token().await.unwrap()),
    ] {
        assert!(!text.contains(TOKEN), "token leaked in {text}");
        assert!(!text.contains("FERRYTESTTOKEN"), "token leaked in {text}");
    }
    assert_eq!(
        err.to_string(),
        "GitHub answered GET /repos/o/r/pulls/5 with 401: Bad credentials"
    );
}

#[tokio::test]
async fn a_refused_installation_token_is_replaced_once() {
    let Some(key) = app_key() else { return };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/app/installations/9/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "token": "ghs_ONE" })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/app/installations/9/access_tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "token": "ghs_TWO" })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/git/ref/heads/main"))
        .and(header("authorization", "Bearer ghs_ONE"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/git/ref/heads/main"))
        .and(header("authorization", "Bearer ghs_TWO"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ref": "refs/heads/main", "object": { "sha": "c".repeat(40), "type": "commit" }
        })))
        .mount(&server)
        .await;
    let Credentials::App(mut app) = Credentials::app(77, &key).unwrap() else {
        unreachable!()
    };
    app.installation_id = Some(9);
    let github = GithubClient::new(config(&server, "o", "r", Credentials::App(app))).unwrap();
    assert_eq!(
        github.branch_head("main").await.unwrap(),
        Some("c".repeat(40))
    );
    assert_eq!(
        calls(&server).await,
        [
            "POST /app/installations/9/access_tokens",
            "GET /repos/o/r/git/ref/heads/main",
            "POST /app/installations/9/access_tokens",
            "GET /repos/o/r/git/ref/heads/main",
        ]
    );
}

#[tokio::test]
async fn a_refused_plain_token_is_final() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/5"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "message": "Bad credentials" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    assert_eq!(github.get_pull(5).await.unwrap_err().status(), Some(401));
}

#[tokio::test(start_paused = true)]
async fn transport_errors_are_retried_only_for_idempotent_methods() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut config = GithubConfig::new("o", "r", Credentials::token(TOKEN))
        .with_urls(url.clone(), format!("{url}/graphql"));
    config.connect_timeout = None;
    config.read_timeout = None;
    let github = GithubClient::new(config).unwrap();

    let started = tokio::time::Instant::now();
    let err = github.get_pull(1).await.unwrap_err();
    assert!(matches!(err, GithubError::Transport { .. }), "{err:?}");
    // Five attempts: waits of 1, 2, 4 and 8 seconds between them.
    assert_eq!(started.elapsed().as_secs(), 15);

    let started = tokio::time::Instant::now();
    let err = github.comment(1, "hello").await.unwrap_err();
    assert!(matches!(err, GithubError::Transport { .. }), "{err:?}");
    assert_eq!(started.elapsed().as_secs(), 0);
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test(start_paused = true)]
async fn graphql_rate_limit_is_waited_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("retry-after", "12")
                .set_body_json(json!({
                    "data": null,
                    "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1." }]
                })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "createCommitOnBranch": { "commit": { "oid": "d".repeat(40), "url": "u" } } }
        })))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let started = tokio::time::Instant::now();
    let commit = github.commit_on_branch(&branch_commit()).await.unwrap();
    assert_eq!(commit.oid, "d".repeat(40));
    assert_eq!(started.elapsed().as_secs(), 12);
    assert_eq!(
        calls(&server).await,
        ["POST /api/graphql", "POST /api/graphql"]
    );
}

#[tokio::test]
async fn merges_directly_with_the_documented_answers() {
    let merge = read_json("pulls-merge.json");
    let documented = |status: u64| -> Value {
        merge["error_examples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["status"] == status)
            .unwrap()["documented_examples"][0]["value"]
            .clone()
    };
    let server = MockServer::start().await;
    let head = "e".repeat(40);
    Mock::given(method("PUT"))
        .and(path("/repos/o/r/pulls/1/merge"))
        .and(body_json(json!({ "merge_method": "squash", "sha": head })))
        .respond_with(ResponseTemplate::new(200).set_body_json(&merge["example_response"]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/repos/o/r/pulls/2/merge"))
        .respond_with(ResponseTemplate::new(405).set_body_json(documented(405)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/repos/o/r/pulls/3/merge"))
        .respond_with(ResponseTemplate::new(409).set_body_json(documented(409)))
        .expect(1)
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let sha = github
        .merge_pull(
            1,
            &MergeOptions::new(MergeMethod::Squash).with_expected_head(&head),
        )
        .await
        .unwrap();
    assert_eq!(sha, merge["example_response"]["sha"].as_str().unwrap());

    let err = github
        .merge_pull(
            2,
            &MergeOptions::new(MergeMethod::Merge).with_message("ferry: deploy dev"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "pull request #2 cannot be merged: Pull Request is not mergeable"
    );
    let err = github
        .merge_pull(
            3,
            &MergeOptions::new(MergeMethod::Rebase)
                .with_message("ferry: deploy dev\n\nbody")
                .with_expected_head(&head),
        )
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let sent: Vec<Value> = requests(&server).await.iter().map(json_of).collect();
    assert_eq!(
        sent[1],
        json!({ "merge_method": "merge", "commit_title": "ferry: deploy dev" })
    );
    // A rebase keeps the pull request's own commits: no message is sent.
    assert_eq!(sent[2], json!({ "merge_method": "rebase", "sha": head }));
}

#[tokio::test]
async fn a_concurrently_opened_pull_request_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "code": "custom",
                         "message": "A pull request already exists for o:deploy/dev-1." }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        })))
        .mount(&server)
        .await;
    let github = client(&server, "o", "r");
    let new = NewPullRequest {
        head: "deploy/dev-1".into(),
        base: "main".into(),
        title: "t".into(),
        body: "b".into(),
        draft: false,
    };
    let err = github.create_pull(&new).await.unwrap_err();
    match err {
        GithubError::PullRequestExists { head, message } => {
            assert_eq!(head, "deploy/dev-1");
            assert!(
                message.contains("A pull request already exists"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The calls of a first dev change with auto-merge fit in seven requests.
#[tokio::test]
async fn a_first_change_with_auto_merge_takes_seven_requests() {
    let server = MockServer::start().await;
    let base = example("git-get-ref");
    let base_sha = base["object"]["sha"].as_str().unwrap().to_owned();
    let created = example("pulls-create");
    Mock::given(method("GET"))
        .and(path("/repos/o/r/git/ref/heads/main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&base))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .and(query_param("base", "main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/refs"))
        .and(body_json(
            json!({ "ref": "refs/heads/deploy/dev-1a2b3c4", "sha": base_sha }),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(wiremock::matchers::body_partial_json(json!({
            "variables": { "input": { "expectedHeadOid": base_sha } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "createCommitOnBranch": { "commit": { "oid": "f".repeat(40), "url": "u" } } }
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(&created))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/1347/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("issues-add-labels")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(wiremock::matchers::body_partial_json(json!({
            "variables": { "input": { "pullRequestId": created["node_id"] } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "enablePullRequestAutoMerge": { "pullRequest": { "number": 1347 } } }
        })))
        .mount(&server)
        .await;

    let github = client(&server, "o", "r");
    let branch = "deploy/dev-1a2b3c4";
    let head = github.branch_head("main").await.unwrap().unwrap();
    let open = github.list_open_pulls("main").await.unwrap();
    assert!(open.is_empty());
    github.create_branch(branch, &head).await.unwrap();
    let mut commit = branch_commit();
    commit.expected_head = head;
    github.commit_on_branch(&commit).await.unwrap();
    let pull = github
        .create_pull(&NewPullRequest {
            head: branch.into(),
            base: "main".into(),
            title: "ferry: deploy dev".into(),
            body: "<!-- ferry:change env=dev -->\nFerry updates the images of **dev** (base `main`).\n\n\
                   No image changes.\n"
                .into(),
            draft: false,
        })
        .await
        .unwrap();
    github.add_labels(pull.number, &["ferry"]).await.unwrap();
    github
        .enable_auto_merge(
            pull.number,
            &pull.node_id,
            &MergeOptions::new(MergeMethod::Squash),
        )
        .await
        .unwrap();
    assert_eq!(
        calls(&server).await,
        [
            "GET /repos/o/r/git/ref/heads/main",
            "GET /repos/o/r/pulls?state=open&base=main&sort=created&direction=asc&per_page=100&page=1",
            "POST /repos/o/r/git/refs",
            "POST /api/graphql",
            "POST /repos/o/r/pulls",
            "POST /repos/o/r/issues/1347/labels",
            "POST /api/graphql",
        ]
    );
}

/// GitHub Enterprise Server: REST below `/api/v3`, GraphQL at `/api/graphql`.
#[tokio::test]
async fn enterprise_server_urls_are_used_as_given() {
    let Some(key) = app_key() else { return };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/o/r/installation"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found", "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "createCommitOnBranch": { "commit": { "oid": "1".repeat(40), "url": "u" } } }
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/o/r/pulls/7"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })))
        .mount(&server)
        .await;
    let enterprise = |credentials| {
        let mut config = config(&server, "o", "r", credentials).with_urls(
            format!("{}/api/v3/", server.uri()),
            format!("{}/api/graphql", server.uri()),
        );
        config.retry = RetryPolicy::never();
        GithubClient::new(config).unwrap()
    };
    let github = enterprise(Credentials::token(TOKEN));
    github.commit_on_branch(&branch_commit()).await.unwrap();
    assert!(github.get_pull(7).await.unwrap_err().is_not_found());

    let app = enterprise(Credentials::app(77, &key).unwrap());
    let err = app.token().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "GitHub answered GET /repos/o/r/installation with 404: Not Found (is GitHub App 77 installed on o/r?)"
    );
    assert_eq!(
        calls(&server).await,
        [
            "POST /api/graphql",
            "GET /api/v3/repos/o/r/pulls/7",
            "GET /api/v3/repos/o/r/installation",
        ]
    );
}
