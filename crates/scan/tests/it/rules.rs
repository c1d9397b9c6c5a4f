//! Each rule of the gate: the severities it fails on, `--only-fixed`, ignores by id, package
//! and path, expiry on a fixed clock, configuration checks and secrets.

use ferry_scan::{IgnoreFile, Outcome, Policy, Severity, evaluate, parse_report};
use jiff::civil::date;

use crate::{TODAY, conformance_report, entry, failing_ids, ignores, recorded_report};

fn policy(fail_on: &[Severity], only_fixed: bool) -> Policy {
    Policy {
        fail_on: fail_on.to_vec(),
        only_fixed,
    }
}

#[test]
fn the_default_fails_on_critical_only() {
    assert_eq!(Policy::default().fail_on, vec![Severity::Critical]);
    assert!(!Policy::default().only_fixed);
    // centos-7: LOW and MEDIUM only.
    let report = conformance_report("trivy/centos-7.json");
    let verdict = evaluate(&report, &Policy::default(), &IgnoreFile::default(), TODAY);
    assert!(verdict.passed);
    assert!(
        verdict
            .findings
            .iter()
            .all(|j| j.outcome == Outcome::BelowThreshold)
    );
}

#[test]
fn fail_on_names_the_severities_that_fail() {
    let report = conformance_report("trivy/alpine-39.json");
    let medium = evaluate(
        &report,
        &policy(&[Severity::Medium], false),
        &IgnoreFile::default(),
        TODAY,
    );
    assert!(!medium.passed);
    assert_eq!(
        failing_ids(&medium),
        [
            "CVE-2019-1549",
            "CVE-2019-1549",
            "CVE-2019-1551",
            "CVE-2019-1551"
        ]
    );
    // HIGH alone: alpine-39 has none, so it passes although it has CRITICAL findings.
    let high = evaluate(
        &report,
        &policy(&[Severity::High], false),
        &IgnoreFile::default(),
        TODAY,
    );
    assert!(high.passed);
    let counts = high.counts();
    assert_eq!(counts[0].0, Severity::Critical);
    assert_eq!((counts[0].1.found, counts[0].1.failing), (2, 0));
}

#[test]
fn only_fixed_lets_vulnerabilities_without_a_fix_pass() {
    // debian-buster: bash LOW `affected` (no fix), libidn2-0 CRITICAL `fixed`.
    let report = conformance_report("trivy/debian-buster.json");
    let both = &[Severity::Low, Severity::Critical];
    let all = evaluate(&report, &policy(both, false), &IgnoreFile::default(), TODAY);
    assert_eq!(failing_ids(&all), ["CVE-2019-18224", "CVE-2019-18276"]);
    let fixed = evaluate(&report, &policy(both, true), &IgnoreFile::default(), TODAY);
    assert_eq!(failing_ids(&fixed), ["CVE-2019-18224"]);
    let bash = fixed
        .findings
        .iter()
        .find(|j| j.finding.id == "CVE-2019-18276")
        .unwrap();
    assert_eq!(bash.outcome, Outcome::Unfixed);
    // centos-7: `will_not_fix` is no fix either.
    let centos = evaluate(
        &conformance_report("trivy/centos-7.json"),
        &policy(&[Severity::Low, Severity::Medium], true),
        &IgnoreFile::default(),
        TODAY,
    );
    assert!(
        centos
            .findings
            .iter()
            .filter(|j| j.finding.status == "will_not_fix")
            .all(|j| j.outcome == Outcome::Unfixed)
    );
}

#[test]
fn an_ignore_by_id_accepts_every_finding_of_that_id() {
    let report = conformance_report("trivy/alpine-39.json");
    let file = ignores(vec![entry("CVE-2019-14697", None, None, date(2027, 2, 1))]);
    let verdict = evaluate(&report, &Policy::default(), &file, TODAY);
    assert!(verdict.passed, "{verdict:#?}");
    let ignored: Vec<_> = verdict
        .findings
        .iter()
        .filter(|j| j.outcome == Outcome::Ignored { entry: 0 })
        .map(|j| j.finding.package.clone().unwrap())
        .collect();
    assert_eq!(ignored, ["musl", "musl-utils"]);
    assert!(verdict.unused.is_empty() && verdict.expired.is_empty());
}

#[test]
fn an_ignore_with_a_package_accepts_only_that_package() {
    let report = conformance_report("trivy/alpine-39.json");
    for package in ["musl", "musl@1.1.20-r4"] {
        let file = ignores(vec![entry(
            "CVE-2019-14697",
            Some(package),
            None,
            date(2027, 2, 1),
        )]);
        let verdict = evaluate(&report, &Policy::default(), &file, TODAY);
        assert!(!verdict.passed, "{package}");
        let failing: Vec<_> = verdict
            .failing()
            .map(|j| j.finding.package.clone().unwrap())
            .collect();
        assert_eq!(failing, ["musl-utils"], "{package}");
    }
    // Another version, or a prefix of the name, is another package.
    for package in ["musl@1.1.20-r5", "mus", "libssl1.1"] {
        let file = ignores(vec![entry(
            "CVE-2019-14697",
            Some(package),
            None,
            date(2027, 2, 1),
        )]);
        let verdict = evaluate(&report, &Policy::default(), &file, TODAY);
        assert_eq!(verdict.failing().count(), 2, "{package}");
        assert_eq!(verdict.unused, [0], "{package}");
    }
}

#[test]
fn an_ignore_with_a_path_accepts_only_that_target() {
    let report = recorded_report("trivy-config-frontend.json");
    let high = policy(&[Severity::High], false);
    let before = evaluate(&report, &high, &IgnoreFile::default(), TODAY);
    assert_eq!(failing_ids(&before), ["KSV-0014", "KSV-0118", "KSV-0118"]);
    let here = ignores(vec![entry(
        "KSV-0118",
        None,
        Some("frontend-deployment.yaml"),
        date(2027, 2, 1),
    )]);
    assert_eq!(
        failing_ids(&evaluate(&report, &high, &here, TODAY)),
        ["KSV-0014"]
    );
    let elsewhere = ignores(vec![entry(
        "KSV-0118",
        None,
        Some("backend-deployment.yaml"),
        date(2027, 2, 1),
    )]);
    let verdict = evaluate(&report, &high, &elsewhere, TODAY);
    assert_eq!(failing_ids(&verdict), ["KSV-0014", "KSV-0118", "KSV-0118"]);
    assert_eq!(verdict.unused, [0]);
}

#[test]
fn an_expired_ignore_no_longer_ignores_and_the_verdict_says_so() {
    let report = conformance_report("trivy/debian-buster.json");
    let file = ignores(vec![entry("CVE-2019-18224", None, None, date(2027, 1, 14))]);
    // Through its last day it ignores; the day after it does not.
    let on_last_day = evaluate(&report, &Policy::default(), &file, date(2027, 1, 14));
    assert!(on_last_day.passed);
    assert!(on_last_day.expired.is_empty());
    let after = evaluate(&report, &Policy::default(), &file, TODAY);
    assert!(!after.passed);
    assert_eq!(after.expired, [0]);
    assert!(after.unused.is_empty() && after.expiring_soon.is_empty());
    let failing: Vec<_> = after.failing().collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].expired_ignore, Some(0));
    // A live entry for the same finding after the expired one still ignores.
    let renewed = ignores(vec![
        entry("CVE-2019-18224", None, None, date(2027, 1, 14)),
        entry("CVE-2019-18224", None, None, date(2027, 6, 30)),
    ]);
    let verdict = evaluate(&report, &Policy::default(), &renewed, TODAY);
    assert!(verdict.passed);
    assert_eq!(verdict.expired, [0]);
}

#[test]
fn ignores_expiring_within_14_days_are_listed() {
    let report = conformance_report("trivy/alpine-39.json");
    let file = ignores(vec![
        entry("CVE-2019-14697", None, None, TODAY),
        entry("CVE-2019-1549", None, None, date(2027, 1, 29)),
        entry("CVE-2019-1551", None, None, date(2027, 1, 30)),
        entry("CVE-2000-0001", None, None, date(2027, 1, 14)),
    ]);
    let verdict = evaluate(&report, &Policy::default(), &file, TODAY);
    assert!(verdict.passed);
    assert_eq!(verdict.expiring_soon, [0, 1]);
    assert_eq!(verdict.expired, [3]);
    assert!(verdict.unused.is_empty(), "{:?}", verdict.unused);
}

#[test]
fn an_ignore_wins_over_the_threshold_and_counts_as_ignored() {
    let report = conformance_report("trivy/alpine-39.json");
    let file = ignores(vec![entry("CVE-2019-1549", None, None, date(2027, 2, 1))]);
    let verdict = evaluate(&report, &Policy::default(), &file, TODAY);
    let counts = verdict.counts();
    let medium = counts
        .iter()
        .find(|(s, _)| *s == Severity::Medium)
        .unwrap()
        .1;
    assert_eq!((medium.found, medium.failing, medium.ignored), (4, 0, 2));
}

#[test]
fn failed_configuration_checks_fail_and_passed_ones_are_not_findings() {
    let text = r#"{"SchemaVersion": 2, "ArtifactName": "k8s", "ArtifactType": "filesystem",
      "Results": [{"Target": "deploy.yaml", "Class": "config", "Type": "kubernetes",
        "Misconfigurations": [
          {"ID": "KSV-0017", "Severity": "CRITICAL", "Status": "FAIL", "Title": "Privileged",
           "CauseMetadata": {"StartLine": 20, "EndLine": 24}},
          {"ID": "KSV-0018", "Severity": "CRITICAL", "Status": "PASS"},
          {"ID": "KSV-0019", "Severity": "CRITICAL", "Status": "EXCEPTION"}]}]}"#;
    let report = parse_report(text.as_bytes(), "r.json").unwrap();
    let verdict = evaluate(&report, &Policy::default(), &IgnoreFile::default(), TODAY);
    assert!(!verdict.passed);
    assert_eq!(verdict.findings.len(), 1);
    let f = &verdict.findings[0].finding;
    assert_eq!((f.id.as_str(), f.start_line()), ("KSV-0017", Some(20)));
    // --only-fixed does not excuse a check: it is fixed by editing the file.
    let only_fixed = evaluate(
        &report,
        &policy(&[Severity::Critical], true),
        &IgnoreFile::default(),
        TODAY,
    );
    assert!(!only_fixed.passed);
}

#[test]
fn secrets_fail_by_severity() {
    let report = recorded_report("trivy-secret.json");
    let verdict = evaluate(&report, &Policy::default(), &IgnoreFile::default(), TODAY);
    assert!(!verdict.passed);
    assert_eq!(failing_ids(&verdict), ["aws-access-key-id", "github-pat"]);
    for j in &verdict.findings {
        assert_eq!(j.finding.target, "app.env");
        assert!(j.finding.message.contains("****"), "masked: {j:?}");
    }
    let file = ignores(vec![
        entry("github-pat", None, Some("app.env"), date(2027, 2, 1)),
        entry("aws-access-key-id", None, None, date(2027, 2, 1)),
    ]);
    assert!(evaluate(&report, &Policy::default(), &file, TODAY).passed);
}

#[test]
fn a_report_without_results_passes_every_policy() {
    let report = conformance_report("trivy/alpine-39-skip.json");
    let verdict = evaluate(
        &report,
        &policy(&Severity::ALL, true),
        &ignores(vec![entry("CVE-1", None, None, date(2027, 2, 1))]),
        TODAY,
    );
    assert!(verdict.passed);
    assert!(verdict.findings.is_empty());
    assert_eq!(verdict.unused, [0]);
}
