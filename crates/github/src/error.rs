//! Errors of the GitHub client.

use std::time::Duration;

/// What went wrong talking to GitHub.
///
/// Messages never contain tokens, private keys or JWTs.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// The client was configured with something unusable (a bad URL, an unreadable key).
    #[error("GitHub client configuration: {0}")]
    Config(String),

    /// The branch did not point at the expected commit: somebody else moved it. Recompute the
    /// change from the branch's new head and try again.
    #[error("branch `{branch}` moved: expected head {expected}: {message}")]
    Conflict {
        /// The branch the commit was meant for.
        branch: String,
        /// The head the caller expected (`expectedHeadOid`).
        expected: String,
        /// GitHub's message.
        message: String,
    },

    /// The ref to create exists already.
    #[error("ref `{name}` already exists")]
    RefExists {
        /// The full ref name, e.g. `refs/heads/deploy/dev-1a2b3c4`.
        name: String,
    },

    /// A pull request for this head branch is open already.
    #[error("a pull request from `{head}` is open already: {message}")]
    PullRequestExists {
        /// The head branch.
        head: String,
        /// GitHub's message.
        message: String,
    },

    /// GitHub refused to merge a pull request (405: not mergeable now, e.g. checks pending,
    /// conflicts, or branch protection).
    #[error("pull request #{number} cannot be merged: {message}")]
    NotMergeable {
        /// The pull request number.
        number: u64,
        /// GitHub's message.
        message: String,
    },

    /// GitHub refused to enable auto-merge on a pull request; the pull request stays open.
    #[error("cannot enable auto-merge on pull request #{number}: {message}")]
    AutoMergeRefused {
        /// The pull request number.
        number: u64,
        /// Why, as far as Ferry can tell.
        reason: AutoMergeRefusal,
        /// GitHub's message.
        message: String,
    },

    /// GitHub refused a comment body as too long (422; at most 65,536 characters).
    #[error("GitHub refused the comment as too long: {message}")]
    CommentTooLong {
        /// GitHub's message.
        message: String,
    },

    /// GitHub kept answering with a rate limit and the retry budget ran out.
    #[error(
        "rate limited by GitHub on {method} {path} after {attempts} attempt(s){}",
        retry_after.map(|d| format!("; GitHub asks to wait {}", ferry_config::human_duration(d))).unwrap_or_default()
    )]
    RateLimited {
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no query string).
        path: String,
        /// How many attempts were made.
        attempts: u32,
        /// The wait GitHub asked for on the last answer, when it said.
        retry_after: Option<Duration>,
    },

    /// GitHub answered a REST or GraphQL request with an error status.
    #[error("GitHub answered {method} {path} with {status}: {message}")]
    Api {
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no query string).
        path: String,
        /// HTTP status code.
        status: u16,
        /// The `message` of the error body (or the body itself when it is not JSON), with the
        /// validation errors appended.
        message: String,
    },

    /// A GraphQL request answered with errors (HTTP 200).
    #[error("GitHub GraphQL {operation} failed: {}", messages.join("; "))]
    Graphql {
        /// The mutation or query name.
        operation: String,
        /// The `type` of each error, when GitHub gave one (e.g. `NOT_FOUND`, `FORBIDDEN`).
        types: Vec<String>,
        /// The `message` of each error.
        messages: Vec<String>,
    },

    /// The request could not be sent or its answer not read.
    #[error("request {method} {path} failed: {message}")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no query string).
        path: String,
        /// What failed.
        message: String,
    },

    /// GitHub's answer did not have the expected shape.
    #[error("unexpected answer to {what}: {message}")]
    Decode {
        /// The request or object being read.
        what: String,
        /// What was wrong.
        message: String,
    },

    /// Waiting for something (a merge) took longer than allowed.
    #[error("timed out after {} waiting for {what}", ferry_config::human_duration(*elapsed))]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it waited.
        elapsed: Duration,
    },
}

/// GitHub's API failed: `forge` (exit 3).
impl ferry_error::Classify for GithubError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Forge
    }
}

/// Why GitHub refused to enable auto-merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoMergeRefusal {
    /// The repository does not allow auto-merge (Settings → "Allow auto-merge").
    NotAllowed,
    /// The pull request can be merged right now ("clean status"); merge it directly instead.
    AlreadyMergeable,
    /// Another reason; see the message.
    Other,
}

impl GithubError {
    /// The HTTP status of an [`GithubError::Api`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is a 404 answer.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether this is the compare-and-swap failure of a commit ([`GithubError::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }
}
