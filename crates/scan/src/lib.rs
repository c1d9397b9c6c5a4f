//! Trivy's JSON reports and the vulnerability gate of `ferry scan`.
//!
//! - [`report`]: a typed model of Trivy's JSON report (vulnerabilities, configuration checks,
//!   secrets), tolerant of unknown fields, strict about types, bounded in size.
//! - [`finding`]: the findings of a report as one list.
//! - [`ignore`]: the ignore file (`.ferry/scan-ignore.yaml`), entries that expire.
//! - [`gate`]: the verdict, pure (`today` is a parameter).
//! - [`sarif`]: SARIF 2.1.0 for GitHub code scanning.
//! - [`summary`]: the markdown summary for `$GITHUB_STEP_SUMMARY`.
//! - [`text`]: the verdict as `ferry-scan` shows it (text, JSON, notes about ignores).
//! - [`trivy`]: running `trivy image` / `trivy config` for a report.
//!
//! Nothing here prints or reads environment variables. Every error type declares its kind
//! (`ferry_error::Classify`), which fixes the exit code of the binary it reaches.
//!
//! # Example
//!
//! The gate on a small report, an ignore entry before and after it expires (`examples/gate.rs`;
//! `cargo run -p ferry-scan --example gate`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/gate.rs")]
//! ```

pub mod finding;
pub mod gate;
pub mod ignore;
pub mod report;
pub mod sarif;
pub mod severity;
pub mod summary;
pub mod text;
pub mod trivy;

pub use finding::{Finding, Kind};
pub use gate::{Counts, Judged, Outcome, Policy, Verdict, evaluate};
pub use ignore::{IgnoreEntry, IgnoreError, IgnoreFile};
pub use report::{Report, ReportError, parse_report, read_report};
pub use severity::{Severity, UnknownSeverity, parse_severities};
