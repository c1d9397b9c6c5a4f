//! Holds and verification records of the plain-git forge, each written with one leased push
//! and retried on a fresh read when another writer got there first.

use std::collections::BTreeMap;

use gix::ObjectId;

use super::GitForge;
use super::cli::{PushOutcome, RefUpdate, backoff};
use crate::forge::{ForgeError, HOLDS_REF};
use crate::gates::Hold;
use crate::git::{CommitRequest, EntryType, FileChange};
use crate::verify::{NOTES_REF, VerificationRecord, read_verifications, record_verification};

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

    /// Adds `record` to the note of `commit` (replacing the record of the same environment)
    /// on top of the remote's notes and pushes it with a lease on them.
    pub(super) async fn write_verification(
        &self,
        commit: ObjectId,
        record: &VerificationRecord,
    ) -> Result<(), ForgeError> {
        for attempt in 1..=WRITE_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            record_verification(&self.repo, commit, record, &self.options.signature)?;
            let tip = self
                .repo
                .ref_id(NOTES_REF)?
                .ok_or_else(|| bad(NOTES_REF, "missing right after it was written"))?;
            let updates = [RefUpdate::set(NOTES_REF, tip, state.notes)];
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
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

    /// The records of `env` on `commit`, after a sync.
    pub(super) async fn read_verification_records(
        &self,
        commit: ObjectId,
        env: &str,
    ) -> Result<Vec<VerificationRecord>, ForgeError> {
        self.fetch_state().await?;
        Ok(read_verifications(&self.repo, commit)?
            .records
            .into_iter()
            .filter(|r| r.env == env)
            .collect())
    }
}
