//! The text of `ferry diff`: a title, every image change, then each environment's objects with
//! their unified diffs.

use std::fmt::Write as _;

use crate::report::{Mode, Report, change_title, counts_line, image_transition};

/// The report as text for a terminal (no colours; ends with a newline).
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(report));
    let images: Vec<_> = report.images().collect();
    if !images.is_empty() {
        let _ = writeln!(out, "\nimages:");
        for (section, change) in images {
            let init = if change.init {
                "init container"
            } else {
                "container"
            };
            let _ = writeln!(
                out,
                "  {section}: {} {init} {}: {}",
                change.object,
                change.container,
                image_transition(change)
            );
        }
    }
    for section in &report.sections {
        let counts = section.comparison.counts();
        let _ = writeln!(out, "\n{}: {}", section.name, counts_line(report, &counts));
        for change in &section.comparison.objects {
            let _ = writeln!(out, "{}", change_title(report, change));
            if !change.references.is_empty() {
                let names: Vec<String> = change.references.iter().map(|r| r.to_string()).collect();
                let _ = writeln!(out, "  referenced by: {}", names.join(", "));
            }
            out.push_str(&change.diff);
            if !change.diff.is_empty() && !change.diff.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    if report.differences() == 0 {
        let _ = writeln!(out, "\nno difference");
    }
    out
}

/// `ferry diff: main (1a2b3c4) → working tree`, or for drift `ferry diff: drift from staging
/// to prod (images ignored)`.
pub fn title(report: &Report) -> String {
    match report.mode {
        Mode::Revisions => format!("ferry diff: {} → {}", report.from, report.to),
        Mode::Drift => format!(
            "ferry diff: drift from {} to {}{}",
            report.from,
            report.to,
            if report.ignore_images {
                " (images ignored)"
            } else {
                ""
            }
        ),
    }
}
