//! Verification records: which images an environment ran when it was verified, kept as git notes
//! under [`NOTES_REF`] on the GitOps commit (plain-git mode).
//!
//! A note holds one record per line, each a JSON object (see [`VerificationRecord`]), so that one
//! commit can carry the records of several environments and `git notes append` keeps working.
//! Records are append-only: a new record is a new line ([`notes_commit_with_record`]), and
//! notes from elsewhere are merged line by line ([`merge_notes_into`]), so no record is ever
//! dropped; readers take the newest record of an environment.
//!
//! [`verify_deployment`] is the one way Ferry verifies an environment: it picks what the
//! environment ran from the ledger ([`deployment_to_verify`]) and writes its record.

use std::collections::BTreeMap;

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use ferry_git::{CommitRequest, FileChange, GitError, Repo, Signature};

use crate::ledger::{Deployment, Ledger, LedgerError};

/// The notes ref verification records live under.
pub const NOTES_REF: &str = "refs/notes/ferry";

/// The record schema version this crate writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// One verification: `env` ran `images` and was found healthy at `verified_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRecord {
    /// Schema version ([`RECORD_VERSION`]).
    pub version: u32,
    /// Environment name.
    pub env: String,
    /// When it was verified, RFC 3339 (UTC).
    pub verified_at: String,
    /// The images verified, by `workload/container` (as in the ledger).
    pub images: BTreeMap<String, String>,
    /// Free-form evidence: who or what verified it (monitor verdict, a person, a URL).
    #[serde(default)]
    pub evidence: serde_json::Value,
}

impl VerificationRecord {
    /// A record of the current schema version.
    pub fn new(
        env: impl Into<String>,
        verified_at: jiff::Timestamp,
        images: BTreeMap<String, String>,
        evidence: serde_json::Value,
    ) -> Self {
        VerificationRecord {
            version: RECORD_VERSION,
            env: env.into(),
            verified_at: whole_seconds(verified_at),
            images,
            evidence,
        }
    }

    /// `verified_at` as a timestamp, when it parses.
    pub fn verified_at(&self) -> Option<jiff::Timestamp> {
        self.verified_at.parse().ok()
    }
}

/// Why verification records could not be read or written, or an environment cannot be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The record is not serializable (cannot happen with plain data).
    #[error("cannot encode the verification record: {0}")]
    Encode(#[from] serde_json::Error),
    /// The ledger cannot answer (unknown environment, commit not on the base branch, history
    /// truncated).
    #[error(transparent)]
    Ledger(Box<LedgerError>),
    /// The environment had no deployment at the commit (`None`: it has none at all).
    #[error("{env} {}", match at {
        Some(id) => format!("had no deployment at or before {id}"),
        None => "has no deployment on the base branch".to_string(),
    })]
    NoDeployment {
        /// The environment.
        env: String,
        /// The commit asked about.
        at: Option<ObjectId>,
    },
    /// The deployment's overlay does not render, so what the environment runs is uncertain.
    #[error(
        "{env} at {} does not render ({reason}); fix the overlay before verifying",
        &commit[..commit.len().min(12)]
    )]
    DoesNotRender {
        /// The environment.
        env: String,
        /// The deployment commit (hex).
        commit: String,
        /// Why it does not render.
        reason: String,
    },
}

/// A record that cannot be made or an overlay that does not render is bad input; Git and the
/// ledger say their own kind.
impl ferry_error::Classify for VerifyError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            VerifyError::Git(e) => e.error_kind(),
            VerifyError::Ledger(e) => e.error_kind(),
            _ => ErrorKind::BadInput,
        }
    }
}

impl From<LedgerError> for VerifyError {
    fn from(e: LedgerError) -> Self {
        VerifyError::Ledger(Box::new(e))
    }
}

/// The last verification of an environment at or before a commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedSet {
    /// The commit the record is attached to (hex).
    pub commit: String,
    /// The record.
    pub record: VerificationRecord,
    /// Whether the record's images equal what the ledger says the environment ran at that
    /// commit (false when that is older than a truncated ledger). A record that does not match
    /// is evidence of a mistake, not a verification.
    pub matches_ledger: bool,
}

/// Where the verification records of the ledger's environments are.
impl Ledger {
    /// The last verification record of `env` attached to `commit` or to an older commit of the
    /// first-parent chain, from the local notes ([`NOTES_REF`]).
    pub fn last_verified_before(
        &self,
        repo: &Repo,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<VerifiedSet>, VerifyError> {
        self.last_verified_before_in(repo, NOTES_REF, env, commit)
    }

    /// [`Ledger::last_verified_before`] from the notes under `notes_ref` (e.g. the remote's
    /// notes as a sync fetched them). Of several records of `env` on one commit, the newest
    /// (`verified_at`; the later line on a tie) counts.
    pub fn last_verified_before_in(
        &self,
        repo: &Repo,
        notes_ref: &str,
        env: &str,
        commit: ObjectId,
    ) -> Result<Option<VerifiedSet>, VerifyError> {
        self.environment(env)?;
        let chain = self.chain_from(commit)?;
        let notes = repo.notes(notes_ref)?;
        for &id in chain {
            let Some(&blob) = notes.get(&id) else {
                continue;
            };
            let note = parse_note(&repo.blob(blob)?);
            let newest = note
                .records
                .into_iter()
                .filter(|r| r.env == env)
                .max_by_key(VerificationRecord::verified_at);
            if let Some(record) = newest {
                let ran = match self.deployed_at(env, id) {
                    Err(LedgerError::Truncated(_)) => None,
                    other => other?.map(|d| &d.images),
                };
                return Ok(Some(VerifiedSet {
                    commit: id.to_string(),
                    matches_ledger: ran == Some(&record.images),
                    record,
                }));
            }
        }
        Ok(None)
    }
}

/// `at` in whole seconds, RFC 3339 UTC (`2026-11-24T09:00:00Z`): how records and holds store
/// their times.
pub fn whole_seconds(at: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(at.as_second()).map_or_else(|_| at.to_string(), |t| t.to_string())
}

/// The records of a note, and a message for each line that is not a record of a known version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedNote {
    /// Valid records, in note order.
    pub records: Vec<VerificationRecord>,
    /// Lines skipped, with the reason.
    pub skipped: Vec<String>,
}

/// Parses a note's text: one JSON record per non-empty line.
pub fn parse_note(bytes: &[u8]) -> ParsedNote {
    let text = String::from_utf8_lossy(bytes);
    let mut out = ParsedNote::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<VerificationRecord>(line) {
            Ok(r) if r.version == RECORD_VERSION => out.records.push(r),
            Ok(r) => out.skipped.push(format!(
                "line {}: record version {} is not supported (this Ferry reads version {RECORD_VERSION})",
                i + 1,
                r.version
            )),
            Err(e) => out
                .skipped
                .push(format!("line {}: not a verification record: {e}", i + 1)),
        }
    }
    out
}

/// Renders records as note text, one JSON object per line.
pub fn render_note(records: &[VerificationRecord]) -> Result<Vec<u8>, VerifyError> {
    let mut out = Vec::new();
    for r in records {
        out.extend(serde_json::to_vec(r)?);
        out.push(b'\n');
    }
    Ok(out)
}

/// The verification records attached to `commit`.
pub fn read_verifications(repo: &Repo, commit: ObjectId) -> Result<ParsedNote, VerifyError> {
    Ok(repo
        .note(NOTES_REF, commit)?
        .map(|b| parse_note(&b))
        .unwrap_or_default())
}

/// How many times [`record_verification`] and [`merge_notes_into`] re-read and retry when
/// another writer moved the notes ref in between.
const ATTEMPTS: usize = 5;

/// The lines of a note that are not blank, trimmed.
fn note_lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The union of two notes' lines: every line of `ours`, then the lines of `theirs` that
/// `ours` lacks, each once. Records are append-only: nothing of either side is dropped.
pub fn merge_note_texts(ours: &[u8], theirs: &[u8]) -> Vec<u8> {
    let mut lines = note_lines(ours);
    for line in note_lines(theirs) {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Builds (moves no ref) a notes commit on top of `notes` (a notes commit, `None`: there are
/// none yet) whose note of `commit` is the earlier note with `record` appended: records are
/// append-only lines, so every earlier record stays, including older ones of the same
/// environment (readers take the newest). Returns the new notes commit.
pub fn notes_commit_with_record(
    repo: &Repo,
    notes: Option<ObjectId>,
    commit: ObjectId,
    record: &VerificationRecord,
    committer: &Signature,
) -> Result<ObjectId, VerifyError> {
    let existing = repo.note_in(notes, commit)?;
    let (path, text) = match existing {
        Some((path, bytes)) => (
            path,
            merge_note_texts(&bytes, &render_note(std::slice::from_ref(record))?),
        ),
        None => (
            commit.to_string(),
            render_note(std::slice::from_ref(record))?,
        ),
    };
    let message = format!("ferry: verified {} at {}\n", record.env, commit);
    Ok(repo.build_commit(&CommitRequest {
        parent: notes,
        changes: vec![FileChange {
            path,
            content: Some(text),
        }],
        message,
        author: committer.clone(),
        committer: committer.clone(),
    })?)
}

/// Appends `record` to the note of `commit` under [`NOTES_REF`] in `repo`
/// ([`notes_commit_with_record`]). The notes ref moves with compare-and-swap; when another
/// writer moved it in between, the note is re-read and the write retried (a few times, then
/// [`GitError::RefMoved`]), so no record is lost.
pub fn record_verification(
    repo: &Repo,
    commit: ObjectId,
    record: &VerificationRecord,
    committer: &Signature,
) -> Result<(), VerifyError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tip = repo.ref_id(NOTES_REF)?;
        let new = notes_commit_with_record(repo, tip, commit, record, committer)?;
        let message = format!("ferry: verified {} at {}", record.env, commit);
        match repo.update_ref(NOTES_REF, new, tip, committer, &message) {
            Ok(()) => return Ok(()),
            Err(GitError::RefMoved { .. }) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A notes commit holding every note of both `ours` and `theirs` (notes of the same object
/// merged line by line with [`merge_note_texts`]): a merge commit whose first parent is
/// `theirs`, so pushing it over `theirs` is a fast-forward. Moves no ref.
pub fn merge_notes(
    repo: &Repo,
    ours: ObjectId,
    theirs: ObjectId,
    committer: &Signature,
) -> Result<ObjectId, VerifyError> {
    let mut changes = Vec::new();
    let mine = repo.notes_in_commit(ours)?;
    for (object, blob) in mine {
        let our_text = repo.blob(blob)?;
        let (path, merged) = match repo.note_in(Some(theirs), object)? {
            Some((path, their_text)) => {
                let merged = merge_note_texts(&their_text, &our_text);
                if merged == their_text {
                    continue;
                }
                (path, merged)
            }
            None => (object.to_string(), merge_note_texts(&our_text, &[])),
        };
        changes.push(FileChange {
            path,
            content: Some(merged),
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(repo.build_merge_commit(
        &CommitRequest {
            parent: Some(theirs),
            changes,
            message: "ferry: merge verification records\n".to_owned(),
            author: committer.clone(),
            committer: committer.clone(),
        },
        ours,
    )?)
}

/// How [`merge_notes_into`] brought the records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotesMerge {
    /// The local ref already had every record.
    UpToDate,
    /// The local ref had none of its own: it now points at the incoming notes.
    FastForward,
    /// Both sides had records the other lacked: a merge commit holds them all.
    Merged,
}

/// Brings the records of notes commit `incoming` (e.g. the remote's) into `notes_ref` of
/// `repo` without dropping any of its own: nothing when it already has them, a fast-forward
/// when it has nothing else, else a merge commit ([`merge_notes`]). The ref moves with
/// compare-and-swap, retried on a fresh read when another writer moved it.
pub fn merge_notes_into(
    repo: &Repo,
    notes_ref: &str,
    incoming: ObjectId,
    committer: &Signature,
) -> Result<NotesMerge, VerifyError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let local = repo.ref_id(notes_ref)?;
        let (new, how) = match local {
            Some(l) if repo.is_ancestor(incoming, l)? => return Ok(NotesMerge::UpToDate),
            Some(l) if repo.is_ancestor(l, incoming)? => (incoming, NotesMerge::FastForward),
            None => (incoming, NotesMerge::FastForward),
            Some(l) => (
                merge_notes(repo, l, incoming, committer)?,
                NotesMerge::Merged,
            ),
        };
        match repo.update_ref(
            notes_ref,
            new,
            local,
            committer,
            "ferry: verification records from the remote",
        ) {
            Ok(()) => return Ok(how),
            Err(GitError::RefMoved { .. }) if attempt < ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The deployment [`verify_deployment`] would verify: what `env` ran at `commit` (its last
/// deployment at or before it; `None`: its current deployment). Refuses when there is none or
/// when its overlay does not render. Writes nothing, so a caller can check before it starts a
/// long verification.
pub fn deployment_to_verify<'l>(
    ledger: &'l Ledger,
    env: &str,
    commit: Option<ObjectId>,
) -> Result<&'l Deployment, VerifyError> {
    let deployment = match commit {
        None => ledger.environment(env)?.current(),
        Some(id) => ledger.deployed_at(env, id)?,
    }
    .ok_or_else(|| VerifyError::NoDeployment {
        env: env.to_string(),
        at: commit,
    })?;
    if let Some(reason) = &deployment.error {
        return Err(VerifyError::DoesNotRender {
            env: env.to_string(),
            commit: deployment.commit.clone(),
            reason: reason.clone(),
        });
    }
    Ok(deployment)
}

/// Verifies what `env` ran at `commit` (a commit of the ledger's base branch; `None`: the
/// deployment that brought what it runs now): takes the deployment [`deployment_to_verify`]
/// names and attaches a record of its images with `evidence` to the commit (`commit`, or the
/// deployment's own commit when `None`). The record's time is the committer's time.
///
/// Returns the commit the record is attached to, and the record.
pub fn verify_deployment(
    repo: &Repo,
    ledger: &Ledger,
    env: &str,
    commit: Option<ObjectId>,
    evidence: serde_json::Value,
    committer: &Signature,
) -> Result<(ObjectId, VerificationRecord), VerifyError> {
    let deployment = deployment_to_verify(ledger, env, commit)?;
    let target = commit.unwrap_or_else(|| deployment.id());
    let record = VerificationRecord::new(
        env,
        committer.timestamp(),
        deployment.images.clone(),
        evidence,
    );
    record_verification(repo, target, &record, committer)?;
    Ok((target, record))
}
