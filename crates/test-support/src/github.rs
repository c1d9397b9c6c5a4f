//! GitHub's API as wiremock serves it to Ferry's tests: the documented and recorded response
//! bodies of `fixtures/conformance/github/`, GraphQL answers in the published schema's shapes
//! (GitHub documents no examples for them), matchers, and a readable log of the requests made.
//!
//! Tests talk to the repository `o/r`; the pull request of a first change is the documented
//! example's, number 1347.

use std::path::PathBuf;

pub mod standin;

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

/// Where the client is told GraphQL lives (`GithubConfig::with_urls(server, server + this)`).
pub const GRAPHQL_PATH: &str = "/api/graphql";

/// The requests of a first change with auto-merge ([`mount_first_change`]), as [`calls`]
/// describes them.
pub const FIRST_CHANGE: [&str; 8] = [
    "graphql FerrySnapshot",
    "POST /repos/o/r/git/refs",
    "graphql FerryCreateCommit",
    "POST /repos/o/r/pulls",
    "POST /repos/o/r/git/commits",
    "POST /repos/o/r/git/refs",
    "POST /repos/o/r/issues/1347/labels",
    "graphql FerryEnableAutoMerge",
];

/// The two requests that take an environment's slot when it has none yet: the slot commit,
/// then the ref `refs/ferry/slots/<env>` ([`mount_slot`]).
pub const NEW_SLOT: [&str; 2] = ["POST /repos/o/r/git/commits", "POST /repos/o/r/git/refs"];

/// The commit id of the documented `POST /git/commits` example: the slot commit of
/// [`mount_slot`].
pub fn slot_commit() -> String {
    example("git-create-commit")["sha"]
        .as_str()
        .expect("the example has a sha")
        .to_owned()
}

/// Mounts the answers that take an environment's slot: `POST /git/commits` (the documented
/// example), creating `refs/ferry/slots/…` and fast-forwarding it.
pub async fn mount_slot(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/commits"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-commit")))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/refs"))
        .and(body_string_contains("refs/ferry/slots/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref")))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(wiremock::matchers::path_regex(
            "^/repos/o/r/git/refs/ferry/slots/",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("git-update-ref")))
        .mount(server)
        .await;
}

/// A snapshot answer ([`snapshot_answer`]) in which `env`'s slot names pull request `number`.
pub fn with_slot(mut answer: Value, env: &str, number: u64) -> Value {
    answer["data"]["repository"]["slots"] = json!({ "nodes": [{
        "name": env,
        "target": {
            "oid": "5".repeat(40),
            "message": format!("ferry: #{number} is the open change of {env}\n\nFerry-Slot: {env}\nFerry-Change: {number}\n")
        }
    }] });
    answer
}

/// `fixtures/conformance/github` (panics when the conformance data is missing).
pub fn conformance() -> PathBuf {
    crate::conformance_dir().join("github")
}

/// A JSON file below the GitHub conformance directory; panics when it is missing.
pub fn read_json(rel: &str) -> Value {
    let path = conformance().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read conformance data {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The documented example response of a REST operation (`pulls-create`, …).
pub fn example(operation: &str) -> Value {
    let file = read_json(&format!("{operation}.json"));
    assert!(
        !file["example_response"].is_null(),
        "{operation} has an example"
    );
    file["example_response"].clone()
}

/// Exchange `index` of a recorded scenario: `method`, `path`, `body`, `status`, `response`.
pub fn recorded(scenario: &str, index: usize) -> Value {
    read_json(&format!("recorded/{scenario}.json"))[index].clone()
}

/// A matcher for the GraphQL request whose text contains `operation`.
pub fn graphql(operation: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(GRAPHQL_PATH))
        .and(body_string_contains(operation))
}

/// `METHOD /path?query` of every request the server received, GraphQL ones as
/// `graphql <operation name>`.
pub async fn calls(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().map(describe).collect()
}

/// One request as [`calls`] lists it.
pub fn describe(r: &Request) -> String {
    if r.url.path() == GRAPHQL_PATH {
        let body = json_of(r);
        let query = body["query"].as_str().unwrap_or_default();
        let name = query
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.split('(').next())
            .unwrap_or("?");
        return format!("graphql {name}");
    }
    let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!("{} {}{query}", r.method, r.url.path())
}

/// A request's JSON body.
pub fn json_of(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| {
        panic!(
            "{} {} has no JSON body: {e}",
            request.method,
            request.url.path()
        )
    })
}

/// The answer of the forge's snapshot query: the base head, open pull requests (see
/// [`PullNode`]) and the holds branch (`Value::Null`: none).
pub fn snapshot_answer(base: &str, pulls: Vec<Value>, holds: Value) -> Value {
    json!({ "data": { "repository": {
        "base": { "target": { "oid": base } },
        "holds": holds,
        "pullRequests": {
            "pageInfo": { "hasNextPage": false, "endCursor": null },
            "nodes": pulls
        }
    } } })
}

/// An open pull request as the snapshot query lists it.
#[derive(Debug, Clone)]
pub struct PullNode<'a> {
    /// Its number.
    pub number: u64,
    /// Its head branch.
    pub branch: &'a str,
    /// Head commit, its tree and parent.
    pub head: &'a str,
    /// The head commit's tree.
    pub tree: &'a str,
    /// The head commit's parent.
    pub parent: &'a str,
    /// Its body.
    pub body: &'a str,
    /// Its labels.
    pub labels: &'a [&'a str],
    /// Whether auto-merge is on.
    pub auto_merge: bool,
    /// Whether the head is in a fork.
    pub cross: bool,
}

impl PullNode<'_> {
    /// The node's JSON.
    pub fn json(&self) -> Value {
        json!({
            "number": self.number,
            "id": format!("PR_node{}", self.number),
            "url": format!("https://github.com/o/r/pull/{}", self.number),
            "title": format!("pull {}", self.number),
            "body": self.body,
            "headRefName": self.branch,
            "headRefOid": self.head,
            "isCrossRepository": self.cross,
            "autoMergeRequest": if self.auto_merge { json!({ "enabledAt": "2026-01-01T00:00:00Z" }) } else { Value::Null },
            "labels": { "nodes": self.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>() },
            "headRef": { "target": {
                "oid": self.head,
                "tree": { "oid": self.tree },
                "parents": { "nodes": [{ "oid": self.parent }] }
            } }
        })
    }
}

/// An open pull request made elsewhere (its head commit is not one the test made), without
/// labels or auto-merge.
pub fn other_pull(number: u64, branch: &str, body: &str, cross: bool) -> Value {
    let x = "e".repeat(40);
    PullNode {
        number,
        branch,
        head: &x,
        tree: &x,
        parent: &x,
        body,
        labels: &[],
        auto_merge: false,
        cross,
    }
    .json()
}

/// The answer of the forge's holds-file query: the base head and the holds branch at `head`
/// (`None`: no branch) with the file's `text` (`None`: no file).
pub fn holds_file_answer(base: &str, head: Option<&str>, text: Option<&str>) -> Value {
    let holds = match head {
        None => Value::Null,
        Some(oid) => json!({ "target": {
            "oid": oid,
            "file": text.map(|t| json!({ "object": { "text": t, "isTruncated": false } }))
        } }),
    };
    json!({ "data": { "repository": { "base": { "target": { "oid": base } }, "holds": holds } } })
}

/// `createCommitOnBranch` made commit `oid`.
pub fn commit_answer(oid: &str) -> Value {
    json!({ "data": { "createCommitOnBranch": { "commit": {
        "oid": oid, "url": format!("https://github.com/o/r/commit/{oid}")
    } } } })
}

/// GraphQL's error envelope for mutation `field`: `data.field` null and one error of `kind`
/// (`STALE_DATA`, `UNPROCESSABLE`, …) saying `message`.
pub fn graphql_error(field: &str, kind: &str, message: &str) -> Value {
    json!({
        "data": { field: null },
        "errors": [{
            "type": kind,
            "path": [field],
            "locations": [{ "line": 2, "column": 3 }],
            "message": message
        }]
    })
}

/// `createCommitOnBranch` refused: the branch is not at `expected` (a lost compare-and-swap).
pub fn stale_answer(expected: &str) -> Value {
    graphql_error(
        "createCommitOnBranch",
        "STALE_DATA",
        &format!("Expected branch to point to \"{expected}\" but it did not. Pull and try again."),
    )
}

/// `enablePullRequestAutoMerge` on pull request `number`.
pub fn auto_merge_answer(number: u64) -> Value {
    json!({ "data": { "enablePullRequestAutoMerge": { "pullRequest": {
        "number": number, "autoMergeRequest": { "mergeMethod": "SQUASH" }
    } } } })
}

/// Mounts the answers of a first change ([`FIRST_CHANGE`]): snapshot with no pull requests,
/// no holds and no slots at `base`, the branch ref, the commit `commit`, the pull request
/// (1347), the slot ([`mount_slot`]), labels, auto-merge.
pub async fn mount_first_change(server: &MockServer, base: &str, commit: &str) {
    graphql("FerrySnapshot")
        .respond_with(ResponseTemplate::new(200).set_body_json(snapshot_answer(
            base,
            vec![],
            Value::Null,
        )))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/git/refs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref")))
        .mount(server)
        .await;
    graphql("createCommitOnBranch")
        .respond_with(ResponseTemplate::new(200).set_body_json(commit_answer(commit)))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/pulls"))
        .respond_with(ResponseTemplate::new(201).set_body_json(example("pulls-create")))
        .mount(server)
        .await;
    mount_slot(server).await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/1347/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(example("issues-add-labels")))
        .mount(server)
        .await;
    graphql("enablePullRequestAutoMerge")
        .respond_with(ResponseTemplate::new(200).set_body_json(auto_merge_answer(1347)))
        .mount(server)
        .await;
}
