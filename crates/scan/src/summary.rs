//! The markdown summary of a verdict, for `$GITHUB_STEP_SUMMARY`: the outcome, counts by
//! severity, the findings that failed the gate, expired ignores and the ignores that expire
//! within 14 days.

use std::fmt::Write as _;

use crate::gate::{Outcome, Verdict};
use crate::ignore::EXPIRY_WARNING_DAYS;

/// At most this many failing findings are listed; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// The markdown summary of `verdict`.
pub fn to_markdown(verdict: &Verdict) -> String {
    let mut md = String::new();
    let failing: Vec<_> = verdict.failing().collect();
    let fail_on: Vec<&str> = verdict.policy.fail_on.iter().map(|s| s.name()).collect();
    let _ = writeln!(
        md,
        "## ferry scan: {}\n",
        if verdict.passed { "passed" } else { "failed" }
    );
    let artifact = if verdict.artifact.is_empty() {
        "the report".to_string()
    } else {
        format!("`{}`", code(&verdict.artifact))
    };
    let _ = writeln!(
        md,
        "{artifact}: {} finding{} fail{} the gate (fails on {}{}).\n",
        failing.len(),
        plural(failing.len()),
        if failing.len() == 1 { "s" } else { "" },
        fail_on.join(", "),
        if verdict.policy.only_fixed {
            ", only vulnerabilities with a fix"
        } else {
            ""
        }
    );
    md.push_str("| Severity | Found | Failing | Ignored |\n| --- | ---: | ---: | ---: |\n");
    for (severity, c) in verdict.counts() {
        let _ = writeln!(
            md,
            "| {severity} | {} | {} | {} |",
            c.found, c.failing, c.ignored
        );
    }
    if !failing.is_empty() {
        let _ = writeln!(md, "\n### Failing findings\n");
        md.push_str(
            "| Severity | ID | Package | Installed | Fixed | Target |\n| --- | --- | --- | --- | --- | --- |\n",
        );
        for j in failing.iter().take(MAX_LISTED) {
            let f = &j.finding;
            let expired = j
                .expired_ignore
                .and_then(|i| verdict.ignores.get(i))
                .map(|e| format!(" (ignore expired {})", e.expires))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {}{expired} | {} | {} | {} | {} |",
                f.severity,
                cell(&f.id),
                cell(f.package.as_deref().unwrap_or("")),
                cell(f.installed.as_deref().unwrap_or("")),
                cell(f.fixed.as_deref().unwrap_or("")),
                cell(&target(f.location(), f.start_line())),
            );
        }
        if failing.len() > MAX_LISTED {
            let _ = writeln!(md, "\n… and {} more.", failing.len() - MAX_LISTED);
        }
    }
    if !verdict.expired.is_empty() {
        let _ = writeln!(md, "\n### Expired ignores (they no longer ignore)\n");
        ignore_table(&mut md, verdict, &verdict.expired);
    }
    if !verdict.expiring_soon.is_empty() {
        let _ = writeln!(
            md,
            "\n### Ignores expiring within {EXPIRY_WARNING_DAYS} days\n"
        );
        ignore_table(&mut md, verdict, &verdict.expiring_soon);
    }
    let ignored = verdict
        .findings
        .iter()
        .filter(|j| matches!(j.outcome, Outcome::Ignored { .. }))
        .count();
    if ignored > 0 {
        let _ = writeln!(
            md,
            "\n{ignored} finding{} ignored by `.ferry/scan-ignore.yaml` entries.",
            plural(ignored)
        );
    }
    md
}

fn ignore_table(md: &mut String, verdict: &Verdict, indices: &[usize]) {
    md.push_str("| ID | Package | Path | Expires | Reason |\n| --- | --- | --- | --- | --- |\n");
    for e in indices.iter().filter_map(|i| verdict.ignores.get(*i)) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&e.id),
            cell(e.package.as_deref().unwrap_or("")),
            cell(e.path.as_deref().unwrap_or("")),
            e.expires,
            cell(&e.reason)
        );
    }
}

fn target(location: &str, line: Option<u64>) -> String {
    match line {
        Some(l) => format!("{location}:{l}"),
        None => location.to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text for inline code: no backticks or line breaks.
fn code(text: &str) -> String {
    text.replace('`', "'").replace(['\r', '\n'], " ")
}

/// A table cell: `|` escaped, no line breaks, markdown that could format escaped.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}
