//! What the subcommands share: the config, the cluster client, the monitor's policy, the
//! rendered overlay, outputs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use ferry_cli::{Context as _, Error, ErrorKind, Result, WithKind as _};
use ferry_config::{Config, Monitor, parse_duration};
use ferry_health::monitor::{Policy, PolicyFlags, Span};
use ferry_preview::{Cluster, Preview};
use serde_json::Value;

use crate::{ClusterArgs, PreviewArgs};

/// The config: `explicit`, else the nearest `ferry.toml` from the current directory up.
pub fn load_config(explicit: Option<&Path>) -> Result<Config> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let cwd = std::env::current_dir()
                .context("cannot read the current directory")
                .with_kind(ErrorKind::Io)?;
            Config::locate(None, &cwd)?
        }
    };
    Ok(Config::load(&path)?)
}

/// The preview of `args`, its environment checked against `config` when there is one.
pub fn preview(args: &PreviewArgs, config: Option<&Config>) -> Result<Preview> {
    if let Some(config) = config {
        config.require_environment(&args.env)?;
    }
    Ok(Preview::new(&args.env, &args.name)?)
}

/// The cluster.
pub async fn cluster(args: &ClusterArgs) -> Result<(Cluster, String)> {
    let (client, namespace) =
        ferry_cli::kube::client(args.server.as_deref(), args.context.as_deref(), None).await?;
    Ok((Cluster::new(client), namespace))
}

/// The monitor's policy flags; unset ones come from `[environment.monitor]`.
#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    /// Wait before the first health check [default: the environment's monitor warm-up].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// Time between checks [default: the environment's].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Number of checks [default: the environment's].
    #[arg(long, value_name = "N")]
    checks: Option<u32>,
    /// Consecutive failed checks that make the verdict unhealthy [default: the environment's].
    #[arg(long, value_name = "N")]
    failures: Option<u32>,
    /// Inconclusive checks tolerated [default: the environment's].
    #[arg(long, value_name = "N")]
    error_budget: Option<u32>,
    /// The longest wait for a verdict [default: the environment's].
    #[arg(long = "health-timeout", value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
}

/// The monitor's policy: `monitor` (`[monitor]` ← `[environment.monitor]`), then the flags
/// ([`Policy::configured`]).
pub fn policy(args: &PolicyArgs, monitor: &Monitor) -> Result<Policy> {
    let flags = PolicyFlags {
        warmup: args.warmup,
        interval: args.interval,
        span: args.checks.map(Span::Checks),
        failures: args.failures,
        error_budget: args.error_budget,
        timeout: args.timeout,
    };
    Policy::configured(monitor, &flags).map_err(Error::usage)
}

/// The environment's monitor settings, defaults without a config.
pub fn monitor_of(config: Option<&Config>, env: &str) -> Monitor {
    config
        .and_then(|c| c.environment(env))
        .map_or_else(Monitor::default, |e| e.monitor.clone())
}

/// The objects ENV's overlay renders, as `kubectl kustomize` renders them (`ferry render`).
pub fn render(config: &Config, env: &str) -> Result<Vec<Value>> {
    let environment = config.require_environment(env)?;
    let overlay = config.overlay_dir(environment);
    let options = ferry_gitops::resolve_options(config);
    let rendered = ferry_kustomize::render::render_overlay(&config.root, &overlay, &options)
        .with_context(|| format!("rendering {}", overlay.display()))?;
    Ok(rendered.objects.into_iter().map(|o| o.value).collect())
}

/// The repository's WorkflowTemplates directory.
pub fn templates_dir(config: &Config) -> PathBuf {
    config.root.join("infra").join("argo-workflows")
}

/// Writes step outputs (`$GITHUB_OUTPUT`), when running in GitHub Actions.
pub fn outputs(pairs: &[(&str, String)]) -> Result<()> {
    ferry_cli::github_output::write(pairs).map_err(|e| Error::msg(ErrorKind::Io, e.to_string()))
}

/// Appends markdown to the job summary (`$GITHUB_STEP_SUMMARY`), when there is one.
pub fn summary(markdown: &str) -> Result<()> {
    ferry_cli::step_summary::append(markdown)
        .map(|_| ())
        .map_err(|e| Error::msg(ErrorKind::Io, e.to_string()))
}
