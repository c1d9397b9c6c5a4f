//! SARIF: every document validates against the published SARIF 2.1.0 schema
//! (`fixtures/conformance/sarif/sarif-schema-2.1.0.json`), and follows what Trivy writes and
//! GitHub reads (`fixtures/conformance/sarif/`).

use std::collections::BTreeSet;

use ferry_scan::report::Cvss;
use ferry_scan::sarif::{rule_properties, to_path_uri, to_sarif};
use ferry_scan::{IgnoreFile, Policy, Report, Severity, evaluate, parse_report};
use jiff::civil::date;
use serde_json::{Value, json};

use crate::{TODAY, cases, conformance_file, conformance_report, entry, ignores, recorded_report};

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(conformance_file("sarif/sarif-schema-2.1.0.json"))
        .expect("the SARIF schema is part of the conformance data");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::new(&schema).expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, sarif: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn sarif_of(report: &Report, ignore: &IgnoreFile) -> Value {
    to_sarif(report, &evaluate(report, &Policy::default(), ignore, TODAY))
}

#[test]
fn the_validator_refuses_an_invalid_document() {
    let validator = validator();
    let mut sarif = sarif_of(
        &conformance_report("trivy/alpine-39.json"),
        &IgnoreFile::default(),
    );
    assert_valid(&validator, &sarif, "alpine-39");
    sarif["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&sarif));
    sarif["runs"][0]["results"][0]["level"] = json!("error");
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!validator.is_valid(&sarif));
}

#[test]
fn every_report_gives_valid_sarif_with_one_rule_per_id() {
    let validator = validator();
    let mut reports: Vec<(String, Report)> = cases()
        .iter()
        .map(|c| {
            let rel = c["report"].as_str().unwrap();
            (rel.to_string(), conformance_report(rel))
        })
        .collect();
    for name in ["trivy-config-frontend.json", "trivy-secret.json"] {
        reports.push((name.to_string(), recorded_report(name)));
    }
    for (name, report) in &reports {
        let sarif = sarif_of(report, &IgnoreFile::default());
        assert_valid(&validator, &sarif, name);
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        let findings = report.findings();
        assert_eq!(results.len(), findings.len(), "{name}");
        let ids: BTreeSet<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(rules.len(), ids.len(), "{name}: one rule per id");
        for rule in rules {
            let score: f64 = rule["properties"]["security-severity"]
                .as_str()
                .expect("security-severity is a string")
                .parse()
                .unwrap();
            assert!((0.0..=10.0).contains(&score), "{name}: {rule}");
            assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
            assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
            assert!(
                !rule["shortDescription"]["text"]
                    .as_str()
                    .unwrap()
                    .is_empty()
            );
            let tags = rule["properties"]["tags"].as_array().unwrap();
            assert_eq!(tags[1], "security", "{name}");
        }
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"], "{name}");
            assert!(!result["locations"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn locations_carry_the_lines_of_checks_and_secrets() {
    let sarif = sarif_of(
        &recorded_report("trivy-secret.json"),
        &IgnoreFile::default(),
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let first = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(first["artifactLocation"]["uri"], "app.env");
    assert_eq!(first["region"]["startLine"], 2);
    assert_eq!(results[0]["level"], "error");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
        "9.5"
    );
    let config = sarif_of(
        &recorded_report("trivy-config-frontend.json"),
        &IgnoreFile::default(),
    );
    let region = &config["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() > 1, "{region}");
}

#[test]
fn an_ignored_finding_is_an_accepted_suppression_with_its_reason() {
    let validator = validator();
    let report = conformance_report("trivy/debian-buster.json");
    let file = ignores(vec![entry("CVE-2019-18224", None, None, date(2027, 2, 1))]);
    let sarif = sarif_of(&report, &file);
    assert_valid(&validator, &sarif, "suppressed");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "CVE-2019-18224");
    assert_eq!(
        suppressed[0]["suppressions"][0],
        json!({"kind": "external", "status": "accepted",
               "justification": "accepted CVE-2019-18224 (until 2027-02-01)"})
    );
}

fn sarif_cases(kind: &str) -> Vec<Value> {
    let cases: Vec<Value> = ferry_test_support::conformance_cases("sarif/trivy-sarif-cases.jsonl")
        .into_iter()
        .filter(|c| c["kind"] == kind)
        .collect();
    assert!(!cases.is_empty(), "no {kind} cases");
    cases
}

#[test]
fn levels_follow_trivy() {
    for case in sarif_cases("severity_to_level") {
        let name = case["severity"].as_str().unwrap();
        match name.parse::<Severity>() {
            Ok(severity) => assert_eq!(severity.sarif_level(), case["expected_level"], "{name}"),
            // Trivy maps a severity it does not know to `none`; Ferry refuses such a report.
            Err(_) => assert_eq!((name, &case["expected_level"]), ("OTHER", &json!("none"))),
        }
    }
}

#[test]
fn path_uris_follow_trivy() {
    for case in sarif_cases("to_path_uri") {
        assert_eq!(
            to_path_uri(
                case["input"].as_str().unwrap(),
                case["result_class"].as_str().unwrap()
            ),
            case["expected"],
            "{}",
            case["id"]
        );
    }
}

#[test]
fn rule_properties_follow_trivy() {
    for case in sarif_cases("rule_properties") {
        let data = &case["cvss_data"];
        let text = |k: &str| data[k].as_str().unwrap_or_default().to_string();
        let score = |k: &str| data[k].as_f64().unwrap_or_default();
        let cvss = Cvss {
            v2_vector: text("cvssv2_vector"),
            v2_score: score("cvssv2_score"),
            v3_vector: text("cvssv3_vector"),
            v3_score: score("cvssv3_baseScore"),
            v40_vector: text("cvssv40_vector"),
            v40_score: score("cvssv40_baseScore"),
        };
        let properties = rule_properties(
            case["title"].as_str().unwrap(),
            case["severity"].as_str().unwrap().parse().unwrap(),
            case["cvss_score"].as_str().unwrap(),
            Some(&cvss),
        );
        assert_eq!(properties, case["expected_properties"], "{}", case["id"]);
    }
}

/// Trivy's `TestReportWriter_Sarif` report: the rule, the result (message, level, one
/// location per line range of the package in `Packages[].Locations`) and the image properties
/// of the run are Trivy's.
#[test]
fn a_vulnerability_report_gives_trivys_rule_and_result() {
    let case = sarif_cases("sarif_report")
        .into_iter()
        .find(|c| c["id"] == "report-with-vulnerabilities")
        .unwrap();
    let mut input = case["input_report"].clone();
    // The transcribed report leaves out the schema version every real report carries.
    input["SchemaVersion"] = json!(2);
    let report = parse_report(input.to_string().as_bytes(), "case").unwrap();
    let sarif = sarif_of(&report, &IgnoreFile::default());
    assert_valid(&validator(), &sarif, "report-with-vulnerabilities");
    let expected = &case["expected_sarif"]["runs"][0];
    let run = &sarif["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"],
        expected["tool"]["driver"]["rules"]
    );
    assert_eq!(run["properties"], expected["properties"]);
    let (got, want) = (&run["results"][0], &expected["results"][0]);
    for key in ["ruleId", "ruleIndex", "level", "message"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    let locations = got["locations"].as_array().unwrap();
    let wanted = want["locations"].as_array().unwrap();
    assert_eq!(locations, wanted);
}
