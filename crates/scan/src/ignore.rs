//! The ignore file (`.ferry/scan-ignore.yaml`): findings a team accepted for a while, each with
//! a reason and an expiry date after which it no longer ignores.
//!
//! ```yaml
//! ignores:
//!   - id: CVE-2019-1549
//!     package: openssl          # optional: only this package (name or NAME@VERSION)
//!     path: app/Dockerfile      # optional: only this target or file
//!     reason: no fix in the base image yet; tracked in #123
//!     expires: 2027-01-31       # ignores through this day (UTC), not after
//! ```

use std::path::Path;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};

use crate::finding::Finding;
use crate::report::{ReportError, read_bounded};

/// The default ignore file, relative to the repository root.
pub const DEFAULT_IGNORE_FILE: &str = ".ferry/scan-ignore.yaml";

/// The largest ignore file read (1 MiB).
pub const MAX_IGNORE_BYTES: u64 = 1024 * 1024;

/// How many days ahead an expiry counts as soon ([`Verdict::expiring_soon`](crate::Verdict)).
pub const EXPIRY_WARNING_DAYS: i32 = 14;

/// Why an ignore file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// The file could not be read, or was refused (not a regular file, too large).
    #[error(transparent)]
    Read(#[from] ReportError),
    /// The text is not valid UTF-8.
    #[error("{origin}: not UTF-8 text (byte {offset})")]
    NotText {
        /// The file.
        origin: String,
        /// The first byte that is not UTF-8.
        offset: usize,
    },
    /// The YAML is invalid or not of the ignore file's shape (line, column and field named).
    #[error(transparent)]
    Invalid(#[from] ferry_kustomize::documents::DocumentsError),
}

/// An ignore file that cannot be read is an `io` failure; any other fault is bad input.
impl ferry_error::Classify for IgnoreError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            IgnoreError::Read(e) => ferry_error::Classify::error_kind(e),
            IgnoreError::NotText { .. } | IgnoreError::Invalid(_) => {
                ferry_error::ErrorKind::BadInput
            }
        }
    }
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// The finding id: `CVE-…`, `GHSA-…`, a check id (`KSV-0001`), a secret rule id.
    #[serde(deserialize_with = "required_text")]
    pub id: String,
    /// Only findings in this package (its name, or `NAME@VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Only findings of this target or in this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why it is accepted.
    #[serde(deserialize_with = "required_text")]
    pub reason: String,
    /// The last day (UTC) it ignores.
    #[serde(deserialize_with = "date", serialize_with = "date_text")]
    pub expires: Date,
}

impl IgnoreEntry {
    /// Whether it names this finding: the same id, and the package and path when given.
    pub fn matches(&self, finding: &Finding) -> bool {
        if self.id != finding.id {
            return false;
        }
        if let Some(package) = &self.package {
            let id = match (&finding.package, &finding.installed) {
                (Some(name), Some(version)) => Some(format!("{name}@{version}")),
                _ => None,
            };
            if finding.package.as_ref() != Some(package) && id.as_ref() != Some(package) {
                return false;
            }
        }
        if let Some(path) = &self.path
            && *path != finding.target
            && finding.path.as_ref() != Some(path)
        {
            return false;
        }
        true
    }

    /// Whether it has expired on `today`: it ignores through its `expires` day.
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    /// Whether it expires within [`EXPIRY_WARNING_DAYS`] of `today` (and has not expired).
    pub fn expires_soon(&self, today: Date) -> bool {
        !self.is_expired(today)
            && today
                .checked_add(jiff::Span::new().days(EXPIRY_WARNING_DAYS))
                .is_ok_and(|limit| self.expires <= limit)
    }

    /// What it covers, for people: `CVE-1 (package openssl, path x)`.
    pub fn describe(&self) -> String {
        let mut scope = Vec::new();
        if let Some(p) = &self.package {
            scope.push(format!("package {p}"));
        }
        if let Some(p) = &self.path {
            scope.push(format!("path {p}"));
        }
        if scope.is_empty() {
            self.id.clone()
        } else {
            format!("{} ({})", self.id, scope.join(", "))
        }
    }
}

/// The entries of an ignore file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    /// The entries, in file order.
    #[serde(default)]
    pub ignores: Vec<IgnoreEntry>,
}

impl IgnoreFile {
    /// Parses an ignore file's text; `origin` names it in errors. An empty file (or one of
    /// only comments) ignores nothing.
    pub fn parse(text: &str, origin: &str) -> Result<IgnoreFile, IgnoreError> {
        Ok(
            ferry_kustomize::documents::parse_document::<IgnoreFile>(text, origin)?
                .unwrap_or_default(),
        )
    }

    /// Reads and parses the ignore file in `path` (a regular file of at most
    /// [`MAX_IGNORE_BYTES`]).
    pub fn read(path: &Path) -> Result<IgnoreFile, IgnoreError> {
        let bytes = read_bounded(path, MAX_IGNORE_BYTES, "an ignore file")?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| IgnoreError::NotText {
            origin: origin.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        IgnoreFile::parse(&text, &origin)
    }
}

fn required_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(text)
}

fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let text = String::deserialize(d)?;
    let t = text.trim();
    let valid_shape = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
    match t.parse::<Date>() {
        Ok(date) if valid_shape => Ok(date),
        _ => Err(serde::de::Error::custom(format!(
            "`{text}` is not a date; write the last day as YYYY-MM-DD (2027-01-31)"
        ))),
    }
}

fn date_text<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}
