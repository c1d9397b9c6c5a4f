//! The environment's one slot on GitHub: the ref `refs/ferry/slots/<env>` ([`SLOTS_REF_PREFIX`]),
//! moved by compare-and-swap whenever a run adds a change to the environment or supersedes one.
//!
//! GitHub's refs API has no "expected old value", but a ref update with `force: false` only
//! fast-forwards. A run that read the slot at `S` makes a new commit whose only parent is `S`
//! (`POST /git/commits`, the base's tree, trailers naming the pull request that now holds the
//! slot) and moves the slot to it with `PATCH … force: false`: that lands only while the slot
//! is still `S` (a slot moved to `S'` is not an ancestor of the new commit). A missing slot is
//! created with `POST /git/refs`, which fails when another run created it first. The run that
//! loses reads again and re-plans against the winner's pull request: it supersedes it, or is
//! refused as a downgrade of it (and closes the pull request it opened).

use std::collections::BTreeMap;

use gix::ObjectId;

use super::query::{OpenPull, SlotCommit};
use super::{GithubForge, is_ferry_pull};
use crate::forge::{Cleanup, ForgeError, SLOTS_REF_PREFIX};
use crate::plan::{parse_deploy_branch, ref_safe};
use ferry_github::GithubError;

/// The trailer of a slot commit naming the pull request that holds the slot.
const CHANGE_TRAILER: &str = "Ferry-Change:";

/// The slot ref of `env`.
pub(super) fn slot_ref(env: &str) -> String {
    format!("{SLOTS_REF_PREFIX}{}", ref_safe(env))
}

/// The message of a slot commit: `pull` (on `branch`) holds `env`'s slot.
fn slot_message(env: &str, pull: u64, branch: &str) -> String {
    format!(
        "ferry: #{pull} is the open change of {env}\n\nFerry-Slot: {env}\n{CHANGE_TRAILER} {pull}\nFerry-Branch: {branch}\n"
    )
}

/// The pull request a slot commit names, if any.
pub(super) fn slot_holder(commit: &SlotCommit) -> Option<u64> {
    commit
        .message
        .lines()
        .find_map(|l| l.trim().strip_prefix(CHANGE_TRAILER))
        .and_then(|n| n.trim().trim_start_matches('#').parse().ok())
}

impl GithubForge {
    /// Moves `env`'s slot from `current` (what this attempt's snapshot read; `None`: no slot)
    /// to a new commit naming `pull` on `branch`. `Ok(false)`: another run moved it first.
    pub(super) async fn take_slot(
        &self,
        env: &str,
        current: Option<&SlotCommit>,
        base: ObjectId,
        pull: u64,
        branch: &str,
    ) -> Result<bool, ForgeError> {
        let tree = self.repo.commit(base)?.tree.to_string();
        let parents: Vec<String> = current.map(|c| c.oid.clone()).into_iter().collect();
        let commit = self
            .client
            .create_commit(&slot_message(env, pull, branch), &tree, &parents)
            .await?;
        let name = slot_ref(env);
        let moved = match current {
            None => self.client.create_ref(&name, &commit).await,
            Some(_) => self.client.fast_forward_ref(&name, &commit).await,
        };
        match moved {
            Ok(()) => Ok(true),
            Err(GithubError::RefExists { .. } | GithubError::Conflict { .. }) => {
                tracing::debug!(env, pull, "another run took the environment's slot first");
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Closes, in every environment with more than one open Ferry pull request (left by runs
    /// that raced before the slot existed, or by a run that ended half-way), all but the one
    /// the slot names (else the newest), and deletes their branches.
    pub(super) async fn close_extra_pulls(&self, out: &mut Cleanup) -> Result<(), ForgeError> {
        let snapshot = self.query_snapshot().await?;
        let prefix = &self.options.branch_prefix;
        let mut by_env: BTreeMap<String, Vec<&OpenPull>> = BTreeMap::new();
        for pull in &snapshot.pulls {
            let Some((env, _)) = parse_deploy_branch(prefix, &pull.head_branch) else {
                continue;
            };
            if is_ferry_pull(pull, env) {
                by_env.entry(env.to_owned()).or_default().push(pull);
            }
        }
        for (env, pulls) in by_env {
            if pulls.len() < 2 {
                continue;
            }
            let holder = snapshot.slots.get(&env).and_then(slot_holder);
            let keep = pulls
                .iter()
                .find(|p| Some(p.number) == holder)
                .or_else(|| pulls.iter().max_by_key(|p| p.number))
                .map(|p| p.number)
                .expect("at least two pull requests");
            let note = format!(
                "Superseded by #{keep}: an environment has one open change (`ferry-pr cleanup`)."
            );
            for pull in pulls.iter().filter(|p| p.number != keep) {
                self.client.close_pull(pull.number, Some(&note)).await?;
                out.closed.push(pull.number.to_string());
                out.superseded.push(pull.number.to_string());
                if self.client.delete_branch(&pull.head_branch).await? {
                    out.deleted_branches.push(pull.head_branch.clone());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_commit_names_its_pull_request() {
        let commit = SlotCommit {
            oid: "a".repeat(40),
            message: slot_message("dev", 1347, "deploy/dev-1a2b3c4"),
        };
        assert_eq!(slot_holder(&commit), Some(1347));
        assert!(
            commit
                .message
                .starts_with("ferry: #1347 is the open change of dev\n")
        );
        let other = SlotCommit {
            oid: "a".repeat(40),
            message: "something else".into(),
        };
        assert_eq!(slot_holder(&other), None);
        assert_eq!(slot_ref("dev"), "refs/ferry/slots/dev");
    }
}
