//! The vulnerability gate on a Trivy report: pure, with the ignore file and today's date passed
//! in. No Trivy needed: the report is the JSON `trivy image --format json` writes.
//!
//! Run with `cargo run -p ferry-scan --example gate`.

use ferry_scan::{IgnoreFile, Outcome, Policy, evaluate, parse_report};
use jiff::civil::date;

const REPORT: &str = r#"{
  "SchemaVersion": 2,
  "ArtifactName": "registry.example.com/acme/backend:1.5.0",
  "ArtifactType": "container_image",
  "Results": [
    {
      "Target": "registry.example.com/acme/backend:1.5.0 (debian 12.8)",
      "Class": "os-pkgs",
      "Type": "debian",
      "Vulnerabilities": [
        {
          "VulnerabilityID": "CVE-2026-0001",
          "PkgName": "openssl",
          "InstalledVersion": "3.0.15-1",
          "FixedVersion": "3.0.16-1",
          "Status": "fixed",
          "Severity": "CRITICAL",
          "Title": "openssl: a critical flaw"
        },
        {
          "VulnerabilityID": "CVE-2026-0002",
          "PkgName": "zlib",
          "InstalledVersion": "1.2.13",
          "Status": "affected",
          "Severity": "CRITICAL",
          "Title": "zlib: accepted until the next base image"
        },
        {
          "VulnerabilityID": "CVE-2026-0003",
          "PkgName": "tar",
          "InstalledVersion": "1.34",
          "Status": "affected",
          "Severity": "MEDIUM",
          "Title": "tar: below the threshold"
        }
      ]
    }
  ]
}"#;

/// `.ferry/scan-ignore.yaml`: accepted findings, each with a reason and an expiry date.
const IGNORES: &str = "\
ignores:
  - id: CVE-2026-0002
    package: zlib
    reason: no fix upstream; not reachable from the service
    expires: 2026-12-31
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let report = parse_report(REPORT.as_bytes(), "report.json")?;
    let ignores = IgnoreFile::parse(IGNORES, ".ferry/scan-ignore.yaml")?;

    // Fail on CRITICAL (the default policy), judged on a fixed day.
    let verdict = evaluate(&report, &Policy::default(), &ignores, date(2026, 12, 7));
    for judged in &verdict.findings {
        println!(
            "{:<14} {:<8} {:?}",
            judged.finding.id,
            judged.finding.severity.to_string(),
            judged.outcome
        );
    }
    println!("passed: {}", verdict.passed);
    assert!(!verdict.passed, "the fixable CRITICAL fails the gate");
    let failing: Vec<&str> = verdict.failing().map(|j| j.finding.id.as_str()).collect();
    assert_eq!(failing, ["CVE-2026-0001"]);
    assert_eq!(verdict.findings[1].outcome, Outcome::Ignored { entry: 0 });
    assert_eq!(verdict.findings[2].outcome, Outcome::BelowThreshold);

    // After its expiry date the entry ignores nothing, and the verdict says which entry it was.
    let later = evaluate(&report, &Policy::default(), &ignores, date(2027, 1, 1));
    assert_eq!(later.expired, [0]);
    assert_eq!(later.failing().count(), 2);
    println!(
        "on 2027-01-01: {} failing, entry 0 expired",
        later.failing().count()
    );
    Ok(())
}
