//! A stateful stand-in for GitHub: the REST and GraphQL calls Ferry's GitHub forge makes,
//! answered from a real bare git repository (GitHub's copy of the repository; the forge's
//! clone fetches from it) and a table of pull requests, on wiremock. Refs move by
//! compare-and-swap as on GitHub: `POST /git/refs` fails (422) when the ref exists, `PATCH` with
//! `force: false` only fast-forwards, `createCommitOnBranch` checks `expectedHeadOid`; deleting
//! a pull request's head branch closes it.
//!
//! Answers are the documented example bodies of `fixtures/conformance/github/` (their source is
//! in its `SOURCE.md`) with the values of this repository patched in; GraphQL answers follow the
//! published schema's shapes (GitHub documents no examples for them), as [`super`] does.
//!
//! [`StandIn::set_faults`] makes it fail at seeded random calls: a 502 before acting, a 502
//! after acting (the call happened, the client is told it did not), a connection reset (TCP
//! RST, by a front in `proxy.rs`) before the request reaches the server or after it acted, an
//! answer that never comes in time, before or after acting (it comes after [`Faults`]' stall,
//! beyond the client's read timeout), and a slow answer (within the timeout).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{GRAPHQL_PATH, example};
use crate::faults::Rng;

mod git;
mod graphql;
mod proxy;
mod statuses;

use git::Git;

/// The repository the stand-in serves.
pub const REPOSITORY: &str = "o/r";

/// A pull request as the stand-in keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// Its number.
    pub number: u64,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// `open`, `closed` or `merged`.
    pub state: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Auto-merge enabled.
    pub auto_merge: bool,
    /// The merge commit, once merged.
    pub merge_commit: Option<String>,
    /// Comments, in order.
    pub comments: Vec<String>,
    /// When it was opened (Unix seconds, the stand-in's clock).
    pub created_at: i64,
}

/// What a faulty call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A 502 before acting.
    ErrorBefore,
    /// The call acts, then answers 502.
    ErrorAfter,
    /// No answer in time, nothing done (the connection is lost before the server acts).
    DropBefore(Duration),
    /// The call acts, but its answer comes too late (lost after the server acted).
    DropAfter(Duration),
    /// The call acts and answers slowly (within the client's timeout).
    Slow(Duration),
    /// The connection is reset (TCP RST) before the request reaches the server.
    ResetBefore,
    /// The server acts, then the connection is reset before the answer reaches the client.
    ResetAfter,
}

impl Fault {
    /// Every kind of fault, by name: the variant's, as the log and [`StandIn::fault_counts`]
    /// name it (without its duration).
    pub const KINDS: [&'static str; 7] = [
        "ErrorBefore",
        "ErrorAfter",
        "ResetBefore",
        "ResetAfter",
        "DropBefore",
        "DropAfter",
        "Slow",
    ];

    /// The name of this fault's kind (one of [`Fault::KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::ErrorBefore => "ErrorBefore",
            Fault::ErrorAfter => "ErrorAfter",
            Fault::DropBefore(_) => "DropBefore",
            Fault::DropAfter(_) => "DropAfter",
            Fault::Slow(_) => "Slow",
            Fault::ResetBefore => "ResetBefore",
            Fault::ResetAfter => "ResetAfter",
        }
    }
}

/// Asserts that `counts` (faults by kind, [`StandIn::fault_counts`] summed over runs) holds at
/// least one fault of every kind: a fault test that never injected one of them did not test it.
pub fn assert_every_fault_kind(counts: &BTreeMap<String, usize>) {
    for kind in Fault::KINDS {
        assert!(
            counts.get(kind).is_some_and(|n| *n > 0),
            "no {kind} fault: {counts:?}"
        );
    }
}

/// Seeded faults: each call fails with probability `percent` %.
#[derive(Debug, Clone)]
pub struct Faults {
    rng: Rng,
    percent: u64,
    stall: Duration,
}

impl Faults {
    /// Faults from `seed` at `percent` % of the calls; a lost answer comes after `stall` (make
    /// it longer than the client's read timeout), a slow one after a fifth of it.
    pub fn new(seed: u64, percent: u64, stall: Duration) -> Faults {
        Faults {
            rng: Rng::new(seed),
            percent,
            stall,
        }
    }

    /// Whether the front resets the connection of the next request (half the rate of the
    /// other faults).
    fn next_reset(&mut self) -> Option<Fault> {
        if !self.rng.chance(self.percent / 2) {
            return None;
        }
        Some(if self.rng.chance(50) {
            Fault::ResetBefore
        } else {
            Fault::ResetAfter
        })
    }

    fn next(&mut self) -> Option<Fault> {
        if !self.rng.chance(self.percent) {
            return None;
        }
        Some(match self.rng.below(5) {
            0 => Fault::ErrorBefore,
            1 => Fault::ErrorAfter,
            2 => Fault::DropBefore(self.stall),
            3 => Fault::DropAfter(self.stall),
            _ => Fault::Slow(self.stall / 5),
        })
    }
}

#[derive(Debug, Default)]
struct State {
    pulls: Vec<Pull>,
    /// Commit statuses by commit id, oldest first.
    statuses: BTreeMap<String, Vec<Value>>,
    clock: i64,
    faults: Option<Faults>,
    log: Vec<String>,
}

/// The stand-in: a wiremock server in front of a bare repository.
pub struct StandIn {
    /// Kept alive: the server stops when dropped.
    _server: MockServer,
    /// The front clients talk to (it resets connections).
    front: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    repo: PathBuf,
}

impl StandIn {
    /// Serves the bare repository `repo` (its branches, refs and objects are GitHub's).
    pub async fn start(repo: &Path) -> StandIn {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State {
            clock: 1_767_225_600,
            ..State::default()
        }));
        let handler = Handler {
            state: state.clone(),
            repo: Git(repo.to_path_buf()),
            pulls_create: example("pulls-create"),
            pulls_get: example("pulls-get"),
            pulls_update: example("pulls-update"),
            create_ref: example("git-create-ref"),
            update_ref: example("git-update-ref"),
            create_commit: example("git-create-commit"),
            labels: example("issues-add-labels"),
            comment: example("issues-create-comment"),
            merge: example("pulls-merge"),
        };
        Mock::given(wiremock::matchers::any())
            .respond_with(handler)
            .mount(&server)
            .await;
        let front = proxy::start(*server.address(), state.clone());
        StandIn {
            _server: server,
            front,
            state,
            repo: repo.to_path_buf(),
        }
    }

    /// The REST base URL (the front that can reset connections).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.front)
    }

    /// The GraphQL URL.
    pub fn graphql_url(&self) -> String {
        format!("{}{GRAPHQL_PATH}", self.api_url())
    }

    /// The bare repository.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// Every pull request, in order of number.
    pub fn pulls(&self) -> Vec<Pull> {
        self.lock().pulls.clone()
    }

    /// The open pull requests.
    pub fn open_pulls(&self) -> Vec<Pull> {
        self.pulls()
            .into_iter()
            .filter(|p| p.state == "open")
            .collect()
    }

    /// Faults from now on (`None`: none).
    pub fn set_faults(&self, faults: Option<Faults>) {
        self.lock().faults = faults;
    }

    /// Every call so far (`METHOD path` or `graphql Operation`, with the fault injected).
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// How many faults of each kind (`ErrorBefore`, `ResetAfter`, …) the log shows.
    pub fn fault_counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for line in self.lock().log.iter() {
            if let Some(kind) = line.rsplit_once('[').map(|(_, k)| k) {
                let kind = kind.trim_end_matches(']');
                let kind = kind.split('(').next().unwrap_or(kind).to_owned();
                *out.entry(kind).or_insert(0) += 1;
            }
        }
        out
    }

    /// Forgets the calls logged so far.
    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// Opens a pull request from `head` into `base` directly (as another tool, or an older
    /// Ferry, would have); returns its number.
    ///
    /// # Panics
    ///
    /// When `head` does not exist.
    pub fn open_pull(&self, head: &str, base: &str, title: &str, body: &str) -> u64 {
        let git = Git(self.repo.clone());
        assert!(git.head(head).is_some(), "branch {head} exists");
        let mut state = self.lock();
        let number = 1347 + state.pulls.len() as u64;
        let created_at = state.clock;
        state.pulls.push(Pull {
            number,
            head: head.to_owned(),
            base: base.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            state: "open".to_owned(),
            labels: Vec::new(),
            auto_merge: false,
            merge_commit: None,
            comments: Vec::new(),
            created_at,
        });
        number
    }

    /// Adds a commit status to `commit` (a full commit id) directly, as another tool (or an
    /// older Ferry) would have, at the stand-in's clock: `status` (`success`, `failure`, …),
    /// `context`, `description`. `GET /commits/{ref}/statuses` lists it, newest first, in the
    /// documented shape (a status of `repos-get-combined-status-for-ref`'s example).
    ///
    /// # Panics
    ///
    /// When `commit` is not a full commit id of the repository.
    pub fn add_status(&self, commit: &str, status: &str, context: &str, description: &str) {
        let git = Git(self.repo.clone());
        assert!(
            commit.len() == 40 && git.resolve(commit).as_deref() == Some(commit),
            "{commit} is a commit of the repository"
        );
        let mut state = self.lock();
        let body = statuses::status(&state, commit, status, context, description);
        state
            .statuses
            .entry(commit.to_owned())
            .or_default()
            .push(body);
    }

    /// Sets the stand-in's clock (Unix seconds): the time of the next commit it makes and of
    /// the pull requests opened from now on.
    pub fn set_clock(&self, seconds: i64) {
        self.lock().clock = seconds;
    }

    /// Closes every open pull request (as a person would), without touching a branch.
    pub fn close_all(&self) {
        for pull in self.lock().pulls.iter_mut().filter(|p| p.state == "open") {
            pull.state = "closed".to_owned();
            pull.auto_merge = false;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Handler {
    state: Arc<Mutex<State>>,
    repo: Git,
    pulls_create: Value,
    pulls_get: Value,
    pulls_update: Value,
    create_ref: Value,
    update_ref: Value,
    create_commit: Value,
    labels: Value,
    comment: Value,
    merge: Value,
}

/// An answer: status and JSON body.
type Answer = (u16, Value);

fn error(status: u16, message: &str) -> Answer {
    (
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
    )
}

fn validation(message: &str) -> Answer {
    (
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "code": "custom", "message": message }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        }),
    )
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let call = super::describe(request);
        let fault = state.faults.as_mut().and_then(Faults::next);
        state.log.push(match fault {
            Some(f) => format!("{call} [{f:?}]"),
            None => call,
        });
        match fault {
            Some(Fault::ErrorBefore) => {
                return ResponseTemplate::new(502)
                    .set_body_json(json!({ "message": "Server Error" }));
            }
            Some(Fault::DropBefore(d)) => {
                return ResponseTemplate::new(502)
                    .set_body_json(json!({ "message": "Server Error" }))
                    .set_delay(d);
            }
            _ => {}
        }
        let (status, body) = self.answer(&mut state, request);
        drop(state);
        let template = if status == 204 {
            ResponseTemplate::new(204)
        } else {
            ResponseTemplate::new(status).set_body_json(body)
        };
        match fault {
            Some(Fault::ErrorAfter) => {
                ResponseTemplate::new(502).set_body_json(json!({ "message": "Server Error" }))
            }
            Some(Fault::DropAfter(d) | Fault::Slow(d)) => template.set_delay(d),
            _ => template,
        }
    }
}

impl Handler {
    fn answer(&self, state: &mut State, request: &Request) -> Answer {
        let path = request.url.path().to_owned();
        if path == GRAPHQL_PATH {
            return self.graphql(state, &super::json_of(request));
        }
        let prefix = format!("/repos/{REPOSITORY}");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return error(404, "Not Found");
        };
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let method = request.method.as_str();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["git", "refs"]) => self.create_ref(state, &body),
            ("PATCH", ["git", "refs", ..]) => self.update_ref(state, &rest["/git/".len()..], &body),
            ("DELETE", ["git", "refs", ..]) => self.delete_ref(state, &rest["/git/".len()..]),
            ("GET", ["git", "ref", ..]) => {
                let name = format!("refs/{}", &rest["/git/ref/".len()..]);
                match self.repo.resolve(&name) {
                    Some(sha) => (200, self.ref_body(&self.update_ref, &name, &sha)),
                    None => error(404, "Not Found"),
                }
            }
            ("POST", ["git", "commits"]) => self.commit(state, &body),
            ("GET", ["commits", reference, "statuses"]) => {
                statuses::list(&self.repo, state, reference, &query)
            }
            ("POST", ["pulls"]) => self.create_pull(state, &body),
            ("GET", ["pulls"]) => {
                let list: Vec<Value> = state
                    .pulls
                    .iter()
                    .filter(|p| {
                        query
                            .get("state")
                            .is_none_or(|s| s == "all" || p.api_state() == s)
                    })
                    .filter(|p| query.get("base").is_none_or(|b| *b == p.base))
                    .filter(|p| {
                        query.get("head").is_none_or(|h| {
                            h.split_once(':').map(|(_, b)| b) == Some(p.head.as_str())
                        })
                    })
                    .map(|p| self.pull_body(&self.pulls_get, p))
                    .collect();
                (200, Value::Array(list))
            }
            ("GET", ["pulls", n]) => match self.find(state, n) {
                Some(i) => (200, self.pull_body(&self.pulls_get, &state.pulls[i])),
                None => error(404, "Not Found"),
            },
            ("PATCH", ["pulls", n]) => match self.find(state, n) {
                Some(i) => {
                    let pull = &mut state.pulls[i];
                    if let Some(t) = body["title"].as_str() {
                        pull.title = t.to_owned();
                    }
                    if let Some(b) = body["body"].as_str() {
                        pull.body = b.to_owned();
                    }
                    if body["state"] == "closed" && pull.state == "open" {
                        pull.state = "closed".to_owned();
                        pull.auto_merge = false;
                    }
                    (200, self.pull_body(&self.pulls_update, &state.pulls[i]))
                }
                None => error(404, "Not Found"),
            },
            ("PUT", ["pulls", n, "merge"]) => self.merge_pull(state, n, &body),
            ("POST", ["issues", n, "labels"]) => match self.find(state, n) {
                Some(i) => {
                    for label in body["labels"].as_array().into_iter().flatten() {
                        let label = label.as_str().unwrap_or_default().to_owned();
                        if !state.pulls[i].labels.contains(&label) {
                            state.pulls[i].labels.push(label);
                        }
                    }
                    let template = self.labels[0].clone();
                    let labels = state.pulls[i]
                        .labels
                        .iter()
                        .map(|name| {
                            let mut l = template.clone();
                            l["name"] = json!(name);
                            l
                        })
                        .collect();
                    (200, Value::Array(labels))
                }
                None => error(404, "Not Found"),
            },
            ("POST", ["issues", n, "comments"]) => match self.find(state, n) {
                Some(i) => {
                    let text = body["body"].as_str().unwrap_or_default().to_owned();
                    state.pulls[i].comments.push(text.clone());
                    let mut answer = self.comment.clone();
                    answer["body"] = json!(text);
                    (201, answer)
                }
                None => error(404, "Not Found"),
            },
            _ => error(404, "Not Found"),
        }
    }

    fn find(&self, state: &State, number: &str) -> Option<usize> {
        let n: u64 = number.parse().ok()?;
        state.pulls.iter().position(|p| p.number == n)
    }

    fn ref_body(&self, template: &Value, name: &str, sha: &str) -> Value {
        let mut body = template.clone();
        body["ref"] = json!(name);
        body["url"] = json!(format!(
            "https://api.github.com/repos/{REPOSITORY}/git/{name}"
        ));
        body["object"]["sha"] = json!(sha);
        body["object"]["type"] = json!("commit");
        body
    }

    fn create_ref(&self, _state: &mut State, body: &Value) -> Answer {
        let (Some(name), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
            return error(422, "Invalid request.");
        };
        if !name.starts_with("refs/") || name.matches('/').count() < 2 {
            return error(
                422,
                "Reference name must start with 'refs/' and have at least two slashes.",
            );
        }
        if self.repo.resolve(name).is_some() {
            return error(422, "Reference already exists");
        }
        if !self.repo.exists(sha) {
            return error(422, "Object does not exist");
        }
        match self.repo.set_ref(name, sha) {
            Ok(()) => (201, self.ref_body(&self.create_ref, name, sha)),
            Err(e) => error(422, &e),
        }
    }

    fn update_ref(&self, state: &mut State, short: &str, body: &Value) -> Answer {
        let name = format!("refs/{}", short.trim_start_matches("refs/"));
        let Some(sha) = body["sha"].as_str() else {
            return error(422, "Invalid request.");
        };
        let force = body["force"].as_bool().unwrap_or(false);
        let Some(current) = self.repo.resolve(&name) else {
            return error(422, "Reference does not exist");
        };
        if !self.repo.exists(sha) {
            return error(422, "Object does not exist");
        }
        if !force && !self.repo.is_ancestor(&current, sha) {
            return error(422, "Update is not a fast forward");
        }
        if let Err(e) = self.repo.set_ref(&name, sha) {
            return error(422, &e);
        }
        self.settle(state);
        (200, self.ref_body(&self.update_ref, &name, sha))
    }

    fn delete_ref(&self, state: &mut State, short: &str) -> Answer {
        let name = format!("refs/{}", short.trim_start_matches("refs/"));
        if self.repo.resolve(&name).is_none() {
            return error(422, "Reference does not exist");
        }
        if let Err(e) = self.repo.delete_ref(&name) {
            return error(422, &e);
        }
        // GitHub closes the open pull requests whose head branch is deleted.
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            for pull in state
                .pulls
                .iter_mut()
                .filter(|p| p.state == "open" && p.head == branch)
            {
                pull.state = "closed".to_owned();
                pull.auto_merge = false;
            }
        }
        (204, Value::Null)
    }

    /// A pull request whose head is now part of its base is merged (as GitHub marks it).
    fn settle(&self, state: &mut State) {
        for pull in state.pulls.iter_mut().filter(|p| p.state == "open") {
            let (Some(head), Some(base)) = (self.repo.head(&pull.head), self.repo.head(&pull.base))
            else {
                continue;
            };
            if self.repo.is_ancestor(&head, &base) {
                pull.state = "merged".to_owned();
                pull.merge_commit = Some(base);
            }
        }
    }

    fn commit(&self, state: &mut State, body: &Value) -> Answer {
        let (Some(message), Some(tree)) = (body["message"].as_str(), body["tree"].as_str()) else {
            return error(422, "Invalid request.");
        };
        if !self.repo.exists(tree) {
            return error(422, "Tree SHA does not exist");
        }
        let parents: Vec<String> = body["parents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
        if parents.iter().any(|p| !self.repo.exists(p)) {
            return error(422, "Parent SHA does not exist or is not a commit object");
        }
        state.clock += 1;
        match self.repo.commit_tree(tree, &parents, message, state.clock) {
            Ok(sha) => {
                let mut answer = self.create_commit.clone();
                answer["sha"] = json!(sha);
                answer["message"] = json!(message);
                answer["tree"]["sha"] = json!(tree);
                answer["parents"] = json!(
                    parents
                        .iter()
                        .map(|p| json!({ "sha": p }))
                        .collect::<Vec<_>>()
                );
                (201, answer)
            }
            Err(e) => error(422, &e),
        }
    }

    fn create_pull(&self, state: &mut State, body: &Value) -> Answer {
        let head = body["head"].as_str().unwrap_or_default();
        let head = head.split_once(':').map_or(head, |(_, b)| b).to_owned();
        let base = body["base"].as_str().unwrap_or_default().to_owned();
        let (Some(head_sha), Some(base_sha)) = (self.repo.head(&head), self.repo.head(&base))
        else {
            return validation("head or base is invalid");
        };
        if state
            .pulls
            .iter()
            .any(|p| p.state == "open" && p.head == head && p.base == base)
        {
            return validation(&format!("A pull request already exists for o:{head}."));
        }
        if self.repo.is_ancestor(&head_sha, &base_sha) {
            return validation(&format!("No commits between {base} and {head}"));
        }
        let number = 1347 + state.pulls.len() as u64;
        let created_at = state.clock;
        state.pulls.push(Pull {
            number,
            head,
            base,
            title: body["title"].as_str().unwrap_or_default().to_owned(),
            body: body["body"].as_str().unwrap_or_default().to_owned(),
            state: "open".to_owned(),
            labels: Vec::new(),
            auto_merge: false,
            merge_commit: None,
            comments: Vec::new(),
            created_at,
        });
        let pull = state.pulls.last().expect("just pushed");
        (201, self.pull_body(&self.pulls_create, pull))
    }

    fn merge_pull(&self, state: &mut State, number: &str, body: &Value) -> Answer {
        let Some(i) = self.find(state, number) else {
            return error(404, "Not Found");
        };
        let pull = state.pulls[i].clone();
        let (Some(head), Some(base)) = (self.repo.head(&pull.head), self.repo.head(&pull.base))
        else {
            return error(405, "Pull Request is not mergeable");
        };
        if pull.state != "open" {
            return error(405, "Pull Request is not mergeable");
        }
        if body["sha"].as_str().is_some_and(|s| s != head) {
            return error(
                409,
                "Head branch was modified. Review and try the merge again.",
            );
        }
        let Some(tree) = self.repo.ok(&["merge-tree", "--write-tree", &base, &head]) else {
            return error(405, "Pull Request is not mergeable");
        };
        let tree = tree.lines().next().unwrap_or_default().to_owned();
        state.clock += 1;
        let message = body["commit_title"]
            .as_str()
            .unwrap_or(&pull.title)
            .to_owned();
        let Ok(commit) =
            self.repo
                .commit_tree(&tree, std::slice::from_ref(&base), &message, state.clock)
        else {
            return error(405, "Pull Request is not mergeable");
        };
        if self
            .repo
            .set_ref(&format!("refs/heads/{}", pull.base), &commit)
            .is_err()
        {
            return error(
                409,
                "Base branch was modified. Review and try the merge again.",
            );
        }
        state.pulls[i].state = "merged".to_owned();
        state.pulls[i].merge_commit = Some(commit.clone());
        let mut answer = self.merge.clone();
        answer["sha"] = json!(commit);
        (200, answer)
    }

    fn pull_body(&self, template: &Value, pull: &Pull) -> Value {
        let mut body = template.clone();
        let head_sha = self.repo.head(&pull.head).unwrap_or_default();
        let base_sha = self.repo.head(&pull.base).unwrap_or_default();
        body["number"] = json!(pull.number);
        body["node_id"] = json!(format!("PR_node{}", pull.number));
        body["html_url"] = json!(format!(
            "https://github.com/{REPOSITORY}/pull/{}",
            pull.number
        ));
        body["url"] = json!(format!(
            "https://api.github.com/repos/{REPOSITORY}/pulls/{}",
            pull.number
        ));
        body["title"] = json!(pull.title);
        body["body"] = json!(pull.body);
        let merged = pull.state == "merged";
        body["state"] = json!(pull.api_state());
        body["merged"] = json!(merged);
        body["merged_at"] = if merged {
            json!("2026-01-01T00:00:00Z")
        } else {
            Value::Null
        };
        body["merge_commit_sha"] = json!(pull.merge_commit);
        body["mergeable_state"] = json!("blocked");
        body["draft"] = json!(false);
        body["auto_merge"] = if pull.auto_merge {
            json!({ "merge_method": "squash" })
        } else {
            Value::Null
        };
        body["head"]["ref"] = json!(pull.head);
        body["head"]["sha"] = json!(head_sha);
        body["base"]["ref"] = json!(pull.base);
        body["base"]["sha"] = json!(base_sha);
        body["labels"] = json!(
            pull.labels
                .iter()
                .map(|l| json!({ "name": l }))
                .collect::<Vec<_>>()
        );
        body
    }
}

impl Pull {
    /// The REST `state`: `open` or `closed` (a merged one is closed).
    fn api_state(&self) -> &str {
        if self.state == "open" {
            "open"
        } else {
            "closed"
        }
    }
}

#[cfg(test)]
mod fault_kinds {
    use super::*;

    /// Each fault's kind is in [`Fault::KINDS`] under the name the log gives it, and every kind
    /// is one fault's.
    #[test]
    fn kinds_name_every_fault_as_the_log_does() {
        let d = Duration::from_millis(5);
        let faults = [
            Fault::ErrorBefore,
            Fault::ErrorAfter,
            Fault::ResetBefore,
            Fault::ResetAfter,
            Fault::DropBefore(d),
            Fault::DropAfter(d),
            Fault::Slow(d),
        ];
        let kinds: Vec<&str> = faults.iter().map(Fault::kind).collect();
        assert_eq!(kinds, Fault::KINDS);
        for f in faults {
            let logged = format!("{f:?}");
            assert_eq!(logged.split('(').next(), Some(f.kind()), "{logged}");
        }
        let mut counts: BTreeMap<String, usize> =
            Fault::KINDS.iter().map(|k| (k.to_string(), 1)).collect();
        assert_every_fault_kind(&counts);
        counts.insert("Slow".into(), 0);
        let missing = std::panic::catch_unwind(|| assert_every_fault_kind(&counts));
        assert!(missing.is_err(), "a kind without faults must fail");
    }
}
