//! The GitHub forge against wiremock serving GitHub's documented and recorded response bodies
//! from `fixtures/conformance/github/`, over a real local git repository.
//!
//! REST answers are the conformance bodies (only fields that must match, such as a commit id,
//! are patched). GitHub documents no GraphQL answers; those are written here following the
//! schema excerpt `graphql-mutations.graphql` and the error envelope of `graphql-errors.json`.
//! Every test asserts the requests made, in order.

use crate::common;
mod faults;
mod slots;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use common::{BACKEND, TestRepo};
use ferry_github::{Credentials, GithubClient, GithubConfig, MergeMethod};
use ferry_gitops::ObjectId;
use ferry_gitops::deploy::render_body;
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions, image_set_digest};
use ferry_gitops::forge::{
    Base, ChangeRequest, DEFAULT_MAX_ATTEMPTS, Files, Forge, ForgeError, OpenChangeInfo, PlanError,
    WaitOutcome,
};
use ferry_gitops::gates::Hold;
use ferry_gitops::plan::{ImageUpdate, deploy_branch, overlay_update};
use ferry_gitops::{
    CommitRequest, EnvironmentSpec, FileChange, Repo, Signature, VerificationRecord, build_ledger,
};
use ferry_test_support::github::{
    FIRST_CHANGE, GRAPHQL_PATH, PullNode, calls, commit_answer, example, graphql, graphql_error,
    holds_file_answer, json_of, mount_first_change, mount_slot, other_pull, recorded, slot_commit,
    snapshot_answer, stale_answer, with_slot,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghp_FERRYFORGETOKEN0123456789";
const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";

// ---------------------------------------------------------------------------------------------
// Logs: one process-wide subscriber, so no test can miss events (tracing caches interest per
// callsite across threads).

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    })
}

fn log_text() -> String {
    String::from_utf8(logs().0.lock().unwrap().clone()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The repository, the forge and the planner.

fn signature() -> Signature {
    Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(common::T0).unwrap(),
    )
}

fn options() -> GithubForgeOptions {
    GithubForgeOptions {
        remote: "origin".into(),
        base_branch: "main".into(),
        branch_prefix: "deploy/".into(),
        signature: signature(),
        merge_method: MergeMethod::Squash,
        overlays: BTreeMap::from([("dev".to_owned(), "infra/k8s/overlays/dev".to_owned())]),
        resolve: Default::default(),
    }
}

fn github_config(server: &MockServer, credentials: Credentials) -> GithubConfig {
    let mut config = GithubConfig::new("o", "r", credentials)
        .with_urls(server.uri(), format!("{}{GRAPHQL_PATH}", server.uri()));
    config.connect_timeout = None;
    config.read_timeout = None;
    config
}

fn forge(server: &MockServer, repo: &TestRepo) -> GithubForge {
    let client = GithubClient::new(github_config(server, Credentials::token(TOKEN))).unwrap();
    GithubForge::new(client, Repo::open(repo.path()).unwrap(), options())
}

fn images(tag: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("backend".to_owned(), format!("{BACKEND}:{tag}"))])
}

fn branch(tag: &str) -> String {
    deploy_branch("deploy/", "dev", &images(tag))
}

fn request(tag: &str, auto_merge: bool) -> ChangeRequest {
    ChangeRequest {
        env: "dev".into(),
        branch: branch(tag),
        title: format!("ferry: deploy backend {tag} to dev"),
        body: render_body("dev", "main", &[]),
        message: format!("ferry: deploy backend {tag} to dev\n\nOpened by Ferry."),
        labels: vec!["ferry".into(), "deploy".into()],
        auto_merge,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
    }
}

/// The dev overlay with the backend at `tag`, computed from the base (what `ferry-pr` does).
fn dev_files(base: &Base<'_>, tag: &str) -> Result<Files, PlanError> {
    let text = base.repo.read_file(base.commit, DEV)?.expect("dev overlay");
    let update = ImageUpdate {
        repository: BACKEND.parse()?,
        image: format!("{BACKEND}:{tag}").parse()?,
    };
    let out = overlay_update(std::str::from_utf8(&text)?, &[update])?;
    Ok(Files::from([(DEV.to_owned(), out.text)]))
}

/// A planner for `tag` that records the bases it was called with.
fn planner(
    tag: &'static str,
    seen: Arc<Mutex<Vec<ObjectId>>>,
) -> impl FnMut(&Base<'_>) -> Result<Files, PlanError> {
    move |base: &Base<'_>| {
        seen.lock().unwrap().push(base.commit);
        dev_files(base, tag)
    }
}

/// The tree GitHub's commit of `tag` on `base` has (same entries, so the same id).
fn wanted_tree(repo: &TestRepo, base: ObjectId, tag: &str) -> String {
    let local = Repo::open(repo.path()).unwrap();
    let files = dev_files(&Base::new(base, &local), tag).unwrap();
    let commit = local
        .build_commit(&CommitRequest {
            parent: Some(base),
            changes: files
                .into_iter()
                .map(|(path, text)| FileChange {
                    path,
                    content: Some(text.into_bytes()),
                })
                .collect(),
            message: "x\n".into(),
            author: signature(),
            committer: signature(),
        })
        .unwrap();
    local.commit(commit).unwrap().tree.to_string()
}

// ---------------------------------------------------------------------------------------------
// Mocks and request log.

async fn mount(server: &MockServer, mock: Mock) {
    mock.mount(server).await;
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn seen() -> Arc<Mutex<Vec<ObjectId>>> {
    Arc::new(Mutex::new(Vec::new()))
}

// ---------------------------------------------------------------------------------------------
// Opening changes.

/// Acceptance: `ferry-pr open --auto-merge` for dev (sync, holds, open) takes eight requests
/// (six, and two that take the environment's slot); the base's files are read locally.
#[tokio::test]
async fn a_first_dev_change_with_auto_merge_takes_eight_requests() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let commit = "c".repeat(40);
    mount_first_change(&server, &base_hex, &commit).await;
    let forge = forge(&server, &repo);

    assert_eq!(forge.sync().await.unwrap(), base);
    assert!(forge.holds().await.unwrap().is_empty());
    let bases = seen();
    let opened = forge
        .open_change(
            &request("1.4.0", true),
            &mut planner("1.4.0", bases.clone()),
        )
        .await
        .unwrap();

    let made = calls(&server).await;
    assert_eq!(made, FIRST_CHANGE);
    assert_eq!(*bases.lock().unwrap(), [base]);
    let created = example("pulls-create");
    assert_eq!(opened.number, Some(1347));
    assert_eq!(opened.id, "1347");
    assert_eq!(opened.url.as_deref(), created["html_url"].as_str());
    assert_eq!(opened.branch, branch("1.4.0"));
    assert!(opened.created && !opened.updated && opened.auto_merge && !opened.merged);
    assert!(!opened.up_to_date);
    assert_eq!(opened.commit, commit);
    assert_eq!(opened.base, base_hex);
    assert_eq!(opened.attempts, 1);
    assert!(opened.superseded.is_empty() && opened.warnings.is_empty());

    // What was sent: the branch at the base, a compare-and-swap commit of the planned text, the
    // pull request, the labels, auto-merge with the configured method.
    let seen = requests(&server).await;
    let query = json_of(&seen[0]);
    assert_eq!(query["variables"]["base"], "main");
    assert_eq!(query["variables"]["holdsRef"], "refs/heads/ferry/holds");
    assert_eq!(
        json_of(&seen[1]),
        json!({ "ref": format!("refs/heads/{}", branch("1.4.0")), "sha": base_hex })
    );
    let expected_text = repo.read(DEV).replace(
        "newTag: 1.3.3 # bumped by ferry-pr\n  - name: registry.example.com/acme/frontend",
        "newTag: 1.4.0 # bumped by ferry-pr\n  - name: registry.example.com/acme/frontend",
    );
    assert_ne!(expected_text, repo.read(DEV));
    assert_eq!(
        json_of(&seen[2])["variables"]["input"],
        json!({
            "branch": { "repositoryNameWithOwner": "o/r", "branchName": branch("1.4.0") },
            "expectedHeadOid": base_hex,
            "message": { "headline": "ferry: deploy backend 1.4.0 to dev", "body": "Opened by Ferry." },
            "fileChanges": { "additions": [{ "path": DEV, "contents": b64(&expected_text) }], "deletions": [] }
        })
    );
    assert_eq!(
        json_of(&seen[3]),
        json!({
            "head": branch("1.4.0"), "base": "main", "title": "ferry: deploy backend 1.4.0 to dev",
            "body": render_body("dev", "main", &[]), "draft": false
        })
    );
    // The environment's slot: a new commit on the base's tree naming the pull request, and
    // the slot ref created at it (it did not exist).
    let base_tree = Repo::open(repo.path()).unwrap().commit(base).unwrap().tree;
    assert_eq!(
        json_of(&seen[4]),
        json!({
            "message": format!(
                "ferry: #1347 is the open change of dev\n\nFerry-Slot: dev\nFerry-Change: 1347\nFerry-Branch: {}\n",
                branch("1.4.0")
            ),
            "tree": base_tree.to_string(),
            "parents": []
        })
    );
    assert_eq!(
        json_of(&seen[5]),
        json!({ "ref": "refs/ferry/slots/dev", "sha": slot_commit() })
    );
    assert_eq!(json_of(&seen[6]), json!({ "labels": ["ferry", "deploy"] }));
    // Auto-merge lands the change's own message (its trailers reach the base) and only for
    // the commit just made.
    assert_eq!(
        json_of(&seen[7])["variables"]["input"],
        json!({
            "pullRequestId": created["node_id"], "mergeMethod": "SQUASH",
            "commitHeadline": "ferry: deploy backend 1.4.0 to dev", "commitBody": "Opened by Ferry.",
            "expectedHeadOid": commit
        })
    );
}

/// A re-run finds its pull request up to date (one request, no commit); after the base moved,
/// the change is rebuilt on the new base through a scratch branch, never reset to the base.
#[tokio::test]
async fn re_runs_are_idempotent_and_follow_a_moved_base() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let head = "c".repeat(40);
    let tree = wanted_tree(&repo, base, "1.4.0");
    let branch = branch("1.4.0");
    let body = render_body("dev", "main", &[]);
    let node = |parent: &str| {
        PullNode {
            number: 1347,
            branch: &branch,
            head: &head,
            tree: &tree,
            parent,
            body: &body,
            labels: &["ferry", "deploy"],
            auto_merge: true,
            cross: false,
        }
        .json()
    };
    let mut pull = node(&base_hex);
    pull["title"] = json!("ferry: deploy backend 1.4.0 to dev");
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(ResponseTemplate::new(200).set_body_json(with_slot(
            snapshot_answer(&base_hex, vec![pull], Value::Null),
            "dev",
            1347,
        ))),
    )
    .await;
    let forge = forge(&server, &repo);
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert_eq!(calls(&server).await, ["graphql FerrySnapshot"]);
    assert_eq!(opened.number, Some(1347));
    assert!(!opened.created && !opened.updated && opened.auto_merge);
    assert_eq!(opened.commit, head);
    assert_eq!(
        opened.url.as_deref(),
        Some("https://github.com/o/r/pull/1347")
    );

    // The base moves (staging changed); the same content is rebuilt on the new base.
    repo.bump("staging", BACKEND, "1.3.4");
    let moved = repo.commit_all("staging: backend 1.3.4", "Ada <ada@example.com>");
    let moved_hex = moved.to_string();
    server.reset().await;
    let mut pull = node(&base_hex);
    pull["title"] = json!("ferry: deploy backend 1.4.0 to dev");
    let scratch = format!("ferry/tmp/{branch}");
    let rebuilt = "d".repeat(40);
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(ResponseTemplate::new(200).set_body_json(with_slot(
            snapshot_answer(&moved_hex, vec![pull], Value::Null),
            "dev",
            1347,
        ))),
    )
    .await;
    mount_slot(&server).await;
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/repos/o/r/git/refs"))
            .and(body_json(
                json!({ "ref": format!("refs/heads/{scratch}"), "sha": moved_hex }),
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref"))),
    )
    .await;
    mount(
        &server,
        graphql("createCommitOnBranch")
            .and(body_partial_json(json!({ "variables": { "input": {
                "branch": { "branchName": scratch }, "expectedHeadOid": moved_hex
            } } })))
            .respond_with(ResponseTemplate::new(200).set_body_json(commit_answer(&rebuilt))),
    )
    .await;
    mount(
        &server,
        Mock::given(method("PATCH"))
            .and(path(format!("/repos/o/r/git/refs/heads/{branch}")))
            .and(body_json(json!({ "sha": rebuilt, "force": true })))
            .respond_with(ResponseTemplate::new(200).set_body_json(example("git-update-ref"))),
    )
    .await;
    mount(
        &server,
        Mock::given(method("DELETE"))
            .and(path(format!("/repos/o/r/git/refs/heads/{scratch}")))
            .respond_with(ResponseTemplate::new(204)),
    )
    .await;
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "graphql FerryCreateCommit".to_owned(),
            format!("PATCH /repos/o/r/git/refs/heads/{branch}"),
            format!("DELETE /repos/o/r/git/refs/heads/{scratch}"),
            // A moved change moves the slot (fast-forward only: a compare-and-swap).
            "POST /repos/o/r/git/commits".to_owned(),
            "PATCH /repos/o/r/git/refs/ferry/slots/dev".to_owned(),
        ]
    );
    let slot = requests(&server).await.pop().unwrap();
    assert_eq!(
        json_of(&slot),
        json!({ "sha": slot_commit(), "force": false })
    );
    assert!(!opened.created && opened.updated);
    assert_eq!(opened.commit, rebuilt);
    assert_eq!(opened.base, moved_hex);
}

/// A new change closes the environment's other Ferry pull requests with a comment and deletes
/// their branches; other environments, other people's and forks' pull requests stay.
#[tokio::test]
async fn a_new_change_supersedes_the_older_ones_of_its_environment() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let old_branch = branch("1.3.9");
    let staging_branch = deploy_branch("deploy/", "staging", &images("1.4.0"));
    let dev_body = render_body("dev", "main", &[]);
    let staging_body = render_body("staging", "main", &[]);
    let pull = other_pull;
    let pulls = vec![
        pull(11, &old_branch, &dev_body, false),
        pull(12, &staging_branch, &staging_body, false),
        pull(13, "feature/readme", "Docs.", false),
        pull(14, &branch("1.0.0"), &dev_body, true),
    ];
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &base_hex,
                pulls,
                Value::Null,
            )),
        ),
    )
    .await;
    mount_first_change(&server, &base_hex, &"c".repeat(40)).await;
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/repos/o/r/issues/11/comments"))
            .and(body_json(json!({ "body": "Superseded by #1347." })))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(example("issues-create-comment")),
            ),
    )
    .await;
    let mut closed = example("pulls-update");
    closed["state"] = json!("closed");
    mount(
        &server,
        Mock::given(method("PATCH"))
            .and(path("/repos/o/r/pulls/11"))
            .and(body_json(json!({ "state": "closed" })))
            .respond_with(ResponseTemplate::new(200).set_body_json(&closed)),
    )
    .await;
    mount(
        &server,
        Mock::given(method("DELETE"))
            .and(path(format!("/repos/o/r/git/refs/heads/{old_branch}")))
            .respond_with(ResponseTemplate::new(204)),
    )
    .await;
    let forge = forge(&server, &repo);
    let opened = forge
        .open_change(&request("1.4.0", false), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert_eq!(opened.superseded, ["11"]);
    assert!(opened.created && !opened.auto_merge);
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "graphql FerryCreateCommit".to_owned(),
            "POST /repos/o/r/pulls".to_owned(),
            "POST /repos/o/r/git/commits".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "POST /repos/o/r/issues/1347/labels".to_owned(),
            "POST /repos/o/r/issues/11/comments".to_owned(),
            "PATCH /repos/o/r/pulls/11".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/{old_branch}"),
        ]
    );
}

/// When the base already has the content, nothing is opened and the environment's open
/// changes are closed as out of date.
#[tokio::test]
async fn an_up_to_date_base_opens_nothing() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let old = branch("1.3.9");
    let body = render_body("dev", "main", &[]);
    let pull = other_pull(11, &old, &body, false);
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &base_hex,
                vec![pull],
                Value::Null,
            )),
        ),
    )
    .await;
    let expected = format!(
        "Superseded: `main` already has this content ({}).",
        &base_hex[..12]
    );
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/repos/o/r/issues/11/comments"))
            .and(body_json(json!({ "body": expected })))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(example("issues-create-comment")),
            ),
    )
    .await;
    let mut closed = example("pulls-update");
    closed["state"] = json!("closed");
    mount(
        &server,
        Mock::given(method("PATCH"))
            .and(path("/repos/o/r/pulls/11"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&closed)),
    )
    .await;
    mount(
        &server,
        Mock::given(method("DELETE"))
            .and(path(format!("/repos/o/r/git/refs/heads/{old}")))
            .respond_with(ResponseTemplate::new(204)),
    )
    .await;
    let forge = forge(&server, &repo);
    let opened = forge
        .open_change(&request("1.3.3", true), &mut planner("1.3.3", seen()))
        .await
        .unwrap();
    assert!(opened.up_to_date && !opened.created && !opened.updated);
    assert_eq!(opened.number, None);
    assert_eq!(opened.commit, base_hex);
    assert_eq!(opened.superseded, ["11"]);
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/issues/11/comments".to_owned(),
            "PATCH /repos/o/r/pulls/11".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/{old}"),
        ]
    );
}

/// The branch moved under the compare-and-swap commit: the next attempt reads the new base,
/// recomputes the files from it and commits on top of it.
#[tokio::test]
async fn a_moved_base_is_recomputed_and_retried() {
    logs();
    let (repo, first) = TestRepo::blueprint();
    repo.bump("staging", BACKEND, "1.3.4");
    let second = repo.commit_all("staging: backend 1.3.4", "Ada <ada@example.com>");
    let (first_hex, second_hex) = (first.to_string(), second.to_string());
    let server = MockServer::start().await;
    mount(
        &server,
        graphql("FerrySnapshot")
            .respond_with(ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &first_hex,
                vec![],
                Value::Null,
            )))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount(
        &server,
        graphql("createCommitOnBranch")
            .respond_with(ResponseTemplate::new(200).set_body_json(stale_answer(&first_hex)))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount_first_change(&server, &second_hex, &"c".repeat(40)).await;
    let branch = branch("1.4.0");
    mount(
        &server,
        Mock::given(method("PATCH"))
            .and(path(format!("/repos/o/r/git/refs/heads/{branch}")))
            .and(body_json(json!({ "sha": second_hex, "force": true })))
            .respond_with(ResponseTemplate::new(200).set_body_json(example("git-update-ref"))),
    )
    .await;
    let forge = forge(&server, &repo);
    let bases = seen();
    let opened = forge
        .open_change(
            &request("1.4.0", true),
            &mut planner("1.4.0", bases.clone()),
        )
        .await
        .unwrap();
    assert_eq!(*bases.lock().unwrap(), [first, second]);
    assert_eq!(opened.attempts, 2);
    assert_eq!(opened.base, second_hex);
    assert!(opened.created && opened.auto_merge);
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "graphql FerryCreateCommit".to_owned(),
            "graphql FerrySnapshot".to_owned(),
            format!("PATCH /repos/o/r/git/refs/heads/{branch}"),
            "graphql FerryCreateCommit".to_owned(),
            "POST /repos/o/r/pulls".to_owned(),
            "POST /repos/o/r/git/commits".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "POST /repos/o/r/issues/1347/labels".to_owned(),
            "graphql FerryEnableAutoMerge".to_owned(),
        ]
    );
    let seen = requests(&server).await;
    assert_eq!(
        json_of(&seen[2])["variables"]["input"]["expectedHeadOid"],
        first_hex
    );
    assert_eq!(
        json_of(&seen[5])["variables"]["input"]["expectedHeadOid"],
        second_hex
    );
}

/// A first change whose every commit loses its compare-and-swap (the branch moved); the
/// branch of `backend=1.4.0` can be deleted. Returns that branch.
async fn mount_stale_branch(server: &MockServer, base_hex: &str) -> String {
    mount(
        server,
        graphql("createCommitOnBranch")
            .respond_with(ResponseTemplate::new(200).set_body_json(stale_answer(base_hex)))
            .with_priority(1),
    )
    .await;
    mount_first_change(server, base_hex, &"c".repeat(40)).await;
    let branch = branch("1.4.0");
    mount(
        server,
        Mock::given(method("DELETE"))
            .and(path(format!("/repos/o/r/git/refs/heads/{branch}")))
            .respond_with(ResponseTemplate::new(204)),
    )
    .await;
    branch
}

/// A branch that keeps moving exhausts the attempts; the branch the run made is deleted.
#[tokio::test]
async fn a_contended_branch_gives_up_and_leaves_nothing() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let branch = mount_stale_branch(&server, &base_hex).await;
    mount(
        &server,
        Mock::given(method("PATCH"))
            .and(path(format!("/repos/o/r/git/refs/heads/{branch}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(example("git-update-ref"))),
    )
    .await;
    let forge = forge(&server, &repo);
    let mut req = request("1.4.0", true);
    req.max_attempts = 2;
    let err = forge
        .open_change(&req, &mut planner("1.4.0", seen()))
        .await
        .unwrap_err();
    match &err {
        ForgeError::Contended { what, attempts } => {
            assert_eq!(what, &format!("refs/heads/{branch}"));
            assert_eq!(*attempts, 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "graphql FerryCreateCommit".to_owned(),
            "graphql FerrySnapshot".to_owned(),
            format!("PATCH /repos/o/r/git/refs/heads/{branch}"),
            "graphql FerryCreateCommit".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/{branch}"),
        ]
    );
}

/// A planner that refuses (a downgrade, a hold) stops the run; what an earlier attempt made
/// is removed.
#[tokio::test]
async fn a_refusing_planner_stops_the_run_and_cleans_up() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let branch = mount_stale_branch(&server, &base_hex).await;
    let forge = forge(&server, &repo);
    let mut calls_made = 0;
    let mut refusing = |base: &Base<'_>| -> Result<Files, PlanError> {
        calls_made += 1;
        if calls_made == 1 {
            dev_files(base, "1.4.0")
        } else {
            Err("refusing a downgrade of backend".into())
        }
    };
    let err = forge
        .open_change(&request("1.4.0", true), &mut refusing)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ForgeError::Plan(e) if e.to_string() == "refusing a downgrade of backend"),
        "{err:?}"
    );
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "POST /repos/o/r/git/refs".to_owned(),
            "graphql FerryCreateCommit".to_owned(),
            "graphql FerrySnapshot".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/{branch}"),
        ]
    );
}

/// A 502 is repeated by the client's backoff and the run goes on.
#[tokio::test(start_paused = true)]
async fn a_bad_gateway_is_retried() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    mount(
        &server,
        graphql("FerrySnapshot")
            .respond_with(
                ResponseTemplate::new(502).set_body_string("<html>502 Bad Gateway</html>"),
            )
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount_first_change(&server, &base.to_string(), &"c".repeat(40)).await;
    let forge = forge(&server, &repo);
    let started = tokio::time::Instant::now();
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert!(opened.created);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let mut expected = vec!["graphql FerrySnapshot"];
    expected.extend(FIRST_CHANGE);
    assert_eq!(calls(&server).await, expected);
}

/// A secondary rate limit waits as long as `Retry-After` says, then sends the same request.
#[tokio::test(start_paused = true)]
async fn a_secondary_rate_limit_waits_for_retry_after() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    mount(
        &server,
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
            .with_priority(1),
    )
    .await;
    mount_first_change(&server, &base.to_string(), &"c".repeat(40)).await;
    let forge = forge(&server, &repo);
    let started = tokio::time::Instant::now();
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert_eq!(opened.number, Some(1347));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
        "{waited:?}"
    );
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot",
            "POST /repos/o/r/git/refs",
            "graphql FerryCreateCommit",
            "POST /repos/o/r/pulls",
            "POST /repos/o/r/pulls",
            "POST /repos/o/r/git/commits",
            "POST /repos/o/r/git/refs",
            "POST /repos/o/r/issues/1347/labels",
            "graphql FerryEnableAutoMerge",
        ]
    );
    let seen = requests(&server).await;
    assert_eq!(json_of(&seen[3]), json_of(&seen[4]));
}

/// A repository without auto-merge: the pull request stays open, the run succeeds and says why.
#[tokio::test]
async fn auto_merge_refused_by_the_repository_is_a_warning() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    mount(
        &server,
        graphql("enablePullRequestAutoMerge")
            .respond_with(ResponseTemplate::new(200).set_body_json(graphql_error(
                "enablePullRequestAutoMerge",
                "UNPROCESSABLE",
                "Pull request Auto merge is not allowed for this repository",
            )))
            .with_priority(1),
    )
    .await;
    mount_first_change(&server, &base.to_string(), &"c".repeat(40)).await;
    let forge = forge(&server, &repo);
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert!(opened.created && !opened.auto_merge && !opened.merged);
    assert_eq!(opened.number, Some(1347));
    assert_eq!(
        opened.warnings,
        [
            "auto-merge is not enabled on pull request #1347: Pull request Auto merge is not allowed for this repository (allow auto-merge under Settings → General, or merge it by hand); the pull request is left open"
        ]
    );
    // Nothing closes or merges it.
    assert_eq!(calls(&server).await, FIRST_CHANGE);
}

/// A GitHub App: the JWT is exchanged for an installation token once, and every forge request
/// carries that token; no secret reaches the output or the logs.
#[tokio::test]
async fn a_github_app_opens_the_change_with_an_installation_token() {
    logs();
    let Some(openssl) = ferry_test_support::require_tool("openssl") else {
        return;
    };
    let out = std::process::Command::new(openssl)
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = out.stdout;
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/installation"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": 4242, "app_id": 77, "target_type": "Organization"
            }))),
    )
    .await;
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/app/installations/4242/access_tokens"))
            .and(body_json(json!({ "repositories": ["r"] })))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "token": "ghs_FORGEINSTALLATIONTOKEN", "expires_at": expires.to_string()
            }))),
    )
    .await;
    mount(
        &server,
        graphql("FerrySnapshot")
            .respond_with(ResponseTemplate::new(502))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount_first_change(&server, &base.to_string(), &"c".repeat(40)).await;
    let client =
        GithubClient::new(github_config(&server, Credentials::app(77, &key).unwrap())).unwrap();
    let forge = GithubForge::new(client, Repo::open(repo.path()).unwrap(), options());
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert!(opened.created && opened.auto_merge);
    let mut expected = vec![
        "GET /repos/o/r/installation",
        "POST /app/installations/4242/access_tokens",
        "graphql FerrySnapshot",
    ];
    expected.extend(FIRST_CHANGE);
    assert_eq!(calls(&server).await, expected);
    let seen = requests(&server).await;
    let jwt = seen[0].headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwt, seen[1].headers["authorization"].to_str().unwrap());
    assert!(jwt.starts_with("Bearer ey"), "a JWT");
    for request in &seen[2..] {
        assert_eq!(
            request.headers["authorization"].to_str().unwrap(),
            "Bearer ghs_FORGEINSTALLATIONTOKEN"
        );
    }
    let output = format!(
        "{opened:?} {} {forge:?}",
        serde_json::to_string(&opened).unwrap()
    );
    let logs = log_text();
    assert!(logs.contains("retrying"), "the 502 was logged");
    for text in [&output, &logs] {
        assert!(!text.contains("ghs_FORGEINSTALLATIONTOKEN"), "{text}");
        assert!(!text.contains(jwt.trim_start_matches("Bearer ")), "{text}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// The local base.

/// A base commit that is not local yet is fetched from the remote with the git CLI; one that
/// the remote does not have either is `MissingBase`.
#[tokio::test]
async fn sync_fetches_a_base_commit_that_is_not_local() {
    logs();
    let (upstream, _) = TestRepo::blueprint();
    let t = common::T0 + 3600;
    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().join("r.git");
    ferry_test_support::git::git(
        upstream.path(),
        &["clone", "-q", "--bare", ".", remote_path.to_str().unwrap()],
        t,
    );
    let clone = tempfile::tempdir().unwrap();
    ferry_test_support::git::git(
        clone.path(),
        &["clone", "-q", remote_path.to_str().unwrap(), "c"],
        t,
    );
    let local = clone.path().join("c");
    // Upstream moves on; the local clone does not know the new commit yet.
    upstream.bump("dev", BACKEND, "1.3.4");
    let newer = upstream.commit_all("dev: backend 1.3.4", "Ada <ada@example.com>");
    ferry_test_support::git::git(
        upstream.path(),
        &["push", "-q", remote_path.to_str().unwrap(), "main"],
        t,
    );
    let server = MockServer::start().await;
    mount(
        &server,
        graphql("FerrySnapshot")
            .respond_with(ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &newer.to_string(),
                vec![],
                Value::Null,
            )))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(unknown, vec![], Value::Null)),
        ),
    )
    .await;
    let client = GithubClient::new(github_config(&server, Credentials::token(TOKEN))).unwrap();
    let repo = Repo::open(&local).unwrap();
    assert!(!repo.gix().has_object(newer));
    let forge = GithubForge::new(client, repo, options());
    assert_eq!(forge.sync().await.unwrap(), newer);
    assert!(forge.repo().gix().has_object(newer));
    assert!(forge.repo().read_file(newer, DEV).unwrap().is_some());
    match forge.sync().await.unwrap_err() {
        ForgeError::MissingBase { commit } => assert_eq!(commit, unknown),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        calls(&server).await,
        ["graphql FerrySnapshot", "graphql FerrySnapshot"]
    );
}

// ---------------------------------------------------------------------------------------------
// Waiting and cleaning up.

#[tokio::test(start_paused = true)]
async fn waits_until_merged_closed_or_timed_out() {
    logs();
    let (repo, _) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let open = example("pulls-get");
    let mut merged = open.clone();
    merged["state"] = json!("closed");
    merged["merged"] = json!(true);
    merged["merged_at"] = json!("2011-01-26T19:01:12Z");
    let mut closed = open.clone();
    closed["state"] = json!("closed");
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/1347"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&open))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/1347"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&merged)),
    )
    .await;
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/7"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&closed)),
    )
    .await;
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/8"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&open)),
    )
    .await;
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/9"))
            .respond_with(
                ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })),
            ),
    )
    .await;
    let forge = forge(&server, &repo);
    let minute = Duration::from_secs(60);
    assert_eq!(
        forge.wait("1347", minute).await.unwrap(),
        WaitOutcome::Merged {
            commit: open["merge_commit_sha"].as_str().map(Into::into)
        }
    );
    assert_eq!(forge.wait("7", minute).await.unwrap(), WaitOutcome::Closed);
    let started = tokio::time::Instant::now();
    assert_eq!(
        forge.wait("8", minute).await.unwrap(),
        WaitOutcome::TimedOut
    );
    assert!(started.elapsed() >= Duration::from_secs(60));
    assert!(
        matches!(forge.wait("9", minute).await, Err(ForgeError::UnknownChange(id)) if id == "9")
    );
    assert!(matches!(
        forge.wait("x", minute).await,
        Err(ForgeError::UnknownChange(_))
    ));
    let made = calls(&server).await;
    assert_eq!(
        made[..3],
        [
            "GET /repos/o/r/pulls/1347",
            "GET /repos/o/r/pulls/1347",
            "GET /repos/o/r/pulls/7"
        ]
    );
    // 8 is polled every 10 s for a minute (at 0, 10, …, 60 s); 9 once.
    assert_eq!(
        made.iter()
            .filter(|c| *c == "GET /repos/o/r/pulls/8")
            .count(),
        7
    );
    assert_eq!(made.last().unwrap(), "GET /repos/o/r/pulls/9");
}

#[tokio::test]
async fn cleanup_deletes_branches_of_finished_changes_only() {
    let (repo, base) = TestRepo::blueprint();
    logs();
    let server = MockServer::start().await;
    // One open change per environment: nothing to close here.
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &base.to_string(),
                vec![],
                Value::Null,
            )),
        ),
    )
    .await;
    let old = "2020-01-01T00:00:00Z";
    let now = jiff::Timestamp::now().to_string();
    let node = |name: &str, date: &str, open: u64, all: u64| {
        json!({
            "name": name,
            "target": { "oid": "a".repeat(40), "committedDate": date },
            "open": { "totalCount": open },
            "all": { "totalCount": all }
        })
    };
    let merged = branch("1.3.0").trim_start_matches("deploy/").to_owned();
    let open = branch("1.4.0").trim_start_matches("deploy/").to_owned();
    let fresh = branch("1.5.0").trim_start_matches("deploy/").to_owned();
    let left = branch("1.2.0").trim_start_matches("deploy/").to_owned();
    let refs = |nodes: Vec<Value>| {
        json!({ "data": { "repository": { "refs": {
            "pageInfo": { "hasNextPage": false, "endCursor": null }, "nodes": nodes
        } } } })
    };
    mount(
        &server,
        graphql("FerryBranches")
            .and(body_partial_json(
                json!({ "variables": { "prefix": "refs/heads/deploy/" } }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(refs(vec![
                node(&merged, old, 0, 1),
                node(&open, old, 1, 1),
                node(&fresh, &now, 0, 0),
                node(&left, old, 0, 0),
                node("someone-elses", old, 0, 0),
            ]))),
    )
    .await;
    let scratch = format!("deploy/{left}");
    mount(
        &server,
        graphql("FerryBranches")
            .and(body_partial_json(
                json!({ "variables": { "prefix": "refs/heads/ferry/tmp/" } }),
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(refs(vec![node(&scratch, old, 0, 0)])),
            ),
    )
    .await;
    mount(
        &server,
        Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)),
    )
    .await;
    let forge = forge(&server, &repo);
    let cleaned = forge.cleanup().await.unwrap();
    assert_eq!(
        cleaned.deleted_branches,
        [
            format!("deploy/{merged}"),
            format!("deploy/{left}"),
            format!("ferry/tmp/deploy/{left}"),
        ]
    );
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerrySnapshot".to_owned(),
            "graphql FerryBranches".to_owned(),
            "graphql FerryBranches".to_owned(),
            format!("DELETE /repos/o/r/git/refs/heads/deploy/{merged}"),
            format!("DELETE /repos/o/r/git/refs/heads/deploy/{left}"),
            format!("DELETE /repos/o/r/git/refs/heads/ferry/tmp/deploy/{left}"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Holds.

fn hold(env: &str, reason: &str) -> Hold {
    Hold::new(
        env,
        images("1.4.0"),
        reason,
        jiff::Timestamp::from_second(common::T0).unwrap(),
    )
}

/// What is in flight for an environment: its own Ferry pull requests, not other
/// environments', not other branches, not forks'.
#[tokio::test]
async fn open_changes_lists_the_environments_ferry_pull_requests() {
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    let dev_branch = branch("1.4.0");
    let staging_branch = deploy_branch("deploy/", "staging", &images("1.4.0"));
    let dev_body = render_body("dev", "main", &[]);
    let staging_body = render_body("staging", "main", &[]);
    let pull = other_pull;
    let pulls = vec![
        pull(21, &dev_branch, &dev_body, false),
        pull(22, &staging_branch, &staging_body, false),
        pull(23, "feature/readme", "Docs.", false),
        pull(24, &branch("1.0.0"), &dev_body, true),
    ];
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &base.to_string(),
                pulls,
                Value::Null,
            )),
        ),
    )
    .await;
    let forge = forge(&server, &repo);
    let dev = forge.open_changes("dev").await.unwrap();
    assert_eq!(
        dev,
        [OpenChangeInfo {
            id: "21".into(),
            branch: dev_branch,
            url: Some("https://github.com/o/r/pull/21".into()),
        }]
    );
    let staging = forge.open_changes("staging").await.unwrap();
    assert_eq!(
        staging.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["22"]
    );
    assert!(forge.open_changes("prod").await.unwrap().is_empty());
    // One snapshot query answers all three (it is kept for a short while).
    assert_eq!(calls(&server).await, ["graphql FerrySnapshot"]);
}

#[tokio::test]
async fn holds_are_read_from_the_holds_branch() {
    let (repo, base) = TestRepo::blueprint();
    logs();
    let server = MockServer::start().await;
    let dev = serde_json::to_string(&[hold("dev", "rollback of 1.4.0")]).unwrap();
    let prod = serde_json::to_string(&[hold("prod", "freeze")]).unwrap();
    let holds = json!({ "target": {
        "oid": "b".repeat(40),
        "file": { "object": { "entries": [
            { "name": "dev.json", "object": { "text": dev, "isTruncated": false } },
            { "name": "prod.json", "object": { "text": prod, "isTruncated": false } },
            { "name": "README.md", "object": { "text": "x", "isTruncated": false } }
        ] } }
    } });
    mount(
        &server,
        graphql("FerrySnapshot").respond_with(
            ResponseTemplate::new(200).set_body_json(snapshot_answer(
                &base.to_string(),
                vec![],
                holds,
            )),
        ),
    )
    .await;
    let forge = forge(&server, &repo);
    assert_eq!(
        forge.holds().await.unwrap(),
        [hold("dev", "rollback of 1.4.0"), hold("prod", "freeze")]
    );
    let seen = requests(&server).await;
    assert_eq!(json_of(&seen[0])["variables"]["holdsDir"], ".ferry/holds");
    assert_eq!(calls(&server).await, ["graphql FerrySnapshot"]);
}

/// The first hold creates the holds branch from the base; a concurrent writer makes the
/// compare-and-swap fail, and the update is applied again to the fresh list.
#[tokio::test]
async fn holds_are_updated_with_compare_and_swap() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let server = MockServer::start().await;
    let path_ = ".ferry/holds/dev.json";
    mount(
        &server,
        graphql("FerryHoldsFile")
            .respond_with(
                ResponseTemplate::new(200).set_body_json(holds_file_answer(&base_hex, None, None)),
            )
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/repos/o/r/git/refs"))
            .and(body_json(
                json!({ "ref": "refs/heads/ferry/holds", "sha": base_hex }),
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref"))),
    )
    .await;
    mount(
        &server,
        graphql("createCommitOnBranch")
            .and(body_partial_json(
                json!({ "variables": { "input": { "expectedHeadOid": base_hex } } }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(stale_answer(&base_hex))),
    )
    .await;
    let theirs = serde_json::to_string(&[hold("dev", "theirs")]).unwrap();
    let head = "b".repeat(40);
    mount(
        &server,
        graphql("FerryHoldsFile").respond_with(
            ResponseTemplate::new(200).set_body_json(holds_file_answer(
                &base_hex,
                Some(&head),
                Some(&theirs),
            )),
        ),
    )
    .await;
    mount(
        &server,
        graphql("createCommitOnBranch")
            .and(body_partial_json(
                json!({ "variables": { "input": { "expectedHeadOid": head } } }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(commit_answer(&"9".repeat(40)))),
    )
    .await;
    let forge = forge(&server, &repo);
    let mut applied = 0;
    let mut add = |holds: &mut Vec<Hold>| {
        applied += 1;
        holds.push(hold("dev", "ours"));
    };
    let holds = forge
        .update_holds("dev", &mut add, "ferry: hold dev")
        .await
        .unwrap();
    assert_eq!(applied, 2);
    assert_eq!(holds, [hold("dev", "theirs"), hold("dev", "ours")]);
    assert_eq!(
        calls(&server).await,
        [
            "graphql FerryHoldsFile",
            "POST /repos/o/r/git/refs",
            "graphql FerryCreateCommit",
            "graphql FerryHoldsFile",
            "graphql FerryCreateCommit",
        ]
    );
    let seen = requests(&server).await;
    assert_eq!(json_of(&seen[0])["variables"]["path"], path_);
    let input = &json_of(&seen[4])["variables"]["input"];
    assert_eq!(input["branch"]["branchName"], "ferry/holds");
    let mut text = serde_json::to_string_pretty(&holds).unwrap();
    text.push('\n');
    assert_eq!(
        input["fileChanges"]["additions"],
        json!([{ "path": path_, "contents": b64(&text) }])
    );
    // Nothing to change: no commit.
    server.reset().await;
    mount(
        &server,
        graphql("FerryHoldsFile").respond_with(
            ResponseTemplate::new(200).set_body_json(holds_file_answer(
                &base_hex,
                Some(&head),
                Some(&theirs),
            )),
        ),
    )
    .await;
    let unchanged = forge
        .update_holds("dev", &mut |_: &mut Vec<Hold>| {}, "noop")
        .await
        .unwrap();
    assert_eq!(unchanged, [hold("dev", "theirs")]);
    assert_eq!(calls(&server).await, ["graphql FerryHoldsFile"]);
}

// ---------------------------------------------------------------------------------------------
// Verification records.

#[tokio::test]
async fn verifications_are_commit_statuses_checked_against_the_overlay() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let base_hex = base.to_string();
    let local = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(
        &local,
        base,
        &[EnvironmentSpec {
            name: "dev".into(),
            overlay: "infra/k8s/overlays/dev".into(),
        }],
    )
    .unwrap();
    let ran = ledger
        .environment("dev")
        .unwrap()
        .current()
        .unwrap()
        .images
        .clone();
    assert!(!ran.is_empty());
    let digest = image_set_digest(&ran);
    let description = format!(
        "images {digest}: dev verified by Ferry ({} containers)",
        ran.len()
    );
    let server = MockServer::start().await;
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path(format!("/repos/o/r/statuses/{base_hex}")))
            .and(body_json(json!({
                "state": "success", "context": "ferry/verified/dev", "description": description,
                "target_url": "https://ci.example.com/run/1"
            })))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(recorded("create-status", 1)["response"].clone()),
            ),
    )
    .await;
    let mut listed = recorded("create-status", 2)["response"].clone();
    listed[0]["context"] = json!("ferry/verified/dev");
    listed[0]["description"] = json!(description);
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{base_hex}/statuses")))
            .respond_with(ResponseTemplate::new(200).set_body_json(&listed))
            .up_to_n_times(1)
            .with_priority(1),
    )
    .await;
    // Then a status naming another image set, then a newer failure.
    let mut other = listed.clone();
    other[0]["description"] = json!("images 000000000000: dev verified by Ferry (1 containers)");
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{base_hex}/statuses")))
            .respond_with(ResponseTemplate::new(200).set_body_json(&other))
            .up_to_n_times(1)
            .with_priority(2),
    )
    .await;
    let mut failed = listed.clone();
    failed[0]["state"] = json!("failure");
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{base_hex}/statuses")))
            .respond_with(ResponseTemplate::new(200).set_body_json(&failed))
            .with_priority(3),
    )
    .await;
    let forge = forge(&server, &repo);
    let record = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(common::T0).unwrap(),
        ran.clone(),
        json!({ "url": "https://ci.example.com/run/1" }),
    );
    forge.record_verification(base, &record).await.unwrap();
    // A record whose images are not what dev ran is refused before anything is written.
    let mut wrong = record.clone();
    wrong
        .images
        .insert("Deployment/x/x".into(), "r.io/x:1".into());
    assert!(matches!(
        forge.record_verification(base, &wrong).await,
        Err(ForgeError::BadRecord { .. })
    ));

    let found = forge.verifications(base, "dev").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].env, "dev");
    assert_eq!(found[0].images, ran);
    assert_eq!(
        found[0].verified_at,
        listed[0]["created_at"].as_str().unwrap()
    );
    assert!(forge.verifications(base, "dev").await.unwrap().is_empty());
    assert!(forge.verifications(base, "dev").await.unwrap().is_empty());
    // No overlay known for the environment: a clear error.
    assert!(forge.verifications(base, "qa").await.is_err());
    assert_eq!(
        calls(&server).await,
        [
            format!("POST /repos/o/r/statuses/{base_hex}"),
            format!("GET /repos/o/r/commits/{base_hex}/statuses?per_page=100&page=1"),
            format!("GET /repos/o/r/commits/{base_hex}/statuses?per_page=100&page=1"),
            format!("GET /repos/o/r/commits/{base_hex}/statuses?per_page=100&page=1"),
        ]
    );
}

/// A pull request GitHub reports as mergeable at once ("clean status") cannot get auto-merge:
/// it is merged directly, guarded by its head commit.
#[tokio::test]
async fn a_pull_request_in_clean_status_is_merged_at_once() {
    logs();
    let (repo, base) = TestRepo::blueprint();
    let server = MockServer::start().await;
    mount(
        &server,
        graphql("enablePullRequestAutoMerge")
            .respond_with(ResponseTemplate::new(200).set_body_json(graphql_error(
                "enablePullRequestAutoMerge",
                "UNPROCESSABLE",
                "Pull request Pull request is in clean status",
            )))
            .with_priority(1),
    )
    .await;
    let commit = "c".repeat(40);
    mount_first_change(&server, &base.to_string(), &commit).await;
    mount(
        &server,
        Mock::given(method("PUT"))
            .and(path("/repos/o/r/pulls/1347/merge"))
            .and(body_json(json!({
                "merge_method": "squash", "sha": commit,
                "commit_title": "ferry: deploy backend 1.4.0 to dev", "commit_message": "Opened by Ferry."
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(example("pulls-merge"))),
    )
    .await;
    let forge = forge(&server, &repo);
    let opened = forge
        .open_change(&request("1.4.0", true), &mut planner("1.4.0", seen()))
        .await
        .unwrap();
    assert!(opened.created && opened.auto_merge && opened.merged);
    assert!(opened.warnings.is_empty());
    let mut expected = FIRST_CHANGE.to_vec();
    expected.push("PUT /repos/o/r/pulls/1347/merge");
    assert_eq!(calls(&server).await, expected);
}
