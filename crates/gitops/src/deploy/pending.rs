//! The no-downgrade guard against the environment's open changes: a new change replaces them,
//! so it must not set an image older than one of them sets (`3.0.29` left for review, then
//! `3.0.5` opened: the older one would supersede the newer).

use std::collections::BTreeMap;

use crate::forge::{Base, PendingChange};
use crate::plan::{CommitOrder, DowngradeCheck, Downgraded, check_downgrades};
use ferry_ledger::ledger::{ImageChange, LedgerError};

/// What the environment runs at a commit ([`super::runs_at`], through the planner's cache).
pub(super) type RunningAt<'a> =
    dyn Fn(gix::ObjectId) -> Result<BTreeMap<String, String>, LedgerError> + 'a;

/// Compares `changes` (computed on `base`, where the environment runs `running`) with what
/// each open change of `base.open` would make the environment run (`running_at` its head),
/// for the containers that open change sets. A downgrade is refused unless
/// `allow_downgrade`; an open change that cannot be read is a warning.
pub(super) fn check_open_changes(
    base: &Base<'_>,
    running_at: &RunningAt<'_>,
    running: &BTreeMap<String, String>,
    changes: &[ImageChange],
    order: &dyn CommitOrder,
    allow_downgrade: bool,
) -> Result<DowngradeCheck, Downgraded> {
    let mut out = DowngradeCheck::default();
    let mut refused = Vec::new();
    for pending in base.open {
        let theirs = match pending.head.map(running_at) {
            Some(Ok(images)) => images,
            Some(Err(e)) => {
                out.warnings.push(unread(pending, &e.to_string()));
                continue;
            }
            None => {
                out.warnings
                    .push(unread(pending, "its head is not in the local repository"));
                continue;
            }
        };
        let compared: Vec<ImageChange> = changes
            .iter()
            .filter_map(|c| {
                let set = theirs.get(&c.container)?;
                (Some(set) != running.get(&c.container)).then(|| ImageChange {
                    container: c.container.clone(),
                    from: Some(set.clone()),
                    to: c.to.clone(),
                })
            })
            .collect();
        let named = |mut d: crate::plan::Downgrade| {
            d.reason = format!(
                "{}; open change {} ({}) sets {}",
                d.reason, pending.id, pending.branch, d.from
            );
            d
        };
        match check_downgrades(&compared, order, allow_downgrade) {
            Ok(check) => {
                out.allowed_downgrades
                    .extend(check.allowed_downgrades.into_iter().map(named));
                out.warnings.extend(check.warnings);
            }
            Err(e) => refused.extend(e.downgrades.into_iter().map(named)),
        }
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(Downgraded {
            downgrades: refused,
        })
    }
}

fn unread(pending: &PendingChange, why: &str) -> String {
    format!(
        "open change {} ({}) is not checked for a downgrade: {why}",
        pending.id, pending.branch
    )
}
