//! The no-downgrade guard: a change must not give a container an image older than the one it
//! runs, unless the caller allows it.
//!
//! Two images of the same repository are ordered by their tags:
//! - **versions** (`1.2.3`, `v1.2.3`, `1.2.3-rc.1`; also `1.2` and `v2`): semver precedence;
//! - **commit ids** (7 to 40 hex digits, optionally `sha-` prefixed, as metadata-action's
//!   `type=sha` writes them): git ancestry in the application repository, through a
//!   [`CommitOrder`]; the new commit being an ancestor of the running one is a downgrade.
//!
//! Anything else is [`Comparison::Unknown`]: allowed, with a warning naming why. Refusing what
//! cannot be ordered would block every tag scheme Ferry does not know (dates, branch names),
//! and promotion order is enforced separately by the gates. Equal tags are the same image even
//! when the digest differs (a rebuild of a tag is not an older version).

use std::cmp::Ordering;

use ferry_image::reference::Reference;
use serde::Serialize;

use ferry_ledger::ledger::ImageChange;

/// Answers whether one commit is an ancestor of another in the application repository.
pub trait CommitOrder {
    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`, both commit ids as
    /// written in tags (possibly abbreviated); `None` when it cannot tell (no repository at
    /// hand, unknown commit).
    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Option<bool>;
}

impl<F: Fn(&str, &str) -> Option<bool>> CommitOrder for F {
    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Option<bool> {
        self(ancestor, descendant)
    }
}

/// A [`CommitOrder`] that never knows: no application repository is at hand.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRepository;

impl CommitOrder for NoRepository {
    fn is_ancestor(&self, _: &str, _: &str) -> Option<bool> {
        None
    }
}

/// How a new image compares with the one running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "kebab-case")]
pub enum Comparison {
    /// The same version or commit.
    Same,
    /// Newer.
    Newer,
    /// Older: a downgrade, with the reason.
    Older(String),
    /// Cannot be ordered, with the reason.
    Unknown(String),
}

/// Compares `new` with `old` (image references).
pub fn compare_images(old: &str, new: &str, order: &dyn CommitOrder) -> Comparison {
    let parse = |s: &str| Reference::parse_normalized(s).or_else(|_| Reference::parse(s));
    let (Ok(o), Ok(n)) = (parse(old), parse(new)) else {
        return Comparison::Unknown(format!("{old} or {new} is not an image reference"));
    };
    if o.name() != n.name() {
        return Comparison::Unknown(format!(
            "{new} is another repository than {old}; versions of different repositories are \
             not compared"
        ));
    }
    let (Some(old_tag), Some(new_tag)) = (o.tag(), n.tag()) else {
        return if o.digest().is_some() && o.digest() == n.digest() {
            Comparison::Same
        } else {
            Comparison::Unknown(format!("{old} → {new}: without two tags there is no order"))
        };
    };
    compare_tags(old_tag, new_tag, order)
}

/// Compares tag `new` with tag `old` (see the module documentation).
pub fn compare_tags(old: &str, new: &str, order: &dyn CommitOrder) -> Comparison {
    if old == new {
        return Comparison::Same;
    }
    if let (Some(o), Some(n)) = (commit_id(old), commit_id(new)) {
        if o.starts_with(n) || n.starts_with(o) {
            return Comparison::Same;
        }
        return match (order.is_ancestor(n, o), order.is_ancestor(o, n)) {
            (Some(true), _) => Comparison::Older(format!(
                "commit {n} of tag {new} is an ancestor of commit {o} of tag {old}"
            )),
            (_, Some(true)) => Comparison::Newer,
            (Some(false), Some(false)) => Comparison::Unknown(format!(
                "commits {o} ({old}) and {n} ({new}) have diverged: neither is an ancestor of \
                 the other"
            )),
            _ => Comparison::Unknown(format!(
                "tags {old} and {new} are commit ids and their order is unknown (no application \
                 repository at hand, or a commit is missing from it)"
            )),
        };
    }
    match (version(old), version(new)) {
        (Some(o), Some(n)) => match n.cmp_precedence(&o) {
            Ordering::Less => Comparison::Older(format!("version {new} is lower than {old}")),
            Ordering::Greater => Comparison::Newer,
            Ordering::Equal => Comparison::Same,
        },
        _ => Comparison::Unknown(format!(
            "tags {old} and {new} are not both versions or both commit ids, so they are not ordered"
        )),
    }
}

/// The commit id of a `sha-<hex>` or bare hex tag of 7 to 40 lowercase hex digits. A bare tag
/// of fewer than 7 digits is never a commit id; a bare tag of digits only is one only from
/// 7 digits on (and without a dot, so it is not a version).
fn commit_id(tag: &str) -> Option<&str> {
    let hex = tag.strip_prefix("sha-").unwrap_or(tag);
    let ok = (7..=40).contains(&hex.len())
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then_some(hex)
}

/// A semantic version from a tag: `1.2.3`, `v1.2.3-rc.1+build`, or the short forms `1.2`, `v2`.
fn version(tag: &str) -> Option<semver::Version> {
    let t = tag
        .strip_prefix('v')
        .or_else(|| tag.strip_prefix('V'))
        .unwrap_or(tag);
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() > 2 || parts.iter().any(|p| p.is_empty() || p.len() > 18) {
        return None;
    }
    let numbers: Option<Vec<u64>> = parts.iter().map(|p| p.parse().ok()).collect();
    let numbers = numbers?;
    if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
        return None;
    }
    Some(semver::Version::new(
        numbers[0],
        numbers.get(1).copied().unwrap_or(0),
        0,
    ))
}

/// A change that lowers an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Downgrade {
    /// `workload/container` (or the logical image name).
    pub container: String,
    /// The image it runs.
    pub from: String,
    /// The older image the change would set.
    pub to: String,
    /// Why it is older.
    pub reason: String,
}

/// The guard's verdict when it lets the changes through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DowngradeCheck {
    /// Downgrades let through because the caller allowed them.
    pub allowed_downgrades: Vec<Downgrade>,
    /// Changes that could not be ordered, one message each.
    pub warnings: Vec<String>,
}

/// Changes refused because they downgrade images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error(
    "refusing to downgrade: {}; pass --allow-downgrade to do it anyway",
    .downgrades.iter().map(|d| format!("{}: {} → {} ({})", d.container, d.from, d.to, d.reason)).collect::<Vec<_>>().join("; ")
)]
pub struct Downgraded {
    /// Every downgrade found.
    pub downgrades: Vec<Downgrade>,
}

/// Checks `changes` (running image → new image per container): refuses when one lowers an
/// image, unless `allow_downgrade`; changes without an old or new image are not compared.
pub fn check_downgrades(
    changes: &[ImageChange],
    order: &dyn CommitOrder,
    allow_downgrade: bool,
) -> Result<DowngradeCheck, Downgraded> {
    let mut check = DowngradeCheck::default();
    let mut downgrades = Vec::new();
    for change in changes {
        let (Some(from), Some(to)) = (&change.from, &change.to) else {
            continue;
        };
        match compare_images(from, to, order) {
            Comparison::Same | Comparison::Newer => {}
            Comparison::Older(reason) => downgrades.push(Downgrade {
                container: change.container.clone(),
                from: from.clone(),
                to: to.clone(),
                reason,
            }),
            Comparison::Unknown(reason) => check.warnings.push(format!(
                "{}: {from} → {to} is not checked for a downgrade: {reason}",
                change.container
            )),
        }
    }
    if downgrades.is_empty() {
        Ok(check)
    } else if allow_downgrade {
        check.allowed_downgrades = downgrades;
        Ok(check)
    } else {
        Err(Downgraded { downgrades })
    }
}

/// A [`CommitOrder`] backed by a local clone of the application repository: commit ids (full
/// or abbreviated, unambiguous) are resolved in it and ancestry is found by walking parents.
/// A commit it does not have, or an ambiguous abbreviation, is unknown (`None`).
#[derive(Clone, Copy)]
pub struct AppRepository<'r> {
    repo: &'r ferry_git::Repo,
}

impl std::fmt::Debug for AppRepository<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRepository").finish_non_exhaustive()
    }
}

impl<'r> AppRepository<'r> {
    /// Orders commits of `repo`.
    pub fn new(repo: &'r ferry_git::Repo) -> Self {
        AppRepository { repo }
    }

    /// The full id of the commit `hex` names, if the repository has exactly one.
    fn commit_id(&self, hex: &str) -> Option<gix::ObjectId> {
        let id = if hex.len() == 40 {
            gix::ObjectId::from_hex(hex.as_bytes()).ok()?
        } else {
            let prefix = gix::hash::Prefix::from_hex(hex).ok()?;
            match self.repo.gix().objects.lookup_prefix(prefix, None) {
                Ok(Some(Ok(id))) => id,
                _ => return None,
            }
        };
        self.repo.commit(id).ok().map(|c| c.id)
    }
}

impl CommitOrder for AppRepository<'_> {
    fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Option<bool> {
        let ancestor = self.commit_id(ancestor)?;
        let descendant = self.commit_id(descendant)?;
        let mut seen = std::collections::HashSet::new();
        let mut queue = std::collections::VecDeque::from([descendant]);
        while let Some(id) = queue.pop_front() {
            if id == ancestor {
                return Some(true);
            }
            if !seen.insert(id) {
                continue;
            }
            queue.extend(self.repo.commit(id).ok()?.parents);
        }
        Some(false)
    }
}
