//! The job summary of GitHub Actions: markdown appended to the file `$GITHUB_STEP_SUMMARY`
//! names, shown on the run's page.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;

/// The environment variable that names the step summary file.
pub const VAR: &str = crate::env::GITHUB_STEP_SUMMARY;

/// The step summary could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write GITHUB_STEP_SUMMARY file {}: {error}", path.display())]
pub struct StepSummaryError {
    /// The summary file.
    pub path: PathBuf,
    /// The I/O error (in the message, so not also a `source`).
    pub error: std::io::Error,
}

/// A summary that cannot be written is an `io` failure (exit 3).
impl ferry_error::Classify for StepSummaryError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Io
    }
}

/// Appends `markdown` (followed by a line break when it lacks one) to the file
/// `$GITHUB_STEP_SUMMARY` names, in one write; does nothing when it is unset or empty.
/// Returns whether a summary was written.
pub fn append(markdown: &str) -> Result<bool, StepSummaryError> {
    append_to(crate::env::var_os(VAR), markdown)
}

/// Like [`append`], to the file `value` names (the variable's value).
pub fn append_to(value: Option<OsString>, markdown: &str) -> Result<bool, StepSummaryError> {
    let Some(path) = value.filter(|v| !v.is_empty()).map(PathBuf::from) else {
        return Ok(false);
    };
    let mut text = markdown.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let io = |error| StepSummaryError {
        path: path.clone(),
        error,
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?
        .write_all(text.as_bytes())
        .map_err(io)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_the_named_file_and_nothing_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        assert!(append_to(Some(path.clone().into()), "## one").unwrap());
        assert!(append_to(Some(path.clone().into()), "## two\n").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "## one\n## two\n");
        assert!(!append_to(None, "x").unwrap());
        assert!(!append_to(Some(OsString::new()), "x").unwrap());
        let err = append_to(Some(dir.path().into()), "x").unwrap_err();
        assert!(err.to_string().contains("GITHUB_STEP_SUMMARY"), "{err}");
    }
}
