//! `ferry-pr list | show | merge | close`: what a person reviewing changes needs.

use std::io::Write;

use clap::Args;
use ferry_cli::Format;
use ferry_cli::forge::Setup;
use ferry_cli::{Context as _, Result};
use ferry_gitops::deploy::DeployError;
use ferry_gitops::forge::{ChangeInfo, ChangeState, Forge};
use ferry_gitops::gates::hold_rule;
use ferry_gitops::{LedgerOptions, LoadRequest, load_ledger};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the changes of this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The change: the pull request number, or the change record name (`ferry pr list`).
    #[arg(value_name = "ID")]
    id: String,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The change: the pull request number, or the change record name (`ferry pr list`).
    #[arg(value_name = "ID")]
    id: String,
    /// Merge only if the change's head is still this commit (what you reviewed, as `ferry pr
    /// show` printed it); refused otherwise.
    #[arg(long, value_name = "COMMIT")]
    head: Option<String>,
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// One line of `list`, and the header of `show`.
fn line(c: &ChangeInfo) -> String {
    let mut text = format!(
        "{}  {}  {}  {}",
        c.id,
        c.state,
        c.env.as_deref().unwrap_or("-"),
        c.title
    );
    if let Some(head) = &c.head {
        text.push_str(&format!("  (head {})", short(head)));
    }
    if c.auto_merge {
        text.push_str("  auto-merge enabled");
    }
    text
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub async fn list<F: Forge>(args: &ListArgs, format: Format, forge: &F) -> Result<u8> {
    let changes = forge.changes(args.env.as_deref()).await?;
    match format {
        Format::Json => print_json(&serde_json::json!({ "changes": changes }))?,
        Format::Text => {
            let mut out = std::io::stdout().lock();
            if changes.is_empty() {
                match &args.env {
                    Some(env) => writeln!(out, "no open change for {env}")?,
                    None => writeln!(out, "no open change")?,
                }
            }
            for c in &changes {
                writeln!(out, "{}", line(c))?;
                if let Some(note) = &c.note {
                    writeln!(out, "    {note}")?;
                }
            }
            if changes.iter().any(|c| c.state == ChangeState::Open) {
                writeln!(
                    out,
                    "approve one with `ferry pr merge ID`, drop it with `ferry pr close ID`"
                )?;
            }
        }
    }
    let ids: Vec<&str> = changes
        .iter()
        .filter(|c| c.state == ChangeState::Open)
        .map(|c| c.id.as_str())
        .collect();
    ferry_cli::github_output::write(&[("ids", ids.join(","))])
        .context("cannot write the step outputs")?;
    Ok(0)
}

fn print_change(format: Format, c: &ChangeInfo) -> Result<()> {
    match format {
        Format::Json => print_json(c),
        Format::Text => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", line(c))?;
            writeln!(out, "  branch: {}", c.branch)?;
            if let Some(url) = &c.url {
                writeln!(out, "  url: {url}")?;
            }
            if let Some(base) = &c.base {
                writeln!(out, "  computed from: {}", short(base))?;
            }
            if let Some(at) = &c.created_at {
                writeln!(out, "  opened: {at}")?;
            }
            if let Some(commit) = &c.merge_commit {
                writeln!(out, "  merged as: {}", short(commit))?;
            }
            if let Some(note) = &c.note {
                writeln!(out, "  {note}")?;
            }
            if !c.body.trim().is_empty() {
                writeln!(out)?;
                for l in c.body.lines() {
                    writeln!(out, "  {l}")?;
                }
            }
            if c.state == ChangeState::Open {
                let head = c
                    .head
                    .as_deref()
                    .map(|h| format!(" --head {}", short(h)))
                    .unwrap_or_default();
                writeln!(out)?;
                writeln!(out, "approve with `ferry pr merge {}{head}`", c.id)?;
            }
            Ok(())
        }
    }
}

fn outputs(c: &ChangeInfo) -> Result<()> {
    ferry_cli::github_output::write(&[
        ("id", c.id.as_str()),
        ("state", &c.state.to_string()),
        ("head", c.head.as_deref().unwrap_or_default()),
        (
            "merge-commit",
            c.merge_commit.as_deref().unwrap_or_default(),
        ),
    ])
    .context("cannot write the step outputs")
}

pub async fn show<F: Forge>(args: &IdArgs, format: Format, forge: &F) -> Result<u8> {
    let change = forge.change(&args.id).await?;
    print_change(format, &change)?;
    outputs(&change)?;
    Ok(0)
}

/// Refuses to merge `change` when its images are held for its environment (a rollback held
/// them after the change was opened). A head that is not in the local repository (GitHub) is
/// not checked, with a warning.
async fn check_holds<F: Forge>(setup: &Setup, forge: &F, change: &ChangeInfo) -> Result<()> {
    let (Some(env), Some(head)) = (&change.env, &change.head) else {
        return Ok(());
    };
    let workdir = forge
        .repo()
        .workdir()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| setup.repo_dir.clone());
    let loaded = load_ledger(
        &setup.config,
        &LoadRequest {
            repo: Some(workdir),
            base: Some(head.clone()),
            only: Some(env.clone()),
            options: LedgerOptions::newest(1),
        },
    );
    let images = match loaded.map_err(anyhow::Error::from).and_then(|l| {
        Ok(l.ledger
            .environment(env)?
            .current()
            .map(|d| d.images.clone()))
    }) {
        Ok(Some(images)) => images,
        Ok(None) => return Ok(()),
        Err(e) => {
            eprintln!(
                "ferry-pr: warning: the holds of {env} are not checked for change {}: {e:#}",
                change.id
            );
            return Ok(());
        }
    };
    let holds = forge.holds().await.context("cannot read holds")?;
    match hold_rule(env, &images, &holds) {
        Some(held) => Err(DeployError::Held {
            env: env.clone(),
            holds: vec![held],
        }
        .into()),
        None => Ok(()),
    }
}

pub async fn merge<F: Forge>(
    args: &MergeArgs,
    format: Format,
    setup: &Setup,
    forge: &F,
) -> Result<u8> {
    let open = forge.change(&args.id).await?;
    if open.state == ChangeState::Open {
        check_holds(setup, forge, &open).await?;
    }
    let change = forge.merge_change(&args.id, args.head.as_deref()).await?;
    match format {
        Format::Json => print_json(&change)?,
        Format::Text => writeln!(
            std::io::stdout().lock(),
            "merged change {} for {} as {}",
            change.id,
            change.env.as_deref().unwrap_or("-"),
            change.merge_commit.as_deref().map(short).unwrap_or("-")
        )?,
    }
    outputs(&change)?;
    Ok(0)
}

pub async fn close<F: Forge>(args: &IdArgs, format: Format, forge: &F) -> Result<u8> {
    let change = forge.close_change(&args.id).await?;
    match format {
        Format::Json => print_json(&change)?,
        Format::Text => writeln!(
            std::io::stdout().lock(),
            "closed change {} for {} and deleted {}",
            change.id,
            change.env.as_deref().unwrap_or("-"),
            change.branch
        )?,
    }
    outputs(&change)?;
    Ok(0)
}
