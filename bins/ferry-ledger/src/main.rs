//! `ferry-ledger`: the deployment history of each environment, read from the GitOps
//! repository's base branch, and what each environment runs now.
//!
//! Exit codes: 0 on success; 1 when a shown environment has no deployment or its newest
//! deployment does not render; 2 on usage, config or git errors; 3 when the forge (a sync or
//! the push of a verification record) fails.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand};
use ferry_cli::Format;
use ferry_cli::forge::{Setup, parse_identity};
use ferry_config::{Config, ForgeKind};
use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::{
    Deployment, EnvLedger, LedgerOptions, LoadRequest, Loaded, NOTES_REF, ObjectId, Repo,
    Signature, VerificationRecord, deployment_to_verify, load_ledger, verify_deployment,
};
use serde::Serialize;

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

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = match &cli.command {
        None => cli.show.format == Format::Json,
        Some(Command::MarkVerified(m)) => m.format == Format::Json,
    };
    let result = match &cli.command {
        None => show(&cli.show),
        Some(Command::MarkVerified(m)) => mark_verified(m).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| ferry_cli::forge::exit("ferry-ledger", json, &e))
}

/// The config file `--config` names, or the nearest one.
fn load_config(common: &Common) -> Result<Config> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let path = match &common.config {
        Some(p) => p.clone(),
        None => Config::discover(&cwd).ok_or_else(|| {
            anyhow!(
                "no {} in {} or above; pass --config FILE",
                ferry_config::FILE_NAME,
                cwd.display()
            )
        })?,
    };
    Ok(Config::load(&path)?)
}

/// The ledger of the configured environments (only `only`, when given), from the config file
/// `--config` names or the nearest one.
fn load(common: &Common, only: Option<&str>, options: &LedgerOptions) -> Result<Loaded> {
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
    // A long history prints many lines: one write per line would dominate the run.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => {
            for (i, env) in ctx.ledger.environments.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write_text(&mut out, env)?;
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

fn write_text(out: &mut impl Write, env: &EnvLedger) -> Result<()> {
    let Some(now) = env.current() else {
        writeln!(
            out,
            "{} ({}): no deployment on the base branch",
            env.name, env.overlay
        )?;
        return Ok(());
    };
    writeln!(
        out,
        "{} ({}) runs, since {} ({}, {}):",
        env.name,
        env.overlay,
        short(&now.commit),
        now.time,
        now.author
    )?;
    write_images(out, &now.images, "  ")?;
    if let Some(e) = &now.error {
        writeln!(out, "  warning: the newest commit does not render: {e}")?;
    }
    writeln!(out, "  deployments, newest first:")?;
    for d in &env.deployments {
        writeln!(
            out,
            "  {}  {}  {}  {}",
            short(&d.commit),
            d.time,
            d.author,
            d.summary
        )?;
        if let Some(e) = &d.error {
            writeln!(out, "      does not render (images unchanged): {e}")?;
        } else if d.changes.is_empty() {
            writeln!(out, "      no image change")?;
        }
        for c in &d.changes {
            let from = c.from.as_deref().unwrap_or("(new)");
            let to = c.to.as_deref().unwrap_or("(removed)");
            if c.from.is_none() {
                writeln!(out, "      {}: {to}", c.container)?;
            } else {
                writeln!(out, "      {}: {from} -> {to}", c.container)?;
            }
        }
    }
    if env.truncated {
        writeln!(out, "  … older deployments not read (--limit)")?;
    }
    Ok(())
}

fn write_images(
    out: &mut impl Write,
    images: &BTreeMap<String, String>,
    indent: &str,
) -> Result<()> {
    let width = images.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in images {
        writeln!(out, "{indent}{k:width$}  {v}")?;
    }
    Ok(())
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// Where a record went.
enum Written {
    /// Pushed to this remote (shown without credentials).
    Pushed(String),
    /// Kept in the local repository; why, and how to publish it.
    Local(String),
}

fn mark_verified(args: &MarkVerified) -> Result<()> {
    let config = load_config(&args.common)?;
    if config.environment(&args.env).is_none() {
        // The ledger names the known environments.
        load(&args.common, Some(&args.env), &LedgerOptions::newest(1))?;
    }
    let evidence = serde_json::from_str(&args.evidence)
        .unwrap_or_else(|_| serde_json::Value::String(args.evidence.clone()));
    if let Some(remote) = &args.remote {
        ferry_config::check_remote(remote).map_err(|reason| {
            anyhow::anyhow!(
                "--remote: invalid remote {:?}: {reason}; give a remote name (e.g. \"origin\") \
                 or a URL or path git can push to",
                ferry_cli::redact::redact_url(remote)
            )
        })?;
    }
    let remote = args
        .remote
        .clone()
        .unwrap_or_else(|| config.forge.git.remote.clone());
    let (target, record, written) = if config.forge.kind == ForgeKind::Git && !args.no_push {
        mark_through_git_forge(args, config, &remote, evidence)?
    } else {
        let (target, record) = mark_locally(args, evidence)?;
        let why = if config.forge.kind == ForgeKind::Git {
            format!(
                "kept in the local {NOTES_REF} only (--no-push): promotion gates read the \
                 remote's records; publish it with `git push {} {NOTES_REF}`",
                ferry_cli::redact::redact_url(&remote)
            )
        } else {
            format!(
                "kept in the local {NOTES_REF} only: with the GitHub forge, promotion gates read \
                 the commit status ferry/verified/{env}; set it with `ferry promote \
                 --mark-verified {env}`",
                env = args.env
            )
        };
        (target, record, Written::Local(why))
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "commit": target.to_string(),
                "record": record,
                "notes_ref": NOTES_REF,
            });
            match &written {
                Written::Pushed(remote) => {
                    v["pushed"] = true.into();
                    v["remote"] = remote.as_str().into();
                }
                Written::Local(why) => {
                    v["pushed"] = false.into();
                    v["note"] = why.as_str().into();
                }
            }
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Text => {
            writeln!(
                out,
                "{} verified at {} ({}):",
                args.env,
                short(&target.to_string()),
                ferry_config::human_time(&record.verified_at)
            )?;
            write_images(&mut out, &record.images, "  ")?;
            match &written {
                Written::Pushed(remote) => {
                    writeln!(out, "recorded in {NOTES_REF} and pushed to {remote}")?;
                }
                Written::Local(why) => writeln!(out, "recorded: {why}")?,
            }
        }
    }
    Ok(())
}

/// The identity of the record: `--by`, else the repository's git committer.
fn verifier(args: &MarkVerified, repo: &Repo) -> Result<Signature> {
    let (name, email) = match &args.by {
        Some(by) => parse_identity(by)?,
        None => repo.configured_committer().ok_or_else(|| {
            anyhow!("no git committer identity is configured; pass --by \"Name <email>\"")
        })?,
    };
    // Whole seconds, as git times are.
    let now = jiff::Timestamp::now();
    let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    Ok(Signature::new(name, email, now))
}

/// Writes the record in the local repository's notes.
fn mark_locally(
    args: &MarkVerified,
    evidence: serde_json::Value,
) -> Result<(ObjectId, VerificationRecord)> {
    // What ENV runs now needs only its newest deployment; a commit may need all history.
    let options = match args.commit {
        None => LedgerOptions::newest(1),
        Some(_) => LedgerOptions::default(),
    };
    let ctx = load(&args.common, Some(&args.env), &options)?;
    let commit = args
        .commit
        .as_deref()
        .map(|rev| {
            ctx.repo
                .resolve(rev)
                .with_context(|| format!("--commit {rev}"))
        })
        .transpose()?;
    let committer = verifier(args, &ctx.repo)?;
    Ok(verify_deployment(
        &ctx.repo,
        &ctx.ledger,
        &args.env,
        commit,
        evidence,
        &committer,
    )?)
}

/// Syncs with the plain-git forge, checks the deployment on the remote's base branch, and
/// pushes the record on top of the remote's records with a lease.
fn mark_through_git_forge(
    args: &MarkVerified,
    mut config: Config,
    remote: &str,
    evidence: serde_json::Value,
) -> Result<(ObjectId, VerificationRecord, Written)> {
    if let Some(base) = &args.common.base {
        config.forge.base_branch = base.clone();
    }
    let setup = Setup {
        repo_dir: config.root.clone(),
        kind: ForgeKind::Git,
        remote: remote.to_owned(),
        config,
    };
    let repo = setup.open_repo()?;
    let signature = verifier(args, &repo)?;
    let forge = GitForge::new(
        repo,
        GitForgeOptions {
            remote: remote.to_owned(),
            base_branch: setup.config.forge.base_branch.clone(),
            branch_prefix: setup.config.forge.branch_prefix.clone(),
            signature: signature.clone(),
        },
    );
    let hint = "(--no-push records in the local repository only)";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        let synced = ferry_gitops::promote::sync_ledger(&forge, &setup.config)
            .await
            .with_context(|| format!("cannot sync with {} {hint}", forge.remote_display()))?;
        let ledger = &synced.loaded.ledger;
        let commit = args
            .commit
            .as_deref()
            .map(|rev| {
                synced
                    .loaded
                    .repo
                    .resolve(rev)
                    .with_context(|| format!("--commit {rev}"))
            })
            .transpose()?;
        let deployment = deployment_to_verify(ledger, &args.env, commit)?;
        let target = commit.unwrap_or_else(|| deployment.id());
        let record = VerificationRecord::new(
            &args.env,
            signature.timestamp(),
            deployment.images.clone(),
            evidence,
        );
        forge
            .record_verification(target, &record)
            .await
            .with_context(|| {
                format!(
                    "cannot push the record to {} {hint}",
                    forge.remote_display()
                )
            })?;
        Ok((
            target,
            record,
            Written::Pushed(forge.remote_display().to_owned()),
        ))
    })
}

/// Writes `commit=` and `images=` (JSON) to `$GITHUB_OUTPUT` when running in GitHub Actions.
fn github_output(env: &EnvLedger) -> Result<()> {
    let Some(now) = env.current() else {
        return Ok(());
    };
    let images = serde_json::to_string(&now.images)?;
    ferry_cli::github_output::write(&[("commit", now.commit.as_str()), ("images", &images)])
        .context("cannot write the step outputs")
}
