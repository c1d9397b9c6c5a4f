//! The markdown summary: counts by severity, failing findings, expired and expiring ignores.

use ferry_scan::summary::to_markdown;
use ferry_scan::{IgnoreFile, Policy, Severity, evaluate};
use jiff::civil::date;

use crate::{TODAY, conformance_report, entry, ignores};

#[test]
fn a_failed_gate_lists_counts_and_failing_findings() {
    let report = conformance_report("trivy/alpine-39.json");
    let verdict = evaluate(&report, &Policy::default(), &IgnoreFile::default(), TODAY);
    let md = to_markdown(&verdict);
    assert!(md.starts_with("## ferry scan: failed\n"), "{md}");
    assert!(
        md.contains(
            "`testdata/fixtures/images/alpine-39.tar.gz`: 2 findings fail the gate (fails on CRITICAL)."
        ),
        "{md}"
    );
    assert!(md.contains("| CRITICAL | 2 | 2 | 0 |"), "{md}");
    assert!(md.contains("| MEDIUM | 4 | 0 | 0 |"), "{md}");
    assert!(md.contains("| HIGH | 0 | 0 | 0 |"), "{md}");
    assert!(
        md.contains(
            "| CRITICAL | CVE-2019-14697 | musl | 1.1.20-r4 | 1.1.20-r5 | testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4) |"
        ),
        "{md}"
    );
    assert!(!md.contains("Expired"), "{md}");
}

#[test]
fn a_passed_gate_shows_ignores_expired_and_expiring_within_14_days() {
    let report = conformance_report("trivy/alpine-39.json");
    let mut soon = entry("CVE-2019-14697", Some("musl"), None, date(2027, 1, 20));
    soon.reason = "waiting | for alpine 3.10".into();
    let file = ignores(vec![
        soon,
        entry("CVE-2019-14697", Some("musl-utils"), None, date(2027, 3, 1)),
        entry("CVE-2019-1549", None, None, date(2027, 1, 1)),
    ]);
    let policy = Policy {
        fail_on: vec![Severity::Critical],
        only_fixed: true,
    };
    let verdict = evaluate(&report, &policy, &file, TODAY);
    assert!(verdict.passed);
    let md = to_markdown(&verdict);
    assert!(md.starts_with("## ferry scan: passed\n"), "{md}");
    assert!(
        md.contains(
            "0 findings fail the gate (fails on CRITICAL, only vulnerabilities with a fix)"
        ),
        "{md}"
    );
    assert!(md.contains("| CRITICAL | 2 | 0 | 2 |"), "{md}");
    let expired = md
        .split("### Expired ignores")
        .nth(1)
        .expect("expired section");
    assert!(
        expired.contains("| CVE-2019-1549 |  |  | 2027-01-01 |"),
        "{md}"
    );
    let soon = md
        .split("### Ignores expiring within 14 days")
        .nth(1)
        .expect("soon section");
    assert!(
        soon.contains("| CVE-2019-14697 | musl |  | 2027-01-20 | waiting \\| for alpine 3.10 |"),
        "{md}"
    );
    assert!(!soon.contains("2027-03-01"), "{md}");
    assert!(md.contains("2 findings ignored"), "{md}");
}

#[test]
fn a_failing_finding_whose_ignore_expired_says_so() {
    let report = conformance_report("trivy/debian-buster.json");
    let file = ignores(vec![entry("CVE-2019-18224", None, None, date(2027, 1, 10))]);
    let md = to_markdown(&evaluate(&report, &Policy::default(), &file, TODAY));
    assert!(
        md.contains("| CVE-2019-18224 (ignore expired 2027-01-10) | libidn2-0 |"),
        "{md}"
    );
}
