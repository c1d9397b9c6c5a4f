//! `ferry-promote`: promote what one environment runs, and verified, to the next one, through
//! the promotion gates (upstream, source deployed, verified, registry, soak, hold); and record a
//! verification by hand with `--mark-verified`.
//!
//! Exit codes: 0 promoted (the change opened or merged), nothing to promote, a dry run that
//! would promote, or a verification recorded; 1 refused by a gate (each refusal names its rule
//! and evidence), a downgrade or a hold of the target; 2 usage, config or bad input; 3 the
//! forge, git or the network failed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser};
use ferry_cli::forge::{self, ForgeArgs, Setup};
use ferry_cli::{Context as _, Result};
use ferry_cli::{Format, Runtime};
use ferry_config::parse_duration;
use ferry_gitops::flow::{self, Promotion, Proposal};
use ferry_gitops::forge::{AnyForge, Forge as _};
use ferry_gitops::promote::{Marked, PromoteRequest};
use ferry_image::registry::RegistryClient;
use ferry_notify::{Outcome, notify};
use serde::Serialize;

mod print;

/// Promote what --from runs to --to, only when every gate allows it: --to's upstream is
/// --from, --from has a verification record for exactly what it runs, every image exists in
/// its registry (with the pinned digest), the images have run in --from for the soak time, and
/// --to is not on hold. Refusals name the rule and the evidence.
#[derive(Debug, Parser)]
#[command(name = "ferry-promote", version, about, long_about)]
struct Cli {
    /// The environment to promote from (default: the upstream of --to in ferry.toml).
    #[arg(long, value_name = "ENV", requires = "to")]
    from: Option<String>,
    /// The environment to promote to.
    #[arg(long, value_name = "ENV", required_unless_present = "mark_verified")]
    to: Option<String>,
    /// How long the images must have run in --from (default: soak of --to in ferry.toml).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    soak: Option<Duration>,
    /// First record that ENV was verified running what it runs now (through the forge: a
    /// note pushed to refs/notes/ferry, or a commit status on GitHub). Alone, it exits after
    /// that; with --from/--to, the promotion follows.
    #[arg(long, value_name = "ENV")]
    mark_verified: Option<String>,
    /// Evidence stored with --mark-verified's record: JSON, or text stored as a string.
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "marked verified by hand with ferry-promote"
    )]
    evidence: String,
    /// Decide and show, but change nothing (no record, no change).
    #[arg(long)]
    dry_run: bool,
    /// Promote even when the target runs a newer image.
    #[arg(long)]
    allow_downgrade: bool,
    /// A local clone of the application repository, to order commit-sha tags by ancestry.
    #[arg(long, value_name = "PATH")]
    app_repo: Option<PathBuf>,
    /// Slack incoming webhook told when the promotion is merged. In GitHub mode a GitHub
    /// deployment of the merged commit gets the status `in_progress` as well.
    #[arg(
        long,
        value_name = "URL",
        env = ferry_cli::env::FERRY_SLACK_WEBHOOK,
        hide_env_values = true
    )]
    slack_webhook: Option<String>,
    /// Merge as soon as possible (default: auto-merge of --to in ferry.toml).
    #[arg(long, overrides_with = "no_auto_merge")]
    auto_merge: bool,
    /// Leave the change for review, whatever ferry.toml says.
    #[arg(long, overrides_with = "auto_merge")]
    no_auto_merge: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    forge: ForgeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
struct RegistryArgs {
    /// Reach this registry (`host[:port]`) over plain HTTP; repeatable. Comma-separated in the
    /// environment variable.
    #[arg(
        long,
        value_name = "REGISTRY",
        env = ferry_cli::env::FERRY_PLAIN_HTTP,
        value_delimiter = ','
    )]
    plain_http: Vec<String>,
    /// Accept invalid TLS certificates from registries.
    #[arg(long)]
    insecure: bool,
    /// Docker config file with registry credentials [default: $DOCKER_CONFIG/config.json, else
    /// ~/.docker/config.json]. FERRY_REGISTRY_TOKEN, or FERRY_REGISTRY_USERNAME with
    /// FERRY_REGISTRY_PASSWORD, take precedence.
    #[arg(long, value_name = "PATH")]
    docker_config: Option<PathBuf>,
}

/// Runs `ferry-promote` with this command line (the program name first): the binary's `main`,
/// and `ferry promote` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-promote", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<u8> {
    let setup = forge::setup(&cli.forge)?;
    let forge = setup.forge()?;
    promote_with(&cli, &setup, &forge).await
}

/// The registry client: the flags, `FERRY_REGISTRY_*`, and `[registries."HOST"]` of ferry.toml.
fn registry_client(args: &RegistryArgs, config: &ferry_config::Config) -> Result<RegistryClient> {
    let explicit = ferry_cli::registry::env_credentials()?;
    let flags = ferry_cli::registry::RegistryFlags {
        plain_http: args.plain_http.clone(),
        insecure: args.insecure,
        docker_config: args.docker_config.clone(),
        explicit,
        retry: None,
    };
    Ok(ferry_cli::registry::client(&flags, Some(config))?)
}

/// What a promotion run printed as JSON.
#[derive(Debug, Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    marked: Option<&'a MarkReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct MarkReport {
    env: String,
    dry_run: bool,
    #[serde(flatten)]
    marked: Marked,
}

async fn promote_with(cli: &Cli, setup: &Setup, forge: &AnyForge) -> Result<u8> {
    let config = &setup.config;
    let now = jiff::Timestamp::now();
    let mut out = std::io::stdout().lock();
    let mut marked = None;
    if let Some(env) = &cli.mark_verified {
        let result =
            flow::mark_verified(forge, config, env, &cli.evidence, now, cli.dry_run).await?;
        if cli.format == Format::Text {
            print::marked(&mut out, env, &result, cli.dry_run)?;
        }
        ferry_cli::github_output::write(&[("verified-commit", result.commit.as_str())])
            .context("cannot write the step outputs")?;
        marked = Some(MarkReport {
            env: env.clone(),
            dry_run: cli.dry_run,
            marked: result,
        });
    }
    let from = match (&cli.from, &cli.to) {
        (Some(from), _) => Some(from.clone()),
        (None, Some(to)) => Some(flow::upstream_of(config, to)?),
        (None, None) => None,
    };
    let report = |promotion| Report {
        marked: marked.as_ref(),
        promotion,
    };
    let (Some(from), Some(to)) = (&from, &cli.to) else {
        if cli.format == Format::Json {
            serde_json::to_writer_pretty(&mut out, &report(None)).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        return Ok(0);
    };
    let registry = registry_client(&cli.registry, config)?;
    let request = PromoteRequest {
        from: from.clone(),
        to: to.clone(),
        soak: cli.soak,
        now,
    };
    let proposal = Proposal {
        allow_downgrade: cli.allow_downgrade,
        app_repo: cli.app_repo.clone(),
        auto_merge: match (cli.auto_merge, cli.no_auto_merge) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        dry_run: cli.dry_run,
    };
    let (plan, deployed) =
        match flow::promote(forge, config, &request, &registry, &proposal).await? {
            Promotion::Allowed { plan, deployed } => (plan, deployed),
            Promotion::Refused {
                refused,
                inconclusive,
            } => {
                match cli.format {
                    Format::Json => {
                        let v = serde_json::json!({
                            "promoted": false,
                            "inconclusive": inconclusive,
                            "refused": refused,
                        });
                        serde_json::to_writer_pretty(&mut out, &report(Some(v)))
                            .map_err(std::io::Error::from)?;
                        writeln!(out)?;
                    }
                    Format::Text => print::refused(&mut out, &refused, inconclusive)?,
                }
                eprintln!("ferry-promote: {refused}");
                ferry_cli::github_output::write(&[("promoted", "false")])
                    .context("cannot write the step outputs")?;
                // An unreachable registry is an outage, not a bad image: exit 3, not 1.
                return Ok(if inconclusive { 3 } else { 1 });
            }
        };
    let (preview, opened) = (deployed.preview, deployed.opened);
    let promoted = opened.as_ref().is_some_and(|o| !o.up_to_date);
    // Tell people once the promotion is on the base branch (a change left for review or for
    // auto-merge is announced by the change itself).
    let mut notifications = Vec::new();
    if let Some(o) = opened.as_ref().filter(|o| o.merged) {
        let outcome = Outcome::Promoted {
            env: plan.to.clone(),
            commit: o.commit.clone(),
            images: plan.images.clone(),
            url: o.url.clone(),
        };
        let log_url = ferry_cli::github_run_url();
        let (slack, github) = (cli.slack_webhook.as_deref(), forge.deployment_statuses());
        notifications = notify(&outcome, slack, github, log_url.as_deref()).await;
    }
    match cli.format {
        Format::Json => {
            let v = serde_json::json!({
                "promoted": promoted,
                "dry_run": cli.dry_run,
                "noop": plan.is_noop(),
                "plan": plan,
                "warnings": preview.check.warnings,
                "allowed_downgrades": preview.check.allowed_downgrades,
                "change": opened,
                "notifications": notifications,
            });
            serde_json::to_writer_pretty(&mut out, &report(Some(v)))
                .map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Text => print::plan(&mut out, &plan, cli.dry_run, opened.as_ref())?,
    }
    for w in &preview.check.warnings {
        eprintln!("ferry-promote: warning: {w}");
    }
    for n in notifications.iter().filter(|n| !n.is_sent()) {
        eprintln!(
            "ferry-promote: warning: the {} notification failed: {}",
            n.channel,
            n.error.as_deref().unwrap_or_default()
        );
    }
    let commit = opened
        .as_ref()
        .map(|o| o.commit.as_str())
        .unwrap_or_default();
    let id = opened.as_ref().map(|o| o.id.as_str()).unwrap_or_default();
    let images = serde_json::to_string(&plan.images).expect("image maps are JSON");
    ferry_cli::github_output::write(&[
        ("promoted", if promoted { "true" } else { "false" }),
        ("change", id),
        ("commit", commit),
        ("images", images.as_str()),
    ])
    .context("cannot write the step outputs")?;
    Ok(0)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
