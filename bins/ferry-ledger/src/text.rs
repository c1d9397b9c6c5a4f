//! The ledger as text.

use std::collections::BTreeMap;
use std::io::Write;

use ferry_cli::Result;
use ferry_ledger::EnvLedger;

/// An environment's ledger for people: what it runs, then its deployments, newest first.
pub(crate) fn write_text(out: &mut impl Write, env: &EnvLedger) -> Result<()> {
    let Some(now) = env.current() else {
        writeln!(
            out,
            "{} ({}): no deployment on the base branch",
            env.name, env.overlay
        )?;
        return Ok(());
    };
    writeln!(
        out,
        "{} ({}) runs, since {} ({}, {}):",
        env.name,
        env.overlay,
        short(&now.commit),
        now.time,
        now.author
    )?;
    write_images(out, &now.images, "  ")?;
    if let Some(e) = &now.error {
        writeln!(out, "  warning: the newest commit does not render: {e}")?;
    }
    writeln!(out, "  deployments, newest first:")?;
    for d in &env.deployments {
        writeln!(
            out,
            "  {}  {}  {}  {}",
            short(&d.commit),
            d.time,
            d.author,
            d.summary
        )?;
        if let Some(e) = &d.error {
            writeln!(out, "      does not render (images unchanged): {e}")?;
        } else if d.changes.is_empty() {
            writeln!(out, "      no image change")?;
        }
        for c in &d.changes {
            let from = c.from.as_deref().unwrap_or("(new)");
            let to = c.to.as_deref().unwrap_or("(removed)");
            if c.from.is_none() {
                writeln!(out, "      {}: {to}", c.container)?;
            } else {
                writeln!(out, "      {}: {from} -> {to}", c.container)?;
            }
        }
    }
    if env.truncated {
        writeln!(out, "  … older deployments not read (--limit)")?;
    }
    Ok(())
}

/// One line per image, names aligned.
pub(crate) fn write_images(
    out: &mut impl Write,
    images: &BTreeMap<String, String>,
    indent: &str,
) -> Result<()> {
    let width = images.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in images {
        writeln!(out, "{indent}{k:width$}  {v}")?;
    }
    Ok(())
}

/// A commit id shortened to 12 characters.
pub(crate) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
