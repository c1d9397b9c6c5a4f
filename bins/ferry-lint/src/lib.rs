//! `ferry-lint`: check a GitOps repository's GitHub Actions workflows and `ferry.toml` against
//! the rules that break Ferry pipelines.
//!
//! Exit codes: 0 no finding, 1 findings, 2 usage or an unreadable `ferry.toml` or workflow.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use ferry_cli::{Context as _, Format};
use ferry_lint::{Finding, Repository, Rule};
use serde::Serialize;

/// Check a repository's GitHub Actions workflows and ferry.toml against the rules that break
/// Ferry pipelines: required-check parity for overlay-only pull requests, path filters, App
/// tokens for pull requests that must trigger checks, least-privilege permissions, deploy
/// concurrency, and environment and image names known to ferry.toml.
///
/// Each finding names its file, line and column. In GitHub Actions (GITHUB_ACTIONS=true) each
/// is also written as an `::error` annotation. See docs/ferry-lint.md.
#[derive(Debug, Parser)]
#[command(name = "ferry-lint", version, about, long_about)]
struct Cli {
    /// The repository root (holding ferry.toml and .github/workflows).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// The Ferry config file (default: DIR/ferry.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The JSON report.
#[derive(Debug, Serialize)]
struct Report<'a> {
    /// Whether there is no finding.
    clean: bool,
    /// The workflow files read.
    workflows: Vec<&'a str>,
    /// The rules checked.
    rules: Vec<&'static str>,
    findings: &'a [Finding],
}

/// Runs `ferry-lint` with this command line (the program name first): the binary's `main`,
/// and `ferry lint` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-lint", |cli: Cli| {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let root = absolute(&cwd, &cli.dir);
        let config = cli.config.as_deref().map(|c| absolute(&cwd, c));
        let repo = Repository::load(&root, config.as_deref())?;
        let findings = ferry_lint::lint(&repo);
        match cli.format {
            Format::Json => {
                let report = Report {
                    clean: findings.is_empty(),
                    workflows: repo.workflows.iter().map(|w| w.file.as_str()).collect(),
                    rules: Rule::ALL.iter().map(|r| r.as_str()).collect(),
                    findings: &findings,
                };
                let text = serde_json::to_string_pretty(&report)
                    .expect("the report is plain data, always serializable");
                println!("{text}");
            }
            Format::Text => {
                for finding in &findings {
                    println!("{finding}");
                }
                if findings.is_empty() {
                    eprintln!(
                        "ferry-lint: no finding in {} workflow(s) and {}",
                        repo.workflows.len(),
                        repo.config_file
                    );
                } else {
                    eprintln!("ferry-lint: {} finding(s)", findings.len());
                }
            }
        }
        // Annotations go to stdout, or to stderr when stdout holds the JSON report (the
        // runner reads workflow commands on both).
        if ferry_cli::env::in_github_actions() {
            for finding in &findings {
                match cli.format {
                    Format::Json => eprintln!("{}", finding.annotation()),
                    Format::Text => println!("{}", finding.annotation()),
                }
            }
        }
        ferry_cli::github_output::write(&[("findings", findings.len().to_string())])?;
        Ok(if findings.is_empty() { 0u8 } else { 1 })
    })
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}
