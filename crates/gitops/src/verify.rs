//! Verification records: which images an environment ran when it was verified, kept as git notes
//! under [`NOTES_REF`] on the GitOps commit (plain-git mode).
//!
//! A note holds one record per line, each a JSON object (see [`VerificationRecord`]), so that one
//! commit can carry the records of several environments and `git notes append` keeps working.
//!
//! [`verify_deployment`] is the one way Ferry verifies an environment: it picks what the
//! environment ran from the ledger ([`deployment_to_verify`]) and writes its record.

use std::collections::BTreeMap;

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::git::{GitError, Repo, Signature};
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
            verified_at: verified_at.to_string(),
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

impl From<LedgerError> for VerifyError {
    fn from(e: LedgerError) -> Self {
        VerifyError::Ledger(Box::new(e))
    }
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

/// How many times [`record_verification`] re-reads and retries when another writer moved the
/// notes ref in between.
const ATTEMPTS: usize = 5;

/// Attaches `record` to `commit`, replacing an earlier record of the same environment on that
/// commit and keeping the others (and lines this version cannot read). The notes ref moves
/// with compare-and-swap; when another writer moved it in between, the note is re-read and the
/// write retried (a few times, then [`GitError::RefMoved`]), so no record is lost.
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
        let existing = repo
            .note_in(tip, commit)?
            .map(|(_, bytes)| bytes)
            .unwrap_or_default();
        let mut text = Vec::new();
        for line in String::from_utf8_lossy(&existing).lines() {
            if line.trim().is_empty() {
                continue;
            }
            let same_env = serde_json::from_str::<VerificationRecord>(line)
                .map(|r| r.env == record.env)
                .unwrap_or(false);
            if !same_env {
                text.extend_from_slice(line.as_bytes());
                text.push(b'\n');
            }
        }
        text.extend(render_note(std::slice::from_ref(record))?);
        let message = format!("ferry: verified {} at {}", record.env, commit);
        match repo.write_note(NOTES_REF, tip, commit, &text, committer, &message) {
            Ok(_) => return Ok(()),
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
