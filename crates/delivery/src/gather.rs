//! Reading the facts of a [`History`] from a repository: the ledger's deployments, their
//! verification records and rollback trailers; holds as the local repository has them; the
//! commit times of the application revisions images were built from.

use std::collections::{BTreeMap, HashMap};

use ferry_config::Config;
use ferry_git::{EntryType, GitError, ObjectId, Repo};
use ferry_gitops::gates::{Hold, SourceState};
use ferry_ledger::ledger::{Ledger, LedgerError};
use ferry_ledger::verify::parse_note;
use jiff::Timestamp;

use crate::history::{DeploymentFact, EnvHistory, History};

/// Why the facts cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The ledger cannot answer.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The configuration's environments cannot be placed in the repository.
    #[error(transparent)]
    Load(#[from] ferry_ledger::from_config::LoadError),
    /// The forge failed.
    #[error(transparent)]
    Forge(#[from] ferry_gitops::forge::ForgeError),
    /// A commit id is not hex (cannot happen with the ledger's ids).
    #[error("not a commit id: {0}")]
    BadCommit(String),
    /// A holds file of the local repository is not a list of holds.
    #[error("{what}: not a list of holds: {message}")]
    BadHolds {
        /// The ref and file.
        what: String,
        /// The parser's message.
        message: String,
    },
}

/// Git, the ledger, the config and the forge say their own kind; a broken holds file is bad
/// input.
impl ferry_error::Classify for DeliveryError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            DeliveryError::Git(e) => e.error_kind(),
            DeliveryError::Ledger(e) => e.error_kind(),
            DeliveryError::Load(e) => e.error_kind(),
            DeliveryError::Forge(e) => e.error_kind(),
            DeliveryError::BadHolds { .. } | DeliveryError::BadCommit(_) => {
                ferry_error::ErrorKind::BadInput
            }
        }
    }
}

/// The history of every environment of `ledger`, with the settings of `config` (promotion
/// order is the ledger's, which is the config's), the verification records under `notes_ref`
/// and `holds`.
///
/// A deployment counts as verified when a record of its environment attached to a commit at
/// which it was the environment's deployment names exactly its images.
pub fn gather(
    repo: &Repo,
    ledger: &Ledger,
    config: &Config,
    notes_ref: &str,
    holds: Vec<Hold>,
) -> Result<History, DeliveryError> {
    let verified = verified_deployments(repo, ledger, notes_ref)?;
    let mut environments = Vec::new();
    for env in &ledger.environments {
        let settings = config.environment(&env.name);
        let mut deployments = Vec::with_capacity(env.deployments.len());
        for d in env.deployments.iter().rev() {
            deployments.push(DeploymentFact {
                commit: d.commit.clone(),
                time: d.timestamp(),
                summary: d.summary.clone(),
                images: d.images.clone(),
                changed: d.changes.iter().map(|c| c.container.clone()).collect(),
                error: d.error.clone(),
                rollback_of: d.rollback_of.clone(),
                verified_at: verified.get(&(env.name.clone(), d.id())).copied(),
            });
        }
        environments.push(EnvHistory {
            name: env.name.clone(),
            upstream: settings.and_then(|s| s.upstream.clone()),
            soak: settings.map(|s| s.soak).unwrap_or_default(),
            auto_merge: settings.is_some_and(|s| s.auto_merge),
            deployments,
            truncated: env.truncated,
            since: SourceState::from_ledger(env)
                .map(|s| s.since)
                .unwrap_or_default(),
        });
    }
    Ok(History {
        base: ledger.base.clone(),
        environments,
        image_names: config
            .images
            .iter()
            .map(|i| (i.repository.clone(), i.name.clone()))
            .collect(),
        holds,
    })
}

/// The earliest verification time of each (environment, deployment commit) that a record
/// names exactly.
fn verified_deployments(
    repo: &Repo,
    ledger: &Ledger,
    notes_ref: &str,
) -> Result<HashMap<(String, ObjectId), Timestamp>, DeliveryError> {
    let mut out: HashMap<(String, ObjectId), Timestamp> = HashMap::new();
    for (commit, blob) in repo.notes(notes_ref)? {
        let note = parse_note(&repo.blob(blob)?);
        for record in note.records {
            let Some(at) = record.verified_at() else {
                continue;
            };
            let deployed = match ledger.deployed_at(&record.env, commit) {
                Ok(Some(d)) => d,
                // A note on a commit off the base branch, of an environment not read, or older
                // than the history read verifies nothing here.
                Ok(None)
                | Err(
                    LedgerError::NotOnBase(_)
                    | LedgerError::UnknownEnvironment(_)
                    | LedgerError::Truncated(_),
                ) => continue,
                Err(e) => return Err(e.into()),
            };
            if deployed.images != record.images {
                continue;
            }
            let slot = out.entry((record.env.clone(), deployed.id())).or_insert(at);
            *slot = (*slot).min(at);
        }
    }
    Ok(out)
}

/// The refs where the local repository keeps holds, in the order they are tried: the
/// plain-git forge's copy of the remote's (after a sync), its own, and GitHub's `ferry/holds`
/// branch as a clone fetched it.
pub const LOCAL_HOLDS_REFS: [&str; 3] = [
    "refs/ferry/remote/ferry/holds",
    ferry_gitops::forge::HOLDS_REF,
    "refs/remotes/origin/ferry/holds",
];

/// Every hold the local repository has (the first of [`LOCAL_HOLDS_REFS`] that exists): files
/// `<env>.json` at the top of the commit's tree (plain git) or under `.ferry/holds/` (GitHub).
pub fn local_holds(repo: &Repo) -> Result<Vec<Hold>, DeliveryError> {
    for name in LOCAL_HOLDS_REFS {
        let Some(commit) = repo.ref_id(name)? else {
            continue;
        };
        let root = repo.commit(commit)?.tree;
        let tree = match repo.entry_in_tree(root, ".ferry/holds")? {
            Some(e) if e.kind == EntryType::Tree => e.id,
            _ => root,
        };
        let mut files: Vec<(String, ObjectId)> = repo
            .tree_entries(tree)?
            .iter()
            .filter(|(n, e)| {
                n.ends_with(".json") && matches!(e.kind, EntryType::Blob | EntryType::Executable)
            })
            .map(|(n, e)| (n.to_owned(), e.id))
            .collect();
        files.sort();
        let mut holds = Vec::new();
        for (file, blob) in files {
            let list: Vec<Hold> =
                serde_json::from_slice(&repo.blob(blob)?).map_err(|e| DeliveryError::BadHolds {
                    what: format!("{name}:{file}"),
                    message: e.to_string(),
                })?;
            holds.extend(list);
        }
        return Ok(holds);
    }
    Ok(Vec::new())
}

/// The commit time, in the application repository `app`, of the revision each image was built
/// from: the revision its `org.opencontainers.image.revision` label names (`labels`, by image
/// reference, as read from the registry; a full or abbreviated commit id of `app`), else the
/// one its tag names: a tag of `app` (`1.4.0`, or `v1.4.0`), or a commit id (`1a2b3c4`,
/// `sha-1a2b3c4`). Images whose revision is not found in `app` are left out.
pub fn revision_times<'i>(
    app: &Repo,
    images: impl IntoIterator<Item = &'i str>,
    labels: &BTreeMap<String, String>,
) -> BTreeMap<String, Timestamp> {
    let mut out = BTreeMap::new();
    for image in images {
        if out.contains_key(image) {
            continue;
        }
        let mut candidates = Vec::new();
        if let Some(revision) = labels.get(image).map(|r| r.trim())
            && revision.len() >= 7
            && revision.bytes().all(|b| b.is_ascii_hexdigit())
        {
            candidates.push(revision.to_owned());
        }
        if let Some(tag) = tag_of(image) {
            let hex = tag.strip_prefix("sha-").unwrap_or(tag);
            candidates.push(format!("refs/tags/{tag}"));
            candidates.push(format!("refs/tags/v{tag}"));
            if hex.len() >= 7 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                candidates.push(hex.to_owned());
            }
        }
        let found = candidates.iter().find_map(|rev| {
            let id = app.resolve(rev).ok()?;
            app.commit(id).ok()
        });
        if let Some(commit) = found {
            out.insert(image.to_owned(), commit.committer.timestamp());
        }
    }
    out
}

/// The tag of an image reference, if it has one.
fn tag_of(image: &str) -> Option<&str> {
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    let last = &name[name.rfind('/').map_or(0, |i| i + 1)..];
    last.rsplit_once(':').map(|(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_after_the_last_slash() {
        assert_eq!(tag_of("localhost:5000/acme/api:1.2"), Some("1.2"));
        assert_eq!(tag_of("localhost:5000/acme/api"), None);
        assert_eq!(tag_of("api:sha-1a2b3c4@sha256:00"), Some("sha-1a2b3c4"));
    }
}
