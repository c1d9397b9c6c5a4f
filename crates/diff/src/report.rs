//! A whole `ferry diff`: the comparisons of each environment between two revisions, or of two
//! environments (drift), with the JSON document of `--format json`.

use serde::Serialize;

use crate::compare::{ChangeKind, Comparison, Counts, ObjectChange};
use crate::images::ImageChange;

/// The version of the JSON document ([`Report::to_json`]); it changes when a field changes
/// meaning or goes away, not when one is added.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// What was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Each environment between two revisions.
    Revisions,
    /// Two environments at one revision.
    Drift,
}

/// The comparison of one environment (or, for drift, of the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The environment (drift: `A..B`).
    pub name: String,
    /// What differs.
    pub comparison: Comparison,
}

/// The result of one `ferry diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What was compared.
    pub mode: Mode,
    /// The old side: a revision (`main (1a2b3c4)`) or, for drift, the first environment.
    pub from: String,
    /// The new side: a revision, the working tree, or the second environment.
    pub to: String,
    /// Whether images were left out (drift beyond images).
    pub ignore_images: bool,
    /// One section per environment compared.
    pub sections: Vec<Section>,
}

impl Report {
    /// How many objects differ, over every section.
    pub fn differences(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.comparison.objects.len())
            .sum()
    }

    /// Every image change with its section's name, sections in order.
    pub fn images(&self) -> impl Iterator<Item = (&str, &ImageChange)> {
        self.sections
            .iter()
            .flat_map(|s| s.comparison.images().map(move |i| (s.name.as_str(), i)))
    }

    /// What an object change is called in this report: the change's word for revisions;
    /// `only in B`, `only in A`, `differs` for drift.
    pub fn describe(&self, change: ChangeKind) -> String {
        match (self.mode, change) {
            (Mode::Drift, ChangeKind::Added) => format!("only in {}", self.to),
            (Mode::Drift, ChangeKind::Removed) => format!("only in {}", self.from),
            (Mode::Drift, ChangeKind::Changed | ChangeKind::Renamed) => "differs".to_owned(),
            (Mode::Revisions, change) => change.as_str().to_owned(),
        }
    }

    /// The JSON document of `ferry diff --format json` (docs/ferry-diff.md describes it).
    pub fn to_json(&self) -> serde_json::Value {
        let document = JsonReport {
            schema: JSON_SCHEMA_VERSION,
            mode: self.mode,
            from: &self.from,
            to: &self.to,
            ignore_images: self.ignore_images,
            differences: self.differences(),
            environments: self
                .sections
                .iter()
                .map(|s| JsonSection {
                    name: &s.name,
                    summary: s.comparison.counts(),
                    images: s.comparison.images().collect(),
                    objects: &s.comparison.objects,
                })
                .collect(),
        };
        serde_json::to_value(document).expect("the report is plain data")
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: u32,
    mode: Mode,
    from: &'a str,
    to: &'a str,
    ignore_images: bool,
    differences: usize,
    environments: Vec<JsonSection<'a>>,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    name: &'a str,
    summary: Counts,
    images: Vec<&'a ImageChange>,
    objects: &'a [ObjectChange],
}

/// `old → new` of an image change, `(none)` for a missing side.
pub fn image_transition(change: &ImageChange) -> String {
    format!(
        "{} → {}",
        change.old.as_deref().unwrap_or("(none)"),
        change.new.as_deref().unwrap_or("(none)")
    )
}

/// The counts as a line: `1 changed, 2 added, 0 removed, 1 renamed, 10 unchanged` (for drift:
/// `1 differ, 2 only in prod, 0 only in staging, 10 same`).
pub fn counts_line(report: &Report, counts: &Counts) -> String {
    match report.mode {
        Mode::Revisions => format!(
            "{} changed, {} added, {} removed, {} renamed, {} unchanged",
            counts.changed, counts.added, counts.removed, counts.renamed, counts.unchanged
        ),
        Mode::Drift => format!(
            "{} differ, {} only in {}, {} only in {}, {} same",
            counts.changed + counts.renamed,
            counts.removed,
            report.from,
            counts.added,
            report.to,
            counts.unchanged
        ),
    }
}

/// The title line of a change: `~ changed: Deployment prod/web`, a renamed object with its old
/// name (`> renamed: ConfigMap prod/app-config-7b9fk2g5dm → app-config-h5dk8t2b9c`).
pub fn change_title(report: &Report, change: &ObjectChange) -> String {
    let mut title = format!(
        "{} {}: {}",
        change.change.mark(),
        report.describe(change.change),
        change.old_id.as_ref().unwrap_or(&change.id)
    );
    if let Some(old) = &change.old_id {
        title.push_str(" → ");
        title.push_str(&change.id.name);
        if old.namespace != change.id.namespace {
            title = format!(
                "{} {}: {} → {}",
                change.change.mark(),
                report.describe(change.change),
                old,
                change.id
            );
        }
    }
    if change.masked {
        title.push_str(" (values masked)");
    }
    title
}
