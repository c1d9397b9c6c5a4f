//! `ferry-scan gate`: verdicts, listings and exit codes.

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::{TODAY, ferry_scan, recorded, report};

#[test]
fn a_critical_finding_fails_with_exit_1_listing_each_failing_finding() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--today", TODAY, "--report"])
        .arg(report("alpine-39.json"))
        .assert()
        .code(1)
        .stdout(contains(
            "FAILED: 2 of 6 findings fail the gate (fails on CRITICAL)",
        ))
        .stdout(contains(
            "  CRITICAL CVE-2019-14697 musl 1.1.20-r4 (fixed in 1.1.20-r5) in \
             testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)\n",
        ))
        .stdout(contains("CRITICAL CVE-2019-14697 musl-utils 1.1.20-r4"))
        .stdout(contains("CVE-2019-1549").not());
}

#[test]
fn the_verdict_on_every_conformance_report() {
    let dir = tempfile::tempdir().unwrap();
    for (name, code) in [
        ("alpine-39.json", 1),
        ("alpine-39-high-critical.json", 1),
        ("alpine-39-skip.json", 0),
        ("debian-buster.json", 1),
        ("debian-buster-ignore-unfixed.json", 1),
        ("centos-7.json", 0),
        ("centos-7-ignore-unfixed.json", 0),
        ("centos-7-medium.json", 0),
    ] {
        ferry_scan(dir.path())
            .args(["gate", "--report"])
            .arg(report(name))
            .assert()
            .code(code);
    }
}

#[test]
fn fail_on_and_only_fixed() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--fail-on", "medium", "--report"])
        .arg(report("centos-7.json"))
        .assert()
        .code(1)
        .stdout(contains(
            "FAILED: 1 of 3 findings fails the gate (fails on MEDIUM)",
        ));
    // bash (LOW, no fix) passes with --only-fixed; libidn2-0 (CRITICAL, fixed) does not.
    ferry_scan(dir.path())
        .args([
            "gate",
            "--fail-on",
            "LOW,CRITICAL",
            "--only-fixed",
            "--report",
        ])
        .arg(report("debian-buster.json"))
        .assert()
        .code(1)
        .stdout(contains("CVE-2019-18224"))
        .stdout(contains("CVE-2019-18276").not());
    ferry_scan(dir.path())
        .args(["gate", "--fail-on", "LOW", "--only-fixed", "--report"])
        .arg(report("debian-buster.json"))
        .assert()
        .success();
}

#[test]
fn checks_and_secrets_are_listed_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--fail-on", "HIGH", "--report"])
        .arg(recorded("trivy-config-frontend.json"))
        .assert()
        .code(1)
        .stdout(contains(
            "HIGH KSV-0014 in frontend-deployment.yaml:18: Root file system is not read-only",
        ));
    ferry_scan(dir.path())
        .args(["gate", "--report"])
        .arg(recorded("trivy-secret.json"))
        .assert()
        .code(1)
        .stdout(contains(
            "CRITICAL github-pat in app.env:1: GitHub Personal Access Token",
        ));
}

#[test]
fn the_default_ignore_file_applies_and_an_expired_entry_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".ferry")).unwrap();
    let ignore = dir.path().join(".ferry/scan-ignore.yaml");
    std::fs::write(
        &ignore,
        "ignores:\n  - id: CVE-2019-14697\n    package: musl\n    reason: no fix upstream\n    \
         expires: 2027-01-20\n  - id: CVE-2019-14697\n    package: musl-utils\n    \
         reason: was accepted\n    expires: 2027-01-14\n",
    )
    .unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--today", TODAY, "--report"])
        .arg(report("alpine-39.json"))
        .assert()
        .code(1)
        .stdout(contains(
            "CRITICAL CVE-2019-14697 musl-utils 1.1.20-r4 (fixed in 1.1.20-r5) in \
             testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4) (its ignore expired on \
             2027-01-14)",
        ))
        .stdout(contains("CRITICAL 2 (1 ignored)"))
        .stderr(contains(
            "ferry-scan: warning: the ignore of CVE-2019-14697 (package musl-utils) expired on \
             2027-01-14: it no longer ignores",
        ))
        .stderr(contains(
            "ferry-scan: note: the ignore of CVE-2019-14697 (package musl) expires on 2027-01-20",
        ));
    // The day before, both entries ignore.
    ferry_scan(dir.path())
        .args(["gate", "--today", "2027-01-14", "--report"])
        .arg(report("alpine-39.json"))
        .assert()
        .success()
        .stdout(contains("passed: 0 of 6 findings fail the gate"));
}

#[test]
fn json_output_carries_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = ferry_scan(dir.path())
        .args(["gate", "--format", "json", "--today", TODAY, "--report"])
        .arg(report("debian-buster.json"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["today"], TODAY);
    assert_eq!(doc["counts"]["CRITICAL"]["failing"], 1);
    assert_eq!(doc["counts"]["LOW"]["found"], 1);
    let failing = doc["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 1);
    let f = &failing[0];
    assert_eq!(f["id"], "CVE-2019-18224");
    assert_eq!(f["package"], "libidn2-0");
    assert_eq!(f["installed"], "2.0.5-1");
    assert_eq!(f["fixed"], "2.0.5-1+deb10u1");
    assert_eq!(f["severity"], "CRITICAL");
    assert_eq!(f["outcome"], "fails");
    assert_eq!(
        f["target"],
        "testdata/fixtures/images/debian-buster.tar.gz (debian 10.1)"
    );
}

#[test]
fn bad_input_exits_2_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("trivy.json");
    std::fs::write(
        &bad,
        "{\"SchemaVersion\": 2,\n \"Results\": [{\"Target\": \"t\", \"Vulnerabilities\": \
         [{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"SEVERE\"}]}]}",
    )
    .unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--report", "trivy.json"])
        .assert()
        .code(2)
        .stderr(contains("ferry-scan: error: trivy.json:2:"))
        .stderr(contains(
            "Results[0].Vulnerabilities[0].Severity: unknown severity `SEVERE`",
        ));
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "ignores:\n  - id: CVE-1\n    reason: r\n    expiry: 2027-01-01\n",
    )
    .unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--ignore", "ignore.yaml", "--report"])
        .arg(report("centos-7.json"))
        .assert()
        .code(2)
        .stderr(contains("ignore.yaml:4:"))
        .stderr(contains("expiry"));
    ferry_scan(dir.path())
        .args(["gate", "--fail-on", "SEVERE", "--report"])
        .arg(report("centos-7.json"))
        .assert()
        .code(2)
        .stderr(contains("--fail-on: unknown severity `SEVERE`"));
    let out = ferry_scan(dir.path())
        .args(["gate", "--format", "json", "--report", "trivy.json"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["error"]["kind"], "bad-input");
}

#[test]
fn a_missing_file_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--report", "missing.json"])
        .assert()
        .code(3)
        .stderr(contains("cannot read missing.json"));
    ferry_scan(dir.path())
        .args(["gate", "--ignore", "missing.yaml", "--report"])
        .arg(report("centos-7.json"))
        .assert()
        .code(3)
        .stderr(contains("missing.yaml"));
    ferry_scan(dir.path())
        .args(["gate", "--report"])
        .arg(report("centos-7.json"))
        .args(["--sarif", "no-such-dir/out.sarif"])
        .assert()
        .code(3)
        .stderr(contains(
            "cannot write the SARIF file no-such-dir/out.sarif",
        ));
}
