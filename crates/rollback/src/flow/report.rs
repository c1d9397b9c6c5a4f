//! The monitor's verdict a rollback decides on: the last `verdict` event of
//! `ferry-monitor watch --format json`.

use std::path::{Path, PathBuf};

use ferry_health::monitor::Report;
use serde_json::Value;

/// The monitor's verdict and what its line says about its context.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The verdict.
    pub report: Report,
    /// When the monitor started (the line's `started_at`, else the file's modification time
    /// minus `at_ms`).
    pub started_at: jiff::Timestamp,
    /// The deployment commit the line names (`commit`, else `revision`).
    pub commit: Option<String>,
}

/// Why a report cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file cannot be read.
    #[error("--report: cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No line is a verdict.
    #[error(
        "--report: no verdict in {} (expected the output of `ferry-monitor watch --format json`)",
        path.display()
    )]
    NoVerdict {
        /// The file.
        path: PathBuf,
    },
    /// The verdict line does not have the shape of a monitor verdict.
    #[error("--report: {}:{line}: not a monitor verdict", path.display())]
    NotAVerdict {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// `started_at` is not a time.
    #[error("--report: {}:{line}: started_at {value:?} is not a time", path.display())]
    StartedAt {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The value.
        value: String,
        /// Why.
        #[source]
        source: jiff::Error,
    },
    /// The file's modification time (the verdict's time when the line has no `started_at`)
    /// cannot be read.
    #[error("--report: {}", path.display())]
    Modified {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file's modification time is out of range.
    #[error("--report: {}: {source}", path.display())]
    ModifiedRange {
        /// The file.
        path: PathBuf,
        /// Why.
        source: jiff::Error,
    },
}

/// A `--report` file that cannot be read is a usage error, as a file named on the command line;
/// one that holds no usable verdict is bad input (exit 2 both).
impl ferry_error::Classify for ReportError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            ReportError::Read { .. }
            | ReportError::Modified { .. }
            | ReportError::ModifiedRange { .. } => ErrorKind::Usage,
            ReportError::NoVerdict { .. }
            | ReportError::NotAVerdict { .. }
            | ReportError::StartedAt { .. } => ErrorKind::BadInput,
        }
    }
}

/// Whether a JSON value is a verdict event (or a bare verdict object).
fn is_verdict(v: &Value) -> bool {
    v.get("event").and_then(Value::as_str) == Some("verdict")
        || (v.get("event").is_none() && v.get("verdict").is_some())
}

/// Reads the last `verdict` event of a JSON Lines file (or a file holding that one object).
pub fn read_report(path: &Path) -> Result<ReportInput, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut found = None;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate().rev() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        if let Ok(v) = serde_json::from_str::<Value>(line)
            && is_verdict(&v)
        {
            found = Some((n + 1, v));
            break;
        }
    }
    if found.is_none()
        && let Ok(v) = serde_json::from_str::<Value>(&text)
        && is_verdict(&v)
    {
        found = Some((1, v));
    }
    let Some((line, value)) = found else {
        return Err(ReportError::NoVerdict {
            path: path.to_owned(),
        });
    };
    let report: Report =
        serde_json::from_value(value.clone()).map_err(|source| ReportError::NotAVerdict {
            path: path.to_owned(),
            line,
            source,
        })?;
    let at_ms = jiff::SignedDuration::from_millis(i64::try_from(report.at_ms).unwrap_or(i64::MAX));
    let started_at = match value.get("started_at").and_then(Value::as_str) {
        Some(s) => s.parse().map_err(|source| ReportError::StartedAt {
            path: path.to_owned(),
            line,
            value: s.to_owned(),
            source,
        })?,
        // The verdict line was written when the verdict was reached, at_ms after the start.
        None => {
            let modified =
                std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .map_err(|source| ReportError::Modified {
                        path: path.to_owned(),
                        source,
                    })?;
            let modified = jiff::Timestamp::try_from(modified).map_err(|source| {
                ReportError::ModifiedRange {
                    path: path.to_owned(),
                    source,
                }
            })?;
            modified.checked_sub(at_ms).unwrap_or(modified)
        }
    };
    let commit = value
        .get("commit")
        .or_else(|| value.get("revision"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(ReportInput {
        report,
        started_at,
        commit,
    })
}
