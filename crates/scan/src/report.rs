//! Trivy's JSON report (`trivy … --format json`, `SchemaVersion` 2): the parts the gate, SARIF
//! and the summary read. Unknown fields are ignored, so newer Trivy versions still read; a
//! field of the wrong type, an unknown severity or trailing text is refused with its line,
//! column and field path.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::severity::Severity;

/// The largest report read (64 MiB), enforced while reading.
pub const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The report schema this model reads (`SchemaVersion`).
pub const SCHEMA_VERSION: u64 = 2;

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The input is not read: not a regular file, or larger than [`MAX_REPORT_BYTES`].
    #[error("{origin}: refused: {reason}")]
    Refused {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// Why.
        reason: String,
    },
    /// The text is not a Trivy JSON report; positions are 1-based (0 when unknown).
    #[error("{origin}:{line}:{column}: {}{message}", field_prefix(field))]
    Invalid {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// The line.
        line: usize,
        /// The column.
        column: usize,
        /// The field's path (`Results[0].Vulnerabilities[2].Severity`), empty at the top.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A report of another schema version.
    #[error(
        "{origin}: SchemaVersion {version} is not supported (ferry-scan reads Trivy's JSON \
         report schema {SCHEMA_VERSION})"
    )]
    Schema {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// The report's `SchemaVersion`.
        version: u64,
    },
}

/// A report that cannot be read is an `io` failure; one that is refused or not a report Ferry
/// reads is bad input.
impl ferry_error::Classify for ReportError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            ReportError::Io { .. } => ferry_error::ErrorKind::Io,
            ReportError::Refused { .. }
            | ReportError::Invalid { .. }
            | ReportError::Schema { .. } => ferry_error::ErrorKind::BadInput,
        }
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() || field == "." {
        String::new()
    } else {
        format!("{field}: ")
    }
}

/// A Trivy JSON report.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// The report schema (2).
    pub schema_version: u64,
    /// The Trivy that wrote it.
    #[serde(default, deserialize_with = "nullable")]
    pub trivy: TrivyInfo,
    /// What was scanned: an image reference, an archive, a directory.
    #[serde(default, deserialize_with = "nullable")]
    pub artifact_name: String,
    /// `container_image`, `filesystem`, `repository`, …
    #[serde(default, deserialize_with = "nullable")]
    pub artifact_type: String,
    /// Image facts (empty for other artifacts).
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: Metadata,
    /// One result per target (an OS, a lock file, a manifest, a file with secrets). Trivy
    /// leaves the key out when nothing was found.
    #[serde(default, deserialize_with = "nullable")]
    pub results: Vec<ScanResult>,
}

/// `Trivy`: the version that wrote the report.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrivyInfo {
    /// `0.76.0`, or `dev`.
    #[serde(default, deserialize_with = "nullable")]
    pub version: String,
}

/// `Metadata`: the image facts SARIF's run properties carry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    /// The image id (config digest).
    #[serde(rename = "ImageID", default, deserialize_with = "nullable")]
    pub image_id: String,
    /// The image's tags.
    #[serde(default, deserialize_with = "nullable")]
    pub repo_tags: Vec<String>,
    /// The image's repository digests.
    #[serde(default, deserialize_with = "nullable")]
    pub repo_digests: Vec<String>,
}

/// One target's findings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanResult {
    /// The target: `alpine:3.9 (alpine 3.9.4)`, `package-lock.json`, `deploy.yaml`.
    pub target: String,
    /// `os-pkgs`, `lang-pkgs`, `config`, `secret`, `license`, …
    #[serde(default, deserialize_with = "nullable")]
    pub class: String,
    /// The target's type: `alpine`, `npm`, `kubernetes`, `dockerfile`, …
    #[serde(rename = "Type", default, deserialize_with = "nullable")]
    pub kind: String,
    /// The packages (with `--list-all-pkgs`): where each is declared.
    #[serde(default, deserialize_with = "nullable")]
    pub packages: Vec<Package>,
    /// Vulnerable packages.
    #[serde(default, deserialize_with = "nullable")]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Configuration checks (failed ones, and passed ones with `--include-non-failures`).
    #[serde(default, deserialize_with = "nullable")]
    pub misconfigurations: Vec<Misconfiguration>,
    /// Secrets found in files.
    #[serde(default, deserialize_with = "nullable")]
    pub secrets: Vec<Secret>,
}

/// A package of a result, with the lines that declare it (lock files).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Package {
    /// The name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The version.
    #[serde(default, deserialize_with = "nullable")]
    pub version: String,
    /// Where it is declared.
    #[serde(default, deserialize_with = "nullable")]
    pub locations: Vec<Location>,
}

/// Lines of a file, 1-based.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Location {
    /// The first line.
    #[serde(default, deserialize_with = "nullable")]
    pub start_line: u64,
    /// The last line.
    #[serde(default, deserialize_with = "nullable")]
    pub end_line: u64,
}

/// A vulnerable package.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vulnerability {
    /// `CVE-2019-1549`, `GHSA-…`.
    #[serde(rename = "VulnerabilityID")]
    pub vulnerability_id: String,
    /// `openssl@1.1.1c-r0`.
    #[serde(rename = "PkgID", default, deserialize_with = "nullable")]
    pub pkg_id: String,
    /// `openssl`.
    #[serde(default, deserialize_with = "nullable")]
    pub pkg_name: String,
    /// The file holding the package (language packages: a jar, a lock file).
    #[serde(default, deserialize_with = "nullable")]
    pub pkg_path: String,
    /// The installed version.
    #[serde(default, deserialize_with = "nullable")]
    pub installed_version: String,
    /// The versions that fix it, comma-separated; empty when there is no fix.
    #[serde(default, deserialize_with = "nullable")]
    pub fixed_version: String,
    /// `fixed`, `affected`, `will_not_fix`, `fix_deferred`, `end_of_life`, …
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    /// The severity (empty: `UNKNOWN`).
    #[serde(default)]
    pub severity: Severity,
    /// The vendor whose severity Trivy took (`nvd`, `debian`, …).
    #[serde(default, deserialize_with = "nullable")]
    pub severity_source: String,
    /// A page about it.
    #[serde(rename = "PrimaryURL", default, deserialize_with = "nullable")]
    pub primary_url: String,
    /// A one-line title.
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    /// The description.
    #[serde(default, deserialize_with = "nullable")]
    pub description: String,
    /// CVSS data by vendor.
    #[serde(rename = "CVSS", default, deserialize_with = "nullable")]
    pub cvss: BTreeMap<String, Cvss>,
}

/// One vendor's CVSS vectors and scores.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Cvss {
    /// CVSS v2 vector.
    #[serde(rename = "V2Vector", default, deserialize_with = "nullable")]
    pub v2_vector: String,
    /// CVSS v3 vector.
    #[serde(rename = "V3Vector", default, deserialize_with = "nullable")]
    pub v3_vector: String,
    /// CVSS v4.0 vector.
    #[serde(rename = "V40Vector", default, deserialize_with = "nullable")]
    pub v40_vector: String,
    /// CVSS v2 score.
    #[serde(rename = "V2Score", default, deserialize_with = "nullable")]
    pub v2_score: f64,
    /// CVSS v3 score.
    #[serde(rename = "V3Score", default, deserialize_with = "nullable")]
    pub v3_score: f64,
    /// CVSS v4.0 score.
    #[serde(rename = "V40Score", default, deserialize_with = "nullable")]
    pub v40_score: f64,
}

/// A configuration check.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Misconfiguration {
    /// `Kubernetes Security Check`, `Dockerfile Security Check`, …
    #[serde(rename = "Type", default, deserialize_with = "nullable")]
    pub check_type: String,
    /// The check id: `KSV-0001` (older Trivy: `KSV001`).
    #[serde(rename = "ID")]
    pub id: String,
    /// The check's AVD id (older Trivy).
    #[serde(rename = "AVDID", default, deserialize_with = "nullable")]
    pub avd_id: String,
    /// A one-line title.
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    /// What the check is about.
    #[serde(default, deserialize_with = "nullable")]
    pub description: String,
    /// What was found where.
    #[serde(default, deserialize_with = "nullable")]
    pub message: String,
    /// How to fix it.
    #[serde(default, deserialize_with = "nullable")]
    pub resolution: String,
    /// The severity.
    #[serde(default)]
    pub severity: Severity,
    /// A page about it.
    #[serde(rename = "PrimaryURL", default, deserialize_with = "nullable")]
    pub primary_url: String,
    /// `FAIL`, `PASS` or `EXCEPTION`; only `FAIL` is a finding.
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
    /// Where in the file.
    #[serde(default, deserialize_with = "nullable")]
    pub cause_metadata: CauseMetadata,
}

/// Where a configuration check failed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CauseMetadata {
    /// The resource (Terraform, CloudFormation).
    #[serde(default, deserialize_with = "nullable")]
    pub resource: String,
    /// `Kubernetes`, `Dockerfile`, `AWS`, …
    #[serde(default, deserialize_with = "nullable")]
    pub provider: String,
    /// The first line (1-based; 0 when unknown).
    #[serde(default, deserialize_with = "nullable")]
    pub start_line: u64,
    /// The last line.
    #[serde(default, deserialize_with = "nullable")]
    pub end_line: u64,
}

/// A secret found in a file (Trivy masks the value in `Match`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    /// The rule: `aws-access-key-id`, `github-pat`, …
    #[serde(rename = "RuleID")]
    pub rule_id: String,
    /// `AWS`, `GitHub`, …
    #[serde(default, deserialize_with = "nullable")]
    pub category: String,
    /// The severity.
    #[serde(default)]
    pub severity: Severity,
    /// A one-line title.
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    /// The first line (1-based).
    #[serde(default, deserialize_with = "nullable")]
    pub start_line: u64,
    /// The last line.
    #[serde(default, deserialize_with = "nullable")]
    pub end_line: u64,
    /// The matching line, the secret masked.
    #[serde(default, deserialize_with = "nullable")]
    pub r#match: String,
}

/// `null` reads as the default value (Go writes nil slices and maps as `null`).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parses a Trivy JSON report of at most [`MAX_REPORT_BYTES`]; `origin` names it in errors
/// (usually the file name).
pub fn parse_report(bytes: &[u8], origin: &str) -> Result<Report, ReportError> {
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(too_large(origin));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let report: Report = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        invalid(origin, field, e.inner())
    })?;
    de.end().map_err(|e| invalid(origin, String::new(), &e))?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(ReportError::Schema {
            origin: origin.to_string(),
            version: report.schema_version,
        });
    }
    Ok(report)
}

fn too_large(origin: &str) -> ReportError {
    ReportError::Refused {
        origin: origin.to_string(),
        reason: format!(
            "larger than {} MiB, the limit for a Trivy report",
            MAX_REPORT_BYTES / (1024 * 1024)
        ),
    }
}

fn invalid(origin: &str, field: String, e: &serde_json::Error) -> ReportError {
    let text = e.to_string();
    // serde_json appends the position; it is reported separately.
    let message = match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    };
    let message = if e.is_eof() && e.line() > 0 {
        format!("{message} (the report ends early)")
    } else {
        message
    };
    ReportError::Invalid {
        origin: origin.to_string(),
        line: e.line(),
        column: e.column(),
        field,
        message,
    }
}

/// Reads a regular file of at most `limit` bytes (the limit enforced while reading); devices
/// and FIFOs are refused before they are opened.
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refuse = |reason: String| ReportError::Refused {
        origin: path.display().to_string(),
        reason,
    };
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(refuse(format!(
            "larger than {} MiB, the limit for {what}",
            limit / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// Reads and parses the report in `path` (see [`parse_report`]).
pub fn read_report(path: &Path) -> Result<Report, ReportError> {
    let bytes = read_bounded(path, MAX_REPORT_BYTES, "a Trivy report")?;
    parse_report(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_line_and_column() {
        let text = "{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"t\",\n \"Vulnerabilities\": \
                    [{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"SEVERE\"}]}]}";
        let err = parse_report(text.as_bytes(), "r.json").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("r.json:2:")
                && text.contains("Results[0].Vulnerabilities[0].Severity"),
            "{text}"
        );
        assert!(text.contains("unknown severity `SEVERE`"), "{text}");
    }

    #[test]
    fn tolerates_unknown_fields_and_nulls() {
        let text = r#"{"SchemaVersion": 2, "Future": {"x": 1}, "Results": [{"Target": "t",
            "Vulnerabilities": null, "Misconfigurations": null, "Extra": [1]}]}"#;
        let report = parse_report(text.as_bytes(), "r.json").unwrap();
        assert_eq!(report.results.len(), 1);
        assert!(report.results[0].vulnerabilities.is_empty());
    }

    #[test]
    fn refuses_trailing_text_other_schemas_and_empty_input() {
        assert!(parse_report(br#"{"SchemaVersion": 2} x"#, "r").is_err());
        let err = parse_report(br#"{"SchemaVersion": 1}"#, "r").unwrap_err();
        assert!(err.to_string().contains("SchemaVersion 1"), "{err}");
        let err = parse_report(b"", "r").unwrap_err();
        assert!(err.to_string().starts_with("r:"), "{err}");
    }
}
