//! What the history walk of one environment knows after its last commit: the commits where its
//! inputs changed, what each rendered, and where the walk stands. The builder resumes from it
//! and the cache (`cache.rs`) keeps it.

use std::collections::BTreeMap;

use ferry_git::{CommitInfo, Entry};
use gix::ObjectId;

/// The set of objects an environment's rendering depends on at one commit: each path the
/// overlay may depend on and the object it names there (`None`: nothing there).
pub(super) type DepKey = BTreeMap<String, Option<Entry>>;

/// What an overlay renders at one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rendering {
    /// Images by `workload/container`, or why resolution failed.
    pub(super) images: Result<BTreeMap<String, String>, String>,
    /// SHA-256 of the rendered resources as JSON (to tell whether anything changed).
    pub(super) resources: [u8; 32],
}

/// The fields of a commit a deployment shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Meta {
    /// Commit id.
    pub(super) id: ObjectId,
    /// Committer time, seconds since the epoch.
    pub(super) seconds: i64,
    /// Committer time, RFC 3339 UTC.
    pub(super) time: String,
    /// Author, `Name <email>`.
    pub(super) author: String,
    /// First line of the message.
    pub(super) summary: String,
    /// The value of the message's `Ferry-Rollback:` trailer.
    pub(super) rollback_of: Option<String>,
}

impl Meta {
    /// The fields of `commit`.
    pub(super) fn of(commit: &CommitInfo) -> Meta {
        Meta {
            id: commit.id,
            seconds: commit.committer.seconds,
            time: commit.committer.timestamp().to_string(),
            author: commit.author.identity(),
            summary: commit.summary().to_string(),
            rollback_of: crate::trailer::rollback_trailer(&commit.message).map(str::to_owned),
        }
    }
}

/// A commit where an environment's inputs changed, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Saved {
    /// Position in the first-parent chain, newest first (the tip is 0).
    pub(super) position: usize,
    /// The commit.
    pub(super) meta: Meta,
    /// What the overlay rendered after it.
    pub(super) rendering: Rendering,
}

impl Saved {
    /// What the cache keeps of a walk's deployments: `(position, commit, rendering)`.
    pub(super) fn all(items: &[(usize, Meta, std::rc::Rc<Rendering>)]) -> Vec<Saved> {
        items
            .iter()
            .map(|(position, meta, rendering)| Saved {
                position: *position,
                meta: meta.clone(),
                rendering: (**rendering).clone(),
            })
            .collect()
    }
}

/// The walk of one environment up to `tip`, positions counted from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct State {
    /// The commit the walk ended at.
    pub(super) tip: ObjectId,
    /// The tip's root tree.
    pub(super) tree: ObjectId,
    /// The dependency key found last (the one in force at the tip); `None` before the overlay
    /// depended on anything.
    pub(super) key: Option<DepKey>,
    /// Every commit where the inputs changed, oldest first (with a `baseline`, only the newest
    /// of them).
    pub(super) saved: Vec<Saved>,
    /// For a walk that stopped before the root commit (a window read newest first): what the
    /// overlay rendered before the oldest saved commit, and the images it carried then.
    /// `None`: `saved` is the whole history.
    pub(super) baseline: Option<(Rendering, std::collections::BTreeMap<String, String>)>,
}

impl State {
    /// The state with every position moved `by` commits further from the tip (`by` newer
    /// commits were added in front of it).
    pub(super) fn shifted(mut self, by: usize) -> State {
        for s in &mut self.saved {
            s.position += by;
        }
        self
    }
}
