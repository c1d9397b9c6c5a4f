//! Reviewing pull requests through the GitHub forge (list, show, merge guarded by the head
//! commit, close) and the downgrade guard against open pull requests, against wiremock serving
//! the conformance bodies of `fixtures/conformance/github/`.

use crate::common;

use std::collections::BTreeMap;

use common::{BACKEND, TestRepo};
use ferry_github::{Credentials, GithubClient, GithubConfig, MergeMethod};
use ferry_gitops::deploy::render_body;
use ferry_gitops::deploy::{DeployError, DeployPlanner, ImageRequest};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::forge::{
    Base, ChangeRequest, ChangeState, DEFAULT_MAX_ATTEMPTS, Forge, ForgeError,
};
use ferry_gitops::plan::{ImageUpdate, NoRepository, deploy_branch, overlay_update};
use ferry_gitops::{CommitRequest, FileChange, ObjectId, Repo, Signature};
use ferry_test_support::github::{
    GRAPHQL_PATH, PullNode, calls, example, graphql, json_of, other_pull, snapshot_answer,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";

fn forge(server: &MockServer, repo: &TestRepo) -> GithubForge {
    let mut config = GithubConfig::new("o", "r", Credentials::token("ghp_REVIEWTOKEN0123456789"))
        .with_urls(server.uri(), format!("{}{GRAPHQL_PATH}", server.uri()));
    config.connect_timeout = None;
    config.read_timeout = None;
    let options = GithubForgeOptions {
        remote: "origin".into(),
        base_branch: "main".into(),
        branch_prefix: "deploy/".into(),
        signature: Signature::new(
            "Ferry",
            "ferry@example.com",
            jiff::Timestamp::from_second(common::T0).unwrap(),
        ),
        merge_method: MergeMethod::Squash,
        overlays: BTreeMap::from([("dev".to_owned(), "infra/k8s/overlays/dev".to_owned())]),
        resolve: Default::default(),
    };
    GithubForge::new(
        GithubClient::new(config).unwrap(),
        Repo::open(repo.path()).unwrap(),
        options,
    )
}

fn dev_branch(tag: &str) -> String {
    let images = BTreeMap::from([("backend".to_owned(), format!("{BACKEND}:{tag}"))]);
    deploy_branch("deploy/", "dev", &images)
}

/// The documented pull request, made a Ferry change of dev on `branch`.
fn ferry_pull(branch: &str) -> Value {
    let mut pull = example("pulls-get");
    pull["head"]["ref"] = json!(branch);
    pull["body"] = json!(render_body("dev", "main", &[]));
    pull
}

async fn mount_pull(server: &MockServer, pull: &Value) {
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull))
        .mount(server)
        .await;
}

async fn mount_delete(server: &MockServer, branch: &str) {
    Mock::given(method("DELETE"))
        .and(path(format!("/repos/o/r/git/refs/heads/{branch}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

#[tokio::test]
async fn lists_the_open_ferry_pull_requests_of_an_environment() {
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let dev = dev_branch("1.4.0");
    let staging = deploy_branch(
        "deploy/",
        "staging",
        &BTreeMap::from([("backend".to_owned(), "x".to_owned())]),
    );
    let head = "a".repeat(40);
    let pulls = vec![
        PullNode {
            number: 5,
            branch: &dev,
            head: &head,
            tree: &head,
            parent: &base.to_string(),
            body: &render_body("dev", "main", &[]),
            labels: &["ferry"],
            auto_merge: false,
            cross: false,
        }
        .json(),
        other_pull(6, &staging, &render_body("staging", "main", &[]), false),
        other_pull(7, "feature/x", "not Ferry's", false),
    ];
    graphql("FerrySnapshot")
        .respond_with(ResponseTemplate::new(200).set_body_json(snapshot_answer(
            &base.to_string(),
            pulls,
            Value::Null,
        )))
        .mount(&server)
        .await;
    let forge = forge(&server, &repo);
    let dev_changes = forge.changes(Some("dev")).await.unwrap();
    assert_eq!(dev_changes.len(), 1);
    let c = &dev_changes[0];
    assert_eq!(
        (c.id.as_str(), c.env.as_deref(), c.branch.as_str()),
        ("5", Some("dev"), dev.as_str())
    );
    assert_eq!(c.state, ChangeState::Open);
    assert_eq!(c.head.as_deref(), Some(head.as_str()));
    assert_eq!(c.url.as_deref(), Some("https://github.com/o/r/pull/5"));
    let all = forge.changes(None).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["5", "6"], "feature/x is not a Ferry change");
}

#[tokio::test]
async fn a_merge_is_guarded_by_the_head_the_reviewer_saw() {
    let (repo, _) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let branch = dev_branch("1.4.0");
    let pull = ferry_pull(&branch);
    let head = pull["head"]["sha"].as_str().unwrap().to_owned();
    mount_pull(&server, &pull).await;
    Mock::given(method("PUT"))
        .and(path("/repos/o/r/pulls/1347/merge"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-merge")))
        .mount(&server)
        .await;
    mount_delete(&server, &branch).await;
    let forge = forge(&server, &repo);

    let shown = forge.change("1347").await.unwrap();
    assert_eq!(shown.state, ChangeState::Open);
    assert_eq!(shown.env.as_deref(), Some("dev"));
    assert_eq!(shown.head.as_deref(), Some(head.as_str()));

    // Another head than the one approved: refused before any merge request.
    let refused = forge.merge_change("1347", Some("0123456789abcdef")).await;
    assert!(
        matches!(&refused, Err(ForgeError::HeadMoved { actual, .. }) if *actual == head),
        "{refused:?}"
    );
    assert!(
        !calls(&server).await.iter().any(|c| c.starts_with("PUT")),
        "nothing merged"
    );

    let merged = forge.merge_change("1347", Some(&head[..12])).await.unwrap();
    assert_eq!(merged.state, ChangeState::Merged);
    assert_eq!(
        merged.merge_commit.as_deref(),
        example("pulls-merge")["sha"].as_str()
    );
    let requests = server.received_requests().await.unwrap();
    let put = requests
        .iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("a merge request");
    assert_eq!(
        json_of(put)["sha"],
        head.as_str(),
        "merged only at that head"
    );
    assert_eq!(json_of(put)["merge_method"], "squash");
    let made = calls(&server).await;
    assert_eq!(
        made.last().unwrap(),
        &format!("DELETE /repos/o/r/git/refs/heads/{branch}")
    );
}

#[tokio::test]
async fn a_moved_head_or_a_closed_pull_request_is_not_merged() {
    let (repo, _) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let branch = dev_branch("1.4.0");
    let pull = ferry_pull(&branch);
    mount_pull(&server, &pull).await;
    // GitHub refuses: the head moved between the read and the merge.
    Mock::given(method("PUT"))
        .and(path("/repos/o/r/pulls/1347/merge"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({ "message": "Head branch was modified. Review and try the merge again." }),
        ))
        .mount(&server)
        .await;
    let mut closed = pull.clone();
    closed["state"] = json!("closed");
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&closed))
        .mount(&server)
        .await;
    let forge = forge(&server, &repo);
    let moved = forge.merge_change("1347", None).await;
    assert!(
        matches!(moved, Err(ForgeError::HeadMoved { .. })),
        "{moved:?}"
    );
    let not_open = forge.merge_change("7", None).await;
    assert!(
        matches!(
            not_open,
            Err(ForgeError::NotOpen {
                state: ChangeState::Closed,
                ..
            })
        ),
        "{not_open:?}"
    );
    assert!(matches!(
        forge.close_change("7").await,
        Err(ForgeError::NotOpen { .. })
    ));
}

#[tokio::test]
async fn closing_comments_closes_and_deletes_the_branch() {
    let (repo, _) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let branch = dev_branch("1.4.0");
    let pull = ferry_pull(&branch);
    mount_pull(&server, &pull).await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/1347/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("issues-create-comment")))
        .mount(&server)
        .await;
    let mut updated = example("pulls-update");
    updated["state"] = json!("closed");
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/pulls/1347"))
        .respond_with(ResponseTemplate::new(200).set_body_json(updated))
        .mount(&server)
        .await;
    mount_delete(&server, &branch).await;
    let forge = forge(&server, &repo);
    let closed = forge.close_change("1347").await.unwrap();
    assert_eq!(closed.state, ChangeState::Closed);
    assert_eq!(
        calls(&server).await,
        [
            "GET /repos/o/r/pulls/1347".to_owned(),
            "POST /repos/o/r/issues/1347/comments".to_owned(),
            "PATCH /repos/o/r/pulls/1347".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/{branch}"),
        ]
    );
}

/// A commit on `base` setting the dev backend to `tag` (what an open pull request's head holds).
fn head_with(repo: &Repo, base: ObjectId, tag: &str) -> ObjectId {
    let text = repo.read_file(base, DEV).unwrap().unwrap();
    let update = ImageUpdate {
        repository: BACKEND.parse().unwrap(),
        image: format!("{BACKEND}:{tag}").parse().unwrap(),
    };
    let out = overlay_update(std::str::from_utf8(&text).unwrap(), &[update]).unwrap();
    let signature = Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(common::T0).unwrap(),
    );
    repo.build_commit(&CommitRequest {
        parent: Some(base),
        changes: vec![FileChange {
            path: DEV.into(),
            content: Some(out.text.into_bytes()),
        }],
        message: format!("dev: backend {tag}\n"),
        author: signature.clone(),
        committer: signature,
    })
    .unwrap()
}

#[tokio::test]
async fn an_older_version_never_supersedes_a_newer_open_pull_request() {
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let local = Repo::open(repo.path()).unwrap();
    let newer = head_with(&local, base, "3.0.29");
    let newer_branch = dev_branch("3.0.29");
    let head = newer.to_string();
    let tree = local.commit(newer).unwrap().tree.to_string();
    let pulls = vec![
        PullNode {
            number: 41,
            branch: &newer_branch,
            head: &head,
            tree: &tree,
            parent: &base.to_string(),
            body: &render_body("dev", "main", &[]),
            labels: &[],
            auto_merge: false,
            cross: false,
        }
        .json(),
    ];
    graphql("FerrySnapshot")
        .respond_with(ResponseTemplate::new(200).set_body_json(snapshot_answer(
            &base.to_string(),
            pulls,
            Value::Null,
        )))
        .mount(&server)
        .await;
    let forge = forge(&server, &repo);
    let requests = vec![ImageRequest {
        name: "backend".into(),
        repository: BACKEND.parse().unwrap(),
        image: format!("{BACKEND}:3.0.5").parse().unwrap(),
    }];
    let mut planner = DeployPlanner::new(
        "dev",
        "infra/k8s/overlays/dev",
        requests,
        false,
        Vec::new(),
        &NoRepository,
    );
    // On the base alone, 3.0.5 is an upgrade.
    assert!(planner.compute(&Base::new(base, &local)).is_ok());
    let request = ChangeRequest {
        env: "dev".into(),
        branch: dev_branch("3.0.5"),
        title: "dev: backend 3.0.5".into(),
        body: render_body("dev", "main", &[]),
        message: "dev: backend 3.0.5\n".into(),
        labels: vec![],
        auto_merge: false,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
    };
    let refused = forge.open_change(&request, &mut planner).await;
    let Err(ForgeError::Plan(error)) = refused else {
        panic!("{refused:?}");
    };
    let Some(DeployError::Downgraded(d)) = error.downcast_ref::<DeployError>() else {
        panic!("{error}");
    };
    assert!(!d.downgrades.is_empty());
    for downgrade in &d.downgrades {
        assert!(downgrade.reason.contains("open change 41"), "{d}");
        assert!(downgrade.from.ends_with(":3.0.29"), "{d}");
    }
    assert_eq!(
        calls(&server).await,
        ["graphql FerrySnapshot"],
        "nothing was written"
    );
}
