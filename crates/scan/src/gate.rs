//! The gate: which findings fail a build. Pure: the report, the policy, the ignore file and
//! today's date in, a [`Verdict`] out.

use jiff::civil::Date;
use serde::Serialize;

use crate::finding::{Finding, Kind};
use crate::ignore::{IgnoreEntry, IgnoreFile};
use crate::report::Report;
use crate::severity::Severity;

/// What fails the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The severities that fail it (default: CRITICAL).
    pub fail_on: Vec<Severity>,
    /// Only vulnerabilities with a fix fail it (`--only-fixed`); configuration checks and
    /// secrets are always fixable.
    pub only_fixed: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: vec![Severity::Critical],
            only_fixed: false,
        }
    }
}

/// What the gate made of one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    /// It fails the gate.
    Fails,
    /// An ignore entry (its index in the ignore file) accepts it.
    Ignored {
        /// The entry's index.
        entry: usize,
    },
    /// Its severity is not one the gate fails on.
    BelowThreshold,
    /// A vulnerability without a fix, and the gate fails only on fixable ones.
    Unfixed,
}

/// A finding with the gate's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// An expired entry (its index) that would have ignored it: the gate says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_ignore: Option<usize>,
}

/// The counts of one severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Findings of this severity.
    pub found: usize,
    /// Of them, failing the gate.
    pub failing: usize,
    /// Of them, ignored by an entry.
    pub ignored: usize,
}

/// The gate's verdict on a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Whether the gate passed: no finding fails it.
    pub passed: bool,
    /// The policy applied.
    pub policy: Policy,
    /// The day the ignores were judged on.
    #[serde(serialize_with = "date_text")]
    pub today: Date,
    /// What was scanned (the report's `ArtifactName`).
    pub artifact: String,
    /// Every finding with its outcome, in report order.
    pub findings: Vec<Judged>,
    /// The ignore file's entries.
    pub ignores: Vec<IgnoreEntry>,
    /// Entries (indices) that have expired: they no longer ignore anything.
    pub expired: Vec<usize>,
    /// Entries (indices) that expire within 14 days.
    pub expiring_soon: Vec<usize>,
    /// Live entries (indices) that matched no finding.
    pub unused: Vec<usize>,
}

fn date_text<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

impl Verdict {
    /// The findings that fail the gate.
    pub fn failing(&self) -> impl Iterator<Item = &Judged> {
        self.findings.iter().filter(|j| j.outcome == Outcome::Fails)
    }

    /// The counts per severity, every severity, the most severe first.
    pub fn counts(&self) -> Vec<(Severity, Counts)> {
        Severity::ALL
            .into_iter()
            .map(|severity| {
                let mut c = Counts::default();
                for j in self
                    .findings
                    .iter()
                    .filter(|j| j.finding.severity == severity)
                {
                    c.found += 1;
                    match j.outcome {
                        Outcome::Fails => c.failing += 1,
                        Outcome::Ignored { .. } => c.ignored += 1,
                        Outcome::BelowThreshold | Outcome::Unfixed => {}
                    }
                }
                (severity, c)
            })
            .collect()
    }
}

/// Judges every finding of `report`: a finding a live ignore entry names is ignored; else one
/// whose severity the policy does not fail on is below the threshold; else, with
/// `only_fixed`, a vulnerability without a fix is unfixed; else it fails. An entry that has
/// expired on `today` ignores nothing, and a failing finding it names says so.
pub fn evaluate(report: &Report, policy: &Policy, ignores: &IgnoreFile, today: Date) -> Verdict {
    let entries = &ignores.ignores;
    let live = |e: &&IgnoreEntry| !e.is_expired(today);
    let mut used = vec![false; entries.len()];
    let findings: Vec<Judged> = report
        .findings()
        .into_iter()
        .map(|finding| {
            let entry = entries
                .iter()
                .enumerate()
                .find(|(_, e)| live(e) && e.matches(&finding))
                .map(|(i, _)| i);
            let outcome = if let Some(entry) = entry {
                used[entry] = true;
                Outcome::Ignored { entry }
            } else if !policy.fail_on.contains(&finding.severity) {
                Outcome::BelowThreshold
            } else if policy.only_fixed && finding.kind == Kind::Vulnerability && !finding.has_fix()
            {
                Outcome::Unfixed
            } else {
                Outcome::Fails
            };
            let expired_ignore = (outcome == Outcome::Fails)
                .then(|| {
                    entries
                        .iter()
                        .position(|e| e.is_expired(today) && e.matches(&finding))
                })
                .flatten();
            Judged {
                finding,
                outcome,
                expired_ignore,
            }
        })
        .collect();
    let indices = |pred: &dyn Fn(usize, &IgnoreEntry) -> bool| -> Vec<usize> {
        entries
            .iter()
            .enumerate()
            .filter(|(i, e)| pred(*i, e))
            .map(|(i, _)| i)
            .collect()
    };
    Verdict {
        passed: findings.iter().all(|j| j.outcome != Outcome::Fails),
        policy: policy.clone(),
        today,
        artifact: report.artifact_name.clone(),
        expired: indices(&|_, e| e.is_expired(today)),
        expiring_soon: indices(&|_, e| e.expires_soon(today)),
        unused: indices(&|i, e| !e.is_expired(today) && !used[i]),
        ignores: entries.clone(),
        findings,
    }
}
