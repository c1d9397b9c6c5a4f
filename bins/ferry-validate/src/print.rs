//! The report as text (with GitHub workflow annotations inside Actions) or JSON.

use std::io::Write;

use anyhow::Result;

use crate::Report;

/// Prints the report as one JSON line.
pub(crate) fn json(report: &Report) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, report)?;
    writeln!(out)?;
    Ok(())
}

/// Prints the report for people: each overlay, its findings and workloads.
pub(crate) fn text(report: &Report) -> Result<()> {
    // One write at the end rather than one per line (stdout is line-buffered).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let annotate = ferry_cli::env::in_github_actions();
    for o in &report.overlays {
        let name = match &o.environment {
            Some(env) => format!("{env} ({})", o.path),
            None => o.path.clone(),
        };
        let status = if o.valid { "valid" } else { "INVALID" };
        writeln!(
            out,
            "{name}: {status}, {} workload(s), {} error(s), {} warning(s)",
            o.workloads.len(),
            o.errors.len(),
            o.warnings.len()
        )?;
        for (kind, list) in [("error", &o.errors), ("warning", &o.warnings)] {
            for l in list {
                writeln!(
                    out,
                    "  {}:{}:{}: {kind}: {}",
                    l.file, l.line, l.column, l.message
                )?;
                if annotate {
                    writeln!(
                        out,
                        "::{kind} file={},line={},col={}::{}",
                        l.file,
                        l.line.max(1),
                        l.column.max(1),
                        l.message.replace('%', "%25").replace('\n', "%0A")
                    )?;
                }
            }
        }
        for w in &o.workloads {
            let ns = w.namespace.as_deref().unwrap_or("(no namespace)");
            writeln!(out, "  {} {ns}/{} ({})", w.kind, w.name, w.api_version)?;
            for c in &w.containers {
                let init = if c.init { " (init)" } else { "" };
                writeln!(out, "    {}{init}: {}", c.name, c.image)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
