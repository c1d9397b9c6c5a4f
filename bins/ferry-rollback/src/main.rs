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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use ferry_cli::Format;
use ferry_cli::forge::{self, ForgeArgs, Setup};
use ferry_config::{ForgeKind, parse_duration};
use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::REMOTE_NOTES_REF;
use ferry_gitops::gates::Hold;
use ferry_gitops::github::GithubClient;
use ferry_gitops::ledger::{EnvLedger, Ledger, VerifiedSet};
use ferry_gitops::plan::deploy_branch;
use ferry_gitops::{LoadRequest, Loaded, load_ledger};
use ferry_health::monitor::Report;
use ferry_rollback::actions::{RevertRequest, Reverted, hold, revert_in_git};
use ferry_rollback::facts::{rollback_of, verified_before_current_in};
use ferry_rollback::notify::{Outcome, Sent, StepResult, notify};
use ferry_rollback::policy::{Decision, Facts, InFlight, Rule, Settings, Target, image_changes};
use ferry_rollback::rollouts::RolloutClient;
use serde::Serialize;
use serde_json::Value;

mod holds;

/// How many older deployments are asked for a verification in GitHub mode (commit statuses).
const GITHUB_VERIFICATION_LOOKBACK: usize = 20;

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
    Release(ReleaseArgs),
    /// List the active holds (with --all, released ones too).
    Holds(HoldsArgs),
}

#[derive(Debug, Args)]
struct ReleaseArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// The held image: an image name of ferry.toml with a tag or digest (`backend:1.5.0`,
    /// `backend=1.5.0`; the name alone: every held tag), or a reference
    /// (`registry.example.com/acme/backend:1.5.0`).
    #[arg(long, value_name = "IMAGE", required_unless_present_any = ["all", "image_arg"])]
    image: Option<String>,
    /// The held image, as for --image.
    #[arg(value_name = "IMAGE", conflicts_with_all = ["image", "all"])]
    image_arg: Option<String>,
    /// Release every active hold of ENV (a hold of the whole environment needs this).
    #[arg(long, conflicts_with = "image")]
    all: bool,
}

#[derive(Debug, Args)]
struct HoldsArgs {
    /// Only the holds of this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// Released holds too.
    #[arg(long)]
    all: bool,
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
        env = "FERRY_SLACK_WEBHOOK",
        hide_env_values = true
    )]
    slack_webhook: Option<String>,
}

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = cli.format == Format::Json;
    forge::block_on("ferry-rollback", json, run(cli))
}

async fn run(cli: Cli) -> Result<u8> {
    let setup = forge::setup(&cli.forge)?;
    let forge = setup.forge()?;
    match &cli.command {
        Some(Sub::Release(args)) => holds::release(cli.format, &setup, &forge, args).await,
        Some(Sub::Holds(args)) => holds::list(cli.format, &forge, args).await,
        None => rollback(&cli, &setup, &forge, forge.github_client()).await,
    }
}

/// The distinct images of a set, sorted, comma-separated.
fn image_list(images: &BTreeMap<String, String>) -> String {
    let list: std::collections::BTreeSet<&str> = images.values().map(String::as_str).collect();
    list.into_iter().collect::<Vec<_>>().join(", ")
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// The monitor's verdict and what the line says about its context.
struct ReportInput {
    report: Report,
    started_at: jiff::Timestamp,
    commit: Option<String>,
}

/// Reads the last `verdict` event of a JSON Lines file (or a file holding that one object).
fn read_report(path: &Path) -> Result<ReportInput> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--report: cannot read {}", path.display()))?;
    let is_verdict = |v: &Value| {
        v.get("event").and_then(Value::as_str) == Some("verdict")
            || (v.get("event").is_none() && v.get("verdict").is_some())
    };
    let mut found = None;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate().rev() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        if let Ok(v) = serde_json::from_str::<Value>(line)
            && is_verdict(&v)
        {
            found = Some((n + 1, v));
            break;
        }
    }
    if found.is_none()
        && let Ok(v) = serde_json::from_str::<Value>(&text)
        && is_verdict(&v)
    {
        found = Some((1, v));
    }
    let Some((line, value)) = found else {
        bail!(
            "--report: no verdict in {} (expected the output of `ferry-monitor watch --format json`)",
            path.display()
        );
    };
    let report: Report = serde_json::from_value(value.clone())
        .with_context(|| format!("--report: {}:{line}: not a monitor verdict", path.display()))?;
    let at_ms = jiff::SignedDuration::from_millis(i64::try_from(report.at_ms).unwrap_or(i64::MAX));
    let started_at = match value.get("started_at").and_then(Value::as_str) {
        Some(s) => s.parse().with_context(|| {
            format!(
                "--report: {}:{line}: started_at {s:?} is not a time",
                path.display()
            )
        })?,
        // The verdict line was written when the verdict was reached, at_ms after the start.
        None => {
            let modified = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .with_context(|| format!("--report: {}", path.display()))?;
            let modified = jiff::Timestamp::try_from(modified)
                .map_err(|e| anyhow!("--report: {}: {e}", path.display()))?;
            modified.checked_sub(at_ms).unwrap_or(modified)
        }
    };
    let commit = value
        .get("commit")
        .or_else(|| value.get("revision"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(ReportInput {
        report,
        started_at,
        commit,
    })
}

/// The environment's last verification before its current deployment: the remote's notes
/// (plain git), or
/// the forge's records on older deployments (GitHub commit statuses).
async fn verified_target<F: Forge>(
    forge: &F,
    loaded: &Loaded,
    env: &EnvLedger,
) -> Result<Option<VerifiedSet>> {
    if forge.kind() == ForgeKind::Git {
        // The records the remote holds (as the sync fetched them), never one only this
        // machine has.
        return Ok(verified_before_current_in(
            &loaded.ledger,
            &loaded.repo,
            REMOTE_NOTES_REF,
            &env.name,
        )?);
    }
    for d in env
        .deployments
        .iter()
        .skip(1)
        .take(GITHUB_VERIFICATION_LOOKBACK)
    {
        let mut records = forge.verifications(d.id(), &env.name).await?;
        records.retain(|r| r.env == env.name);
        records.sort_by_key(|r| r.verified_at());
        if let Some(record) = records.pop() {
            return Ok(Some(VerifiedSet {
                commit: d.commit.clone(),
                matches_ledger: record.images == d.images,
                record,
            }));
        }
    }
    Ok(None)
}

/// What ran in `env` at commit `rev`, as a rollback target chosen by hand.
fn explicit_target(
    loaded: &Loaded,
    env: &str,
    rev: &str,
) -> Result<(String, String, BTreeMap<String, String>)> {
    let id = loaded
        .repo
        .resolve(rev)
        .with_context(|| format!("--to {rev}"))?;
    let deployment = loaded
        .ledger
        .deployed_at(env, id)
        .with_context(|| format!("--to {rev}"))?
        .ok_or_else(|| anyhow!("--to {rev}: {env} had no deployment at or before {id}"))?;
    if let Some(e) = &deployment.error {
        bail!(
            "--to {rev}: {env} does not render at {}: {e}",
            short(&deployment.commit)
        );
    }
    let verified = loaded
        .ledger
        .last_verified_before(&loaded.repo, env, id)?
        .filter(|v| v.record.images == deployment.images);
    let when = match verified {
        Some(v) => v.record.verified_at,
        None => format!(
            "{} (not verified; chosen with --to {})",
            deployment.time,
            short(&deployment.commit)
        ),
    };
    Ok((deployment.commit.clone(), when, deployment.images.clone()))
}

/// An operator's request without a report: the same refusals as the policy (unless --force),
/// the target from --to.
#[allow(clippy::too_many_arguments)]
fn decide_by_hand(
    args: &RollbackArgs,
    env: &EnvLedger,
    loaded: &Loaded,
    verified: Option<&VerifiedSet>,
    holds: &[Hold],
    in_flight: Option<&InFlight>,
    rollback_of: Option<&str>,
    auto_merge: bool,
) -> Result<Decision> {
    let escalate = |rule, reason: String| Ok(Decision::Escalate { rule, reason });
    let name = env.name.as_str();
    let Some(current) = env.current() else {
        return escalate(
            Rule::NoVerifiedTarget,
            format!("{name} has no deployment on the base branch: nothing to roll back"),
        );
    };
    let why = args
        .reason
        .clone()
        .unwrap_or_else(|| "no reason given".into());
    if let Some(failed) = rollback_of
        && let Some(unfinished) = unfinished_rollback(env, loaded, holds, failed, auto_merge)
    {
        return Ok(unfinished);
    }
    if let Some(failed) = rollback_of
        && !args.force
    {
        return escalate(
            Rule::RollbackOfRollback,
            format!(
                "{name} runs {}, itself a rollback of {}; never rolling back a rollback (--force to do it anyway)",
                short(&current.commit),
                short(failed)
            ),
        );
    }
    if let Some(change) = in_flight
        && !args.force
    {
        return escalate(
            Rule::InFlight,
            format!(
                "change {} for {name} is in flight; not racing it (--force to roll back anyway)",
                change.id
            ),
        );
    }
    let (commit, verified_at, images) = match args.to.as_deref() {
        None | Some("previous") => {
            let Some(v) = verified else {
                return escalate(
                    Rule::NoVerifiedTarget,
                    format!(
                        "{name} has no verified image set before {}; name a target with --to REF",
                        short(&current.commit)
                    ),
                );
            };
            if !v.matches_ledger {
                return escalate(
                    Rule::NoVerifiedTarget,
                    format!(
                        "the last verification record of {name} (on {}) does not match what the ledger says ran there",
                        short(&v.commit)
                    ),
                );
            }
            (
                v.commit.clone(),
                v.record.verified_at.clone(),
                v.record.images.clone(),
            )
        }
        Some(rev) => explicit_target(loaded, name, rev)?,
    };
    if images == current.images {
        return Ok(Decision::Continue {
            rule: Rule::NoVerifiedTarget,
            reason: format!(
                "{name} already runs the target's images (from {}): nothing to roll back",
                short(&commit)
            ),
        });
    }
    let held: Vec<String> = holds
        .iter()
        .filter_map(|h| {
            let blocked = h.blocked(name, &images);
            (!blocked.is_empty()).then(|| format!("{} ({})", blocked.join(", "), h.reason))
        })
        .collect();
    if !held.is_empty() && !args.force {
        return escalate(
            Rule::TargetHeld,
            format!(
                "the target is on hold for {name}: {} (--force to roll back anyway)",
                held.join("; ")
            ),
        );
    }
    let changes = image_changes(&current.images, &images);
    Ok(Decision::RollBack {
        reason: format!(
            "rollback of {name} requested by hand ({why}); back to {} from {}",
            verified_at,
            short(&commit)
        ),
        to: Target {
            verified_commit: commit,
            verified_at,
            images,
            failed_commit: current.commit.clone(),
            failed_images: current.images.clone(),
            changes,
        },
        auto_merge,
    })
}

/// The rollback still to finish when `env` runs a rollback of `failed` whose hold is missing
/// (its run ended between the revert and the hold): the same decision again, whose revert is
/// already on the base and whose hold is then written.
fn unfinished_rollback(
    env: &EnvLedger,
    loaded: &Loaded,
    holds: &[Hold],
    failed: &str,
    auto_merge: bool,
) -> Option<Decision> {
    let current = env.current()?;
    let (failed_commit, _, failed_images) = explicit_target(loaded, &env.name, failed).ok()?;
    let to = Target {
        verified_commit: current.commit.clone(),
        verified_at: current.time.clone(),
        images: current.images.clone(),
        changes: image_changes(&failed_images, &current.images),
        failed_commit,
        failed_images,
    };
    let missing = failed_only(&to);
    let held = holds.iter().any(|h| {
        h.blocked(&env.name, &missing).len()
            == missing
                .values()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
    });
    if missing.is_empty() || held {
        return None;
    }
    Some(Decision::RollBack {
        reason: format!(
            "{} runs {}, the rollback of {} whose hold is missing: holding its failed images",
            env.name,
            short(&current.commit),
            short(failed)
        ),
        to,
        auto_merge,
    })
}

/// The images a rollback holds: those of the failed set the target does not run.
fn failed_only(target: &Target) -> BTreeMap<String, String> {
    let keep: std::collections::BTreeSet<&String> = target.images.values().collect();
    target
        .failed_images
        .iter()
        .filter(|(_, image)| !keep.contains(image))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[derive(Debug, Serialize)]
struct DecisionOut {
    decision: &'static str,
    rule: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct RevertOut {
    commit: String,
    merged: bool,
    id: String,
    branch: String,
    url: Option<String>,
    reverted: Vec<ferry_gitops::ledger::ImageChange>,
    not_reverted: Vec<ferry_gitops::ledger::ImageChange>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct HoldOut {
    result: &'static str,
    images: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct RolloutOut {
    name: String,
    namespace: String,
    action: &'static str,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct RollbackOut {
    env: String,
    decision: DecisionOut,
    target: Option<Target>,
    revert: Option<RevertOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revert_error: Option<String>,
    hold: Option<HoldOut>,
    rollouts: Vec<RolloutOut>,
    notifications: Vec<Sent>,
    dry_run: bool,
}

fn decision_out(d: &Decision) -> DecisionOut {
    DecisionOut {
        decision: match d {
            Decision::Continue { .. } => "continue",
            Decision::Healthy { .. } => "healthy",
            Decision::RollBack { .. } => "roll-back",
            Decision::Escalate { .. } => "escalate",
        },
        rule: d.rule().to_string(),
        reason: d.reason().to_string(),
    }
}

fn evidence_url(args: &RollbackArgs) -> Option<String> {
    args.evidence_url.clone().or_else(ferry_cli::github_run_url)
}

/// The failed change as the revert names it: a link to its commit on GitHub (which lists the
/// pull request that brought it), else the commit, its subject and the remote.
fn failed_change(
    github: Option<&GithubClient>,
    remote: &str,
    env: &EnvLedger,
    commit: &str,
) -> String {
    if let Some(client) = github {
        let server = std::env::var("GITHUB_SERVER_URL")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "https://github.com".to_owned());
        return format!(
            "{}/{}/commit/{commit}",
            server.trim_end_matches('/'),
            client.repository()
        );
    }
    let subject = env
        .deployments
        .iter()
        .find(|d| d.commit == commit)
        .map(|d| format!(" \"{}\"", d.summary))
        .unwrap_or_default();
    format!("commit {commit}{subject} on {remote}")
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

async fn rollback<F: Forge>(
    cli: &Cli,
    setup: &Setup,
    forge: &F,
    github: Option<&GithubClient>,
) -> Result<u8> {
    let args = &cli.rollback;
    let env_name = args
        .env
        .clone()
        .ok_or_else(|| anyhow!("--env ENV is required"))?;
    let config = &setup.config;
    let env_config = config.environment(&env_name).ok_or_else(|| {
        anyhow!(
            "no environment `{env_name}` in {}; known: {}",
            config.path.display(),
            config
                .environments()
                .iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    // Read the report before touching the forge: a bad file costs nothing.
    let input = args.report.as_deref().map(read_report).transpose()?;
    if args.rollouts.is_empty() && (args.namespace.is_some() || args.server.is_some()) {
        bail!("-n/--server need --rollout NAME");
    }
    let base = forge.sync().await.map_err(anyhow::Error::from)?;
    let workdir = forge
        .repo()
        .workdir()
        .ok_or_else(|| anyhow!("the GitOps repository is bare; run from a clone"))?;
    let loaded = load_ledger(
        config,
        &LoadRequest {
            repo: Some(workdir.to_path_buf()),
            base: Some(base.to_string()),
            ..LoadRequest::default()
        },
    )?;
    let ledger: &Ledger = &loaded.ledger;
    let env = ledger.environment(&env_name)?;
    let verified = verified_target(forge, &loaded, env).await?;
    let holds = forge.holds().await.map_err(anyhow::Error::from)?;
    let skip = verified
        .as_ref()
        .map(|v| deploy_branch(&config.forge.branch_prefix, &env_name, &v.record.images))
        .unwrap_or_default();
    // The revert's own branch, left open by an earlier run, is not a newer change.
    let in_flight: Vec<InFlight> = forge
        .open_changes(&env_name)
        .await?
        .into_iter()
        .filter(|c| c.branch != skip)
        .map(|c| InFlight {
            id: c.id,
            url: c.url,
        })
        .collect();
    let rolled_back = match env.current() {
        Some(c) => rollback_of(&loaded.repo, c.id())?,
        None => None,
    };
    let now = jiff::Timestamp::now();
    let auto_merge = if args.auto_merge {
        true
    } else if args.no_auto_merge {
        false
    } else {
        env_config.auto_merge
    };
    let decision = match &input {
        Some(input) => {
            let monitored = match args.commit.as_deref().or(input.commit.as_deref()) {
                Some(rev) => {
                    let id = loaded
                        .repo
                        .resolve(rev)
                        .with_context(|| format!("the report's commit {rev}"))?;
                    match ledger.deployed_at(&env_name, id) {
                        Ok(Some(d)) => d.commit.clone(),
                        Ok(None) => id.to_string(),
                        // Not on the base branch: a deployment the base no longer has.
                        Err(ferry_gitops::LedgerError::NotOnBase(_)) => id.to_string(),
                        Err(e) => return Err(e.into()),
                    }
                }
                None => env.current().map(|c| c.commit.clone()).unwrap_or_default(),
            };
            let mut facts = Facts::new(env, &input.report, &monitored, input.started_at, now);
            facts.verified = verified.as_ref();
            facts.holds = &holds;
            facts.in_flight = in_flight.first().cloned();
            facts.rollback_of = rolled_back.clone();
            let settings = Settings {
                window: args.window,
                auto_merge,
            };
            let mut decision = ferry_rollback::decide(&facts, &settings);
            if let (Decision::RollBack { reason, .. }, Some(why)) = (&mut decision, &args.reason) {
                *reason = format!("{why}: {reason}");
            }
            decision
        }
        None => decide_by_hand(
            args,
            env,
            &loaded,
            verified.as_ref(),
            &holds,
            in_flight.first(),
            rolled_back.as_deref(),
            auto_merge,
        )?,
    };
    let mut out = RollbackOut {
        env: env_name.clone(),
        decision: decision_out(&decision),
        target: None,
        revert: None,
        revert_error: None,
        hold: None,
        rollouts: Vec::new(),
        notifications: Vec::new(),
        dry_run: args.dry_run,
    };
    let mut failed = false;
    let mut outcome = None;
    match &decision {
        Decision::RollBack {
            to,
            reason,
            auto_merge,
        } => {
            out.target = Some(to.clone());
            let held = failed_only(to);
            if !args.dry_run {
                // 1. The cluster first, at once.
                let mut cluster = Vec::new();
                if !args.rollouts.is_empty() {
                    match rollout_client(args).await {
                        Ok(client) => {
                            for name in &args.rollouts {
                                let r = client.abort(name).await;
                                let (result, step) = match r {
                                    Ok((o, _)) => (
                                        RolloutOut {
                                            name: name.clone(),
                                            namespace: o.namespace.clone(),
                                            action: "abort",
                                            result: "done",
                                            phase: Some(o.status.phase.clone()),
                                            error: None,
                                        },
                                        StepResult::Done {
                                            detail: format!("aborted ({})", o.status.phase),
                                        },
                                    ),
                                    Err(e) => {
                                        failed = true;
                                        (
                                            RolloutOut {
                                                name: name.clone(),
                                                namespace: args
                                                    .namespace
                                                    .clone()
                                                    .unwrap_or_default(),
                                                action: "abort",
                                                result: "failed",
                                                phase: None,
                                                error: Some(e.to_string()),
                                            },
                                            StepResult::Failed {
                                                error: e.to_string(),
                                            },
                                        )
                                    }
                                };
                                out.rollouts.push(result);
                                cluster.push((name.clone(), step));
                            }
                        }
                        Err(e) => {
                            failed = true;
                            let error = ferry_cli::report::error_chain(e.as_ref());
                            for name in &args.rollouts {
                                out.rollouts.push(RolloutOut {
                                    name: name.clone(),
                                    namespace: args.namespace.clone().unwrap_or_default(),
                                    action: "abort",
                                    result: "failed",
                                    phase: None,
                                    error: Some(error.clone()),
                                });
                                cluster.push((
                                    name.clone(),
                                    StepResult::Failed {
                                        error: error.clone(),
                                    },
                                ));
                            }
                        }
                    }
                }
                // 2. Git.
                let evidence = evidence_url(args);
                let remote = ferry_redact::redact_url(&setup.remote);
                let failed_link = failed_change(github, &remote, env, &to.failed_commit);
                let request = RevertRequest {
                    env: &env_name,
                    overlay: &env.overlay,
                    target: to,
                    reason,
                    failed_change: Some(&failed_link),
                    evidence_url: evidence.as_deref(),
                    branch_prefix: &config.forge.branch_prefix,
                    labels: config.forge.labels.clone(),
                    auto_merge: *auto_merge,
                };
                let git = match revert_in_git(forge, &request).await {
                    Ok(reverted) => {
                        let step = revert_step(&reverted);
                        out.revert = Some(revert_out(reverted));
                        step
                    }
                    Err(e) => {
                        failed = true;
                        out.revert_error = Some(e.to_string());
                        StepResult::Failed {
                            error: e.to_string(),
                        }
                    }
                };
                // 3. The hold, only with its revert: a hold without the revert would block
                // the images while the environment still runs them.
                let hold_step = if args.no_hold {
                    out.hold = Some(HoldOut {
                        result: "skipped",
                        images: held.clone(),
                        error: None,
                    });
                    StepResult::Skipped {
                        why: "--no-hold".into(),
                    }
                } else if out.revert_error.is_some() {
                    out.hold = Some(HoldOut {
                        result: "skipped",
                        images: held.clone(),
                        error: None,
                    });
                    StepResult::Skipped {
                        why: "the revert failed; run the rollback again".into(),
                    }
                } else {
                    let why = format!(
                        "{env_name} rolled back from {}: {}",
                        short(&to.failed_commit),
                        args.reason
                            .as_deref()
                            .or(input.as_ref().map(|i| i.report.reason.as_str()))
                            .unwrap_or("requested by hand")
                    );
                    match hold(forge, &env_name, &held, &why, now).await {
                        Ok(_) => {
                            out.hold = Some(HoldOut {
                                result: "done",
                                images: held.clone(),
                                error: None,
                            });
                            StepResult::Done {
                                detail: format!("held {}", image_list(&held)),
                            }
                        }
                        Err(e) => {
                            failed = true;
                            out.hold = Some(HoldOut {
                                result: "failed",
                                images: held.clone(),
                                error: Some(e.to_string()),
                            });
                            StepResult::Failed {
                                error: e.to_string(),
                            }
                        }
                    }
                };
                outcome = Some(Outcome::RolledBack {
                    env: env_name.clone(),
                    failed_commit: to.failed_commit.clone(),
                    failed_images: to.failed_images.clone(),
                    target_images: to.images.clone(),
                    reason: reason.clone(),
                    git,
                    cluster,
                    hold: hold_step,
                });
            } else {
                out.hold = (!args.no_hold).then_some(HoldOut {
                    result: "dry-run",
                    images: held,
                    error: None,
                });
            }
        }
        Decision::Escalate { reason, .. } if !args.dry_run => {
            outcome = Some(Outcome::Escalated {
                env: env_name.clone(),
                commit: env.current().map(|c| c.commit.clone()).unwrap_or_default(),
                reason: reason.clone(),
            });
        }
        _ => {}
    }
    // 4. Notifications, from what happened.
    if let Some(outcome) = &outcome {
        let evidence = evidence_url(args);
        let slack = args.slack_webhook.as_deref();
        out.notifications = notify(outcome, slack, github, evidence.as_deref()).await;
        failed |= out.notifications.iter().any(|n| !n.is_sent());
    }
    print_rollback(cli.format, &out, outcome.as_ref())?;
    let code = if failed {
        3
    } else {
        match decision {
            Decision::Escalate { .. } => 1,
            _ => 0,
        }
    };
    if failed {
        eprintln!("ferry-rollback: {}", what_happened(&out));
    }
    let revert = out.revert.as_ref();
    ferry_cli::github_output::write(&[
        ("decision", out.decision.decision),
        ("rule", out.decision.rule.as_str()),
        ("reason", out.decision.reason.as_str()),
        (
            "rolled-back",
            if revert.is_some_and(|r| r.merged) {
                "true"
            } else {
                "false"
            },
        ),
        ("revert-commit", revert.map_or("", |r| r.commit.as_str())),
        ("revert-id", revert.map_or("", |r| r.id.as_str())),
    ])
    .context("cannot write the step outputs")?;
    Ok(code)
}

fn revert_step(r: &Reverted) -> StepResult {
    let o = &r.opened;
    if o.up_to_date {
        StepResult::Done {
            detail: format!("the base already has the target ({})", short(&o.commit)),
        }
    } else if r.merged() {
        StepResult::Done {
            detail: format!("merged as {}", short(&o.commit)),
        }
    } else {
        let what = o.number.map_or_else(|| o.id.clone(), |n| format!("#{n}"));
        StepResult::Pending {
            detail: format!(
                "change {what} on {} {}",
                o.branch,
                if o.auto_merge {
                    "waits for auto-merge".to_owned()
                } else {
                    format!("waits for review (approve with `ferry pr merge {}`)", o.id)
                }
            ),
        }
    }
}

fn revert_out(r: Reverted) -> RevertOut {
    let merged = r.merged();
    RevertOut {
        commit: r.opened.commit,
        merged,
        id: r.opened.id,
        branch: r.opened.branch,
        url: r.opened.url,
        reverted: r.reverted,
        not_reverted: r.not_reverted,
        warnings: r.opened.warnings,
    }
}

/// One line naming what was done and what failed.
fn what_happened(out: &RollbackOut) -> String {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for r in &out.rollouts {
        let what = format!("abort of rollout {}", r.name);
        if r.result == "done" {
            done.push(what)
        } else {
            failed.push(what)
        }
    }
    match (&out.revert, &out.revert_error) {
        (Some(r), _) if r.merged => {
            done.push(format!("Git revert (merged as {})", short(&r.commit)))
        }
        (Some(r), _) => done.push(format!("Git revert (opened as {}, not merged)", r.id)),
        (None, Some(_)) => failed.push("Git revert".into()),
        _ => {}
    }
    if let Some(h) = &out.hold {
        match h.result {
            "done" => done.push("hold".into()),
            "failed" => failed.push("hold".into()),
            _ => {}
        }
    }
    for n in &out.notifications {
        if n.is_sent() {
            done.push(format!("{} notification", n.channel));
        } else {
            failed.push(format!("{} notification", n.channel));
        }
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_string()
        } else {
            v.join(", ")
        }
    };
    format!("failed: {}; done: {}", list(&failed), list(&done))
}

fn print_rollback(format: Format, out: &RollbackOut, outcome: Option<&Outcome>) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut stdout, out)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let d = &out.decision;
    let dry = if out.dry_run {
        " (dry run, nothing changed)"
    } else {
        ""
    };
    writeln!(stdout, "{}: {} [{}]{dry}", out.env, d.decision, d.rule)?;
    writeln!(stdout, "  {}", d.reason)?;
    if let Some(t) = &out.target {
        writeln!(
            stdout,
            "target: the set of {} ({}):",
            short(&t.verified_commit),
            t.verified_at
        )?;
        for c in &t.changes {
            writeln!(stdout, "  {c}")?;
        }
    }
    match outcome {
        Some(o @ Outcome::Escalated { .. }) => writeln!(stdout, "{}", o.headline())?,
        Some(o) => {
            writeln!(stdout, "{}", o.headline())?;
            for line in o.details().iter().skip(1) {
                writeln!(stdout, "  {line}")?;
            }
        }
        None => {
            if let Some(h) = &out.hold {
                writeln!(stdout, "would hold: {}", image_list(&h.images))?;
            }
        }
    }
    if let Some(r) = &out.revert
        && let Some(url) = &r.url
    {
        writeln!(stdout, "  change: {url}")?;
    }
    for n in &out.notifications {
        match &n.error {
            None => writeln!(stdout, "notified: {}", n.channel)?,
            Some(e) => writeln!(stdout, "notification {} FAILED: {e}", n.channel)?,
        }
    }
    Ok(())
}
