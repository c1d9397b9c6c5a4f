//! Holds and verification records of the plain-git forge, each written with one leased push
//! and retried on a fresh read when another writer got there first. Verification records are
//! read from, and written on top of, the remote's notes: what the forge holds.

use std::collections::BTreeMap;

use gix::ObjectId;

use super::GitForge;
use crate::forge::{ForgeError, HOLDS_REF};
use crate::gates::Hold;
use ferry_git::cli::{PushOutcome, RefUpdate, backoff};
use ferry_git::{CommitRequest, EntryType, FileChange};
use ferry_ledger::verify::{
    NOTES_REF, VerificationRecord, merge_notes_into, notes_commit_with_record, parse_note,
};

/// Attempts of a holds or notes write when the remote ref keeps moving.
const WRITE_ATTEMPTS: u32 = 10;

fn bad(what: impl Into<String>, message: impl std::fmt::Display) -> ForgeError {
    ForgeError::BadRecord {
        what: what.into(),
        message: message.to_string(),
    }
}

impl GitForge {
    /// The holds of the holds commit `commit`, by environment (file `<env>.json`).
    fn holds_in(
        &self,
        commit: Option<ObjectId>,
    ) -> Result<BTreeMap<String, Vec<Hold>>, ForgeError> {
        let mut out = BTreeMap::new();
        let Some(commit) = commit else {
            return Ok(out);
        };
        let tree = self.repo.commit(commit)?.tree;
        for (name, entry) in self.repo.tree_entries(tree)?.iter() {
            let Some(env) = name.strip_suffix(".json") else {
                continue;
            };
            if !matches!(entry.kind, EntryType::Blob | EntryType::Executable) {
                continue;
            }
            let bytes = self.repo.blob(entry.id)?;
            let holds: Vec<Hold> = serde_json::from_slice(&bytes)
                .map_err(|e| bad(format!("{HOLDS_REF}:{name}"), e))?;
            out.insert(env.to_owned(), holds);
        }
        Ok(out)
    }

    /// Every hold on the remote, environments in name order.
    pub(super) async fn read_all_holds(&self) -> Result<Vec<Hold>, ForgeError> {
        let state = self.fetch_state().await?;
        Ok(self
            .holds_in(state.holds)?
            .into_values()
            .flatten()
            .collect())
    }

    /// Applies `update` to the holds of `env` and pushes the result with a lease on the holds
    /// commit it read; on a lost race, reads again and applies `update` again.
    pub(super) async fn write_holds(
        &self,
        env: &str,
        update: &mut dyn FnMut(&mut Vec<Hold>),
        message: &str,
    ) -> Result<Vec<Hold>, ForgeError> {
        if env.is_empty()
            || env.starts_with('.')
            || env.contains(['/', '\\', '\0', '\n'])
            || env.ends_with(".lock")
        {
            return Err(bad(
                "hold",
                format!("environment name `{env}` cannot name a holds file"),
            ));
        }
        let signature = &self.options.signature;
        let message = match message.trim() {
            "" => format!("ferry: holds of {env}\n"),
            m => format!("{m}\n"),
        };
        for attempt in 1..=WRITE_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            let current = self.holds_in(state.holds)?.remove(env).unwrap_or_default();
            let mut holds = current.clone();
            update(&mut holds);
            if holds == current {
                return Ok(holds);
            }
            let content = if holds.is_empty() {
                None
            } else {
                let mut json = serde_json::to_vec_pretty(&holds).map_err(|e| bad("hold", e))?;
                json.push(b'\n');
                Some(json)
            };
            let commit = self.repo.build_commit(&CommitRequest {
                parent: state.holds,
                changes: vec![FileChange {
                    path: format!("{env}.json"),
                    content,
                }],
                message: message.clone(),
                author: signature.clone(),
                committer: signature.clone(),
            })?;
            let updates = [RefUpdate::set(HOLDS_REF, commit, state.holds)];
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
                    return Ok(holds);
                }
                PushOutcome::Rejected(_) => {
                    tracing::debug!(attempt, "holds moved; reading them again");
                }
            }
        }
        Err(ForgeError::Contended {
            what: HOLDS_REF.to_owned(),
            attempts: WRITE_ATTEMPTS,
        })
    }

    /// Appends `record` to the note of `commit` in the remote's notes (not the local ones:
    /// records kept local with `--no-push` stay local) and pushes the new notes commit with a
    /// lease on the remote's; then merges it into the local notes.
    pub(super) async fn write_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> Result<(), ForgeError> {
        let signature = &self.options.signature;
        for attempt in 1..=WRITE_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            let new = notes_commit_with_record(&self.repo, state.notes, commit, record, signature)?;
            let updates = [RefUpdate::set(NOTES_REF, new, state.notes)];
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
                    merge_notes_into(&self.repo, NOTES_REF, new, signature)?;
                    return Ok(());
                }
                PushOutcome::Rejected(_) => {
                    tracing::debug!(attempt, "notes moved; writing the record again");
                }
            }
        }
        Err(ForgeError::Contended {
            what: NOTES_REF.to_owned(),
            attempts: WRITE_ATTEMPTS,
        })
    }

    /// The records of `env` on `commit` that the remote holds, after a sync.
    pub(super) async fn read_verification_records(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> Result<Vec<VerificationRecord>, ForgeError> {
        let state = self.fetch_state().await?;
        let note = self.repo.note_in(state.notes, commit)?;
        Ok(note
            .map(|(_, bytes)| parse_note(&bytes).records)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.env == env)
            .collect())
    }
}
