//! `ferry diff --comment` against a stand-in for GitHub's comments API (wiremock) that keeps
//! the comments and answers with GitHub's documented bodies (`fixtures/conformance/github/`:
//! `issues-list-comments.json`, `issues-create-comment.json`, `issues-update-comment.json`):
//! created on the first run, updated in place on the second; a long diff split in two, then
//! shrunk back to one.

use std::path::Path;
use std::sync::{Arc, Mutex};

use ferry_test_support::github::example;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{ferry_diff, overlay, repository, require_git, write};

const PULL: u64 = 1347;
const COMMENTS: &str = "/repos/octocat/Hello-World/issues/1347/comments";

/// The comments of pull request 1347, as the stand-in keeps them.
#[derive(Clone, Default)]
struct Thread(Arc<Mutex<Vec<(u64, String)>>>);

impl Thread {
    fn bodies(&self) -> Vec<(u64, String)> {
        self.0.lock().expect("the lock").clone()
    }
}

/// GitHub's documented comment (`file`'s example) with this id and body.
fn answer(file: &str, id: u64, body: &str) -> Value {
    let mut item = example(file);
    if file == "issues-list-comments" {
        item = item[0].clone();
    }
    item["id"] = json!(id);
    item["body"] = json!(body);
    item["url"] = json!(format!(
        "https://api.github.com/repos/octocat/Hello-World/issues/comments/{id}"
    ));
    item["html_url"] = json!(format!(
        "https://github.com/octocat/Hello-World/issues/{PULL}#issuecomment-{id}"
    ));
    item
}

impl Respond for Thread {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut comments = self.0.lock().expect("the lock");
        let body = || -> String {
            let value: Value = serde_json::from_slice(&request.body).expect("a JSON body");
            value["body"].as_str().expect("a body").to_owned()
        };
        let id_in_path = || -> u64 {
            request
                .url
                .path()
                .rsplit('/')
                .next()
                .and_then(|id| id.parse().ok())
                .expect("a comment id")
        };
        match (request.method.as_str(), request.url.path()) {
            ("GET", COMMENTS) => {
                let listed: Vec<Value> = comments
                    .iter()
                    .map(|(id, body)| answer("issues-list-comments", *id, body))
                    .collect();
                ResponseTemplate::new(200).set_body_json(listed)
            }
            ("POST", COMMENTS) => {
                let text = body();
                let id = 100 + comments.len() as u64;
                comments.push((id, text.clone()));
                ResponseTemplate::new(201).set_body_json(answer("issues-create-comment", id, &text))
            }
            ("PATCH", _) => {
                let (id, text) = (id_in_path(), body());
                match comments.iter_mut().find(|(c, _)| *c == id) {
                    Some(comment) => {
                        comment.1 = text.clone();
                        ResponseTemplate::new(200).set_body_json(answer(
                            "issues-update-comment",
                            id,
                            &text,
                        ))
                    }
                    None => ResponseTemplate::new(404),
                }
            }
            ("DELETE", _) => {
                let id = id_in_path();
                comments.retain(|(c, _)| *c != id);
                ResponseTemplate::new(204)
            }
            _ => ResponseTemplate::new(405),
        }
    }
}

async fn stand_in() -> (MockServer, Thread) {
    let server = MockServer::start().await;
    let thread = Thread::default();
    // Somebody's comment that is not Ferry's.
    thread
        .0
        .lock()
        .expect("the lock")
        .push((7, "Me too".into()));
    Mock::given(method("GET"))
        .and(path_regex("^/repos/octocat/Hello-World/issues/"))
        .respond_with(thread.clone())
        .mount(&server)
        .await;
    for verb in ["POST", "PATCH", "DELETE"] {
        Mock::given(method(verb))
            .and(path_regex("^/repos/octocat/Hello-World/issues/"))
            .respond_with(thread.clone())
            .mount(&server)
            .await;
    }
    (server, thread)
}

/// `METHOD path` of every request the stand-in saw since `from`.
async fn calls(server: &MockServer, from: usize) -> Vec<String> {
    let requests = server.received_requests().await.expect("recorded");
    requests[from..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn comment(repo: &Path, server: &MockServer) -> (i32, String) {
    let out = ferry_diff(repo)
        .args(["--comment", "--pr", "1347", "--env", "staging"])
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", "ghs_ferrytesttoken")
        .output()
        .expect("ferry-diff runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A ConfigMap of `lines` lines of data, all of them marked `tag`.
fn big_config(name: &str, tag: &str, lines: usize) -> String {
    let mut text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  table: |\n");
    for line in 0..lines {
        text.push_str(&format!(
            "    row {line:05} of the {name} table, version {tag}\n"
        ));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_then_updates_in_place_and_splits_a_long_diff() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let (server, thread) = stand_in().await;

    // First run: one comment created, after the comment that is not Ferry's.
    write(
        &repo,
        "deploy/overlays/staging/kustomization.yaml",
        &overlay("staging", "1.5.0", ""),
    );
    let (code, output) = comment(&repo, &server);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        calls(&server, 0).await,
        vec![format!("GET {COMMENTS}"), format!("POST {COMMENTS}")]
    );
    let first = thread.bodies();
    assert_eq!(first.len(), 2);
    assert!(
        first[1]
            .1
            .starts_with("<!-- ferry:diff key=staging part=1/1 -->\n"),
        "{}",
        first[1].1
    );
    assert!(first[1].1.contains("1.5.0"));

    // Second run, another diff: the same comment updated in place.
    let seen = server.received_requests().await.expect("recorded").len();
    write(
        &repo,
        "deploy/overlays/staging/kustomization.yaml",
        &overlay("staging", "1.6.0", ""),
    );
    let (code, output) = comment(&repo, &server);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        calls(&server, seen).await,
        vec![
            format!("GET {COMMENTS}"),
            format!(
                "PATCH /repos/octocat/Hello-World/issues/comments/{}",
                first[1].0
            ),
        ]
    );
    let second = thread.bodies();
    assert_eq!(second.len(), 2, "no new comment");
    assert!(second[1].1.contains("1.6.0") && !second[1].1.contains("1.5.0"));

    // A long diff (two big tables changed): split in two comments within GitHub's limit.
    for (name, tag) in [("table-a", "one"), ("table-b", "one")] {
        write(
            &repo,
            &format!("deploy/base/{name}.yaml"),
            &big_config(name, tag, 400),
        );
    }
    let base =
        std::fs::read_to_string(repo.join("deploy/base/kustomization.yaml")).expect("the base");
    write(
        &repo,
        "deploy/base/kustomization.yaml",
        &base.replace(
            "  - web.yaml\n",
            "  - web.yaml\n  - table-a.yaml\n  - table-b.yaml\n",
        ),
    );
    crate::commit(&repo, "two tables", 60);
    for name in ["table-a", "table-b"] {
        write(
            &repo,
            &format!("deploy/base/{name}.yaml"),
            &big_config(name, "two", 400),
        );
    }
    let seen = server.received_requests().await.expect("recorded").len();
    let (code, output) = comment(&repo, &server);
    assert_eq!(code, 0, "{output}");
    let parts = thread.bodies();
    assert_eq!(
        parts.len(),
        3,
        "{:?}",
        parts.iter().map(|p| p.1.len()).collect::<Vec<_>>()
    );
    assert!(
        parts[1]
            .1
            .starts_with("<!-- ferry:diff key=staging part=1/2 -->\n")
    );
    assert!(
        parts[2]
            .1
            .starts_with("<!-- ferry:diff key=staging part=2/2 -->\n")
    );
    for (_, body) in &parts[1..] {
        assert!(
            body.chars().count() <= 65_536,
            "{} characters",
            body.chars().count()
        );
    }
    assert!(parts[1].1.contains("table-a") && parts[2].1.contains("table-b"));
    assert_eq!(
        calls(&server, seen).await,
        vec![
            format!("GET {COMMENTS}"),
            format!(
                "PATCH /repos/octocat/Hello-World/issues/comments/{}",
                first[1].0
            ),
            format!("POST {COMMENTS}"),
        ]
    );

    // Back to a short diff: part 1 updated, part 2 deleted.
    for name in ["table-a", "table-b"] {
        write(
            &repo,
            &format!("deploy/base/{name}.yaml"),
            &big_config(name, "one", 400),
        );
    }
    let (code, output) = comment(&repo, &server);
    assert_eq!(code, 0, "{output}");
    let last = thread.bodies();
    assert_eq!(last.len(), 2, "the surplus part is deleted");
    assert_eq!(
        last[0],
        (7, "Me too".to_owned()),
        "the other comment is untouched"
    );
    assert!(
        last[1]
            .1
            .starts_with("<!-- ferry:diff key=staging part=1/1 -->\n")
    );
}

#[test]
fn a_comment_needs_a_pull_request() {
    if !require_git() {
        return;
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let repo = repository(tmp.path());
    let out = ferry_diff(&repo)
        .args(["--comment", "--format", "json"])
        .output()
        .expect("ferry-diff runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--pr"), "{stderr}");
}
