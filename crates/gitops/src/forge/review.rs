//! What `ferry pr list | show | merge | close` see of a change, for both forges.

use gix::ObjectId;
use serde::Serialize;

/// Where a change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeState {
    /// Open: waiting for review or for auto-merge.
    Open,
    /// Merged into the base branch.
    Merged,
    /// Closed without merging (or its branch was deleted).
    Closed,
}

impl std::fmt::Display for ChangeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChangeState::Open => "open",
            ChangeState::Merged => "merged",
            ChangeState::Closed => "closed",
        })
    }
}

/// A change as `ferry pr list` and `ferry pr show` print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeInfo {
    /// The forge's id: the pull request number, or the change record name.
    pub id: String,
    /// The environment, when known (the deploy branch or the record names it).
    pub env: Option<String>,
    /// The deploy branch.
    pub branch: String,
    /// The title.
    pub title: String,
    /// The description (Markdown).
    pub body: String,
    /// A link (pull request URL; `<remote>#<branch>` in plain git while the branch exists).
    pub url: Option<String>,
    /// Where it stands.
    pub state: ChangeState,
    /// The head commit (hex), when known: what a reviewer approves (`ferry pr merge --head`).
    pub head: Option<String>,
    /// The base commit it was computed from (hex), when known.
    pub base: Option<String>,
    /// When it was opened (RFC 3339), when known.
    pub created_at: Option<String>,
    /// The commit on the base branch that carries it, once merged.
    pub merge_commit: Option<String>,
    /// Whether auto-merge is enabled (GitHub).
    pub auto_merge: bool,
    /// Something a reader should know, e.g. that its branch was deleted by hand.
    pub note: Option<String>,
}

/// Serialises an optional object id as hex (or null).
pub(crate) fn oid_opt<S: serde::Serializer>(
    id: &Option<ObjectId>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => serializer.serialize_some(&id.to_string()),
        None => serializer.serialize_none(),
    }
}

/// Whether `given` (a full or abbreviated hex id, at least 7 digits) names `head`.
pub(crate) fn same_head(given: &str, head: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    given.len() >= 7 && head.starts_with(&given)
}
