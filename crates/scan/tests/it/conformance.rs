//! The gate on every Trivy conformance report (`fixtures/conformance/trivy/`), and Trivy's
//! own filter (`--severity`, `--ignore-unfixed`) reproduced by the gate's rules.

use std::collections::{BTreeMap, BTreeSet};

use ferry_scan::{IgnoreFile, Kind, Outcome, Policy, Severity, evaluate, parse_severities};

use crate::{TODAY, cases, conformance_report, failing_ids};

/// The default gate's verdict (fail on CRITICAL) on each report, by case id.
const DEFAULT_VERDICTS: [(&str, bool, &[&str]); 8] = [
    ("alpine-39", false, &["CVE-2019-14697", "CVE-2019-14697"]),
    (
        "alpine-39-high-critical",
        false,
        &["CVE-2019-14697", "CVE-2019-14697"],
    ),
    ("alpine-39-skip", true, &[]),
    ("debian-buster", false, &["CVE-2019-18224"]),
    ("debian-buster-ignore-unfixed", false, &["CVE-2019-18224"]),
    ("centos-7", true, &[]),
    ("centos-7-ignore-unfixed", true, &[]),
    ("centos-7-medium", true, &[]),
];

#[test]
fn every_report_parses_to_the_counts_upstream_asserts() {
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        let report = conformance_report(case["report"].as_str().unwrap());
        assert_eq!(
            report.results.len() as u64,
            case["result_count"].as_u64().unwrap(),
            "{id}"
        );
        let findings = report.findings();
        assert!(
            findings.iter().all(|f| f.kind == Kind::Vulnerability),
            "{id}"
        );
        assert_eq!(
            findings.len() as u64,
            case["vulnerability_count"].as_u64().unwrap(),
            "{id}"
        );
        let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        for f in &findings {
            *by_severity.entry(f.severity.name().into()).or_default() += 1;
            *by_status.entry(f.status.clone()).or_default() += 1;
        }
        let expected: BTreeMap<String, u64> =
            serde_json::from_value(case["counts_by_severity"].clone()).unwrap();
        assert_eq!(by_severity, expected, "{id}: counts by severity");
        let expected: BTreeMap<String, u64> =
            serde_json::from_value(case["counts_by_status"].clone()).unwrap();
        assert_eq!(by_status, expected, "{id}: counts by status");
        let ids: BTreeSet<String> = findings.iter().map(|f| f.id.clone()).collect();
        let expected: BTreeSet<String> =
            serde_json::from_value(case["vulnerability_ids"].clone()).unwrap();
        assert_eq!(ids, expected, "{id}: ids");
    }
}

#[test]
fn the_default_gate_fails_exactly_the_reports_with_a_critical_finding() {
    let cases = cases();
    assert_eq!(cases.len(), DEFAULT_VERDICTS.len());
    for (id, passed, failing) in DEFAULT_VERDICTS {
        let case = cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}"));
        let report = conformance_report(case["report"].as_str().unwrap());
        let verdict = evaluate(&report, &Policy::default(), &IgnoreFile::default(), TODAY);
        assert_eq!(verdict.passed, passed, "{id}");
        assert_eq!(failing_ids(&verdict), failing, "{id}");
        let criticals = case["counts_by_severity"]["CRITICAL"].as_u64().unwrap_or(0);
        assert_eq!(verdict.passed, criticals == 0, "{id}");
        for j in verdict.failing() {
            assert_eq!(j.finding.severity, Severity::Critical, "{id}");
        }
    }
}

#[test]
fn failing_on_every_severity_fails_where_trivy_exit_code_would() {
    let all = Policy {
        fail_on: Severity::ALL.to_vec(),
        only_fixed: false,
    };
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        let report = conformance_report(case["report"].as_str().unwrap());
        let verdict = evaluate(&report, &all, &IgnoreFile::default(), TODAY);
        assert_eq!(
            !verdict.passed,
            case["expect_fail_with_exit_code"].as_bool().unwrap(),
            "{id}"
        );
        assert_eq!(
            verdict.failing().count() as u64,
            case["vulnerability_count"].as_u64().unwrap(),
            "{id}"
        );
    }
}

/// Trivy's `--severity` and `--ignore-unfixed` applied to the unfiltered report keep exactly
/// the vulnerabilities of the filtered golden: so do `--fail-on` and `--only-fixed`.
#[test]
fn fail_on_and_only_fixed_select_what_trivy_filters_keep() {
    let mut checked = 0;
    for case in cases() {
        // The severity and ignore-unfixed cases (not `--skip-dirs`).
        if case["equals_baseline_filtered"] != true {
            continue;
        }
        let baseline = case["baseline_report"].as_str().unwrap();
        let id = case["id"].as_str().unwrap();
        let fail_on = match case["severity"].as_array() {
            Some(list) => {
                let names: Vec<&str> = list.iter().map(|s| s.as_str().unwrap()).collect();
                parse_severities(&names.join(",")).unwrap()
            }
            None => Severity::ALL.to_vec(),
        };
        let policy = Policy {
            fail_on,
            only_fixed: case["ignore_unfixed"].as_bool().unwrap(),
        };
        let verdict = evaluate(
            &conformance_report(baseline),
            &policy,
            &IgnoreFile::default(),
            TODAY,
        );
        let key = |f: &ferry_scan::Finding| {
            (
                f.target.clone(),
                f.id.clone(),
                f.package.clone(),
                f.installed.clone(),
            )
        };
        let failing: BTreeSet<_> = verdict.failing().map(|j| key(&j.finding)).collect();
        let filtered: BTreeSet<_> = conformance_report(case["report"].as_str().unwrap())
            .findings()
            .iter()
            .map(key)
            .collect();
        assert_eq!(failing, filtered, "{id}");
        // What does not fail is below the threshold or unfixed, never ignored.
        for j in verdict
            .findings
            .iter()
            .filter(|j| j.outcome != Outcome::Fails)
        {
            assert!(
                matches!(j.outcome, Outcome::BelowThreshold | Outcome::Unfixed),
                "{id}: {j:?}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 4, "four reports are filters of another");
}
