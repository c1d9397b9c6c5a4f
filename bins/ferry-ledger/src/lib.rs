//! `ferry-ledger`: the deployment history of each environment, read from the GitOps
//! repository's base branch, and what each environment runs now.
//!
//! Exit codes: 0 on success; 1 when a shown environment has no deployment or its newest
//! deployment does not render; 2 on usage, config or git errors; 3 when the forge (a sync or
//! the push of a verification record) fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ferry_cli::{Context as _, ErrorKind, Format, Result, WithKind as _};
use ferry_config::Config;
use ferry_ledger::{Deployment, EnvLedger, LedgerOptions, LoadRequest, Loaded, load_ledger};
use serde::Serialize;

mod json;
mod mark;
mod text;

/// Show the deployment history of GitOps environments from Git: for every commit of the base
/// branch's first-parent history that changed what an environment's overlay renders, the
/// commit, its time, its author and the image of every workload, newest first.
///
/// Environments and overlays come from ferry.toml; the repository is the one holding it.
#[derive(Debug, Parser)]
#[command(
    name = "ferry-ledger",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    show: Show,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct Common {
    /// The Ferry config file (default: the nearest ferry.toml in the current directory or
    /// above).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// The base branch (or any revision) to read (default: [forge] base-branch of the config;
    /// `origin/<branch>` is used when there is no local branch).
    #[arg(long, value_name = "BRANCH", global = true)]
    base: Option<String>,
}

#[derive(Debug, Args)]
struct Show {
    /// Show only this environment.
    #[arg(value_name = "ENV")]
    env_arg: Option<String>,
    /// Show only this environment (same as the ENV argument).
    #[arg(long = "env", value_name = "ENV", conflicts_with = "env_arg")]
    env: Option<String>,
    /// Show only the newest N deployments of each environment; only what they need is resolved,
    /// so this is fast on long histories.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record that an environment was verified: a JSON note under refs/notes/ferry on the
    /// commit that deployed what it runs, holding its images. With the plain-git forge it is
    /// pushed to the remote (with a lease) unless --no-push.
    MarkVerified(MarkVerified),
}

#[derive(Debug, Args)]
struct MarkVerified {
    /// The environment that was verified.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// The base-branch commit to verify (default: the commit that deployed what ENV runs
    /// now). The record holds the images ENV ran at that commit.
    #[arg(long, value_name = "REV")]
    commit: Option<String>,
    /// Evidence to store with the record: JSON, or plain text stored as a string.
    #[arg(long, value_name = "TEXT", default_value = "marked verified by hand")]
    evidence: String,
    /// Who verifies, `Name <email>` (default: the repository's git committer identity).
    #[arg(long = "by", value_name = "NAME <EMAIL>")]
    by: Option<String>,
    /// Keep the record in the local repository only. By default, with the plain-git forge,
    /// the record is pushed to the remote (with a lease), where promotion gates read it.
    #[arg(long)]
    no_push: bool,
    /// The remote to push to: a remote name or URL (default: [forge.git] remote, `origin`).
    #[arg(long, value_name = "REMOTE", conflicts_with = "no_push")]
    remote: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    common: Common,
}

/// The JSON report of the default command.
#[derive(Debug, Serialize)]
struct Report<'a> {
    base: &'a str,
    environments: Vec<EnvReport<'a>>,
}

#[derive(Debug, Serialize)]
struct EnvReport<'a> {
    name: &'a str,
    overlay: &'a str,
    current: Option<&'a Deployment>,
    truncated: bool,
    deployments: &'a [Deployment],
}

/// Runs `ferry-ledger` with this command line (the program name first): the binary's `main`,
/// and `ferry ledger` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-ledger", |cli: Cli| match &cli.command {
        None => show(&cli.show),
        Some(Command::MarkVerified(m)) => mark::mark_verified(m).map(|()| ExitCode::SUCCESS),
    })
}

/// The config file `--config` names, or the nearest one.
pub(crate) fn load_config(common: &Common) -> Result<Config> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = Config::locate(common.config.as_deref(), &cwd)?;
    Ok(Config::load(&path)?)
}

/// The ledger of the configured environments (only `only`, when given), from the config file
/// `--config` names or the nearest one.
pub(crate) fn load(common: &Common, only: Option<&str>, options: &LedgerOptions) -> Result<Loaded> {
    let config = load_config(common)?;
    let request = LoadRequest {
        base: common.base.clone(),
        only: only.map(str::to_string),
        options: options.clone(),
        ..LoadRequest::default()
    };
    Ok(load_ledger(&config, &request)?)
}

fn show(args: &Show) -> Result<ExitCode> {
    let only = args.env.as_deref().or(args.env_arg.as_deref());
    let options = args
        .limit
        .map_or_else(LedgerOptions::default, LedgerOptions::newest);
    let ctx = load(&args.common, only, &options)?;
    let report = Report {
        base: &ctx.ledger.base,
        environments: ctx
            .ledger
            .environments
            .iter()
            .map(|e| EnvReport {
                name: &e.name,
                overlay: &e.overlay,
                current: e.current(),
                truncated: e.truncated,
                deployments: &e.deployments,
            })
            .collect(),
    };
    // A long history prints megabytes: one write per line, or per 8 KiB, would weigh on the
    // run (and on the reader of a pipe).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match args.format {
        Format::Json => {
            json::write_pretty(&mut out, &report).with_kind(ErrorKind::Io)?;
            writeln!(out)?;
        }
        Format::Text => {
            for (i, env) in ctx.ledger.environments.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                text::write_text(&mut out, env)?;
            }
        }
    }
    out.flush()?;
    if let Some(name) = only {
        github_output(ctx.ledger.environment(name)?)?;
    }
    let healthy = ctx
        .ledger
        .environments
        .iter()
        .all(|e| e.current().is_some_and(|d| d.error.is_none()));
    // The process ends now: freeing a long history's ledger and caches is wasted time.
    std::mem::forget(ctx);
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes `commit=` and `images=` (JSON) to `$GITHUB_OUTPUT` when running in GitHub Actions.
fn github_output(env: &EnvLedger) -> Result<()> {
    let Some(now) = env.current() else {
        return Ok(());
    };
    let images = serde_json::to_string(&now.images).expect("images serialize");
    ferry_cli::github_output::write(&[("commit", now.commit.as_str()), ("images", &images)])
        .context("cannot write the step outputs")
}
