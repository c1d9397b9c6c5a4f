//! The report parser: real reports read, malformed ones are refused with their position and
//! field, and the size is bounded.

use ferry_scan::report::MAX_REPORT_BYTES;
use ferry_scan::{Kind, ReportError, Severity, parse_report, read_report};

#[test]
fn recorded_reports_of_real_trivy_read() {
    let config = crate::recorded_report("trivy-config-frontend.json");
    assert_eq!(config.trivy.version, "0.76.0");
    assert_eq!(config.artifact_type, "filesystem");
    let findings = config.findings();
    assert_eq!(findings.len(), 15);
    assert!(findings.iter().all(|f| f.kind == Kind::Misconfiguration));
    let high = findings
        .iter()
        .filter(|f| f.severity == Severity::High)
        .count();
    assert_eq!(high, 3);
    assert!(findings.iter().all(|f| f.start_line().is_some()));
    let secrets = crate::recorded_report("trivy-secret.json").findings();
    assert_eq!(secrets.len(), 2);
    assert!(secrets.iter().all(|f| f.kind == Kind::Secret));
    assert_eq!(secrets[0].start_line(), Some(2));
}

fn invalid(text: &str) -> ReportError {
    parse_report(text.as_bytes(), "trivy.json").unwrap_err()
}

#[test]
fn malformed_reports_are_refused_with_line_column_and_field() {
    let cases = [
        (
            "{\"SchemaVersion\": 2,\n\"Results\": [{\"Target\": 7}]}",
            "trivy.json:2:",
            "Results[0].Target",
        ),
        (
            "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"t\", \"Secrets\": [{\"RuleID\": \"x\", \"StartLine\": -1}]}]}",
            "trivy.json:1:",
            "Results[0].Secrets[0].StartLine",
        ),
        (
            "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"t\", \"Vulnerabilities\": [{\"PkgName\": \"x\"}]}]}",
            "trivy.json:1:",
            "VulnerabilityID",
        ),
        (
            "{\"SchemaVersion\": 2, \"Results\": [",
            "trivy.json:1:",
            "ends early",
        ),
        ("[]", "trivy.json:1:", "expected struct Report"),
        ("{}", "trivy.json:1:", "SchemaVersion"),
        ("not json", "trivy.json:1:", "expected"),
    ];
    for (text, prefix, needle) in cases {
        let message = invalid(text).to_string();
        assert!(
            message.starts_with(prefix) && message.contains(needle),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn a_report_larger_than_the_limit_is_refused_before_parsing() {
    let mut big = b"{\"SchemaVersion\": 2}".to_vec();
    big.resize(MAX_REPORT_BYTES as usize + 1, b' ');
    let err = parse_report(&big, "big.json").unwrap_err();
    assert!(matches!(err, ReportError::Refused { .. }), "{err}");
    big.truncate(MAX_REPORT_BYTES as usize);
    assert!(parse_report(&big, "big.json").is_ok());
}

#[test]
fn deep_nesting_is_no_crash() {
    // An unknown field is skipped, however deep.
    let text = format!(
        "{{\"SchemaVersion\": 2, \"Extra\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_report(text.as_bytes(), "deep.json").is_ok());
    // A known one is refused at its first wrong value.
    let text = format!(
        "{{\"SchemaVersion\": 2, \"Results\": [{{\"Target\": {}}}]}}",
        "[".repeat(100_000)
    );
    let err = invalid(&text).to_string();
    assert!(err.contains("Results[0].Target"), "{err}");
}

#[test]
fn only_regular_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_report(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let err = read_report(&dir.path().join("none.json"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot read"), "{err}");
}
