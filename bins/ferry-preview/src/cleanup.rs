//! `ferry-preview down` and `gc`.

use std::io::Write as _;
use std::time::Duration;

use clap::Args;
use ferry_cli::{Format, Result};
use ferry_config::parse_duration;
use ferry_preview::identity::gc_reason;
use ferry_preview::{Down, Preview};
use serde_json::json;

use crate::common;
use crate::{ClusterArgs, PreviewArgs};

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    preview: PreviewArgs,
    #[command(flatten)]
    cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    /// Also remove previews created longer ago than this, expired or not.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    older_than: Option<Duration>,
    /// List what would be removed; remove nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    cluster: ClusterArgs,
}

fn down_text(down: &Down) -> Vec<String> {
    if down.already_gone {
        return vec![format!("namespace {}: already gone", down.namespace)];
    }
    if down.already_terminating {
        return vec![format!("namespace {}: already terminating", down.namespace)];
    }
    let mut lines: Vec<String> = down
        .deleted
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(resource, n)| format!("deleted {n} {resource}"))
        .collect();
    lines.push(format!(
        "namespace {}: {}",
        down.namespace,
        if down.namespace_deleted {
            "deleting"
        } else {
            "already gone"
        }
    ));
    lines
}

pub async fn down(args: DownArgs) -> Result<u8> {
    // No ferry.toml needed: `down` must work in `if: always()` whatever failed before.
    let preview = Preview::new(&args.preview.env, &args.preview.name)?;
    let (cluster, _) = common::cluster(&args.cluster).await?;
    let down = cluster.down(&preview).await?;
    let mut out = std::io::stdout().lock();
    match args.cluster.format {
        Format::Json => writeln!(out, "{}", json!(down))?,
        Format::Text => {
            for line in down_text(&down) {
                writeln!(out, "{line}")?;
            }
        }
    }
    let removed = !(down.already_gone || down.already_terminating);
    common::outputs(&[("removed", removed.to_string())])?;
    Ok(0)
}

pub async fn gc(args: GcArgs) -> Result<u8> {
    let (cluster, _) = common::cluster(&args.cluster).await?;
    let now = jiff::Timestamp::now();
    let mut removed = Vec::new();
    for namespace in cluster.previews().await? {
        let Some(preview) = Preview::of_namespace(&namespace) else {
            continue;
        };
        let Some(reason) = gc_reason(&namespace, now, args.older_than) else {
            continue;
        };
        let down = if args.dry_run {
            None
        } else {
            Some(cluster.down(&preview).await?)
        };
        if args.cluster.format == Format::Text {
            let verb = if args.dry_run {
                "would remove"
            } else {
                "removed"
            };
            println!("{verb} {} ({reason})", preview.namespace);
        }
        removed.push(json!({"namespace": preview.namespace, "reason": reason, "down": down}));
    }
    match args.cluster.format {
        Format::Json => writeln!(
            std::io::stdout().lock(),
            "{}",
            json!({"dry_run": args.dry_run, "previews": removed})
        )?,
        Format::Text if removed.is_empty() => println!("no preview to remove"),
        Format::Text => {}
    }
    common::outputs(&[("removed", removed.len().to_string())])?;
    Ok(0)
}
