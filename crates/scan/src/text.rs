//! The verdict as `ferry-scan` shows it: the text verdict, the JSON document of
//! `--format json`, and the notes about ignores. Strings only: the caller prints them.

use std::path::Path;

use serde_json::{Value, json};

use crate::finding::Kind;
use crate::gate::{Judged, Verdict};

/// The text verdict: one line of outcome and policy, one of counts, then each failing finding.
pub fn verdict(verdict: &Verdict) -> String {
    let failing: Vec<&Judged> = verdict.failing().collect();
    let fail_on: Vec<&str> = verdict.policy.fail_on.iter().map(|s| s.name()).collect();
    let mut out = format!(
        "{}: {} of {} finding{} fail{} the gate (fails on {}{})\n",
        if verdict.passed { "passed" } else { "FAILED" },
        failing.len(),
        verdict.findings.len(),
        if verdict.findings.len() == 1 { "" } else { "s" },
        if failing.len() == 1 { "s" } else { "" },
        fail_on.join(","),
        if verdict.policy.only_fixed {
            ", only fixed"
        } else {
            ""
        }
    );
    let counts: Vec<String> = verdict
        .counts()
        .into_iter()
        .map(|(s, c)| {
            if c.ignored > 0 {
                format!("{s} {} ({} ignored)", c.found, c.ignored)
            } else {
                format!("{s} {}", c.found)
            }
        })
        .collect();
    out.push_str(&format!("  {}\n", counts.join(", ")));
    for j in failing {
        out.push_str(&format!("{}\n", finding_line(verdict, j)));
    }
    out
}

/// `CRITICAL CVE-… musl 1.1.20-r4 (fixed in 1.1.20-r5) in TARGET`, or for a check or secret
/// `HIGH KSV-0014 in deploy.yaml:20: TITLE`, indented by two spaces.
pub fn finding_line(verdict: &Verdict, j: &Judged) -> String {
    let f = &j.finding;
    let mut line = match f.kind {
        Kind::Vulnerability => format!(
            "{} {} {} {} ({}) in {}",
            f.severity,
            f.id,
            f.package.as_deref().unwrap_or("-"),
            f.installed.as_deref().unwrap_or("-"),
            f.fixed
                .as_deref()
                .map_or_else(|| "no fix".to_string(), |v| format!("fixed in {v}")),
            f.location()
        ),
        Kind::Misconfiguration | Kind::Secret => {
            let place = match f.start_line() {
                Some(l) => format!("{}:{l}", f.location()),
                None => f.location().to_string(),
            };
            format!("{} {} in {place}: {}", f.severity, f.id, f.title)
        }
    };
    if let Some(e) = j.expired_ignore.and_then(|i| verdict.ignores.get(i)) {
        line.push_str(&format!(" (its ignore expired on {})", e.expires));
    }
    format!("  {line}")
}

/// The verdict as `--format json` prints it: the verdict with `counts` by severity, the
/// `failing` findings and the `sarif` file written (`null` when none).
pub fn json_verdict(verdict: &Verdict, sarif: Option<&Path>) -> Value {
    let mut doc = serde_json::to_value(verdict).expect("a verdict is JSON");
    doc["counts"] = verdict
        .counts()
        .into_iter()
        .map(|(s, c)| (s.name().to_string(), json!(c)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    doc["failing"] = verdict
        .failing()
        .map(|j| serde_json::to_value(j).expect("a finding is JSON"))
        .collect::<Vec<_>>()
        .into();
    doc["sarif"] = json!(sarif.map(|p| p.display().to_string()));
    doc
}

/// Notes about the ignores: those that expired (a warning), expire soon, or matched nothing.
pub fn notes(verdict: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    let entry = |i: &usize| verdict.ignores.get(*i);
    for e in verdict.expired.iter().filter_map(entry) {
        out.push(format!(
            "warning: the ignore of {} expired on {}: it no longer ignores",
            e.describe(),
            e.expires
        ));
    }
    for e in verdict.expiring_soon.iter().filter_map(entry) {
        out.push(format!(
            "note: the ignore of {} expires on {}",
            e.describe(),
            e.expires
        ));
    }
    for e in verdict.unused.iter().filter_map(entry) {
        out.push(format!(
            "note: the ignore of {} matches no finding",
            e.describe()
        ));
    }
    out
}
