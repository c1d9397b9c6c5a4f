//! REST endpoints: refs, pull requests, labels, comments, commit statuses.

use std::time::Duration;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{GithubClient, GithubError, decode, encode, error_message};

/// A pull request, as far as Ferry reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The number.
    pub number: u64,
    /// The GraphQL node id (for `enablePullRequestAutoMerge`).
    pub node_id: String,
    /// The web page.
    pub html_url: String,
    /// `open` or `closed`.
    pub state: String,
    /// The title.
    pub title: String,
    /// The body (Markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// The head branch.
    pub head: BranchRef,
    /// The base branch.
    pub base: BranchRef,
    /// Whether it was merged (absent in list answers; see [`PullRequest::merged_at`]).
    #[serde(default)]
    pub merged: Option<bool>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// The merge commit (or the test merge commit while open).
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// GitHub's mergeability summary (`clean`, `blocked`, `behind`, `dirty`, `unstable`, …).
    #[serde(default)]
    pub mergeable_state: Option<String>,
    /// Whether it is a draft.
    #[serde(default)]
    pub draft: Option<bool>,
    /// The auto-merge request, when enabled.
    #[serde(default)]
    pub auto_merge: Option<serde_json::Value>,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}

impl PullRequest {
    /// Whether it was merged: `merged` when GitHub says, else a closed pull request with a
    /// `merged_at` (list answers lack `merged`). An open pull request is never merged.
    pub fn is_merged(&self) -> bool {
        self.merged
            .unwrap_or_else(|| self.state == "closed" && self.merged_at.is_some())
    }

    /// Where it stands, for waiting on a merge.
    pub fn pull_state(&self) -> PullState {
        if self.is_merged() {
            PullState::Merged {
                merge_commit: self.merge_commit_sha.clone(),
            }
        } else if self.state == "closed" {
            PullState::Closed
        } else {
            PullState::Open {
                mergeable_state: self.mergeable_state.clone(),
                auto_merge: self.auto_merge.as_ref().is_some_and(|v| !v.is_null()),
            }
        }
    }
}

/// A branch of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchRef {
    /// The branch name, e.g. `deploy/dev-1a2b3c4`.
    #[serde(rename = "ref")]
    pub name: String,
    /// Its commit.
    pub sha: String,
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Its name.
    pub name: String,
}

/// Where a pull request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PullState {
    /// Open; not merged yet.
    Open {
        /// GitHub's mergeability summary, when computed.
        mergeable_state: Option<String>,
        /// Whether auto-merge is enabled.
        auto_merge: bool,
    },
    /// Merged.
    Merged {
        /// The merge commit on the base branch.
        merge_commit: Option<String>,
    },
    /// Closed without merging.
    Closed,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPullRequest {
    /// The branch with the change.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// The title.
    pub title: String,
    /// The body (Markdown).
    pub body: String,
    /// Open it as a draft.
    pub draft: bool,
}

/// Changes to a pull request; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullRequestUpdate {
    /// A new title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A new body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// The state of a commit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// Could not be determined.
    Error,
    /// Failed.
    Failure,
    /// Not finished.
    Pending,
    /// Passed.
    Success,
}

/// A commit status to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewStatus {
    /// Its state.
    pub state: StatusState,
    /// Its context, e.g. `ferry/verified/dev` (see [`verified_context`]).
    pub context: String,
    /// A short description; GitHub keeps at most 140 characters, so longer text is cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A link to details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
}

/// A commit status as GitHub reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    /// Its id.
    pub id: u64,
    /// Its state.
    pub state: StatusState,
    /// Its context.
    pub context: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its link.
    #[serde(default)]
    pub target_url: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last updated (RFC 3339).
    pub updated_at: String,
}

/// The commit status context of Ferry's verification record for `env`:
/// `ferry/verified/<env>`.
pub fn verified_context(env: &str) -> String {
    format!("ferry/verified/{env}")
}

const PER_PAGE: usize = 100;

/// The most pages of comments [`GithubClient::list_comments`] reads (10,000 comments).
pub const MAX_COMMENT_PAGES: usize = 100;

/// A comment on a pull request or issue, as far as Ferry reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueComment {
    /// Its id.
    pub id: u64,
    /// Its body (Markdown); absent in some media types.
    #[serde(default)]
    pub body: Option<String>,
    /// Its web page.
    pub html_url: String,
    /// Its author; `None` for a deleted account.
    #[serde(default)]
    pub user: Option<CommentAuthor>,
}

/// The author of a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAuthor {
    /// The login (`github-actions[bot]`).
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// A comment answer: a 422 whose validation errors say the body is too long (GitHub has
/// answered in two shapes, so only the message is matched) is
/// [`GithubError::CommentTooLong`]; other errors are [`GithubError::Api`].
fn comment_reply(
    reply: super::Reply,
    method: &Method,
    path: &str,
) -> Result<super::Reply, GithubError> {
    if reply.status.as_u16() == 422 {
        let message = error_message(&reply.body);
        if message.to_ascii_lowercase().contains("is too long") {
            return Err(GithubError::CommentTooLong { message });
        }
    }
    super::ok(reply, method, path)
}

impl GithubClient {
    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            encode(&self.owner, false),
            encode(&self.repo, false)
        )
    }

    /// The commit a branch points at, or `None` when the branch does not exist.
    pub async fn branch_head(&self, branch: &str) -> Result<Option<String>, GithubError> {
        #[derive(Deserialize)]
        struct Ref {
            object: Object,
        }
        #[derive(Deserialize)]
        struct Object {
            sha: String,
        }
        let path = self.repo_path(&format!("/git/ref/heads/{}", encode(branch, true)));
        match self.rest(Method::GET, &path, None).await {
            Ok(reply) => Ok(Some(decode::<Ref>(reply, &path)?.object.sha)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates `branch` at commit `sha` (REST `POST /git/refs`).
    ///
    /// Fails with [`GithubError::RefExists`] when the branch exists.
    pub async fn create_branch(&self, branch: &str, sha: &str) -> Result<(), GithubError> {
        self.create_ref(&format!("refs/heads/{branch}"), sha).await
    }

    /// Creates the ref `name` (full, e.g. `refs/ferry/slots/dev`) at `sha` (REST `POST
    /// /git/refs`): a compare-and-swap from "absent".
    ///
    /// Fails with [`GithubError::RefExists`] when the ref exists.
    pub async fn create_ref(&self, name: &str, sha: &str) -> Result<(), GithubError> {
        let name = name.to_owned();
        let path = self.repo_path("/git/refs");
        let body = json!({ "ref": name, "sha": sha });
        let reply = self.rest_raw(Method::POST, &path, Some(&body)).await?;
        if reply.status.as_u16() == 422 && error_message(&reply.body).contains("already exists") {
            return Err(GithubError::RefExists { name });
        }
        super::ok(reply, &Method::POST, &path).map(drop)
    }

    /// Moves `branch` to `sha`; `force` allows a move that is not a fast-forward.
    pub async fn update_branch(
        &self,
        branch: &str,
        sha: &str,
        force: bool,
    ) -> Result<(), GithubError> {
        let path = self.repo_path(&format!("/git/refs/heads/{}", encode(branch, true)));
        let body = json!({ "sha": sha, "force": force });
        self.rest(Method::PATCH, &path, Some(&body)).await.map(drop)
    }

    /// Moves the ref `name` (full, e.g. `refs/ferry/slots/dev`) to `sha` only when that is a
    /// fast-forward (REST `PATCH /git/refs/{ref}` with `force: false`). With `sha` a new commit
    /// whose parent is the value the caller read, this is a compare-and-swap: it fails with
    /// [`GithubError::Conflict`] (GitHub's 422 "Update is not a fast forward") when the ref
    /// moved meanwhile, or was deleted.
    pub async fn fast_forward_ref(&self, name: &str, sha: &str) -> Result<(), GithubError> {
        let short = name.strip_prefix("refs/").unwrap_or(name);
        let path = self.repo_path(&format!("/git/refs/{}", encode(short, true)));
        let body = json!({ "sha": sha, "force": false });
        let reply = self.rest_raw(Method::PATCH, &path, Some(&body)).await?;
        if reply.status.as_u16() == 422 {
            return Err(GithubError::Conflict {
                branch: name.to_owned(),
                expected: format!("an ancestor of {sha}"),
                message: error_message(&reply.body),
            });
        }
        super::ok(reply, &Method::PATCH, &path).map(drop)
    }

    /// Creates a commit object (REST `POST /git/commits`) with `tree` and `parents`; no ref
    /// moves. Returns its id.
    pub async fn create_commit(
        &self,
        message: &str,
        tree: &str,
        parents: &[String],
    ) -> Result<String, GithubError> {
        #[derive(Deserialize)]
        struct Created {
            sha: String,
        }
        let path = self.repo_path("/git/commits");
        let body = json!({ "message": message, "tree": tree, "parents": parents });
        let reply = self.rest(Method::POST, &path, Some(&body)).await?;
        Ok(decode::<Created>(reply, &path)?.sha)
    }

    /// Deletes `branch`; `false` when it did not exist.
    pub async fn delete_branch(&self, branch: &str) -> Result<bool, GithubError> {
        let path = self.repo_path(&format!("/git/refs/heads/{}", encode(branch, true)));
        let reply = self.rest_raw(Method::DELETE, &path, None).await?;
        let gone = reply.status.as_u16() == 404
            || (reply.status.as_u16() == 422
                && error_message(&reply.body).contains("does not exist"));
        if gone {
            return Ok(false);
        }
        super::ok(reply, &Method::DELETE, &path).map(|_| true)
    }

    /// The open pull request whose head is `branch` of this repository, if any.
    pub async fn find_open_pull(&self, branch: &str) -> Result<Option<PullRequest>, GithubError> {
        let head = format!("{}:{branch}", self.owner);
        let path = self.repo_path(&format!(
            "/pulls?state=open&head={}&per_page={PER_PAGE}",
            encode(&head, false)
        ));
        let reply = self.rest(Method::GET, &path, None).await?;
        let pulls: Vec<PullRequest> = decode(reply, &path)?;
        Ok(pulls.into_iter().find(|p| p.head.name == branch))
    }

    /// All open pull requests into `base`, oldest first.
    pub async fn list_open_pulls(&self, base: &str) -> Result<Vec<PullRequest>, GithubError> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = self.repo_path(&format!(
                "/pulls?state=open&base={}&sort=created&direction=asc&per_page={PER_PAGE}&page={page}",
                encode(base, false)
            ));
            let reply = self.rest(Method::GET, &path, None).await?;
            let pulls: Vec<PullRequest> = decode(reply, &path)?;
            let last = pulls.len() < PER_PAGE;
            all.extend(pulls);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// A pull request by number.
    pub async fn get_pull(&self, number: u64) -> Result<PullRequest, GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        let reply = self.rest(Method::GET, &path, None).await?;
        decode(reply, &path)
    }

    /// Opens a pull request.
    ///
    /// Fails with [`GithubError::PullRequestExists`] when one from the same head is open (a
    /// concurrent run won the race; find it with [`GithubClient::find_open_pull`]).
    pub async fn create_pull(&self, new: &NewPullRequest) -> Result<PullRequest, GithubError> {
        let path = self.repo_path("/pulls");
        let body = serde_json::to_value(new).expect("a pull request serialises");
        let reply = self.rest_raw(Method::POST, &path, Some(&body)).await?;
        if reply.status.as_u16() == 422 {
            let message = error_message(&reply.body);
            if message.contains("already exists") {
                return Err(GithubError::PullRequestExists {
                    head: new.head.clone(),
                    message,
                });
            }
        }
        decode(super::ok(reply, &Method::POST, &path)?, &path)
    }

    /// Merges a pull request now (REST `PUT /pulls/{n}/merge`); returns the merge commit.
    ///
    /// With `expected_head`, GitHub merges only if the head is still that commit, otherwise
    /// this fails with [`GithubError::Conflict`]. A pull request that cannot be merged (checks,
    /// reviews, conflicts) fails with [`GithubError::NotMergeable`].
    pub async fn merge_pull(
        &self,
        number: u64,
        merge: &super::MergeOptions,
    ) -> Result<String, GithubError> {
        let expected_head = merge.expected_head.as_deref();
        #[derive(Deserialize)]
        struct Merged {
            sha: String,
        }
        let path = self.repo_path(&format!("/pulls/{number}/merge"));
        let mut body = json!({ "merge_method": merge.method.as_str() });
        if merge.method != super::MergeMethod::Rebase {
            if let Some(title) = &merge.headline {
                body["commit_title"] = json!(title);
            }
            if let Some(message) = &merge.body {
                body["commit_message"] = json!(message);
            }
        }
        if let Some(sha) = expected_head {
            body["sha"] = json!(sha);
        }
        let reply = self.rest_raw(Method::PUT, &path, Some(&body)).await?;
        match reply.status.as_u16() {
            405 => Err(GithubError::NotMergeable {
                number,
                message: error_message(&reply.body),
            }),
            409 => Err(GithubError::Conflict {
                branch: format!("head of pull request #{number}"),
                expected: expected_head.unwrap_or_default().to_owned(),
                message: error_message(&reply.body),
            }),
            _ => Ok(decode::<Merged>(super::ok(reply, &Method::PUT, &path)?, &path)?.sha),
        }
    }

    /// Changes the title, body or state of a pull request.
    pub async fn update_pull(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, GithubError> {
        let path = self.repo_path(&format!("/pulls/{number}"));
        let body = serde_json::to_value(update).expect("an update serialises");
        let reply = self.rest(Method::PATCH, &path, Some(&body)).await?;
        decode(reply, &path)
    }

    /// Adds labels to a pull request (or issue); returns all its labels.
    pub async fn add_labels(
        &self,
        number: u64,
        labels: &[&str],
    ) -> Result<Vec<String>, GithubError> {
        let path = self.repo_path(&format!("/issues/{number}/labels"));
        let body = json!({ "labels": labels });
        let reply = self.rest(Method::POST, &path, Some(&body)).await?;
        let labels: Vec<Label> = decode(reply, &path)?;
        Ok(labels.into_iter().map(|l| l.name).collect())
    }

    /// Comments on a pull request (or issue); returns the comment's id.
    pub async fn comment(&self, number: u64, body: &str) -> Result<u64, GithubError> {
        #[derive(Deserialize)]
        struct Comment {
            id: u64,
        }
        let path = self.repo_path(&format!("/issues/{number}/comments"));
        let reply = self
            .rest(Method::POST, &path, Some(&json!({ "body": body })))
            .await?;
        Ok(decode::<Comment>(reply, &path)?.id)
    }

    /// Every comment of a pull request (or issue), oldest first (REST `GET
    /// /issues/{n}/comments`, 100 a page, pages followed until a short one, at most
    /// [`MAX_COMMENT_PAGES`]).
    pub async fn list_comments(&self, number: u64) -> Result<Vec<IssueComment>, GithubError> {
        let mut all = Vec::new();
        for page in 1..=MAX_COMMENT_PAGES {
            let path = self.repo_path(&format!(
                "/issues/{number}/comments?per_page={PER_PAGE}&page={page}"
            ));
            let reply = self.rest(Method::GET, &path, None).await?;
            let comments: Vec<IssueComment> = decode(reply, &path)?;
            let last = comments.len() < PER_PAGE;
            all.extend(comments);
            if last {
                return Ok(all);
            }
        }
        Err(GithubError::Decode {
            what: format!("the comments of #{number}"),
            message: format!(
                "more than {} comments; Ferry reads at most {MAX_COMMENT_PAGES} pages",
                MAX_COMMENT_PAGES * PER_PAGE
            ),
        })
    }

    /// Comments on a pull request (or issue) (REST `POST /issues/{n}/comments`).
    ///
    /// A body over GitHub's 65,536 characters fails with [`GithubError::CommentTooLong`].
    pub async fn create_comment(
        &self,
        number: u64,
        body: &str,
    ) -> Result<IssueComment, GithubError> {
        let path = self.repo_path(&format!("/issues/{number}/comments"));
        let reply = self
            .rest_raw(Method::POST, &path, Some(&json!({ "body": body })))
            .await?;
        decode(comment_reply(reply, &Method::POST, &path)?, &path)
    }

    /// Replaces the body of a comment (REST `PATCH /issues/comments/{id}`).
    ///
    /// A body over GitHub's 65,536 characters fails with [`GithubError::CommentTooLong`].
    pub async fn update_comment(&self, id: u64, body: &str) -> Result<IssueComment, GithubError> {
        let path = self.repo_path(&format!("/issues/comments/{id}"));
        let reply = self
            .rest_raw(Method::PATCH, &path, Some(&json!({ "body": body })))
            .await?;
        decode(comment_reply(reply, &Method::PATCH, &path)?, &path)
    }

    /// Deletes a comment (REST `DELETE /issues/comments/{id}`); `false` when it was gone
    /// already.
    pub async fn delete_comment(&self, id: u64) -> Result<bool, GithubError> {
        let path = self.repo_path(&format!("/issues/comments/{id}"));
        let reply = self.rest_raw(Method::DELETE, &path, None).await?;
        if reply.status.as_u16() == 404 {
            return Ok(false);
        }
        super::ok(reply, &Method::DELETE, &path).map(|_| true)
    }

    /// Closes a pull request, first commenting why when `comment` is given (a superseded
    /// change names its successor).
    pub async fn close_pull(
        &self,
        number: u64,
        comment: Option<&str>,
    ) -> Result<PullRequest, GithubError> {
        if let Some(text) = comment {
            self.comment(number, text).await?;
        }
        let update = PullRequestUpdate {
            state: Some("closed".to_owned()),
            ..PullRequestUpdate::default()
        };
        self.update_pull(number, &update).await
    }

    /// Where a pull request stands.
    pub async fn pull_state(&self, number: u64) -> Result<PullState, GithubError> {
        Ok(self.get_pull(number).await?.pull_state())
    }

    /// Polls a pull request every `interval` until it is merged or closed; fails with
    /// [`GithubError::Timeout`] after `timeout`. Uses Tokio time.
    pub async fn wait_for_merge(
        &self,
        number: u64,
        interval: Duration,
        timeout: Duration,
    ) -> Result<PullState, GithubError> {
        let started = tokio::time::Instant::now();
        loop {
            let state = self.pull_state(number).await?;
            if !matches!(state, PullState::Open { .. }) {
                return Ok(state);
            }
            let elapsed = started.elapsed();
            if elapsed + interval > timeout {
                return Err(GithubError::Timeout {
                    what: format!("pull request #{number} to be merged"),
                    elapsed,
                });
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Creates a commit status on `sha`.
    pub async fn create_status(
        &self,
        sha: &str,
        status: &NewStatus,
    ) -> Result<CommitStatus, GithubError> {
        let mut status = status.clone();
        if let Some(description) = &mut status.description
            && description.chars().count() > 140
        {
            *description = description.chars().take(139).collect::<String>() + "…";
        }
        let path = self.repo_path(&format!("/statuses/{}", encode(sha, false)));
        let body = serde_json::to_value(&status).expect("a status serialises");
        let reply = self.rest(Method::POST, &path, Some(&body)).await?;
        decode(reply, &path)
    }

    /// All statuses of a ref (sha, branch or tag), newest first, older ones of a context
    /// included.
    pub async fn list_statuses(&self, reference: &str) -> Result<Vec<CommitStatus>, GithubError> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = self.repo_path(&format!(
                "/commits/{}/statuses?per_page={PER_PAGE}&page={page}",
                encode(reference, true)
            ));
            let reply = self.rest(Method::GET, &path, None).await?;
            let statuses: Vec<CommitStatus> = decode(reply, &path)?;
            let last = statuses.len() < PER_PAGE;
            all.extend(statuses);
            if last {
                break;
            }
        }
        Ok(all)
    }
}
