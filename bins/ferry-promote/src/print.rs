//! What `ferry-promote` prints as text: the verification marked, the refusals, the promotion.

use std::io::Write;

use ferry_cli::Result;
use ferry_gitops::forge::Opened;
use ferry_gitops::gates::{PromotionPlan, Refused};
use ferry_gitops::promote::Marked;

use crate::short;

/// The verification `--mark-verified` recorded (or would record).
pub fn marked(out: &mut impl Write, env: &str, result: &Marked, dry_run: bool) -> Result<()> {
    writeln!(
        out,
        "{} {env} at {} ({}):",
        if dry_run { "would verify" } else { "verified" },
        short(&result.commit),
        ferry_config::human_time(&result.record.verified_at)
    )?;
    for (k, v) in &result.record.images {
        writeln!(out, "  {k}  {v}")?;
    }
    Ok(())
}

/// The refusals of the gates (inconclusive: the registry could not be asked).
pub fn refused(out: &mut impl Write, refused: &Refused, inconclusive: bool) -> Result<()> {
    if inconclusive {
        writeln!(
            out,
            "promotion {} → {} inconclusive: the registry could not be asked:",
            refused.from, refused.to
        )?;
        for r in &refused.refusals {
            writeln!(out, "  {} (inconclusive): {}", r.rule, r.evidence)?;
        }
    } else {
        writeln!(out, "promotion {} → {} refused:", refused.from, refused.to)?;
        for r in &refused.refusals {
            writeln!(out, "  {}: {}", r.rule, r.evidence)?;
        }
    }
    Ok(())
}

/// The promotion: opened, merged, a no-op or a dry run, with its changes and verification.
pub fn plan(
    out: &mut impl Write,
    plan: &PromotionPlan,
    dry_run: bool,
    opened: Option<&Opened>,
) -> Result<()> {
    if plan.is_noop() {
        writeln!(
            out,
            "{} already runs what {} runs; nothing to promote",
            plan.to, plan.from
        )?;
    } else if dry_run {
        writeln!(
            out,
            "would promote {} → {} (dry run, nothing changed):",
            plan.from, plan.to
        )?;
    } else if let Some(o) = opened.filter(|o| o.merged && o.number.is_none()) {
        // Merged at once (plain git): no branch was ever pushed.
        writeln!(
            out,
            "promoted {} → {}: merged into the base branch as {}",
            plan.from,
            plan.to,
            short(o.merge_commit.as_deref().unwrap_or(&o.commit))
        )?;
    } else if let Some(o) = opened {
        let id = o.number.map_or_else(|| o.id.clone(), |n| format!("#{n}"));
        let state = if o.merged {
            "merged"
        } else if o.auto_merge {
            "auto-merge enabled"
        } else {
            "open for review"
        };
        writeln!(
            out,
            "promoted {} → {}: change {id} on {} ({state}, {})",
            plan.from,
            plan.to,
            o.branch,
            short(&o.commit)
        )?;
        if let Some(url) = &o.url {
            writeln!(out, "  {url}")?;
        }
        if !o.merged && !o.auto_merge {
            writeln!(
                out,
                "  a person approves it with `ferry pr merge {}` (`ferry pr show {}` shows it)",
                o.id, o.id
            )?;
        }
    }
    for c in &plan.changes {
        writeln!(out, "  {c}")?;
    }
    for c in &plan.not_in_target {
        writeln!(out, "  {c}: not in {} (not promoted)", plan.to)?;
    }
    if let Some(v) = &plan.verification {
        writeln!(
            out,
            "  verified: {} at {} (record on {}, read from {})",
            plan.from,
            v.verified_at,
            short(&v.commit),
            v.source
        )?;
    }
    Ok(())
}
