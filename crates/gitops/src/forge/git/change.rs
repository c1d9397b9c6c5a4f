//! Changes of the plain-git forge: sync, open (with compare-and-swap retries), wait, cleanup.

use std::collections::BTreeMap;
use std::time::Duration;

use gix::ObjectId;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::{FullName, Target};

use super::{CHANGE_FILE, CHANGE_RECORD_VERSION, ChangeRecord, GitForge, TRACKING_PREFIX};
use crate::forge::{
    Base, CHANGES_REF_PREFIX, ChangeRequest, Cleanup, Files, ForgeError, HOLDS_REF, Opened,
    PendingChange, Planner, SLOTS_REF_PREFIX, WaitOutcome,
};
use crate::plan::{OpenChange, decide, parse_deploy_branch, ref_safe};
use ferry_git::cli::{PushOutcome, RefUpdate, backoff};
use ferry_git::{CommitRequest, FileChange, GitError};
use ferry_ledger::verify::{NOTES_REF, merge_notes_into};

/// Attempts of [`GitForge::cleanup`](crate::forge::Forge::cleanup) when refs move meanwhile.
const CLEANUP_ATTEMPTS: u32 = 5;
/// How far back along the base's first-parent chain the commit that merged a change is sought.
const MERGE_SEARCH_LIMIT: usize = 10_000;

/// The remote's refs as the last fetch left them.
#[derive(Debug, Clone)]
pub(super) struct RemoteState {
    /// The base branch's head.
    pub base: ObjectId,
    /// Deploy branches (short names, with the prefix) → head.
    pub branches: BTreeMap<String, ObjectId>,
    /// Change records: id → record commit.
    pub records: BTreeMap<String, ObjectId>,
    /// The holds commit.
    pub holds: Option<ObjectId>,
    /// The notes commit.
    pub notes: Option<ObjectId>,
    /// Environment slots ([`SLOTS_REF_PREFIX`]): environment (ref-safe) → commit.
    pub slots: BTreeMap<String, ObjectId>,
}

/// The slot ref of `env`.
pub(super) fn slot_ref(env: &str) -> String {
    format!("{SLOTS_REF_PREFIX}{}", ref_safe(env))
}

fn tracking(remote_ref: &str) -> String {
    format!(
        "{TRACKING_PREFIX}{}",
        remote_ref.strip_prefix("refs/").unwrap_or(remote_ref)
    )
}

fn bad(what: impl Into<String>, message: impl std::fmt::Display) -> ForgeError {
    ForgeError::BadRecord {
        what: what.into(),
        message: message.to_string(),
    }
}

fn gix_error(context: impl Into<String>, e: impl std::fmt::Display) -> ForgeError {
    ForgeError::Git(GitError::Git {
        context: context.into(),
        source: e.to_string().into(),
    })
}

impl GitForge {
    pub(super) fn base_ref(&self) -> String {
        format!("refs/heads/{}", self.options.base_branch)
    }

    /// The refspecs of a sync: remote ref pattern → tracking ref pattern.
    fn refspecs(&self) -> Vec<String> {
        let base = self.base_ref();
        let branches = format!("refs/heads/{}*", self.options.branch_prefix);
        let changes = format!("{CHANGES_REF_PREFIX}*");
        let holds = format!("{HOLDS_REF}*");
        let notes = format!("{NOTES_REF}*");
        let slots = format!("{SLOTS_REF_PREFIX}*");
        [base, branches, changes, holds, notes, slots]
            .iter()
            .map(|r| format!("+{r}:{}", tracking(r)))
            .collect()
    }

    /// Every tracking ref (full name → id).
    fn tracked_refs(&self) -> Result<BTreeMap<String, ObjectId>, ForgeError> {
        let context = "cannot list the refs fetched from the remote";
        let platform = self
            .repo
            .gix()
            .references()
            .map_err(|e| gix_error(context, e))?;
        let mut out = BTreeMap::new();
        for reference in platform
            .prefixed(TRACKING_PREFIX)
            .map_err(|e| gix_error(context, e))?
        {
            let mut reference = reference.map_err(|e| gix_error(context, e))?;
            let name = reference.name().as_bstr().to_string();
            let id = reference
                .peel_to_id()
                .map_err(|e| gix_error(format!("cannot read {name}"), e))?
                .detach();
            out.insert(name, id);
        }
        Ok(out)
    }

    /// The change records as the last sync left them: id → record commit.
    pub(super) fn tracked_records(&self) -> Result<BTreeMap<String, ObjectId>, ForgeError> {
        let prefix = tracking(CHANGES_REF_PREFIX);
        Ok(self
            .tracked_refs()?
            .into_iter()
            .filter_map(|(name, id)| Some((name.strip_prefix(&prefix)?.to_owned(), id)))
            .collect())
    }

    /// The remote's state as the last sync left it.
    fn remote_state(&self) -> Result<RemoteState, ForgeError> {
        let refs = self.tracked_refs()?;
        let base_ref = self.base_ref();
        let base = *refs
            .get(&tracking(&base_ref))
            .ok_or_else(|| ForgeError::GitCommand {
                args: format!("fetch {}", self.git.display()),
                message: format!("the remote has no branch {}", self.options.base_branch),
            })?;
        let branch_prefix = tracking(&format!("refs/heads/{}", self.options.branch_prefix));
        let heads_prefix = tracking("refs/heads/");
        let changes_prefix = tracking(CHANGES_REF_PREFIX);
        let slots_prefix = tracking(SLOTS_REF_PREFIX);
        let mut state = RemoteState {
            base,
            branches: BTreeMap::new(),
            records: BTreeMap::new(),
            holds: refs.get(&tracking(HOLDS_REF)).copied(),
            notes: refs.get(&tracking(NOTES_REF)).copied(),
            slots: BTreeMap::new(),
        };
        for (name, id) in &refs {
            if name.starts_with(&branch_prefix) && *name != tracking(&base_ref) {
                let short = name.strip_prefix(&heads_prefix).unwrap_or(name);
                state.branches.insert(short.to_owned(), *id);
            } else if let Some(change) = name.strip_prefix(&changes_prefix) {
                state.records.insert(change.to_owned(), *id);
            } else if let Some(env) = name.strip_prefix(&slots_prefix) {
                state.slots.insert(env.to_owned(), *id);
            }
        }
        Ok(state)
    }

    /// Fetches the base branch, deploy branches, change records, holds and notes, merges the
    /// remote's verification records into the local notes ref (a union: local records the
    /// remote lacks are kept), and returns what was fetched.
    pub(super) async fn fetch_state(&self) -> Result<RemoteState, ForgeError> {
        self.git.fetch(&self.refspecs()).await?;
        let state = self.remote_state()?;
        if let Some(remote_notes) = state.notes {
            merge_notes_into(&self.repo, NOTES_REF, remote_notes, &self.options.signature)?;
        }
        Ok(state)
    }

    /// Makes the tracking refs show what a successful push did, so that reads before the
    /// next sync (e.g. [`GitForge::change_records`], [`Self::wait_for`]) see it.
    pub(super) fn note_pushed(&self, updates: &[RefUpdate]) {
        if let Err(e) = self.move_tracking(updates) {
            tracing::warn!(error = %e, "pushed, but the local tracking refs were not updated");
        }
    }

    fn move_tracking(&self, updates: &[RefUpdate]) -> Result<(), ForgeError> {
        let mut edits = Vec::new();
        for update in updates {
            let name = tracking(&update.name);
            let full = FullName::try_from(name.as_str())
                .map_err(|e| gix_error(format!("invalid ref name {name}"), e))?;
            let change = match update.new {
                Some(id) => Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: false,
                        message: "ferry: pushed".into(),
                    },
                    expected: PreviousValue::Any,
                    new: Target::Object(id),
                },
                None => Change::Delete {
                    expected: PreviousValue::Any,
                    log: RefLog::AndReference,
                },
            };
            edits.push(RefEdit {
                change,
                name: full,
                deref: false,
            });
        }
        let s = &self.options.signature;
        let signature = gix::actor::Signature {
            name: s.name.as_str().into(),
            email: s.email.as_str().into(),
            time: gix::date::Time {
                seconds: s.seconds,
                offset: s.offset,
            },
        };
        let mut buf = gix::date::parse::TimeBuf::default();
        self.repo
            .gix()
            .edit_references_as(edits, Some(signature.to_ref(&mut buf)))
            .map_err(|e| gix_error("cannot move the tracking refs", e))?;
        Ok(())
    }

    /// Reads a change record commit.
    pub(super) fn read_record(&self, commit: ObjectId) -> Result<ChangeRecord, ForgeError> {
        let what = format!("change record {commit}");
        let bytes = self
            .repo
            .read_file(commit, CHANGE_FILE)?
            .ok_or_else(|| bad(&what, format!("it has no {CHANGE_FILE}")))?;
        let record: ChangeRecord = serde_json::from_slice(&bytes).map_err(|e| bad(&what, e))?;
        if record.version != CHANGE_RECORD_VERSION {
            return Err(bad(
                &what,
                format!(
                    "version {} is not supported (this Ferry reads version {CHANGE_RECORD_VERSION})",
                    record.version
                ),
            ));
        }
        Ok(record)
    }

    /// Writes a change record as a root commit (moves no ref).
    fn record_commit(&self, id: &str, record: &ChangeRecord) -> Result<ObjectId, ForgeError> {
        let mut json = serde_json::to_vec_pretty(record).map_err(|e| bad("change record", e))?;
        json.push(b'\n');
        let signature = &self.options.signature;
        Ok(self.repo.build_commit(&CommitRequest {
            parent: None,
            changes: vec![FileChange {
                path: CHANGE_FILE.to_owned(),
                content: Some(json),
            }],
            message: format!("ferry: change {id}\n\n{}\n", record.title),
            author: signature.clone(),
            committer: signature.clone(),
        })?)
    }

    /// Whether `commit` already holds every file of `files` with that text.
    fn has_texts(&self, commit: ObjectId, files: &Files) -> Result<bool, ForgeError> {
        for (path, text) in files {
            if self.repo.read_file(commit, path)?.as_deref() != Some(text.as_bytes()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether `commit` holds every file of a record with the recorded blob.
    fn has_blobs(&self, commit: ObjectId, files: &BTreeMap<String, String>) -> bool {
        !files.is_empty()
            && files.iter().all(|(path, blob)| {
                let wanted = ObjectId::from_hex(blob.as_bytes()).ok();
                matches!(self.repo.entry_at(commit, path), Ok(Some(e)) if Some(e.id) == wanted)
            })
    }

    /// The open changes of `env` other than the one on `branch`, with their heads.
    fn pending(
        &self,
        state: &RemoteState,
        env: &str,
        branch: &str,
    ) -> Result<Vec<PendingChange>, ForgeError> {
        let mut out = Vec::new();
        for (id, commit) in &state.records {
            let Ok(record) = self.read_record(*commit) else {
                continue;
            };
            if record.env != env || record.branch == branch {
                continue;
            }
            if let Some(head) = state.branches.get(&record.branch) {
                out.push(PendingChange {
                    id: id.clone(),
                    branch: record.branch,
                    head: Some(*head),
                });
            }
        }
        Ok(out)
    }

    /// Opens, updates or merges the change (see [`crate::forge::Forge::open_change`]).
    pub(super) async fn open(
        &self,
        request: &ChangeRequest,
        planner: &mut dyn Planner,
    ) -> Result<Opened, ForgeError> {
        let prefix = self.options.branch_prefix.as_str();
        let Some(id) = request
            .branch
            .strip_prefix(prefix)
            .filter(|id| !id.is_empty())
        else {
            return Err(bad(
                "change request",
                format!(
                    "branch `{}` does not start with the deploy branch prefix `{prefix}`",
                    request.branch
                ),
            ));
        };
        let max = request.max_attempts.max(1);
        let mut last = self.base_ref();
        for attempt in 1..=max {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            match self.open_attempt(request, id, planner, attempt).await? {
                Ok(opened) => return Ok(opened),
                Err(moved) => {
                    tracing::debug!(attempt, %moved, "lost a compare-and-swap; recomputing");
                    last = moved;
                }
            }
        }
        Err(ForgeError::Contended {
            what: last,
            attempts: max,
        })
    }

    /// One attempt: `Ok(Err(ref))` when a lease failed on `ref` (nothing was pushed).
    async fn open_attempt(
        &self,
        request: &ChangeRequest,
        id: &str,
        planner: &mut dyn Planner,
        attempt: u32,
    ) -> Result<Result<Opened, String>, ForgeError> {
        let state = self.fetch_state().await?;
        let base = state.base;
        let pending = self.pending(&state, &request.env, &request.branch)?;
        let files = planner
            .plan(&Base {
                commit: base,
                repo: &self.repo,
                open: &pending,
            })
            .map_err(ForgeError::Plan)?;
        let mut opened = Opened {
            number: None,
            id: String::new(),
            url: (!request.auto_merge)
                .then(|| format!("{}#{}", self.git.display(), request.branch)),
            branch: request.branch.clone(),
            created: false,
            updated: false,
            superseded: Vec::new(),
            auto_merge: false,
            merged: false,
            merge_commit: None,
            commit: base.to_string(),
            base: base.to_string(),
            attempts: attempt,
            up_to_date: false,
            warnings: Vec::new(),
        };
        if self.has_texts(base, &files)? {
            opened.up_to_date = true;
            return Ok(Ok(opened));
        }

        let signature = &self.options.signature;
        let candidate = self.repo.build_commit(&CommitRequest {
            parent: Some(base),
            changes: files
                .iter()
                .map(|(path, text)| FileChange {
                    path: path.clone(),
                    content: Some(text.clone().into_bytes()),
                })
                .collect(),
            message: request.message.clone(),
            author: signature.clone(),
            committer: signature.clone(),
        })?;
        let old_head = state.branches.get(&request.branch).copied();
        let head = match old_head {
            Some(h) if self.same_commit_content(h, candidate)? => h,
            _ => candidate,
        };
        let old_record = state.records.get(id).copied();
        let branch_ref = format!("refs/heads/{}", request.branch);
        let record_ref = format!("{CHANGES_REF_PREFIX}{id}");
        let base_ref = self.base_ref();

        let mut updates = Vec::new();
        let mut record_commit = old_record;
        if request.auto_merge {
            // One atomic push: fast-forward the base (leased on the commit the change was
            // computed from) and drop this change's branch and record if an earlier run left
            // them open.
            updates.push(RefUpdate::set(&base_ref, head, Some(base)));
            if let Some(h) = old_head {
                updates.push(RefUpdate::delete(&branch_ref, h));
            }
            if let Some(r) = old_record {
                updates.push(RefUpdate::delete(&record_ref, r));
            }
        } else {
            if old_head != Some(head) {
                updates.push(RefUpdate::set(&branch_ref, head, old_head));
            }
            let existing = old_record.and_then(|r| self.read_record(r).ok());
            let record = ChangeRecord {
                version: CHANGE_RECORD_VERSION,
                env: request.env.clone(),
                branch: request.branch.clone(),
                title: request.title.clone(),
                body: request.body.clone(),
                base: base.to_string(),
                head: head.to_string(),
                files: files
                    .keys()
                    .map(|path| {
                        let blob = self.repo.entry_at(head, path)?.map(|e| e.id.to_string());
                        Ok((path.clone(), blob.unwrap_or_default()))
                    })
                    .collect::<Result<_, GitError>>()?,
                created_at: existing.as_ref().map_or_else(
                    || signature.timestamp().to_string(),
                    |e| e.created_at.clone(),
                ),
            };
            if existing.as_ref() != Some(&record) {
                let commit = self.record_commit(id, &record)?;
                updates.push(RefUpdate::set(&record_ref, commit, old_record));
                record_commit = Some(commit);
            }
        }

        let open: Vec<OpenChange> = state
            .records
            .keys()
            .map(|change| OpenChange {
                id: change.clone(),
                branch: format!("{}{change}", self.options.branch_prefix),
            })
            .chain(state.branches.keys().filter_map(|branch| {
                let change = branch.strip_prefix(&self.options.branch_prefix)?;
                (!state.records.contains_key(change)).then(|| OpenChange {
                    id: change.to_owned(),
                    branch: branch.clone(),
                })
            }))
            .collect();
        let decision = decide(
            &self.options.branch_prefix,
            &request.env,
            &request.branch,
            &open,
        );
        for other in decision.supersede {
            if other.branch == request.branch {
                continue;
            }
            if let Some(h) = state.branches.get(&other.branch) {
                updates.push(RefUpdate::delete(
                    format!("refs/heads/{}", other.branch),
                    *h,
                ));
            }
            if let Some(r) = state.records.get(&other.id) {
                updates.push(RefUpdate::delete(
                    format!("{CHANGES_REF_PREFIX}{}", other.id),
                    *r,
                ));
                opened.superseded.push(other.id);
            }
        }

        if !updates.is_empty() {
            if !request.auto_merge {
                // The change must be computed from the base as it is when the push lands.
                updates.insert(0, RefUpdate::set(&base_ref, base, Some(base)));
            }
            // The environment's one slot: a run that read other open changes than the remote
            // has now loses here, reads again and supersedes (or refuses) what it missed.
            let slot = slot_ref(&request.env);
            let current = state.slots.get(&ref_safe(&request.env)).copied();
            let value = if request.auto_merge {
                head
            } else {
                record_commit.unwrap_or(head)
            };
            updates.push(RefUpdate::set(slot, value, current));
            if let PushOutcome::Rejected(refs) = self.git.push(&updates).await? {
                return Ok(Err(refs.into_iter().next().unwrap_or(base_ref)));
            }
            self.note_pushed(&updates);
        }
        opened.id = id.to_owned();
        opened.created = old_record.is_none();
        opened.updated = old_record.is_some() && old_head != Some(head);
        opened.auto_merge = request.auto_merge;
        opened.merged = request.auto_merge;
        opened.commit = head.to_string();
        if request.auto_merge {
            opened.merge_commit = Some(head.to_string());
        }
        Ok(Ok(opened))
    }

    /// Whether `existing` has the same parents and tree as `candidate`.
    fn same_commit_content(
        &self,
        existing: ObjectId,
        candidate: ObjectId,
    ) -> Result<bool, ForgeError> {
        let (a, b) = (self.repo.commit(existing)?, self.repo.commit(candidate)?);
        Ok(a.parents == b.parents && a.tree == b.tree)
    }

    /// Whether the change of `record` (its branch at `head`) is on `base`: `head` is an
    /// ancestor of `base` (fast-forward or merge), or `base` has its files (squash).
    pub(super) async fn is_merged(
        &self,
        record: &ChangeRecord,
        head: Option<ObjectId>,
        base: ObjectId,
    ) -> Result<bool, ForgeError> {
        if let Some(head) = head.or_else(|| ObjectId::from_hex(record.head.as_bytes()).ok())
            && self.repo.gix().has_object(head)
            && self.git.is_ancestor(head, base).await?
        {
            return Ok(true);
        }
        Ok(self.has_blobs(base, &record.files))
    }

    /// The commit of the base's first-parent chain (from `tip`) that brought the change in:
    /// the head itself (fast-forward), the merge commit that merged it, or the oldest commit
    /// of the newest run holding its files (squash).
    pub(super) fn merging_commit(
        &self,
        record: &ChangeRecord,
        head: ObjectId,
        tip: ObjectId,
    ) -> ObjectId {
        let stop = ObjectId::from_hex(record.base.as_bytes()).ok();
        let mut found = None;
        let mut current = Some(tip);
        for _ in 0..MERGE_SEARCH_LIMIT {
            let Some(id) = current else { break };
            if Some(id) == stop {
                break;
            }
            let Ok(info) = self.repo.commit(id) else {
                break;
            };
            if id == head || info.parents.iter().skip(1).any(|p| *p == head) {
                return id;
            }
            if self.has_blobs(id, &record.files) {
                found = Some(id);
            } else if found.is_some() {
                break;
            }
            current = info.parents.first().copied();
        }
        found.unwrap_or(tip)
    }

    /// Waits for change `id` (see [`crate::forge::Forge::wait`]).
    pub(super) async fn wait_for(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<WaitOutcome, ForgeError> {
        let deadline = tokio::time::Instant::now() + timeout;
        // What the previous sync saw, in case the record is gone by the first poll.
        let mut known = match self.tracked_records()?.get(id) {
            Some(commit) => Some((self.read_record(*commit)?, None)),
            None => None,
        };
        loop {
            let state = self.fetch_state().await?;
            if let Some(commit) = state.records.get(id) {
                let branch = format!("{}{id}", self.options.branch_prefix);
                known = Some((
                    self.read_record(*commit)?,
                    state.branches.get(&branch).copied(),
                ));
            }
            let Some((record, branch_head)) = &known else {
                return Err(ForgeError::UnknownChange(id.to_owned()));
            };
            if self.is_merged(record, *branch_head, state.base).await? {
                let head = branch_head
                    .or_else(|| ObjectId::from_hex(record.head.as_bytes()).ok())
                    .unwrap_or(state.base);
                let commit = self.merging_commit(record, head, state.base);
                return Ok(WaitOutcome::Merged {
                    commit: Some(commit.to_string()),
                });
            }
            // Gone, or its branch deleted by hand: closed without merging.
            if !state.records.contains_key(id) || branch_head.is_none() {
                return Ok(WaitOutcome::Closed);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(WaitOutcome::TimedOut);
            }
            tokio::time::sleep(self.poll_interval.min(deadline - now)).await;
        }
    }

    /// Removes finished and left-over changes (see [`crate::forge::Forge::cleanup`]).
    pub(super) async fn clean(&self) -> Result<Cleanup, ForgeError> {
        let prefix = self.options.branch_prefix.as_str();
        for attempt in 1..=CLEANUP_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let state = self.fetch_state().await?;
            let mut out = Cleanup::default();
            let mut updates = Vec::new();
            // Open changes by environment: more than one is a leftover of an older Ferry or
            // of runs that raced; the slot's change (else the newest) is kept.
            let mut open: BTreeMap<String, Vec<(String, ChangeRecord)>> = BTreeMap::new();
            let mut finished = Vec::new();
            for (id, commit) in &state.records {
                let branch = format!("{prefix}{id}");
                let head = state.branches.get(&branch).copied();
                let done = match head {
                    None => true,
                    Some(h) => match self.read_record(*commit) {
                        Ok(record) => {
                            let merged = self.is_merged(&record, Some(h), state.base).await?;
                            if !merged {
                                open.entry(record.env.clone())
                                    .or_default()
                                    .push((id.clone(), record));
                            }
                            merged
                        }
                        Err(e) => {
                            tracing::warn!(change = %id, error = %e, "keeping a change record that does not parse");
                            false
                        }
                    },
                };
                if done {
                    finished.push(id.clone());
                }
            }
            for (env, mut changes) in open {
                if changes.len() < 2 {
                    continue;
                }
                let slot = state.slots.get(&ref_safe(&env)).copied();
                changes.sort_by(|(a, ra), (b, rb)| {
                    let in_slot = |id: &String| Some(state.records[id]) == slot;
                    (in_slot(a), &ra.created_at, a).cmp(&(in_slot(b), &rb.created_at, b))
                });
                changes.pop();
                for (id, _) in changes {
                    out.superseded.push(id.clone());
                    finished.push(id);
                }
            }
            for id in finished {
                let commit = state.records[&id];
                let branch = format!("{prefix}{id}");
                updates.push(RefUpdate::delete(
                    format!("{CHANGES_REF_PREFIX}{id}"),
                    commit,
                ));
                out.closed.push(id.clone());
                if let Some(h) = state.branches.get(&branch) {
                    updates.push(RefUpdate::delete(format!("refs/heads/{branch}"), *h));
                    out.deleted_branches.push(branch);
                }
            }
            for (branch, head) in &state.branches {
                let Some(id) = branch.strip_prefix(prefix) else {
                    continue;
                };
                if parse_deploy_branch(prefix, branch).is_some() && !state.records.contains_key(id)
                {
                    updates.push(RefUpdate::delete(format!("refs/heads/{branch}"), *head));
                    out.deleted_branches.push(branch.clone());
                }
            }
            if updates.is_empty() {
                return Ok(out);
            }
            match self.git.push(&updates).await? {
                PushOutcome::Pushed => {
                    self.note_pushed(&updates);
                    return Ok(out);
                }
                PushOutcome::Rejected(refs) => {
                    tracing::debug!(?refs, "cleanup lost a race; reading the remote again");
                }
            }
        }
        Err(ForgeError::Contended {
            what: format!("{CHANGES_REF_PREFIX}*"),
            attempts: CLEANUP_ATTEMPTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_notes_are_tracked_where_the_gates_read_them() {
        assert_eq!(tracking(NOTES_REF), super::super::REMOTE_NOTES_REF);
    }
}
