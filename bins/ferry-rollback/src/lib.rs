//! `ferry-rollback`: put an environment back on its last verified image set — Argo Rollouts
//! aborted in the cluster at once, the overlay reverted in Git through the forge, the failed
//! images held — and say what actually happened; `ferry-rollback holds` lists the holds and
//! `ferry-rollback release` lifts one.
//!
//! Exit codes: 0 rolled back, or nothing to do (the policy continues, or the release is
//! healthy); 1 escalated or refused (a rollback of a rollback, a change in flight, no verified
//! target, a held target; `release`: no active hold matched, the active ones are listed); 2
//! usage, config or bad input;
//! 3 a forge, cluster or network failure (the output says which actions did happen).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ferry_cli::forge::{self, ForgeArgs, Setup};
use ferry_cli::{Context as _, Error, Format, Result, Runtime};
use ferry_config::parse_duration;
use ferry_gitops::forge::{AnyForge, Forge as _};
use ferry_rollback::flow::{self, Actions, FailedChange, Request};
use ferry_rollouts::RolloutClient;

mod holds;

/// Put an environment back on its last verified image set: abort its Argo Rollouts at once,
/// revert its overlay in Git through the forge (the commit carries a `Ferry-Rollback:`
/// trailer), hold the failed images so ferry-pr and ferry-promote refuse them, and notify.
///
/// With --report (the verdict of `ferry-monitor watch --format json`), the rollback policy
/// decides: it rolls back on failures only (never on probe errors), never rolls back a
/// rollback, not while another change of the environment is in flight, and only to the last
/// verified set. Without --report, it is an operator's request (--to previous or --to REF).
#[derive(Debug, Parser)]
#[command(
    name = "ferry-rollback",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    rollback: RollbackArgs,
    #[command(flatten)]
    forge: ForgeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Release the held IMAGE in ENV (or every hold of ENV with --all); other images of the
    /// same hold stay held. Exit 1, listing the active holds, when nothing matches.
    Release(holds::ReleaseArgs),
    /// List the active holds (with --all, released ones too).
    Holds(holds::HoldsArgs),
}

#[derive(Debug, Args)]
struct RollbackArgs {
    /// The environment to roll back.
    #[arg(long, value_name = "ENV", required = true)]
    env: Option<String>,
    /// The monitor's verdict: the output of `ferry-monitor watch --format json` (the last
    /// `verdict` event is used) or that one line. The policy decides.
    #[arg(long, value_name = "FILE", conflicts_with = "to")]
    report: Option<PathBuf>,
    /// The base-branch commit the report is about (default: the report's `commit`, else what
    /// ENV runs now).
    #[arg(long, value_name = "REV", requires = "report")]
    commit: Option<String>,
    /// Failed checks older than this (before now) are ignored.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration, requires = "report")]
    window: Duration,
    /// Without --report: where to go back to — `previous` (the last verified set before the
    /// current deployment) or a GitOps commit whose images of ENV are the target.
    #[arg(long, value_name = "previous|REF")]
    to: Option<String>,
    /// Roll back even a rollback, past a change in flight, or to a held set (not with
    /// --report).
    #[arg(long, conflicts_with = "report")]
    force: bool,
    /// Argo Rollout to abort (repeatable), in -n NS.
    #[arg(long = "rollout", value_name = "NAME")]
    rollouts: Vec<String>,
    /// Namespace of the Rollouts (default: the kubeconfig context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    /// Kubeconfig context (default: the current context; in a pod, the in-cluster config).
    #[arg(long, value_name = "CTX")]
    context: Option<String>,
    /// Talk to this API server URL without credentials instead (tests, `kubectl proxy`).
    #[arg(long, value_name = "URL", conflicts_with = "context")]
    server: Option<String>,
    /// Why, in words (goes into the revert, the hold and the notifications).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// A link to the evidence (default in GitHub Actions: this run).
    #[arg(long, value_name = "URL")]
    evidence_url: Option<String>,
    /// Decide and print, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not hold the failed images.
    #[arg(long)]
    no_hold: bool,
    /// Merge the revert at once (GitHub: enable auto-merge) whatever the environment's
    /// auto-merge in ferry.toml says.
    #[arg(long, overrides_with = "no_auto_merge")]
    auto_merge: bool,
    /// Leave the revert open for review whatever ferry.toml says.
    #[arg(long, overrides_with = "auto_merge")]
    no_auto_merge: bool,
    /// Slack incoming webhook for the outcome.
    #[arg(
        long,
        value_name = "URL",
        env = ferry_cli::env::FERRY_SLACK_WEBHOOK,
        hide_env_values = true
    )]
    slack_webhook: Option<String>,
}

/// Runs `ferry-rollback` with this command line (the program name first): the binary's `main`,
/// and `ferry rollback` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-rollback", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<u8> {
    let setup = forge::setup(&cli.forge)?;
    let forge = setup.forge()?;
    match &cli.command {
        Some(Sub::Release(args)) => holds::release(cli.format, &setup, &forge, args).await,
        Some(Sub::Holds(args)) => holds::list(cli.format, &forge, args).await,
        None => rollback(&cli, &setup, &forge).await,
    }
}

/// The request the flags make.
fn request(args: &RollbackArgs) -> Result<Request> {
    let Some(env) = args.env.clone() else {
        return Err(Error::usage("--env ENV is required"));
    };
    if args.rollouts.is_empty() && (args.namespace.is_some() || args.server.is_some()) {
        return Err(Error::usage("-n/--server need --rollout NAME"));
    }
    Ok(Request {
        env,
        report: args.report.clone(),
        commit: args.commit.clone(),
        window: args.window,
        to: args.to.clone(),
        force: args.force,
        reason: args.reason.clone(),
        auto_merge: match (args.auto_merge, args.no_auto_merge) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        now: jiff::Timestamp::now(),
    })
}

/// How the revert names the failed change: its commit on GitHub, else on the remote.
fn failed_change(setup: &Setup, forge: &AnyForge) -> FailedChange {
    match forge.web_repository() {
        Some(repository) => FailedChange::Github {
            server_url: ferry_cli::env::github_server_url(),
            repository,
        },
        None => FailedChange::Remote(ferry_redact::redact_url(&setup.remote)),
    }
}

async fn rollout_client(args: &RollbackArgs) -> Result<RolloutClient> {
    let (client, namespace) = ferry_cli::kube::client(
        args.server.as_deref(),
        args.context.as_deref(),
        args.namespace.as_deref(),
    )
    .await?;
    Ok(RolloutClient::new(client, namespace))
}

async fn rollback(cli: &Cli, setup: &Setup, forge: &AnyForge) -> Result<u8> {
    let args = &cli.rollback;
    let request = request(args)?;
    let decided = flow::decide(forge, &setup.config, &request).await?;
    let evidence = args.evidence_url.clone().or_else(ferry_cli::github_run_url);
    let actions = Actions {
        dry_run: args.dry_run,
        no_hold: args.no_hold,
        reason: args.reason.as_deref(),
        rollouts: &args.rollouts,
        namespace: args.namespace.as_deref(),
        evidence_url: evidence.as_deref(),
        failed_change: failed_change(setup, forge),
        slack_webhook: args.slack_webhook.as_deref(),
        now: request.now,
    };
    let cluster = match decided.aborts_rollouts(&actions) {
        true => Some(
            rollout_client(args)
                .await
                .map_err(|e| ferry_cli::report::error_chain(e.as_anyhow().as_ref())),
        ),
        false => None,
    };
    let out = flow::carry_out(forge, &setup.config, &decided, &actions, cluster).await;
    let mut stdout = std::io::stdout().lock();
    match cli.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
        Format::Text => {
            for line in out.text() {
                writeln!(stdout, "{line}")?;
            }
        }
    }
    if out.failed {
        eprintln!("ferry-rollback: {}", out.what_happened());
    }
    let revert = out.revert.as_ref();
    let merged = revert.is_some_and(|r| r.merged);
    ferry_cli::github_output::write(&[
        ("decision", out.decision.decision),
        ("rule", out.decision.rule.as_str()),
        ("reason", out.decision.reason.as_str()),
        ("rolled-back", if merged { "true" } else { "false" }),
        ("revert-commit", revert.map_or("", |r| r.commit.as_str())),
        ("revert-id", revert.map_or("", |r| r.id.as_str())),
    ])
    .context("cannot write the step outputs")?;
    Ok(out.exit_code())
}
