//! `ferry-scan`'s tests: the gate on every Trivy conformance report and each of its rules,
//! ignores on a fixed clock, SARIF against the published SARIF 2.1.0 schema, the summary and
//! the report parser's refusals.

mod conformance;
mod ignore_file;
mod parse;
mod rules;
mod sarif;
mod summary;

use std::path::PathBuf;

use ferry_scan::{IgnoreEntry, IgnoreFile, Report, Verdict};
use jiff::civil::{Date, date};

/// The fixed "today" of every test.
pub const TODAY: Date = date(2027, 1, 15);

/// The Trivy conformance reports (`fixtures/conformance/trivy/cases.jsonl`).
pub fn cases() -> Vec<serde_json::Value> {
    let cases = ferry_test_support::conformance_cases("trivy/cases.jsonl");
    assert_eq!(cases.len(), 8, "the conformance data has 8 Trivy reports");
    cases
}

/// A file below `fixtures/conformance/`.
pub fn conformance_file(rel: &str) -> PathBuf {
    ferry_test_support::conformance_dir().join(rel)
}

/// A conformance report, parsed.
pub fn conformance_report(rel: &str) -> Report {
    ferry_scan::read_report(&conformance_file(rel))
        .unwrap_or_else(|e| panic!("conformance report {rel}: {e}"))
}

/// A report recorded from real Trivy in `fixtures/scan/`.
pub fn recorded_report(name: &str) -> Report {
    let path = ferry_test_support::fixtures_dir().join("scan").join(name);
    ferry_scan::read_report(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An ignore entry.
pub fn entry(id: &str, package: Option<&str>, path: Option<&str>, expires: Date) -> IgnoreEntry {
    IgnoreEntry {
        id: id.into(),
        package: package.map(Into::into),
        path: path.map(Into::into),
        reason: format!("accepted {id}"),
        expires,
    }
}

/// An ignore file of these entries.
pub fn ignores(entries: Vec<IgnoreEntry>) -> IgnoreFile {
    IgnoreFile { ignores: entries }
}

/// The ids of the failing findings, sorted.
pub fn failing_ids(verdict: &Verdict) -> Vec<String> {
    let mut ids: Vec<String> = verdict.failing().map(|j| j.finding.id.clone()).collect();
    ids.sort();
    ids
}
