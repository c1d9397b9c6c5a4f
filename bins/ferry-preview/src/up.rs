//! `ferry-preview up`.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use ferry_cli::{Error, Format, Result};
use ferry_config::parse_duration;
use ferry_health::monitor::{Event, Report};
use ferry_health::output::event_text;
use ferry_preview::{ImageOverride, Scope, Stamp, plan};
use serde_json::json;

use crate::common::{self, PolicyArgs};
use crate::{ClusterArgs, PreviewArgs};

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    preview: PreviewArgs,
    /// Run this image instead: NAME=REF, NAME a logical image of ferry.toml or a repository,
    /// REF a tag, a digest or TAG@DIGEST (repeatable).
    #[arg(long = "image", value_name = "NAME=REF")]
    images: Vec<String>,
    /// The commit the preview renders [default: HEAD of the repository, else $GITHUB_SHA].
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// How long the preview lives before `gc` removes it.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    ttl: Duration,
    /// What to do with cluster-scoped objects the overlay renders.
    #[arg(long, value_enum, default_value_t = ClusterScoped::Skip)]
    cluster_scoped: ClusterScoped,
    /// Apply without waiting for the workloads to be healthy.
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The ferry.toml [default: the nearest one from the current directory up].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    cluster: ClusterArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClusterScoped {
    /// Leave them out with a warning (they must exist already).
    Skip,
    /// Refuse to apply anything.
    Refuse,
}

/// The commit: the flag, else HEAD of the repository around the config (what is rendered),
/// else `$GITHUB_SHA`.
fn commit(args: &UpArgs, config: &ferry_config::Config) -> Option<String> {
    args.commit
        .clone()
        .or_else(|| {
            ferry_gitops::Repo::discover(&config.root)
                .ok()?
                .resolve("HEAD")
                .ok()
                .map(|id| id.to_string())
        })
        .or_else(|| ferry_cli::env::non_empty(ferry_cli::env::GITHUB_SHA))
}

pub async fn run(args: UpArgs) -> Result<u8> {
    let config = common::load_config(args.config.as_deref())?;
    let preview = common::preview(&args.preview, Some(&config))?;
    let monitor = common::monitor_of(Some(&config), &preview.environment);
    let policy = common::policy(&args.policy, &monitor)?;
    let mut images = Vec::new();
    for text in &args.images {
        let (name, reference) = text
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--image {text:?}: expected NAME=REF")))?;
        let resolved = ferry_gitops::image_ref::resolve_image_ref(&config, name, reference, false)?;
        images.push(ImageOverride {
            name: resolved.repository.to_string(),
            image: resolved.image.to_string(),
        });
    }
    let stamp = Stamp::new(
        commit(&args, &config).as_deref(),
        jiff::Timestamp::now(),
        args.ttl,
    )?;
    let objects = common::render(&config, &preview.environment)?;
    let scope = match args.cluster_scoped {
        ClusterScoped::Skip => Scope::Skip,
        ClusterScoped::Refuse => Scope::Refuse,
    };
    let plan = plan(objects, &preview, &stamp, &images, scope)?;
    let format = args.cluster.format;
    for skipped in &plan.skipped {
        tracing::warn!("skipped {}: {}", skipped.object, skipped.reason);
    }
    let (cluster, _) = common::cluster(&args.cluster).await?;
    let mut out = std::io::stdout().lock();
    if format == Format::Text {
        writeln!(
            out,
            "preview {} of {} in namespace {}",
            preview.name, preview.environment, preview.namespace
        )?;
        for skipped in &plan.skipped {
            writeln!(out, "skipped {}: {}", skipped.object, skipped.reason)?;
        }
    }
    drop(out);
    let applied = cluster
        .up(&plan, &mut |what| {
            if format == Format::Text {
                println!("applied {what}");
            }
        })
        .await?;
    let report: Option<Report> = if args.no_wait {
        None
    } else {
        let total = policy.checks();
        ferry_preview::run::wait_healthy(
            &cluster,
            &preview.namespace,
            &plan.workloads,
            &policy,
            &mut |event: &Event| {
                if format == Format::Text && !matches!(event, Event::Verdict(_)) {
                    println!("{}", event_text(event, total));
                }
            },
        )
        .await?
    };
    let (verdict, reason, code) = match &report {
        Some(r) => (
            r.verdict.as_str().to_string(),
            r.reason.clone(),
            r.verdict.exit_code(),
        ),
        None if args.no_wait => ("applied".into(), "--no-wait: not waited for".into(), 0),
        None => ("healthy".into(), "no workload to wait for".into(), 0),
    };
    let services: serde_json::Map<String, serde_json::Value> = plan
        .services
        .iter()
        .map(|s| (s.name.clone(), json!(s.url)))
        .collect();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(
            out,
            "{}",
            json!({
                "preview": preview.name, "environment": preview.environment,
                "namespace": preview.namespace, "created": applied.created,
                "commit": stamp.commit, "expires": stamp.expires.to_string(),
                "applied": applied.objects, "skipped": plan.skipped, "images": plan.images,
                "services": services, "verdict": verdict, "reason": reason,
                "report": report,
            })
        )?,
        Format::Text => {
            for s in &plan.services {
                writeln!(out, "service {} {}", s.name, s.url)?;
            }
            writeln!(out, "verdict {verdict}: {reason}")?;
        }
    }
    common::outputs(&[
        ("namespace", preview.namespace.clone()),
        ("verdict", verdict.clone()),
        (
            "services",
            serde_json::to_string(&services).expect("a map serialises"),
        ),
    ])?;
    let mut md = format!(
        "### Preview {} of {}\n\nNamespace `{}`: {} objects applied, verdict **{verdict}** ({reason}).\n",
        preview.name,
        preview.environment,
        preview.namespace,
        applied.objects.len()
    );
    if !plan.services.is_empty() {
        md.push_str("\n| Service | URL |\n|---|---|\n");
        for s in &plan.services {
            md.push_str(&format!("| {} | {} |\n", s.name, s.url));
        }
    }
    common::summary(&md)?;
    Ok(code)
}
