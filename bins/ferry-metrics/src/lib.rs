//! `ferry-metrics`: the four DORA metrics of each environment, from the GitOps history:
//! deployment frequency, lead time for changes, change failure rate and time to restore, with
//! medians, 90th percentiles, DORA bands and the deployments behind each number. Text, JSON or
//! a one-file HTML report.
//!
//! Exit codes: 0 on success; 2 on usage, config or git errors; 3 when the forge cannot be
//! reached or a file cannot be written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use ferry_cli::forge::{self, ForgeArgs};
use ferry_cli::{Context as _, Error, ErrorKind, Result, Runtime, WithKind as _};
use ferry_delivery::metrics::{MetricsRequest, metrics};
use ferry_delivery::read::{ReadOptions, read_forge, read_local};
use ferry_delivery::revision_times;
use ferry_git::Repo;
use ferry_ledger::ledger::LedgerOptions;
use jiff::Timestamp;

pub mod revision;

/// Compute delivery metrics (DORA) from the GitOps repository's history: per environment,
/// deployment frequency (per day and week), lead time for changes, change failure rate
/// (deployments rolled back — the Ferry-Rollback trailer — or held) and time to restore (from
/// a failed deployment to the next verified image set), each with median, 90th percentile and
/// DORA performance band (docs/ferry-metrics.md).
///
/// Lead time starts at the application commit an image was built from when --app-repo names
/// the application repository (the commit its org.opencontainers.image.revision label names,
/// read from the registry, else its tag: a tag or commit id of the application); otherwise at
/// the time the image first entered the first environment.
#[derive(Debug, Parser)]
#[command(name = "ferry-metrics", version, about, long_about)]
struct Cli {
    /// Only this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// The window: a duration back from now (`90d`, `12h`) or a start time (RFC 3339).
    #[arg(long, value_name = "SINCE", default_value = "90d")]
    since: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// In GitHub Actions, also append the headline numbers to the job summary
    /// ($GITHUB_STEP_SUMMARY).
    #[arg(long)]
    summary: bool,
    /// The application repository (a local clone): lead time starts at the commit each image
    /// was built from: the one its `org.opencontainers.image.revision` label names (read from
    /// the image's registry, unless --offline or --no-registry), else the one its tag names (a
    /// tag `1.4.0`/`v1.4.0`, or a commit id `1a2b3c4`/`sha-1a2b3c4`).
    #[arg(long, value_name = "PATH")]
    app_repo: Option<PathBuf>,
    /// With --app-repo, do not read the images' revision labels from their registries (only
    /// their tags name revisions).
    #[arg(long)]
    no_registry: bool,
    /// Read only the local repository: no sync, holds and verification records as the last
    /// sync left them.
    #[arg(long)]
    offline: bool,
    /// The end of the window (RFC 3339; default: now), for reproducible reports.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Timestamp>,
    #[command(flatten)]
    forge: ForgeArgs,
}

/// Output formats: `text`, `json` or `html` (one self-contained file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Html,
}

fn parse_time(s: &str) -> std::result::Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("not an RFC 3339 time (2026-11-24T09:00:00Z): {e}"))
}

/// The start of the window `since` names, at `now`.
fn window_start(since: &str, now: Timestamp) -> Result<Timestamp> {
    if let Ok(at) = since.parse::<Timestamp>() {
        return Ok(at);
    }
    let back = ferry_config::parse_duration(since).map_err(|e| {
        Error::usage(format!(
            "--since: {e}; or give a start time such as 2026-01-01T00:00:00Z"
        ))
    })?;
    let back = jiff::SignedDuration::try_from(back)
        .map_err(|e| Error::usage(format!("--since {since}: {e}")))?;
    now.checked_sub(back)
        .map_err(|e| Error::usage(format!("--since {since}: {e}")))
}

/// Runs `ferry-metrics` with `args` (the program name first): the binary's `main`, and what
/// `ferry metrics` runs in-process.
pub fn main(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    ferry_cli::main_async_from(args, "ferry-metrics", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<()> {
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let since = window_start(&cli.since, now)?;
    if since >= now {
        return Err(Error::usage(format!(
            "--since {}: the window starts at {since}, not before its end {now}",
            cli.since
        )));
    }
    let setup = forge::setup(&cli.forge)?;
    if let Some(env) = &cli.env {
        setup.config.require_environment(env)?;
    }
    let options = ReadOptions {
        repo_given: cli.forge.repo.is_some(),
        ledger: LedgerOptions::default(),
    };
    let history = if cli.offline {
        let repo = setup.open_repo()?;
        let branch = &setup.config.forge.base_branch;
        let base = repo
            .resolve(branch)
            .with_context(|| format!("cannot find the base branch `{branch}`"))?;
        read_local(&repo, &setup.config, base, &options)?
    } else {
        let forge = setup.forge()?;
        read_forge(&forge, &setup.config, &options, false).await?.0
    };
    let revisions = match &cli.app_repo {
        Some(path) => {
            let app = Repo::discover(path).with_context(|| {
                format!(
                    "--app-repo: cannot open the git repository {}",
                    path.display()
                )
            })?;
            let images: BTreeSet<String> = history
                .environments
                .iter()
                .flat_map(|e| {
                    e.deployments
                        .iter()
                        .filter(|d| d.time >= since && d.time <= now)
                        .flat_map(|d| d.changed.iter().filter_map(|c| d.images.get(c)))
                })
                .cloned()
                .collect();
            let labels = if cli.offline || cli.no_registry {
                BTreeMap::new()
            } else {
                // Credentials as for `ferry image`: FERRY_REGISTRY_*, ferry.toml's
                // [registries."HOST"], docker's config.json.
                let flags = ferry_cli::registry::RegistryFlags {
                    explicit: ferry_cli::registry::env_credentials()?,
                    ..Default::default()
                };
                let client = ferry_cli::registry::client(&flags, Some(&setup.config))?;
                revision::revision_labels(&client, &images).await
            };
            Some(revision_times(
                &app,
                images.iter().map(String::as_str),
                &labels,
            ))
        }
        None => None,
    };
    let request = MetricsRequest {
        since,
        now,
        only: cli.env.clone(),
        revisions,
    };
    let report = metrics(&history, &request);
    let text = match cli.format {
        OutputFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(&report).expect("the metrics serialize to JSON");
            json.push('\n');
            json
        }
        OutputFormat::Text => ferry_delivery::metrics_text::render(&report),
        OutputFormat::Html => ferry_delivery::html::render(&report, "Delivery metrics"),
    };
    match &cli.out {
        Some(path) => ferry_kustomize::edit_file::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
            .with_kind(ErrorKind::Io)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if cli.summary {
        ferry_cli::step_summary::append(&ferry_delivery::metrics_text::summary_markdown(&report))
            .context("cannot write the job summary")?;
    }
    Ok(())
}
