//! What `ferry-pr open` prints: the change opened (or why nothing was), or with `--dry-run` the
//! change it would open.

use std::io::Write;

use ferry_cli::Format;
use ferry_cli::Result;
use ferry_gitops::ImageChange;
use ferry_gitops::deploy::DeployPlan;
use ferry_gitops::forge::{ChangeRequest, Opened};
use ferry_gitops::plan::Downgrade;
use serde::Serialize;

use crate::short;

/// What `open --format json` prints.
#[derive(Debug, Serialize)]
pub struct OpenReport<'a> {
    pub env: &'a str,
    #[serde(flatten)]
    pub opened: &'a Opened,
    pub changes: &'a [ImageChange],
    pub allowed_downgrades: &'a [Downgrade],
}

/// What `open --dry-run` prints: the change it would open on the synced base.
#[derive(Debug, Serialize)]
struct DryRunReport<'a> {
    dry_run: bool,
    env: &'a str,
    branch: &'a str,
    title: &'a str,
    base: &'a str,
    auto_merge: bool,
    up_to_date: bool,
    files: Vec<&'a str>,
    changes: &'a [ImageChange],
    allowed_downgrades: &'a [Downgrade],
    warnings: &'a [String],
}

pub fn dry_run(format: Format, request: &ChangeRequest, plan: &DeployPlan) -> Result<u8> {
    let report = DryRunReport {
        dry_run: true,
        env: &request.env,
        branch: &request.branch,
        title: &request.title,
        base: &plan.base,
        auto_merge: request.auto_merge,
        up_to_date: plan.is_noop(),
        files: plan.files.keys().map(String::as_str).collect(),
        changes: &plan.changes,
        allowed_downgrades: &plan.check.allowed_downgrades,
        warnings: &plan.check.warnings,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Text => {
            if report.up_to_date {
                writeln!(
                    out,
                    "dry run: {} already runs these images at {}; nothing would be opened",
                    report.env,
                    short(report.base)
                )?;
            } else {
                let merge = if report.auto_merge {
                    ", auto-merged"
                } else {
                    ", left for review"
                };
                writeln!(
                    out,
                    "dry run: would open {} on {} from {}{merge}: {}",
                    report.branch,
                    report.env,
                    short(report.base),
                    report.title
                )?;
                for file in &report.files {
                    writeln!(out, "  edits {file}")?;
                }
            }
            for c in report.changes {
                writeln!(out, "  {c}")?;
            }
        }
    }
    for w in report.warnings {
        eprintln!("ferry-pr: warning: {w}");
    }
    Ok(0)
}

pub fn write_opened(out: &mut impl Write, report: &OpenReport<'_>) -> Result<()> {
    let o = report.opened;
    if o.up_to_date {
        writeln!(
            out,
            "{} already runs these images at {}; nothing to open",
            report.env,
            short(&o.base)
        )?;
    } else if o.merged && o.number.is_none() {
        // Merged at once (plain git): no branch was ever pushed.
        writeln!(
            out,
            "merged the change for {} into the base branch as {}",
            report.env,
            short(o.merge_commit.as_deref().unwrap_or(&o.commit))
        )?;
    } else {
        let what = match (o.created, o.updated) {
            (true, _) => "opened",
            (false, true) => "updated",
            (false, false) => "unchanged",
        };
        let id = o.number.map_or_else(|| o.id.clone(), |n| format!("#{n}"));
        writeln!(
            out,
            "{what} change {id} for {} on {} ({})",
            report.env,
            o.branch,
            short(&o.commit)
        )?;
        if let Some(url) = &o.url {
            writeln!(out, "  {url}")?;
        }
        if o.merged {
            let commit = o.merge_commit.as_deref().map(short).unwrap_or_default();
            writeln!(out, "  merged into the base branch as {commit}")?;
        } else if o.auto_merge {
            writeln!(out, "  auto-merge enabled")?;
        } else {
            writeln!(
                out,
                "  open for review: approve with `ferry pr merge {}`",
                o.id
            )?;
        }
    }
    for c in report.changes {
        writeln!(out, "  {c}")?;
    }
    for d in report.allowed_downgrades {
        writeln!(
            out,
            "  downgrade allowed: {}: {} -> {} ({})",
            d.container, d.from, d.to, d.reason
        )?;
    }
    if !o.superseded.is_empty() {
        writeln!(out, "  superseded: {}", o.superseded.join(", "))?;
    }
    if o.attempts > 1 {
        writeln!(out, "  the base moved; recomputed {} times", o.attempts - 1)?;
    }
    Ok(())
}
