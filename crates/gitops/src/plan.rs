//! Change planning, pure: what a GitOps change for an environment is named, whether an open one
//! is reused or superseded, the new overlay text and the no-downgrade guard. (The bounded
//! retry on a moved base is each forge's `open_change` loop: it hands a fresh base to the
//! planner on every attempt.)
//!
//! - [`deploy_branch`]: `deploy/<env>-<short id>`, the short id a hash of the image set, so the
//!   same step always maps to the same branch and change.
//! - [`decide`]: given the open Ferry changes, reuse the one for the same content, supersede the
//!   others of the environment, or create one.
//! - [`overlay`]: the new kustomization text for a set of images ([`overlay_update`]).
//! - [`downgrade`]: refuse an image older than what the environment runs ([`check_downgrades`]).

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

pub mod downgrade;
pub mod overlay;

pub use downgrade::{
    AppRepository, CommitOrder, Comparison, Downgrade, DowngradeCheck, Downgraded, NoRepository,
    check_downgrades, compare_images, compare_tags,
};
pub use overlay::{ImageUpdate, OverlayError, overlay_update};

/// The default branch prefix (ferry-config's `forge.branch_prefix`).
pub const DEFAULT_BRANCH_PREFIX: &str = "deploy/";

/// Hex digits of the short id in branch names.
pub const SHORT_ID_LEN: usize = 12;

/// The short id of an image set for `env`: the first [`SHORT_ID_LEN`] hex digits of the SHA-256
/// of the environment name and the sorted `key=image` lines. It depends only on the content,
/// never on time or order of the input.
pub fn short_id(env: &str, images: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"ferry-change-v1\n");
    hasher.update(env.as_bytes());
    hasher.update(b"\n");
    for (key, image) in images {
        hasher.update(key.as_bytes());
        hasher.update(b"=");
        hasher.update(image.as_bytes());
        hasher.update(b"\n");
    }
    let hash = hasher.finalize();
    let mut out = String::with_capacity(SHORT_ID_LEN);
    for b in hash.iter().take(SHORT_ID_LEN / 2) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The deploy branch of a change: `<prefix><env>-<short id>`, e.g. `deploy/dev-3f2a9c01b4de`.
///
/// `images` is the content of the change: what it sets, keyed however the caller keys it
/// (logical image name or `workload/container`), the same way on every run. Characters of `env`
/// that git refuses in a ref name are replaced with `-`.
pub fn deploy_branch(prefix: &str, env: &str, images: &BTreeMap<String, String>) -> String {
    format!("{prefix}{}-{}", ref_safe(env), short_id(env, images))
}

/// The environment and short id of a deploy branch made by [`deploy_branch`] with `prefix`;
/// `None` for any other branch. `deploy/dev-eu-<id>` is environment `dev-eu`, never `dev`.
pub fn parse_deploy_branch<'a>(prefix: &str, branch: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = branch.strip_prefix(prefix)?;
    let (env, id) = rest.rsplit_once('-')?;
    let is_id = id.len() == SHORT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (is_id && !env.is_empty()).then_some((env, id))
}

/// `env` with every character git refuses in a ref name replaced by `-`.
pub(crate) fn ref_safe(env: &str) -> String {
    env.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// An open change (a pull request, or a change record of the plain-git forge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenChange {
    /// The forge's id for it (pull request number, change record name).
    pub id: String,
    /// Its head branch.
    pub branch: String,
}

/// What to do with the change for an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ChangeAction {
    /// An open change has the same branch, hence the same content: update it in place (commit
    /// only when its files differ from the recomputed ones, see [`files_to_commit`]).
    Reuse {
        /// The change to reuse.
        change: OpenChange,
    },
    /// No open change has this content: create one on `branch`.
    Create {
        /// The branch to create.
        branch: String,
    },
}

/// The plan for one environment's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeDecision {
    /// The deploy branch of the wanted content.
    pub branch: String,
    /// Reuse or create.
    pub action: ChangeAction,
    /// Other open Ferry changes of the same environment, to close as superseded (their
    /// branches deleted), oldest id first as given.
    pub supersede: Vec<OpenChange>,
}

/// Decides what to do for `env` when `branch` (from [`deploy_branch`]) carries the wanted
/// content and `open` are the open changes on the forge (any environment, any branch).
///
/// Only branches [`parse_deploy_branch`] reads as `env`'s are considered: the one equal to
/// `branch` is reused (the first, when a forge lists duplicates; the others are superseded),
/// every other one of `env` is superseded, and changes of other environments or other branches
/// are left alone. A run always makes its own content the one open change: "newest wins" means
/// the run that executes last, and the no-downgrade guard keeps an older run from lowering
/// what the environment runs.
pub fn decide(prefix: &str, env: &str, branch: &str, open: &[OpenChange]) -> ChangeDecision {
    let env = ref_safe(env);
    let mut reuse: Option<OpenChange> = None;
    let mut supersede = Vec::new();
    for change in open {
        let Some((change_env, _)) = parse_deploy_branch(prefix, &change.branch) else {
            continue;
        };
        if change_env != env {
            continue;
        }
        if change.branch == branch && reuse.is_none() {
            reuse = Some(change.clone());
        } else {
            supersede.push(change.clone());
        }
    }
    ChangeDecision {
        branch: branch.to_owned(),
        action: match reuse {
            Some(change) => ChangeAction::Reuse { change },
            None => ChangeAction::Create {
                branch: branch.to_owned(),
            },
        },
        supersede,
    }
}

/// The files of `wanted` whose text differs from `existing` (what is on the branch or base
/// now; a missing path counts as different). Empty: nothing to commit, the change is already
/// up to date.
pub fn files_to_commit(
    existing: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    wanted
        .iter()
        .filter(|(path, text)| existing.get(*path) != Some(*text))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect()
}
