//! One flat list of what a report found: vulnerabilities, failed configuration checks and
//! secrets, each with its id, severity, target and (for packages) versions.

use serde::Serialize;

use crate::report::{Cvss, Location, Report, ScanResult, Vulnerability};
use crate::severity::Severity;

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A vulnerable package.
    Vulnerability,
    /// A failed configuration check.
    Misconfiguration,
    /// A secret in a file.
    Secret,
}

impl Kind {
    /// `vulnerability`, `misconfiguration`, `secret`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Vulnerability => "vulnerability",
            Kind::Misconfiguration => "misconfiguration",
            Kind::Secret => "secret",
        }
    }
}

/// A finding of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The kind.
    pub kind: Kind,
    /// The id: a vulnerability id, a check id, a secret rule id.
    pub id: String,
    /// The severity.
    pub severity: Severity,
    /// The result's target (`alpine:3.9 (alpine 3.9.4)`, `deploy.yaml`).
    pub target: String,
    /// The result's class (`os-pkgs`, `lang-pkgs`, `config`, `secret`).
    pub class: String,
    /// The package name (vulnerabilities).
    pub package: Option<String>,
    /// The installed version (vulnerabilities).
    pub installed: Option<String>,
    /// The versions that fix it (vulnerabilities with a fix).
    pub fixed: Option<String>,
    /// Trivy's status (`fixed`, `affected`, `will_not_fix`, …; `FAIL` for checks).
    pub status: String,
    /// The file the finding is in, when it is not the target itself (a jar, a lock file).
    pub path: Option<String>,
    /// Where in the file, 1-based (checks, secrets, packages whose declaration Trivy
    /// located); empty when unknown.
    pub lines: Vec<Location>,
    /// A one-line title.
    pub title: String,
    /// The description.
    pub description: String,
    /// What was found where (checks), the masked matching line (secrets).
    pub message: String,
    /// How to fix it (checks).
    pub resolution: String,
    /// A page about it.
    pub url: String,
    /// The CVSS data of the vendor Trivy took the severity from (vulnerabilities).
    #[serde(skip)]
    pub cvss: Option<Cvss>,
}

impl Finding {
    /// Whether a fix exists: a vulnerability whose status is `fixed` (or, without a status,
    /// that names fixed versions). Trivy's `--ignore-unfixed` keeps exactly these.
    /// Configuration checks and secrets are always fixable in place.
    pub fn has_fix(&self) -> bool {
        match self.kind {
            Kind::Vulnerability => {
                if self.status.is_empty() {
                    self.fixed.is_some()
                } else {
                    self.status == "fixed"
                }
            }
            Kind::Misconfiguration | Kind::Secret => true,
        }
    }

    /// The first line of the finding in its file, if known.
    pub fn start_line(&self) -> Option<u64> {
        self.lines.first().map(|l| l.start_line)
    }

    /// The file the finding is in: its own path, else its target.
    pub fn location(&self) -> &str {
        self.path.as_deref().unwrap_or(&self.target)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// One range of lines when the start is known (the end no earlier than the start).
fn lines(start: u64, end: u64) -> Vec<Location> {
    if start == 0 {
        return Vec::new();
    }
    vec![Location {
        start_line: start,
        end_line: end.max(start),
    }]
}

fn vulnerability(result: &ScanResult, v: &Vulnerability) -> Finding {
    let cvss = v
        .cvss
        .get(&v.severity_source)
        .or_else(|| v.cvss.get("nvd"))
        .cloned();
    Finding {
        kind: Kind::Vulnerability,
        id: v.vulnerability_id.clone(),
        severity: v.severity,
        target: result.target.clone(),
        class: result.class.clone(),
        package: non_empty(&v.pkg_name).or_else(|| non_empty(&v.pkg_id)),
        installed: non_empty(&v.installed_version),
        fixed: non_empty(&v.fixed_version),
        status: v.status.clone(),
        path: non_empty(&v.pkg_path),
        lines: result
            .packages
            .iter()
            .find(|p| p.name == v.pkg_name && p.version == v.installed_version)
            .map(|p| {
                p.locations
                    .iter()
                    .copied()
                    .filter(|l| l.start_line > 0)
                    .collect()
            })
            .unwrap_or_default(),
        title: v.title.clone(),
        description: v.description.clone(),
        message: String::new(),
        resolution: String::new(),
        url: v.primary_url.clone(),
        cvss,
    }
}

impl Report {
    /// Every finding, in report order: per result its vulnerabilities, failed checks (status
    /// `FAIL`; passed checks and exceptions are not findings) and secrets.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for result in &self.results {
            out.extend(
                result
                    .vulnerabilities
                    .iter()
                    .map(|v| vulnerability(result, v)),
            );
            for m in &result.misconfigurations {
                if !m.status.is_empty() && !m.status.eq_ignore_ascii_case("FAIL") {
                    continue;
                }
                out.push(Finding {
                    kind: Kind::Misconfiguration,
                    id: m.id.clone(),
                    severity: m.severity,
                    target: result.target.clone(),
                    class: result.class.clone(),
                    package: None,
                    installed: None,
                    fixed: None,
                    status: m.status.clone(),
                    path: None,
                    lines: lines(m.cause_metadata.start_line, m.cause_metadata.end_line),
                    title: m.title.clone(),
                    description: m.description.clone(),
                    message: m.message.clone(),
                    resolution: m.resolution.clone(),
                    url: m.primary_url.clone(),
                    cvss: None,
                });
            }
            for s in &result.secrets {
                out.push(Finding {
                    kind: Kind::Secret,
                    id: s.rule_id.clone(),
                    severity: s.severity,
                    target: result.target.clone(),
                    class: result.class.clone(),
                    package: None,
                    installed: None,
                    fixed: None,
                    status: String::new(),
                    path: None,
                    lines: lines(s.start_line, s.end_line),
                    title: s.title.clone(),
                    description: if s.category.is_empty() {
                        String::new()
                    } else {
                        format!("{} secret ({})", s.category, s.title)
                    },
                    message: s.r#match.clone(),
                    resolution: "Remove the secret from the file and rotate it.".into(),
                    url: String::new(),
                    cvss: None,
                });
            }
        }
        out
    }
}
