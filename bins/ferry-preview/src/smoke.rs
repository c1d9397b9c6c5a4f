//! `ferry-preview smoke`.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use ferry_cli::{Context as _, Format, Result};
use ferry_health::monitor::{self, Event};
use ferry_health::output::event_text;
use ferry_health::probe::Probe;
use ferry_health::probe::http::HttpProbe;
use ferry_preview::run::{preview_target, smoke_specs};
use serde_json::json;

use crate::ClusterArgs;
use crate::common::{self, PolicyArgs};

#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// The environment (its [environment.monitor] namespace and policy apply).
    #[arg(long, value_name = "ENV")]
    env: String,
    /// The blue-green Rollout paused for promotion.
    #[arg(long, value_name = "NAME")]
    rollout: String,
    /// A path to probe on the preview Service (repeatable) [default: /].
    #[arg(long = "http", value_name = "PATH")]
    paths: Vec<String>,
    /// Reach the preview Service at this base URL instead of its cluster DNS name (a port
    /// forward, an ingress of the preview Service).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Namespace of the Rollout [default: the environment's monitor namespace, else the
    /// kubeconfig's].
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// The ferry.toml [default: the nearest one from the current directory up].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    cluster: ClusterArgs,
}

pub async fn run(args: SmokeArgs) -> Result<u8> {
    let config = common::load_config(args.config.as_deref())?;
    config.require_environment(&args.env)?;
    let monitor = common::monitor_of(Some(&config), &args.env);
    let policy = common::policy(&args.policy, &monitor)?;
    let (cluster, default_namespace) = common::cluster(&args.cluster).await?;
    let namespace = args
        .namespace
        .clone()
        .or(monitor.namespace.clone())
        .unwrap_or(default_namespace);
    let target = preview_target(&cluster, &namespace, &args.rollout).await?;
    let base = args.url.clone().unwrap_or_else(|| target.url.clone());
    let mut probes: Vec<Box<dyn Probe>> = Vec::new();
    for spec in smoke_specs(&base, &args.paths) {
        let url = spec.url.clone();
        probes.push(Box::new(
            HttpProbe::new(spec).with_context(|| format!("--http {url}"))?,
        ));
    }
    let format = args.cluster.format;
    if format == Format::Text {
        println!(
            "rollout {namespace}/{} paused for promotion; preview Service {} ({})",
            target.rollout, target.service, base
        );
    }
    let total = policy.checks();
    let report = monitor::run(&policy, &mut probes, None, &mut |event: &Event| {
        if format == Format::Text {
            println!("{}", event_text(event, total));
        }
    })
    .await;
    if format == Format::Json {
        writeln!(
            std::io::stdout().lock(),
            "{}",
            json!({"target": target, "url": base, "verdict": report.verdict,
                "reason": report.reason, "report": report})
        )?;
    }
    common::outputs(&[
        ("verdict", report.verdict.as_str().to_string()),
        ("preview-service", target.service.clone()),
    ])?;
    common::summary(&format!(
        "### Smoke tests of {namespace}/{}\n\nPreview Service `{}` ({base}): **{}** ({}).\n",
        target.rollout,
        target.service,
        report.verdict.as_str(),
        report.reason
    ))?;
    Ok(report.verdict.exit_code())
}
