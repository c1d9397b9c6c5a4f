//! `ferry-init`: writes the GitOps repository Ferry runs — `ferry.toml`, the Kustomize base and
//! overlays, the Argo CD applications, the GitHub Actions workflows — or checks it (`--check`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ferry_cli::{Format, Result};
use ferry_init::{Options, Plan, RawOptions, State};
use serde_json::json;

/// Write a GitOps repository that Ferry runs, or add what is missing to an existing one.
///
/// Writes ferry.toml (environments in promotion order, images, forge, monitor, registries),
/// infra/k8s (a Deployment and a Service per image in the base, one overlay per environment,
/// Argo Rollouts blue-green where asked), infra/argocd (an AppProject and one Application per
/// environment) and, with the GitHub forge, .github/workflows (PR validation, CI, GitOps checks,
/// one deploy workflow per later environment, verification) with
/// docs/github-branch-protection.md. A file that exists with other contents is kept unless
/// --force; --check writes nothing and lists what differs.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    after_help = "Exit codes: 0 written (or, with --check, nothing differs); 1 --check found \
                  files to create or that differ; 2 usage error, or a path that is not a \
                  regular file; 3 a file cannot be read or written.\n\n\
                  Example:\n  ferry init --app shop --image backend=ghcr.io/acme/backend \
                  --repo acme/shop"
)]
struct Cli {
    /// The repository's root directory (created when missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The application's name: the Argo CD project, the APP-ENV applications and namespaces.
    #[arg(long, value_name = "NAME")]
    app: String,
    /// An image: its logical name (its Deployment, Service and container) and repository
    /// (repeatable).
    #[arg(long, value_name = "NAME=REPOSITORY", required = true)]
    image: Vec<String>,
    /// The forge: GitHub pull requests (with GitHub Actions workflows) or plain git.
    #[arg(long, value_name = "github|git", default_value = "github")]
    forge: String,
    /// The GitHub repository (with --forge github).
    #[arg(long, value_name = "OWNER/NAME")]
    repo: Option<String>,
    /// The URL Argo CD fetches the repository from (with --forge git).
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,
    /// The environments in promotion order.
    #[arg(
        long,
        value_name = "ENV,...",
        value_delimiter = ',',
        default_value = "dev,staging,prod"
    )]
    environments: Vec<String>,
    /// The environments on Argo Rollouts blue-green (default: prod when there is one; an
    /// empty value for none).
    #[arg(long, value_name = "ENV,...", value_delimiter = ',')]
    blue_green: Option<Vec<String>>,
    /// The branch Argo CD deploys from.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    base: String,
    /// Write nothing; list the files to create and those that differ, exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Overwrite files that differ.
    #[arg(long, conflicts_with = "check")]
    force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `ferry-init` with this command line (the program name first): the binary's `main`,
/// and `ferry init` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-init", run)
}

fn run(cli: Cli) -> Result<u8> {
    let blue_green = cli
        .blue_green
        .map(|list| list.into_iter().filter(|e| !e.is_empty()).collect());
    let options = Options::new(RawOptions {
        app: cli.app,
        images: cli.image,
        forge: Some(cli.forge),
        repo: cli.repo,
        repo_url: cli.repo_url,
        environments: cli.environments,
        blue_green,
        base_branch: Some(cli.base),
    })?;
    let plan = ferry_init::plan(&cli.dir, ferry_init::generate(&options))?;
    if cli.check {
        return Ok(check(&plan, cli.format));
    }
    let applied = plan.apply(&cli.dir, cli.force)?;
    match cli.format {
        Format::Json => println!(
            "{}",
            json!({
                "created": applied.created,
                "overwritten": applied.overwritten,
                "kept": applied.kept,
                "unchanged": applied.unchanged,
            })
        ),
        Format::Text => {
            for planned in &plan.files {
                let path = &planned.file.path;
                let line = match planned.state {
                    State::Missing => format!("created    {path}"),
                    State::Same => format!("unchanged  {path}"),
                    State::Differs { .. } if cli.force => format!("overwrote  {path}"),
                    State::Differs { line } => {
                        format!("kept       {path} (differs from line {line}; --force overwrites)")
                    }
                };
                println!("{line}");
            }
        }
    }
    Ok(0)
}

/// `--check`: lists the differences; 1 when there are any.
fn check(plan: &Plan, format: Format) -> u8 {
    let differences: Vec<_> = plan.differences().collect();
    match format {
        Format::Json => {
            let files: Vec<_> = differences
                .iter()
                .map(|p| match p.state {
                    State::Differs { line } => {
                        json!({"path": p.file.path, "state": "differs", "line": line})
                    }
                    _ => json!({"path": p.file.path, "state": "missing"}),
                })
                .collect();
            println!("{}", json!({ "differences": files }));
        }
        Format::Text => {
            for p in &differences {
                match p.state {
                    State::Differs { line } => {
                        println!("differs    {} (from line {line})", p.file.path);
                    }
                    _ => println!("missing    {}", p.file.path),
                }
            }
            if differences.is_empty() {
                println!("up to date: {} files", plan.files.len());
            }
        }
    }
    u8::from(!differences.is_empty())
}
