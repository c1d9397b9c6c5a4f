//! `ferry-status`: every environment at a glance, in promotion order: what it runs, since when
//! and by which commit, whether that is verified, what is held, which changes are open, how
//! much soak is left before promotion and whether the next environment is behind.
//!
//! Exit codes: 0 on success (whatever the environments' state); 2 on usage, config or git
//! errors; 3 when the forge cannot be reached.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};

use clap::Parser;
use ferry_cli::forge::{self, ForgeArgs};
use ferry_cli::{Context as _, Format, Result, Runtime};
use ferry_delivery::read::{OpenChanges, ReadOptions, read_forge, read_local};
use ferry_delivery::status::{Status, status};
use ferry_ledger::ledger::LedgerOptions;
use jiff::Timestamp;

/// Show where every GitOps environment stands, in promotion order: the images it runs (short
/// form, logical names), since when and by which commit, whether that image set is verified
/// (and when), held images and why, open changes (id, images, age, whether they wait for
/// review), the soak left before promotion to the next environment, and whether that one is
/// behind.
///
/// Reads the ledger from Git and, unless --offline, syncs with the forge first and asks it for
/// holds, open changes and verification records. A coloured table on a terminal (not with
/// NO_COLOR), plain text otherwise; --format json prints the documented JSON
/// (docs/ferry-status.md).
#[derive(Debug, Parser)]
#[command(name = "ferry-status", version, about, long_about)]
struct Cli {
    /// Show only this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Read only the local repository: no sync, holds and verification records as the last
    /// sync left them, no open changes.
    #[arg(long)]
    offline: bool,
    /// How many of each environment's newest deployments to read (older ones only tell when
    /// an image that still runs entered, for the soak).
    #[arg(long, value_name = "N", default_value_t = 200)]
    depth: usize,
    /// Compute the status as of this time (RFC 3339; default: now), for reproducible output.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Colour the table: auto (on a terminal, unless NO_COLOR is set and not empty), always or
    /// never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    color: String,
    #[command(flatten)]
    forge: ForgeArgs,
}

fn parse_time(s: &str) -> std::result::Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("not an RFC 3339 time (2026-11-24T09:00:00Z): {e}"))
}

/// Runs `ferry-status` with `args` (the program name first): the binary's `main`, and what
/// `ferry status` runs in-process.
pub fn main(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    ferry_cli::main_async_from(args, "ferry-status", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<()> {
    let setup = forge::setup(&cli.forge)?;
    if let Some(env) = &cli.env {
        setup.config.require_environment(env)?;
    }
    let options = ReadOptions {
        repo_given: cli.forge.repo.is_some(),
        ledger: LedgerOptions::newest(cli.depth.max(1)),
    };
    let (history, open): (_, Option<OpenChanges>) = if cli.offline {
        let repo = setup.open_repo()?;
        let branch = &setup.config.forge.base_branch;
        let base = repo
            .resolve(branch)
            .with_context(|| format!("cannot find the base branch `{branch}`"))?;
        (read_local(&repo, &setup.config, base, &options)?, None)
    } else {
        let forge = setup.forge()?;
        read_forge(&forge, &setup.config, &options, true).await?
    };
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let mut report = status(&history, open.as_ref(), now);
    if let Some(env) = &cli.env {
        report.environments.retain(|e| e.name == *env);
    }
    print(&cli, &report)?;
    outputs(&report)
}

fn print(cli: &Cli, report: &Status) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Text => {
            let color = match cli.color.as_str() {
                "always" => true,
                "never" => false,
                _ => std::io::stdout().is_terminal() && !ferry_cli::env::no_color(),
            };
            out.write_all(ferry_delivery::status_text::render(report, color).as_bytes())?;
        }
    }
    Ok(())
}

/// In GitHub Actions: `status=` (JSON object of each environment's state) and, for one
/// environment, `state=` and `images=`.
fn outputs(report: &Status) -> Result<()> {
    let states: BTreeMap<&str, &str> = report
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.state.as_str()))
        .collect();
    let states = serde_json::to_string(&states).expect("a map of strings serializes");
    let mut pairs = vec![("status", states)];
    if let [one] = report.environments.as_slice() {
        let images: BTreeMap<&str, &str> = one
            .images
            .iter()
            .map(|i| (i.container.as_str(), i.image.as_str()))
            .collect();
        pairs.push(("state", one.state.as_str().to_owned()));
        pairs.push((
            "images",
            serde_json::to_string(&images).expect("a map of strings serializes"),
        ));
    }
    ferry_cli::github_output::write(&pairs).context("cannot write the step outputs")
}
