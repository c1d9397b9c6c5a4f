//! GraphQL mutations: verified compare-and-swap commits and auto-merge.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AutoMergeRefusal, GithubClient, GithubError};

/// A GraphQL answer: `data` and `errors`.
#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub(crate) data: Option<Value>,
    #[serde(default)]
    pub(crate) errors: Vec<ErrorEntry>,
}

/// One GraphQL error.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEntry {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) message: String,
}

impl Response {
    fn into_error(self, operation: &str) -> GithubError {
        GithubError::Graphql {
            operation: operation.to_owned(),
            types: self.errors.iter().filter_map(|e| e.kind.clone()).collect(),
            messages: self.errors.into_iter().map(|e| e.message).collect(),
        }
    }

    /// The non-null object at `data.<field>`.
    fn field(&self, field: &str) -> Option<&Value> {
        self.data.as_ref()?.get(field).filter(|v| !v.is_null())
    }
}

impl GithubClient {
    /// Runs a GraphQL query named `operation` and returns its `data` (`Value::Null` when the
    /// answer has none); GraphQL errors become [`GithubError::Graphql`].
    pub async fn query(
        &self,
        operation: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, GithubError> {
        let response = self.graphql(operation, query, variables).await?;
        if !response.errors.is_empty() {
            return Err(response.into_error(operation));
        }
        Ok(response.data.unwrap_or(Value::Null))
    }
}

/// A commit to make on a branch with `createCommitOnBranch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchCommit {
    /// The branch (it must exist).
    pub branch: String,
    /// The commit the branch must point at; GitHub refuses the commit otherwise.
    pub expected_head: String,
    /// The first line of the commit message.
    pub headline: String,
    /// The rest of the commit message.
    pub body: Option<String>,
    /// Files to add or replace.
    pub additions: Vec<FileAddition>,
    /// Paths to delete.
    pub deletions: Vec<String>,
}

/// A file to add or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAddition {
    /// Its path from the repository root.
    pub path: String,
    /// Its full new contents.
    pub contents: Vec<u8>,
}

/// The commit GitHub made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedCommit {
    /// Its id.
    pub oid: String,
    /// Its web page.
    pub url: String,
}

/// How a pull request is merged: the method `ferry.toml` names (`[forge.github] merge_method`).
pub use ferry_config::MergeMethod;

/// How a pull request is to be merged: the method, the message of the commit that lands on the
/// base (merge and squash; GitHub's default message when `None`), and the head commit the merge
/// is for (GitHub refuses when the head moved).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergeOptions {
    /// The merge method.
    pub method: MergeMethod,
    /// The first line of the landing commit's message.
    pub headline: Option<String>,
    /// The rest of the landing commit's message.
    pub body: Option<String>,
    /// The pull request's head commit (hex) the merge must be for.
    pub expected_head: Option<String>,
}

impl MergeOptions {
    /// `method` with GitHub's default message and no head check.
    pub fn new(method: MergeMethod) -> Self {
        MergeOptions {
            method,
            ..MergeOptions::default()
        }
    }

    /// With the landing commit's `message` (first line: headline; the rest: body).
    pub fn with_message(mut self, message: &str) -> Self {
        let (headline, body) = match message.trim().split_once('\n') {
            Some((head, rest)) => (head.trim(), rest.trim()),
            None => (message.trim(), ""),
        };
        self.headline = (!headline.is_empty()).then(|| headline.to_owned());
        self.body = (!body.is_empty()).then(|| body.to_owned());
        self
    }

    /// Guarded by the head commit `head`.
    pub fn with_expected_head(mut self, head: &str) -> Self {
        self.expected_head = Some(head.to_owned());
        self
    }

    /// Whether the message applies: a rebase keeps the pull request's own commits.
    fn sets_message(&self) -> bool {
        self.method != MergeMethod::Rebase
    }
}

const CREATE_COMMIT: &str = "mutation FerryCreateCommit($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url } }
}";

const ENABLE_AUTO_MERGE: &str = "mutation FerryEnableAutoMerge($input: EnablePullRequestAutoMergeInput!) {
  enablePullRequestAutoMerge(input: $input) { pullRequest { number autoMergeRequest { mergeMethod } } }
}";

impl GithubClient {
    /// Commits file changes on a branch through GraphQL `createCommitOnBranch`.
    ///
    /// GitHub signs the commit (it shows as verified) and makes it only when the branch still
    /// points at [`BranchCommit::expected_head`]; otherwise this fails with
    /// [`GithubError::Conflict`] and the caller recomputes its change from the new head.
    pub async fn commit_on_branch(
        &self,
        commit: &BranchCommit,
    ) -> Result<CreatedCommit, GithubError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let additions: Vec<Value> = commit
            .additions
            .iter()
            .map(|f| json!({ "path": f.path, "contents": b64.encode(&f.contents) }))
            .collect();
        let deletions: Vec<Value> = commit
            .deletions
            .iter()
            .map(|path| json!({ "path": path }))
            .collect();
        let mut message = json!({ "headline": commit.headline });
        if let Some(body) = &commit.body {
            message["body"] = json!(body);
        }
        let input = json!({
            "branch": {
                "repositoryNameWithOwner": self.repository(),
                "branchName": commit.branch,
            },
            "expectedHeadOid": commit.expected_head,
            "message": message,
            "fileChanges": { "additions": additions, "deletions": deletions },
        });
        let operation = "createCommitOnBranch";
        let response = self
            .graphql(operation, CREATE_COMMIT, json!({ "input": input }))
            .await?;
        if let Some(stale) = response.errors.iter().find(|e| is_stale(e)) {
            return Err(GithubError::Conflict {
                branch: commit.branch.clone(),
                expected: commit.expected_head.clone(),
                message: stale.message.clone(),
            });
        }
        let created = response
            .field(operation)
            .and_then(|payload| payload.get("commit"))
            .filter(|c| !c.is_null())
            .cloned();
        match created {
            Some(value) if response.errors.is_empty() => {
                serde_json::from_value(value).map_err(|e| GithubError::Decode {
                    what: operation.to_owned(),
                    message: e.to_string(),
                })
            }
            _ if !response.errors.is_empty() => Err(response.into_error(operation)),
            _ => Err(GithubError::Decode {
                what: operation.to_owned(),
                message: "no commit in the answer".to_owned(),
            }),
        }
    }

    /// Enables auto-merge on a pull request (GraphQL `enablePullRequestAutoMerge`); on a base
    /// branch with a merge queue this adds it to the queue once its checks pass (the queue then
    /// decides the merge method).
    ///
    /// Fails with [`GithubError::AutoMergeRefused`] when GitHub refuses, e.g. because the
    /// repository does not allow auto-merge; the pull request stays open.
    pub async fn enable_auto_merge(
        &self,
        number: u64,
        node_id: &str,
        merge: &MergeOptions,
    ) -> Result<(), GithubError> {
        let operation = "enablePullRequestAutoMerge";
        let mut input = json!({
            "pullRequestId": node_id,
            "mergeMethod": merge.method.as_str().to_ascii_uppercase(),
        });
        if merge.sets_message() {
            if let Some(headline) = &merge.headline {
                input["commitHeadline"] = json!(headline);
            }
            if let Some(body) = &merge.body {
                input["commitBody"] = json!(body);
            }
        }
        if let Some(head) = &merge.expected_head {
            input["expectedHeadOid"] = json!(head);
        }
        let response = self
            .graphql(operation, ENABLE_AUTO_MERGE, json!({ "input": input }))
            .await?;
        if let Some(first) = response.errors.first() {
            let reason = refusal(&first.message);
            if reason != AutoMergeRefusal::Other || first.kind.as_deref() == Some("UNPROCESSABLE") {
                return Err(GithubError::AutoMergeRefused {
                    number,
                    reason,
                    message: first.message.clone(),
                });
            }
            return Err(response.into_error(operation));
        }
        if response.field(operation).is_none() {
            return Err(GithubError::Decode {
                what: operation.to_owned(),
                message: "no pull request in the answer".to_owned(),
            });
        }
        Ok(())
    }
}

/// Whether a GraphQL error says the branch head was not the expected one.
fn is_stale(error: &ErrorEntry) -> bool {
    error.kind.as_deref() == Some("STALE_DATA")
        || error.message.contains("Expected branch to point to")
}

/// Classifies a refusal of `enablePullRequestAutoMerge` by its message.
fn refusal(message: &str) -> AutoMergeRefusal {
    let lower = message.to_ascii_lowercase();
    if lower.contains("auto merge is not allowed")
        || lower.contains("auto-merge is not allowed")
        || lower.contains("not allowed for this repository")
    {
        AutoMergeRefusal::NotAllowed
    } else if lower.contains("clean status") {
        AutoMergeRefusal::AlreadyMergeable
    } else {
        AutoMergeRefusal::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_classified_by_message() {
        assert_eq!(
            refusal("Pull request Auto merge is not allowed for this repository"),
            AutoMergeRefusal::NotAllowed
        );
        assert_eq!(
            refusal("Pull request Pull request is in clean status"),
            AutoMergeRefusal::AlreadyMergeable
        );
        assert_eq!(refusal("Something else"), AutoMergeRefusal::Other);
    }

    #[test]
    fn stale_data_is_recognised_by_type_or_message() {
        let typed = ErrorEntry {
            kind: Some("STALE_DATA".into()),
            message: String::new(),
        };
        let untyped = ErrorEntry {
            kind: None,
            message: "Expected branch to point to \"abc\" but it did not".into(),
        };
        let other = ErrorEntry {
            kind: Some("NOT_FOUND".into()),
            message: "Could not resolve to a Ref".into(),
        };
        assert!(is_stale(&typed));
        assert!(is_stale(&untyped));
        assert!(!is_stale(&other));
    }
}
