//! The GraphQL reads of the GitHub forge: several facts in one request each.

use serde::Deserialize;
use serde_json::{Value, json};

use ferry_github::{GithubClient, GithubError};

/// Where holds live on [`crate::forge::HOLDS_BRANCH`].
pub(super) const HOLDS_DIR: &str = ".ferry/holds";

/// Base head, open pull requests into the base and the holds, in one request (more only when
/// more than 100 pull requests are open).
const SNAPSHOT: &str = "query FerrySnapshot($owner: String!, $name: String!, $base: String!, $baseRef: String!, $holdsRef: String!, $holdsDir: String!, $slotsPrefix: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    base: ref(qualifiedName: $baseRef) { target { oid } }
    slots: refs(refPrefix: $slotsPrefix, first: 100) { nodes { name target { oid ... on Commit { message } } } }
    holds: ref(qualifiedName: $holdsRef) {
      target { oid ... on Commit { file(path: $holdsDir) { object { ... on Tree { entries { name object { ... on Blob { text isTruncated } } } } } } } }
    }
    pullRequests(states: OPEN, baseRefName: $base, first: 100, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number id url title body createdAt headRefName headRefOid isCrossRepository
        autoMergeRequest { enabledAt }
        labels(first: 100) { nodes { name } }
        headRef { target { oid ... on Commit { tree { oid } parents(first: 2) { nodes { oid } } } } }
      }
    }
  }
}";

/// The holds branch head and one environment's holds file.
const HOLDS_FILE: &str = "query FerryHoldsFile($owner: String!, $name: String!, $baseRef: String!, $holdsRef: String!, $path: String!) {
  repository(owner: $owner, name: $name) {
    base: ref(qualifiedName: $baseRef) { target { oid } }
    holds: ref(qualifiedName: $holdsRef) {
      target { oid ... on Commit { file(path: $path) { object { ... on Blob { text isTruncated } } } } }
    }
  }
}";

/// Branches below a prefix, with their pull requests and age.
const BRANCHES: &str =
    "query FerryBranches($owner: String!, $name: String!, $prefix: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    refs(refPrefix: $prefix, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        name
        target { oid ... on Commit { committedDate } }
        open: associatedPullRequests(states: OPEN) { totalCount }
        all: associatedPullRequests { totalCount }
      }
    }
  }
}";

/// An open pull request as the snapshot reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OpenPull {
    pub number: u64,
    pub node_id: String,
    pub url: String,
    pub title: String,
    pub body: String,
    pub head_branch: String,
    pub head_oid: String,
    pub cross_repository: bool,
    pub auto_merge: bool,
    pub labels: Vec<String>,
    /// When it was opened (RFC 3339), when GitHub says.
    pub created_at: Option<String>,
    /// Tree and parents of the head commit, when the head branch still points at it.
    pub head_tree: Option<String>,
    pub head_parents: Vec<String>,
}

/// What the forge reads before an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Snapshot {
    /// The base branch head (hex).
    pub base: String,
    /// Open pull requests into the base, oldest first.
    pub pulls: Vec<OpenPull>,
    /// The holds branch head, when the branch exists.
    pub holds_head: Option<String>,
    /// Holds files by name (`<env>.json`) → text.
    pub holds_files: Vec<(String, Result<String, String>)>,
    /// The environment slots ([`crate::forge::SLOTS_REF_PREFIX`]): name below the prefix →
    /// the slot's commit.
    pub slots: std::collections::BTreeMap<String, SlotCommit>,
}

/// The commit an environment slot points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SlotCommit {
    /// Its id (hex).
    pub oid: String,
    /// Its message (trailers name the change that holds the slot).
    pub message: String,
}

/// The holds branch and one holds file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HoldsFile {
    pub base: String,
    pub head: Option<String>,
    pub text: Option<Result<String, String>>,
}

/// A branch below a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BranchInfo {
    /// The short name (prefix included).
    pub name: String,
    /// Its commit's date (RFC 3339), when it points at a commit.
    pub committed: Option<String>,
    /// Open pull requests with this head.
    pub open_pulls: u64,
    /// Pull requests with this head, in any state.
    pub all_pulls: u64,
}

/// Runs a query; GraphQL errors become [`GithubError::Graphql`].
async fn run(
    client: &GithubClient,
    operation: &str,
    query: &str,
    variables: Value,
) -> Result<Value, GithubError> {
    let mut data = client.query(operation, query, variables).await?;
    let repository = data
        .get_mut("repository")
        .map(Value::take)
        .filter(|r| !r.is_null())
        .ok_or_else(|| GithubError::Decode {
            what: operation.to_owned(),
            message: "no repository in the answer".to_owned(),
        })?;
    Ok(repository)
}

fn decode<T: for<'de> Deserialize<'de>>(value: Value, what: &str) -> Result<T, GithubError> {
    serde_json::from_value(value).map_err(|e| GithubError::Decode {
        what: what.to_owned(),
        message: ferry_redact::scrub(&e.to_string()),
    })
}

#[derive(Deserialize)]
struct RefNode<T> {
    target: Option<T>,
}

#[derive(Deserialize)]
struct Oid {
    oid: String,
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(rename = "hasNextPage")]
    has_next_page: bool,
    #[serde(rename = "endCursor")]
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Blob {
    text: Option<String>,
    #[serde(default, rename = "isTruncated")]
    is_truncated: bool,
}

/// A blob's text, or why it cannot be used.
fn blob_text(blob: Option<Blob>) -> Result<String, String> {
    match blob {
        Some(Blob {
            text: Some(text),
            is_truncated: false,
        }) => Ok(text),
        Some(Blob {
            is_truncated: true, ..
        }) => Err("the file is too large".to_owned()),
        _ => Err("the file is not text".to_owned()),
    }
}

/// Base head, open pull requests into `base` and every holds file.
pub(super) async fn snapshot(
    client: &GithubClient,
    owner: &str,
    name: &str,
    base: &str,
) -> Result<Snapshot, GithubError> {
    #[derive(Deserialize)]
    struct Repository {
        base: Option<RefNode<Oid>>,
        holds: Option<RefNode<HoldsCommit>>,
        #[serde(default)]
        slots: Option<Slots>,
        #[serde(rename = "pullRequests")]
        pull_requests: Pulls,
    }
    #[derive(Deserialize)]
    struct Slots {
        nodes: Vec<SlotNode>,
    }
    #[derive(Deserialize)]
    struct SlotNode {
        name: String,
        target: Option<SlotTarget>,
    }
    #[derive(Deserialize)]
    struct SlotTarget {
        oid: String,
        #[serde(default)]
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct HoldsCommit {
        oid: String,
        file: Option<TreeEntry<Tree>>,
    }
    #[derive(Deserialize)]
    struct TreeEntry<T> {
        object: Option<T>,
    }
    #[derive(Deserialize)]
    struct Tree {
        #[serde(default)]
        entries: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        name: String,
        object: Option<Blob>,
    }
    #[derive(Deserialize)]
    struct Pulls {
        #[serde(rename = "pageInfo")]
        page_info: PageInfo,
        nodes: Vec<Pull>,
    }
    #[derive(Deserialize)]
    struct Pull {
        number: u64,
        id: String,
        url: String,
        title: String,
        #[serde(default)]
        body: Option<String>,
        #[serde(rename = "createdAt", default)]
        created_at: Option<String>,
        #[serde(rename = "headRefName")]
        head_ref_name: String,
        #[serde(rename = "headRefOid")]
        head_ref_oid: String,
        #[serde(rename = "isCrossRepository")]
        is_cross_repository: bool,
        #[serde(rename = "autoMergeRequest")]
        auto_merge_request: Option<Value>,
        labels: Option<Labels>,
        #[serde(rename = "headRef")]
        head_ref: Option<RefNode<HeadCommit>>,
    }
    #[derive(Deserialize)]
    struct Labels {
        nodes: Vec<LabelNode>,
    }
    #[derive(Deserialize)]
    struct LabelNode {
        name: String,
    }
    #[derive(Deserialize)]
    struct HeadCommit {
        oid: String,
        tree: Option<Oid>,
        parents: Option<Parents>,
    }
    #[derive(Deserialize)]
    struct Parents {
        nodes: Vec<Oid>,
    }

    let operation = "FerrySnapshot";
    let mut out: Option<Snapshot> = None;
    let mut after: Option<String> = None;
    loop {
        let variables = json!({
            "owner": owner, "name": name, "base": base,
            "baseRef": format!("refs/heads/{base}"),
            "holdsRef": format!("refs/heads/{}", crate::forge::HOLDS_BRANCH),
            "holdsDir": HOLDS_DIR,
            "slotsPrefix": crate::forge::SLOTS_REF_PREFIX,
            "after": after,
        });
        let repository: Repository = decode(
            run(client, operation, SNAPSHOT, variables).await?,
            operation,
        )?;
        if out.is_none() {
            let base_head = repository
                .base
                .and_then(|r| r.target)
                .ok_or_else(|| GithubError::Decode {
                    what: operation.to_owned(),
                    message: format!("the base branch `{base}` does not exist"),
                })?
                .oid;
            let (holds_head, holds_files) = match repository.holds.and_then(|r| r.target) {
                None => (None, Vec::new()),
                Some(commit) => {
                    let entries = commit
                        .file
                        .and_then(|f| f.object)
                        .map(|t| t.entries)
                        .unwrap_or_default();
                    let files = entries
                        .into_iter()
                        .filter(|e| e.name.ends_with(".json"))
                        .map(|e| (e.name, blob_text(e.object)))
                        .collect();
                    (Some(commit.oid), files)
                }
            };
            // `refs(refPrefix:)` names refs relative to the prefix.
            let slots = repository
                .slots
                .map(|s| s.nodes)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| {
                    let target = n.target?;
                    Some((
                        n.name,
                        SlotCommit {
                            oid: target.oid,
                            message: target.message.unwrap_or_default(),
                        },
                    ))
                })
                .collect();
            out = Some(Snapshot {
                base: base_head,
                pulls: Vec::new(),
                holds_head,
                holds_files,
                slots,
            });
        }
        let snapshot = out.as_mut().expect("set above");
        for pull in repository.pull_requests.nodes {
            let head = pull
                .head_ref
                .and_then(|r| r.target)
                .filter(|c| c.oid == pull.head_ref_oid);
            let (head_tree, head_parents) = match head {
                Some(c) => (
                    c.tree.map(|t| t.oid),
                    c.parents
                        .map(|p| p.nodes.into_iter().map(|n| n.oid).collect())
                        .unwrap_or_default(),
                ),
                None => (None, Vec::new()),
            };
            snapshot.pulls.push(OpenPull {
                number: pull.number,
                node_id: pull.id,
                url: pull.url,
                title: pull.title,
                body: pull.body.unwrap_or_default(),
                head_branch: pull.head_ref_name,
                head_oid: pull.head_ref_oid,
                cross_repository: pull.is_cross_repository,
                auto_merge: pull.auto_merge_request.is_some_and(|v| !v.is_null()),
                labels: pull
                    .labels
                    .map(|l| l.nodes.into_iter().map(|n| n.name).collect())
                    .unwrap_or_default(),
                created_at: pull.created_at,
                head_tree,
                head_parents,
            });
        }
        let page = repository.pull_requests.page_info;
        match page.end_cursor {
            Some(cursor) if page.has_next_page => after = Some(cursor),
            _ => break,
        }
    }
    Ok(out.expect("the first page sets the snapshot"))
}

/// The base head, the holds branch head and the text of `path` on it.
pub(super) async fn holds_file(
    client: &GithubClient,
    owner: &str,
    name: &str,
    base: &str,
    path: &str,
) -> Result<HoldsFile, GithubError> {
    #[derive(Deserialize)]
    struct Repository {
        base: Option<RefNode<Oid>>,
        holds: Option<RefNode<HoldsCommit>>,
    }
    #[derive(Deserialize)]
    struct HoldsCommit {
        oid: String,
        file: Option<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        object: Option<Blob>,
    }
    let operation = "FerryHoldsFile";
    let variables = json!({
        "owner": owner, "name": name,
        "baseRef": format!("refs/heads/{base}"),
        "holdsRef": format!("refs/heads/{}", crate::forge::HOLDS_BRANCH),
        "path": path,
    });
    let repository: Repository = decode(
        run(client, operation, HOLDS_FILE, variables).await?,
        operation,
    )?;
    let base_head = repository
        .base
        .and_then(|r| r.target)
        .ok_or_else(|| GithubError::Decode {
            what: operation.to_owned(),
            message: format!("the base branch `{base}` does not exist"),
        })?
        .oid;
    let (head, text) = match repository.holds.and_then(|r| r.target) {
        None => (None, None),
        Some(commit) => (Some(commit.oid), commit.file.map(|f| blob_text(f.object))),
    };
    Ok(HoldsFile {
        base: base_head,
        head,
        text,
    })
}

/// Every branch whose full name starts with `prefix` (e.g. `refs/heads/deploy/`).
pub(super) async fn branches(
    client: &GithubClient,
    owner: &str,
    name: &str,
    prefix: &str,
) -> Result<Vec<BranchInfo>, GithubError> {
    #[derive(Deserialize)]
    struct Repository {
        refs: Option<Refs>,
    }
    #[derive(Deserialize)]
    struct Refs {
        #[serde(rename = "pageInfo")]
        page_info: PageInfo,
        nodes: Vec<Node>,
    }
    #[derive(Deserialize)]
    struct Node {
        name: String,
        target: Option<Target>,
        open: Count,
        all: Count,
    }
    #[derive(Deserialize)]
    struct Target {
        #[serde(default, rename = "committedDate")]
        committed_date: Option<String>,
    }
    #[derive(Deserialize)]
    struct Count {
        #[serde(rename = "totalCount")]
        total_count: u64,
    }
    let operation = "FerryBranches";
    let short = prefix.strip_prefix("refs/heads/").unwrap_or(prefix);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let variables = json!({ "owner": owner, "name": name, "prefix": prefix, "after": after });
        let repository: Repository = decode(
            run(client, operation, BRANCHES, variables).await?,
            operation,
        )?;
        let Some(refs) = repository.refs else { break };
        for node in refs.nodes {
            // `refs(refPrefix:)` names refs relative to the prefix.
            out.push(BranchInfo {
                name: format!("{short}{}", node.name),
                committed: node.target.and_then(|t| t.committed_date),
                open_pulls: node.open.total_count,
                all_pulls: node.all.total_count,
            });
        }
        match refs.page_info.end_cursor {
            Some(cursor) if refs.page_info.has_next_page => after = Some(cursor),
            _ => break,
        }
    }
    Ok(out)
}
