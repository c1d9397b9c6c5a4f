//! The facts [`crate::policy::decide`] needs that live in the local repository.

use ferry_gitops::{GitError, ObjectId, Repo};
use ferry_ledger::ledger::{Ledger, LedgerError};
use ferry_ledger::verify::{VerifiedSet, VerifyError};

use crate::policy::rollback_trailer;

/// The last verification of `env` attached to a commit before its current deployment (the
/// policy's target), or `None` when it has no deployment or no such record; from the local
/// notes ([`ferry_gitops::NOTES_REF`]).
pub fn verified_before_current(
    ledger: &Ledger,
    repo: &Repo,
    env: &str,
) -> Result<Option<VerifiedSet>, VerifyError> {
    verified_before_current_in(ledger, repo, ferry_gitops::NOTES_REF, env)
}

/// [`verified_before_current`] from the notes under `notes_ref` (the remote's records as a
/// sync fetched them, `ferry_gitops::forge::git::REMOTE_NOTES_REF`).
pub fn verified_before_current_in(
    ledger: &Ledger,
    repo: &Repo,
    notes_ref: &str,
    env: &str,
) -> Result<Option<VerifiedSet>, VerifyError> {
    let Some(current) = ledger.environment(env)?.current() else {
        return Ok(None);
    };
    let id = current.id();
    let chain = ledger.chain();
    let Some(position) = chain.iter().position(|c| *c == id) else {
        return Err(LedgerError::NotOnBase(id).into());
    };
    match chain.get(position + 1) {
        Some(&before) => ledger.last_verified_before_in(repo, notes_ref, env, before),
        None => Ok(None),
    }
}

/// The failed deployment `commit` rolled back, when its message carries the
/// [`crate::policy::ROLLBACK_TRAILER`].
pub fn rollback_of(repo: &Repo, commit: ObjectId) -> Result<Option<String>, GitError> {
    let info = repo.commit(commit)?;
    Ok(rollback_trailer(&info.message).map(String::from))
}
