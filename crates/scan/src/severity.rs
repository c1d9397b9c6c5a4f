//! Trivy's severities, their SARIF levels and GitHub's `security-severity` scores.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A finding's severity, as Trivy names it. Ordered from the least to the most severe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `UNKNOWN` (also Trivy's empty severity).
    #[default]
    Unknown,
    /// `LOW`.
    Low,
    /// `MEDIUM`.
    Medium,
    /// `HIGH`.
    High,
    /// `CRITICAL`.
    Critical,
}

impl Severity {
    /// Every severity, the most severe first (the order reports list them in).
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// The name Trivy uses (`CRITICAL`, …).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The SARIF `level` Trivy gives this severity: CRITICAL and HIGH `error`, MEDIUM
    /// `warning`, LOW and UNKNOWN `note`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Unknown => "note",
        }
    }

    /// The `security-severity` score GitHub ranks findings by when no CVSS score is known
    /// (Trivy's table): CRITICAL `9.5`, HIGH `8.0`, MEDIUM `5.5`, LOW `2.0`, UNKNOWN `0.0`.
    pub fn default_score(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "2.0",
            Severity::Unknown => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A severity name that is not one of Trivy's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN)")]
pub struct UnknownSeverity(pub String);

/// A severity name comes from the command line (`--fail-on`): a usage error.
impl ferry_error::Classify for UnknownSeverity {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Trivy's names in any case; the empty name is `UNKNOWN`, as Trivy reads it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Ok(Severity::Unknown);
        }
        Severity::ALL
            .into_iter()
            .find(|sev| sev.name().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A comma-separated list of severities (`CRITICAL,HIGH`), as `--fail-on` takes it; empty
/// items are skipped, and at least one severity is required.
pub fn parse_severities(list: &str) -> Result<Vec<Severity>, UnknownSeverity> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let sev: Severity = item.parse()?;
        if !out.contains(&sev) {
            out.push(sev);
        }
    }
    if out.is_empty() {
        return Err(UnknownSeverity(list.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_in_any_case_and_empty_as_unknown() {
        assert_eq!("critical".parse::<Severity>().unwrap(), Severity::Critical);
        assert_eq!("".parse::<Severity>().unwrap(), Severity::Unknown);
        assert!("SEVERE".parse::<Severity>().is_err());
        assert_eq!(
            parse_severities("CRITICAL, high,,CRITICAL").unwrap(),
            vec![Severity::Critical, Severity::High]
        );
        assert!(parse_severities(" , ").is_err());
    }
}
