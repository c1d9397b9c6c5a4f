//! The pull request of a GitHub Actions run (`pull_request` and `pull_request_target` events:
//! number, base and head commits from the event payload), and its comments brought up to date.

use ferry_cli::{Context as _, Error, Result};
use ferry_diff::{CommentAction, Existing, plan_comments};
use ferry_github::GithubClient;
use serde_json::Value;

/// What `ferry diff` needs of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PullRequest {
    pub(crate) number: u64,
    pub(crate) base_ref: String,
    pub(crate) base_sha: String,
    pub(crate) head_sha: String,
}

/// The pull request of this workflow run, when it runs for one (`GITHUB_ACTIONS=true`, an event
/// payload with `pull_request`).
pub(crate) fn from_actions() -> Result<Option<PullRequest>> {
    if !ferry_cli::env::in_github_actions() {
        return Ok(None);
    }
    let payload = ferry_cli::github_event::payload(&ferry_cli::env::github_workflow())?;
    Ok(payload.as_ref().and_then(of_payload))
}

/// The pull request of an event payload.
fn of_payload(payload: &Value) -> Option<PullRequest> {
    let pull = payload.get("pull_request")?;
    let text = |pointer: &str| {
        pull.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Some(PullRequest {
        number: pull.get("number").and_then(Value::as_u64)?,
        base_ref: text("/base/ref")?,
        base_sha: text("/base/sha")?,
        head_sha: text("/head/sha")?,
    })
}

/// What the comments became.
#[derive(Debug, Default)]
pub(crate) struct Commented {
    pub(crate) created: usize,
    pub(crate) updated: usize,
    pub(crate) kept: usize,
    pub(crate) deleted: usize,
    /// The first part's page.
    pub(crate) url: Option<String>,
}

/// Brings the comments of `key` on pull request `number` to `bodies`: updated in place, the
/// parts that are new created, the surplus deleted.
pub(crate) async fn sync_comments(
    github: &GithubClient,
    number: u64,
    key: &str,
    bodies: &[String],
    author: Option<&str>,
) -> Result<Commented> {
    let existing: Vec<Existing> = github
        .list_comments(number)
        .await
        .map_err(Error::from)
        .with_context(|| format!("cannot list the comments of pull request #{number}"))?
        .into_iter()
        .map(|c| Existing {
            id: c.id,
            body: c.body.unwrap_or_default(),
            author: c.user.map(|u| u.login).unwrap_or_default(),
        })
        .collect();
    let mut done = Commented::default();
    let mut urls: Vec<(usize, String)> = Vec::new();
    for action in plan_comments(key, &existing, bodies, author) {
        match action {
            CommentAction::Keep { part, id } => {
                done.kept += 1;
                urls.push((part, comment_url(github, number, id)));
            }
            CommentAction::Update { id, part, body } => {
                let comment = github
                    .update_comment(id, &body)
                    .await
                    .map_err(Error::from)
                    .with_context(|| format!("cannot update comment {id}"))?;
                done.updated += 1;
                urls.push((part, comment.html_url));
            }
            CommentAction::Create { part, body } => {
                let comment = github
                    .create_comment(number, &body)
                    .await
                    .map_err(Error::from)
                    .with_context(|| format!("cannot comment on pull request #{number}"))?;
                done.created += 1;
                urls.push((part, comment.html_url));
            }
            CommentAction::Delete { id } => {
                github
                    .delete_comment(id)
                    .await
                    .map_err(Error::from)
                    .with_context(|| format!("cannot delete comment {id}"))?;
                done.deleted += 1;
            }
        }
    }
    urls.sort();
    done.url = urls.into_iter().next().map(|(_, url)| url);
    Ok(done)
}

/// The page of a comment that was kept (GitHub's form; no request needed).
fn comment_url(github: &GithubClient, number: u64, id: u64) -> String {
    format!(
        "{}/{}/pull/{number}#issuecomment-{id}",
        ferry_cli::env::github_server_url(),
        github.repository()
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_pull_request_event_names_its_number_and_commits() {
        let payload = json!({"number": 5, "pull_request": {
            "number": 5, "base": {"ref": "main", "sha": "aaa"}, "head": {"ref": "x", "sha": "bbb"}}});
        assert_eq!(
            of_payload(&payload),
            Some(PullRequest {
                number: 5,
                base_ref: "main".into(),
                base_sha: "aaa".into(),
                head_sha: "bbb".into(),
            })
        );
        assert_eq!(of_payload(&json!({"ref": "refs/heads/main"})), None);
    }
}
