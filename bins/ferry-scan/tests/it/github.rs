//! SARIF, the markdown summary and the GitHub Actions files.

use predicates::str::contains;
use serde_json::Value;

use crate::{TODAY, ferry_scan, report};

#[test]
fn sarif_is_written_and_names_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--sarif", "trivy.sarif", "--report"])
        .arg(report("alpine-39.json"))
        .assert()
        .code(1);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("trivy.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 6);
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 3);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["trivy.sarif"]);
}

#[test]
fn summary_prints_markdown() {
    let dir = tempfile::tempdir().unwrap();
    ferry_scan(dir.path())
        .args(["gate", "--summary", "--today", TODAY, "--report"])
        .arg(report("debian-buster.json"))
        .assert()
        .code(1)
        .stdout(contains("## ferry scan: failed\n"))
        .stdout(contains("| CRITICAL | 1 | 1 | 0 |"))
        .stdout(contains(
            "| CRITICAL | CVE-2019-18224 | libidn2-0 | 2.0.5-1 | 2.0.5-1+deb10u1 |",
        ));
}

#[test]
fn github_actions_get_the_summary_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let output = dir.path().join("output");
    std::fs::write(&summary, "## earlier step\n").unwrap();
    ferry_scan(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .args(["gate", "--sarif", "out.sarif", "--report"])
        .arg(report("alpine-39.json"))
        .assert()
        .code(1)
        .stdout(contains("FAILED"));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("## earlier step\n## ferry scan: failed\n"),
        "{text}"
    );
    assert!(
        text.contains("| CRITICAL | CVE-2019-14697 | musl |"),
        "{text}"
    );
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert_eq!(outputs, "result=failed\nfailing=2\nsarif=out.sarif\n");
}
