//! Reviewing changes of the plain-git forge: list, show, merge (a person's approval) and close.
//!
//! Merging is one leased atomic push: the base moves to the change (a fast-forward when the
//! base has not moved since the change was computed; otherwise a commit of the change's files
//! on the current base, made only when none of those files changed meanwhile), and the change's
//! branch and record are deleted with it.

use gix::ObjectId;

use super::change::RemoteState;
use super::{ChangeRecord, GitForge};
use crate::forge::review::same_head;
use crate::forge::{CHANGES_REF_PREFIX, ChangeInfo, ChangeState, ForgeError};
use ferry_git::cli::{PushOutcome, RefUpdate, backoff};
use ferry_git::{CommitRequest, FileChange};

/// Attempts of a merge or close when other refs move meanwhile.
const REVIEW_ATTEMPTS: u32 = 5;

impl GitForge {
    /// The change `id` as it stands on the remote.
    async fn info(
        &self,
        state: &RemoteState,
        id: &str,
        record: ChangeRecord,
    ) -> Result<ChangeInfo, ForgeError> {
        let head = state.branches.get(&record.branch).copied();
        let merged = self.is_merged(&record, head, state.base).await?;
        let (status, merge_commit, note) = if merged {
            let tip = head
                .or_else(|| ObjectId::from_hex(record.head.as_bytes()).ok())
                .unwrap_or(state.base);
            let commit = self.merging_commit(&record, tip, state.base);
            (ChangeState::Merged, Some(commit.to_string()), None)
        } else if head.is_none() {
            let note = format!(
                "its branch {} was deleted; `ferry pr cleanup` removes the record",
                record.branch
            );
            (ChangeState::Closed, None, Some(note))
        } else {
            (ChangeState::Open, None, None)
        };
        Ok(ChangeInfo {
            id: id.to_owned(),
            env: Some(record.env),
            url: head.map(|_| format!("{}#{}", self.remote_display(), record.branch)),
            branch: record.branch,
            title: record.title,
            body: record.body,
            state: status,
            head: Some(head.map_or(record.head, |h| h.to_string())),
            base: Some(record.base),
            created_at: Some(record.created_at),
            merge_commit,
            auto_merge: false,
            note,
        })
    }

    /// Every change record (of `env`), oldest first.
    pub(super) async fn list(&self, env: Option<&str>) -> Result<Vec<ChangeInfo>, ForgeError> {
        let state = self.fetch_state().await?;
        let mut out = Vec::new();
        for (id, commit) in &state.records {
            let record = match self.read_record(*commit) {
                Ok(record) => record,
                Err(e) => {
                    tracing::warn!(change = %id, error = %e, "skipping a change record that does not parse");
                    continue;
                }
            };
            if env.is_some_and(|e| e != record.env) {
                continue;
            }
            out.push(self.info(&state, id, record).await?);
        }
        out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(out)
    }

    /// The record of change `id`.
    fn record_of(&self, state: &RemoteState, id: &str) -> Result<ChangeRecord, ForgeError> {
        let commit = state
            .records
            .get(id)
            .ok_or_else(|| ForgeError::UnknownChange(id.to_owned()))?;
        self.read_record(*commit)
    }

    /// Change `id`.
    pub(super) async fn show(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        let state = self.fetch_state().await?;
        let record = self.record_of(&state, id)?;
        self.info(&state, id, record).await
    }

    /// Merges change `id` (see [`crate::forge::Forge::merge_change`]).
    pub(super) async fn merge(
        &self,
        id: &str,
        expected_head: Option<&str>,
    ) -> Result<ChangeInfo, ForgeError> {
        for attempt in 1..=REVIEW_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            let record = self.record_of(&state, id)?;
            let mut info = self.info(&state, id, record.clone()).await?;
            if info.state != ChangeState::Open {
                return Err(ForgeError::NotOpen {
                    id: id.to_owned(),
                    state: info.state,
                });
            }
            let head = *state
                .branches
                .get(&record.branch)
                .expect("an open change has its branch");
            let head_hex = head.to_string();
            if let Some(expected) = expected_head
                && !same_head(expected, &head_hex)
            {
                return Err(ForgeError::HeadMoved {
                    id: id.to_owned(),
                    expected: expected.to_owned(),
                    actual: head_hex,
                });
            }
            let merged = self.merge_commit_for(&record, id, head, state.base)?;
            let updates = [
                RefUpdate::set(self.base_ref(), merged, Some(state.base)),
                RefUpdate::delete(format!("refs/heads/{}", record.branch), head),
                RefUpdate::delete(format!("{CHANGES_REF_PREFIX}{id}"), state.records[id]),
            ];
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
                    info.state = ChangeState::Merged;
                    info.merge_commit = Some(merged.to_string());
                    info.url = None;
                    return Ok(info);
                }
                PushOutcome::Rejected(refs) => {
                    tracing::debug!(?refs, "the merge lost a race; reading the remote again");
                }
            }
        }
        Err(ForgeError::Contended {
            what: self.base_ref(),
            attempts: REVIEW_ATTEMPTS,
        })
    }

    /// The commit the base moves to when change `id` (its branch at `head`) is merged on
    /// `base`: `head` itself when it was computed from `base`; otherwise its files on top of
    /// `base`, when none of them changed on the base since; otherwise the change is stale.
    fn merge_commit_for(
        &self,
        record: &ChangeRecord,
        id: &str,
        head: ObjectId,
        base: ObjectId,
    ) -> Result<ObjectId, ForgeError> {
        let info = self.repo.commit(head)?;
        let Some(&parent) = info.parents.first() else {
            return Err(ForgeError::BadRecord {
                what: format!("change {id}"),
                message: format!("its head {head} has no parent"),
            });
        };
        if parent == base {
            return Ok(head);
        }
        let mut changes = Vec::new();
        for path in record.files.keys() {
            let then = self.repo.entry_at(parent, path)?.map(|e| e.id);
            let now = self.repo.entry_at(base, path)?.map(|e| e.id);
            if then != now {
                return Err(ForgeError::Stale {
                    id: id.to_owned(),
                    from: parent.to_string(),
                    now: base.to_string(),
                });
            }
            changes.push(FileChange {
                path: path.clone(),
                content: self.repo.read_file(head, path)?,
            });
        }
        let signature = &self.options.signature;
        Ok(self.repo.build_commit(&CommitRequest {
            parent: Some(base),
            changes,
            message: info.message,
            author: info.author,
            committer: signature.clone(),
        })?)
    }

    /// Closes change `id` (see [`crate::forge::Forge::close_change`]).
    pub(super) async fn close(&self, id: &str) -> Result<ChangeInfo, ForgeError> {
        for attempt in 1..=REVIEW_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            let record = self.record_of(&state, id)?;
            let mut info = self.info(&state, id, record.clone()).await?;
            if info.state == ChangeState::Merged {
                return Err(ForgeError::NotOpen {
                    id: id.to_owned(),
                    state: info.state,
                });
            }
            let mut updates = vec![RefUpdate::delete(
                format!("{CHANGES_REF_PREFIX}{id}"),
                state.records[id],
            )];
            if let Some(head) = state.branches.get(&record.branch) {
                updates.push(RefUpdate::delete(
                    format!("refs/heads/{}", record.branch),
                    *head,
                ));
            }
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
                    info.state = ChangeState::Closed;
                    info.url = None;
                    info.note = None;
                    return Ok(info);
                }
                PushOutcome::Rejected(refs) => {
                    tracing::debug!(?refs, "closing lost a race; reading the remote again");
                }
            }
        }
        Err(ForgeError::Contended {
            what: format!("{CHANGES_REF_PREFIX}{id}"),
            attempts: REVIEW_ATTEMPTS,
        })
    }
}
