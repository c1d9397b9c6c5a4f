//! Trivy reports: any input is either refused or parses to a report whose gate, SARIF and
//! summary work without a panic. The gate is run with the default policy and with every
//! severity and `--only-fixed`, against ignore entries made from the report's own findings
//! (live, expiring soon and expired on a fixed day), so ignore matching and expiry run too.
//! When the input is UTF-8, the ignore-file parser reads it as well.
#![no_main]

use ferry_scan::{
    IgnoreEntry, IgnoreFile, Outcome, Policy, Severity, evaluate, parse_report, sarif, summary,
};
use jiff::civil::date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = IgnoreFile::parse(text, "fuzz.yaml");
    }
    let Ok(report) = parse_report(data, "fuzz.json") else {
        return;
    };
    let today = date(2027, 1, 15);
    let findings = report.findings();
    let expiries = [date(2027, 1, 14), today, date(2027, 6, 30)];
    let ignores = IgnoreFile {
        ignores: findings
            .iter()
            .take(6)
            .enumerate()
            .map(|(i, f)| IgnoreEntry {
                id: f.id.clone(),
                package: if i % 2 == 0 { f.package.clone() } else { None },
                path: if i % 3 == 1 { Some(f.target.clone()) } else { None },
                reason: "fuzz".into(),
                expires: expiries[i % expiries.len()],
            })
            .collect(),
    };
    let strict = Policy {
        fail_on: Severity::ALL.to_vec(),
        only_fixed: true,
    };
    for (policy, ignores) in [
        (Policy::default(), IgnoreFile::default()),
        (strict, ignores),
    ] {
        let verdict = evaluate(&report, &policy, &ignores, today);
        assert_eq!(verdict.findings.len(), findings.len());
        assert_eq!(verdict.passed, verdict.failing().next().is_none());
        for j in &verdict.findings {
            if let Outcome::Ignored { entry } = j.outcome {
                let e = &ignores.ignores[entry];
                assert!(e.matches(&j.finding) && !e.is_expired(today));
            }
        }
        let counts = verdict.counts();
        assert_eq!(
            counts.iter().map(|(_, c)| c.found).sum::<usize>(),
            findings.len()
        );
        let doc = sarif::to_sarif(&report, &verdict);
        let run = &doc["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), findings.len());
        for r in results {
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            let region = &r["locations"][0]["physicalLocation"]["region"];
            assert!(region["startLine"].as_u64().expect("startLine") >= 1);
        }
        let _ = serde_json::to_string(&doc).expect("SARIF serializes");
        let _ = serde_json::to_string(&verdict).expect("the verdict serializes");
        let md = summary::to_markdown(&verdict);
        assert!(md.starts_with("## ferry scan: "));
    }
});
