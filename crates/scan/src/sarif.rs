//! SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`), written the way
//! Trivy writes it: one rule per finding id with help text and the `security-severity`
//! property GitHub ranks alerts by, one result per finding with its location. Findings an
//! ignore entry accepts carry an accepted external suppression with the entry's reason.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::finding::{Finding, Kind};
use crate::gate::{Outcome, Verdict};
use crate::report::{Cvss, Report};
use crate::severity::Severity;

/// The `$schema` of the documents written (the OASIS schema Trivy points at).
pub const SCHEMA_URI: &str = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json";

/// GitHub keeps at most 10 locations of a result (and shows the first).
const MAX_LOCATIONS: usize = 10;

/// GitHub reads at most 1,000 characters of a rule's full description.
const MAX_FULL_DESCRIPTION: usize = 1000;

/// Writes the SARIF document of a report and the gate's verdict on it to `path`, pretty
/// printed, atomically ([`ferry_fs::write_atomic`]: a temporary file beside it, then renamed
/// over it); a failed write leaves no temporary file behind.
pub fn write_file(path: &Path, report: &Report, verdict: &Verdict) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&to_sarif(report, verdict)).expect("SARIF is JSON");
    ferry_fs::write_atomic(path, text.as_bytes())
}

/// The SARIF document for a report and the gate's verdict on it.
pub fn to_sarif(report: &Report, verdict: &Verdict) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    for judged in &verdict.findings {
        let f = &judged.finding;
        let index = match rule_ids.iter().position(|id| *id == f.id) {
            Some(i) => i,
            None => {
                rule_ids.push(&f.id);
                rules.push(rule(f));
                rule_ids.len() - 1
            }
        };
        let mut result = json!({
            "ruleId": f.id,
            "ruleIndex": index,
            "level": f.severity.sarif_level(),
            "message": {"text": result_message(f)},
            "locations": locations(f),
        });
        if let Outcome::Ignored { entry } = judged.outcome
            && let Some(e) = verdict.ignores.get(entry)
        {
            result["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (until {})", e.reason, e.expires),
            }]);
        }
        results.push(result);
    }
    let mut run = json!({
        "tool": {"driver": {
            "fullName": "Trivy Vulnerability Scanner",
            "informationUri": "https://github.com/aquasecurity/trivy",
            "name": "Trivy",
            "rules": rules,
            "version": report.trivy.version,
        }},
        "results": results,
        "columnKind": "utf16CodeUnits",
    });
    if matches!(report.artifact_type.as_str(), "filesystem" | "repository")
        && report.artifact_name.starts_with('/')
    {
        run["originalUriBaseIds"] = json!({"ROOTPATH": {
            "uri": format!("file://{}/", escape_path(report.artifact_name.trim_end_matches('/'))),
        }});
    }
    if report.artifact_type == "container_image" {
        let m = &report.metadata;
        run["properties"] = json!({
            "imageName": report.artifact_name,
            "imageID": m.image_id,
            "repoDigests": m.repo_digests,
            "repoTags": m.repo_tags,
        });
    }
    json!({"version": "2.1.0", "$schema": SCHEMA_URI, "runs": [run]})
}

/// The rule's name by result class, as Trivy names it.
fn rule_name(f: &Finding) -> &'static str {
    match f.kind {
        Kind::Vulnerability if f.class == "lang-pkgs" => "LanguageSpecificPackageVulnerability",
        Kind::Vulnerability => "OsPackageVulnerability",
        Kind::Misconfiguration => "Misconfiguration",
        Kind::Secret => "Secret",
    }
}

/// The `security-severity` of a finding: the CVSS v3 score of the vendor Trivy took the
/// severity from (one decimal), else the severity's fixed score.
pub fn security_severity(f: &Finding) -> String {
    match &f.cvss {
        Some(c) if f.kind == Kind::Vulnerability && c.v3_score > 0.0 => {
            format!("{:.1}", c.v3_score)
        }
        _ => f.severity.default_score().to_string(),
    }
}

/// A rule's `properties`, as Trivy writes them: `tags` (the kind, `security`, the
/// severity), `precision`, `security-severity` and the CVSS vectors and scores that are set.
pub fn rule_properties(tag: &str, severity: Severity, score: &str, cvss: Option<&Cvss>) -> Value {
    let mut p = Map::new();
    p.insert("precision".into(), json!("very-high"));
    p.insert("security-severity".into(), json!(score));
    p.insert("tags".into(), json!([tag, "security", severity.name()]));
    if let Some(c) = cvss {
        let mut add = |key: &str, vector: &str, score_key: &str, score: f64| {
            if !vector.is_empty() {
                p.insert(key.into(), json!(vector));
            }
            if score > 0.0 {
                p.insert(score_key.into(), number(score));
            }
        };
        add("cvssv2_vector", &c.v2_vector, "cvssv2_score", c.v2_score);
        add(
            "cvssv3_vector",
            &c.v3_vector,
            "cvssv3_baseScore",
            c.v3_score,
        );
        add(
            "cvssv40_vector",
            &c.v40_vector,
            "cvssv40_baseScore",
            c.v40_score,
        );
    }
    Value::Object(p)
}

/// A score as JSON the way Go writes a float: `5` for 5.0, `7.5` for 7.5.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

fn rule(f: &Finding) -> Value {
    let short = if f.title.trim().is_empty() {
        f.id.clone()
    } else {
        f.title.clone()
    };
    let full = if f.description.trim().is_empty() {
        short.clone()
    } else {
        truncate(&f.description, MAX_FULL_DESCRIPTION)
    };
    let link = if f.url.is_empty() {
        f.id.clone()
    } else {
        format!("[{}]({})", f.id, f.url)
    };
    let (help_text, help_markdown) = match f.kind {
        Kind::Vulnerability => {
            let package = f.package.as_deref().unwrap_or_default();
            let fixed = f.fixed.as_deref().unwrap_or_default();
            (
                format!(
                    "Vulnerability {}\nSeverity: {}\nPackage: {package}\nFixed Version: {fixed}\nLink: {link}\n{}",
                    f.id, f.severity, f.description
                ),
                format!(
                    "**Vulnerability {}**\n| Severity | Package | Fixed Version | Link |\n| --- | --- | --- | --- |\n|{}|{}|{}|{link}|\n\n{}",
                    f.id,
                    f.severity,
                    cell(package),
                    cell(fixed),
                    f.description
                ),
            )
        }
        Kind::Misconfiguration | Kind::Secret => {
            let what = if f.kind == Kind::Secret {
                "Secret"
            } else {
                "Misconfiguration"
            };
            (
                format!(
                    "{what} {}\nType: {}\nSeverity: {}\nCheck: {}\nMessage: {}\nLink: {link}\n{}",
                    f.id, f.class, f.severity, short, f.message, f.resolution
                ),
                format!(
                    "**{what} {}**\n| Type | Severity | Check | Message | Link |\n| --- | --- | --- | --- | --- |\n|{}|{}|{}|{}|{link}|\n\n{}",
                    f.id,
                    cell(&f.class),
                    f.severity,
                    cell(&short),
                    cell(&f.message),
                    f.resolution
                ),
            )
        }
    };
    let score = security_severity(f);
    let mut rule = json!({
        "id": f.id,
        "name": rule_name(f),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": f.severity.sarif_level()},
        "help": {"text": help_text, "markdown": help_markdown},
        "properties": rule_properties(f.kind.name(), f.severity, &score, f.cvss.as_ref()),
    });
    if !f.url.is_empty() {
        rule["helpUri"] = json!(f.url);
    }
    rule
}

fn result_message(f: &Finding) -> String {
    match f.kind {
        Kind::Vulnerability => format!(
            "Package: {}\nInstalled Version: {}\nVulnerability {}\nSeverity: {}\nFixed Version: {}\nLink: {}",
            f.package.as_deref().unwrap_or_default(),
            f.installed.as_deref().unwrap_or_default(),
            f.id,
            f.severity,
            f.fixed.as_deref().unwrap_or_default(),
            if f.url.is_empty() {
                f.id.clone()
            } else {
                format!("[{}]({})", f.id, f.url)
            }
        ),
        Kind::Misconfiguration | Kind::Secret => format!(
            "Artifact: {}\nType: {}\n{} {}\nSeverity: {}\nMessage: {}",
            f.target,
            f.class,
            if f.kind == Kind::Secret {
                "Secret"
            } else {
                "Misconfiguration"
            },
            f.id,
            f.severity,
            if f.message.is_empty() {
                &f.title
            } else {
                &f.message
            }
        ),
    }
}

/// The result's locations: one per range of lines (packages can have several), else the
/// file's first line.
fn locations(f: &Finding) -> Vec<Value> {
    let uri = escape_path(&to_path_uri(f.location(), &f.class));
    let what = match (&f.package, &f.installed) {
        (Some(p), Some(v)) => format!("{}: {p}@{v}", f.target),
        (Some(p), None) => format!("{}: {p}", f.target),
        _ => f.target.clone(),
    };
    let ranges: Vec<(u64, u64)> = if f.lines.is_empty() {
        vec![(1, 1)]
    } else {
        f.lines
            .iter()
            .take(MAX_LOCATIONS)
            .map(|l| (l.start_line.max(1), l.end_line.max(l.start_line).max(1)))
            .collect()
    };
    ranges
        .into_iter()
        .map(|(start, end)| {
            json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": start, "startColumn": 1, "endLine": end, "endColumn": 1},
                },
                "message": {"text": what},
            })
        })
        .collect()
}

/// The path of a target in SARIF, as Trivy makes it: for OS packages, an image target
/// (`alpine:3.9 (alpine 3.9.4)`, `name@sha256:…`) becomes its repository path
/// (`library/alpine`); other targets stay as they are.
pub fn to_path_uri(target: &str, class: &str) -> String {
    if class != "os-pkgs" {
        return target.to_string();
    }
    // Drop a trailing ` (os version)`.
    let path = match target.find(" (") {
        Some(i) if target.ends_with(')') => &target[..i],
        _ => target,
    }
    .trim();
    match ferry_image::reference::Reference::parse_normalized(path) {
        Ok(r) => r.path().to_string(),
        Err(_) => path.to_string(),
    }
}

/// Percent-encodes what a URI path may not hold as it is (spaces, `%`, `?`, `#`, non-ASCII).
fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}
