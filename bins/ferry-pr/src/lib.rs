//! `ferry-pr`: open (or update) the one GitOps change of an environment that sets its images,
//! wait for a change to merge, list, show, merge (a person's approval) or close changes, and
//! clean up after merged or closed changes.
//!
//! Exit codes: 0 success; 1 refused (a downgrade without --allow-downgrade, an image the
//! environment is on hold for; `merge`/`close` of a change that is not open, whose head moved
//! or that is stale) or, for `wait`, the change was closed without merging; 2 usage, config or
//! bad input (an invalid --image, an image no workload runs, an unknown change); 3 the forge,
//! git or the network failed, the base kept moving, or `wait` timed out.

mod print;
mod review;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ferry_cli::forge::{self, ForgeArgs, Setup};
use ferry_cli::{Context as _, Result};
use ferry_cli::{Format, Runtime};
use ferry_config::parse_duration;
use ferry_gitops::deploy::parse_image_requests;
use ferry_gitops::flow::{Proposal, open_deploy};
use ferry_gitops::forge::{Forge, WaitOutcome};

/// Open GitOps changes that set an environment's images: exactly one open change per
/// environment, idempotent re-runs, no lost update when runs race, no downgrade by accident.
///
/// Environments, overlays, image names and forge settings come from ferry.toml; flags
/// override.
#[derive(Debug, Parser)]
#[command(name = "ferry-pr", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    forge: ForgeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open or update the change of ENV that sets the given images (merge it at once with
    /// --auto-merge on plain git; enable auto-merge on GitHub).
    Open(OpenArgs),
    /// Wait until a change is merged (exit 0) or closed (exit 1), at most --timeout (exit 3).
    Wait(WaitArgs),
    /// List Ferry's open changes (and, in plain git, those whose branch was deleted by hand).
    List(review::ListArgs),
    /// Show one change: state, head commit, description.
    Show(review::IdArgs),
    /// Merge an open change now: a person's approval (compare-and-swap: refused when the
    /// change moved, or in plain git when the files it edits changed on the base since).
    Merge(review::MergeArgs),
    /// Close an open change without merging it and delete its branch.
    Close(review::IdArgs),
    /// Delete deploy branches and change records of merged or closed changes and of failed
    /// runs; open changes are kept (but for the newest, when an environment has several).
    Cleanup,
}

#[derive(Debug, Args)]
struct OpenArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// An image to set: NAME=REF, NAME a name from [images] of ferry.toml or a repository, REF
    /// a tag, TAG@DIGEST, a digest, or a full reference of the same repository. Repeatable.
    #[arg(long = "image", value_name = "NAME=REF", required = true)]
    images: Vec<String>,
    /// Accept a full reference REF whose repository is not NAME's (the overlay gets a
    /// `newName`); without it, that is refused as a likely typo.
    #[arg(long)]
    allow_repository_change: bool,
    /// Merge as soon as possible (default: the environment's auto-merge in ferry.toml).
    #[arg(long, overrides_with = "no_auto_merge")]
    auto_merge: bool,
    /// Leave the change for review, whatever ferry.toml says.
    #[arg(long, overrides_with = "auto_merge")]
    no_auto_merge: bool,
    /// Set an image older than the one the environment runs.
    #[arg(long)]
    allow_downgrade: bool,
    /// A local clone of the application repository, to order commit-sha tags by ancestry
    /// (without it, such tags are not checked for a downgrade, with a warning).
    #[arg(long, value_name = "PATH")]
    app_repo: Option<PathBuf>,
    /// Attempts when the base branch keeps moving.
    #[arg(long, value_name = "N", default_value_t = ferry_gitops::forge::DEFAULT_MAX_ATTEMPTS)]
    max_attempts: u32,
    /// Sync, check and plan the change on the current base, print it, and change nothing on
    /// the forge (refusals still exit 1).
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
struct WaitArgs {
    /// The change: the pull request number, or the change record name printed by `open`.
    #[arg(value_name = "ID")]
    id: String,
    /// Give up after this long (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Runs `ferry-pr` with this command line (the program name first): the binary's `main`,
/// and `ferry pr` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(
        args,
        "ferry-pr",
        Runtime::CurrentThread,
        |cli: Cli| async move { run(cli).await },
    )
}

async fn run(cli: Cli) -> Result<u8> {
    let setup = forge::setup(&cli.forge)?;
    let forge = setup.forge()?;
    command(&cli, &setup, &forge).await
}

async fn command<F: Forge>(cli: &Cli, setup: &Setup, forge: &F) -> Result<u8> {
    match &cli.command {
        Command::Open(args) => open(args, cli.format, setup, forge).await,
        Command::Wait(args) => wait(args, cli.format, forge).await,
        Command::List(args) => review::list(args, cli.format, forge).await,
        Command::Show(args) => review::show(args, cli.format, forge).await,
        Command::Merge(args) => review::merge(args, cli.format, setup, forge).await,
        Command::Close(args) => review::close(args, cli.format, forge).await,
        Command::Cleanup => cleanup(cli.format, forge).await,
    }
}

async fn open<F: Forge>(args: &OpenArgs, format: Format, setup: &Setup, forge: &F) -> Result<u8> {
    let config = &setup.config;
    let requests = parse_image_requests(&args.images, config, args.allow_repository_change)?;
    let proposal = Proposal {
        allow_downgrade: args.allow_downgrade,
        app_repo: args.app_repo.clone(),
        auto_merge: match (args.auto_merge, args.no_auto_merge) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        dry_run: args.dry_run,
    };
    let (env, attempts) = (&args.env, args.max_attempts);
    // Decided on the synced base first: a refused run touches nothing on the forge.
    let done = open_deploy(
        forge,
        config,
        env,
        requests,
        &proposal,
        attempts,
        &setup.repo_dir,
    )
    .await?;
    let Some(mut opened) = done.opened else {
        return print::dry_run(format, &done.request, &done.preview);
    };
    let last = &done.last;
    opened.warnings.extend(last.check.warnings.iter().cloned());
    let report = print::OpenReport {
        env,
        opened: &opened,
        changes: &last.changes,
        allowed_downgrades: &last.check.allowed_downgrades,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Text => print::write_opened(&mut out, &report)?,
    }
    for w in &opened.warnings {
        eprintln!("ferry-pr: warning: {w}");
    }
    let superseded = opened.superseded.join(",");
    let number = opened.number.map(|n| n.to_string()).unwrap_or_default();
    let bool_str = |b: bool| if b { "true" } else { "false" };
    ferry_cli::github_output::write(&[
        ("id", opened.id.as_str()),
        ("number", number.as_str()),
        ("url", opened.url.as_deref().unwrap_or_default()),
        ("branch", opened.branch.as_str()),
        ("commit", opened.commit.as_str()),
        ("created", bool_str(opened.created)),
        ("updated", bool_str(opened.updated)),
        ("merged", bool_str(opened.merged)),
        (
            "merge-commit",
            opened.merge_commit.as_deref().unwrap_or_default(),
        ),
        ("auto-merge", bool_str(opened.auto_merge)),
        ("up-to-date", bool_str(opened.up_to_date)),
        ("superseded", superseded.as_str()),
    ])
    .context("cannot write the step outputs")?;
    Ok(0)
}

async fn wait<F: Forge>(args: &WaitArgs, format: Format, forge: &F) -> Result<u8> {
    let outcome = forge.wait(&args.id, args.timeout).await?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let v = serde_json::json!({ "id": args.id, "outcome": outcome });
            writeln!(out, "{v}")?;
        }
        Format::Text => match &outcome {
            WaitOutcome::Merged { commit } => writeln!(
                out,
                "{} merged{}",
                args.id,
                commit
                    .as_deref()
                    .map(|c| format!(" as {}", short(c)))
                    .unwrap_or_default()
            )?,
            WaitOutcome::Closed => writeln!(out, "{} was closed without merging", args.id)?,
            WaitOutcome::TimedOut => writeln!(
                out,
                "{} is still open after {}",
                args.id,
                ferry_config::human_duration(args.timeout)
            )?,
        },
    }
    let (state, commit, code) = match &outcome {
        WaitOutcome::Merged { commit } => ("merged", commit.clone().unwrap_or_default(), 0),
        WaitOutcome::Closed => ("closed", String::new(), 1),
        WaitOutcome::TimedOut => ("timed-out", String::new(), 3),
    };
    ferry_cli::github_output::write(&[("state", state), ("commit", commit.as_str())])
        .context("cannot write the step outputs")?;
    Ok(code)
}

async fn cleanup<F: Forge>(format: Format, forge: &F) -> Result<u8> {
    let done = forge.cleanup().await?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &done).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Text => {
            if done.deleted_branches.is_empty() && done.closed.is_empty() {
                writeln!(out, "nothing to clean up")?;
            }
            for b in &done.deleted_branches {
                writeln!(out, "deleted branch {b}")?;
            }
            for c in &done.closed {
                if done.superseded.contains(c) {
                    writeln!(
                        out,
                        "closed change {c}: its environment has a newer open change"
                    )?;
                } else {
                    writeln!(out, "removed change {c}")?;
                }
            }
        }
    }
    ferry_cli::github_output::write(&[
        ("deleted-branches", done.deleted_branches.join(",")),
        ("closed", done.closed.join(",")),
    ])
    .context("cannot write the step outputs")?;
    Ok(0)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
