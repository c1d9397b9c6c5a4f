//! `ferry-diff`: what a GitOps change does to the cluster, rendered and compared object by
//! object, without a cluster; and the drift between two environments.
//!
//! Exit codes: 0 done (whether or not something differs; with `--exit-code`, 1 when something
//! differs), 2 usage or an overlay that does not render, 3 Git or GitHub failed.

mod pull;
mod sides;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use ferry_cli::forge::ForgeArgs;
use ferry_cli::{Error, Result, Runtime};
use ferry_diff::{
    CompareOptions, Comparison, GITHUB_COMMENT_LIMIT, Mode, Report, STEP_SUMMARY_LIMIT, Section,
};

use crate::sides::{Labeled, Workspace};

/// Show what a GitOps change does to the cluster: every environment's overlay rendered on two
/// revisions and compared object by object (added, removed, changed with a unified diff of the
/// YAML; image changes first; Secret values masked), or two environments compared (drift).
///
/// By default the old side is the merge base of the base branch and the new side, and the new
/// side is the working tree; in a GitHub Actions pull request run, the pull request's base and
/// head. See docs/ferry-diff.md.
#[derive(Debug, Parser)]
#[command(name = "ferry-diff", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    forge: ForgeArgs,
    /// An environment to compare (repeatable; default: every environment of ferry.toml).
    #[arg(long = "env", value_name = "ENV")]
    env: Vec<String>,
    /// The old revision (default: the merge base of the base branch and the new side).
    #[arg(long, value_name = "REV")]
    from: Option<String>,
    /// The new revision (default: the working tree; in a pull request run, its head).
    #[arg(long, value_name = "REV")]
    to: Option<String>,
    /// Compare environment A with environment B at the new side instead (drift): namespaces and
    /// name prefixes and suffixes of their overlays are no difference.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["env", "from"])]
    envs: Option<Vec<String>>,
    /// Container images are no difference (drift beyond images).
    #[arg(long)]
    ignore_images: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Also append the diff as markdown to the job summary ($GITHUB_STEP_SUMMARY).
    #[arg(long)]
    summary: bool,
    /// Create or update the diff's comment on the pull request (GitHub; split into several
    /// comments past 65,536 characters).
    #[arg(long)]
    comment: bool,
    /// The pull request to comment on (default: the one of the GitHub Actions run).
    #[arg(long, value_name = "NUMBER")]
    pr: Option<u64>,
    /// Update only marker comments written by this login (default: any author).
    #[arg(long, value_name = "LOGIN", requires = "comment")]
    comment_author: Option<String>,
    /// Exit 1 when something differs (as `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Text for people.
    Text,
    /// The JSON document of docs/ferry-diff.md.
    Json,
    /// Markdown (what the job summary and the comment show).
    Markdown,
}

/// `ferry-diff` with the command line `args` (the program name first): the binary's `main`,
/// and what `ferry diff` runs in-process.
pub fn main(args: Vec<OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-diff", Runtime::CurrentThread, |cli: Cli| {
        run(cli)
    })
}

async fn run(cli: Cli) -> Result<u8> {
    let setup = ferry_cli::forge::setup(&cli.forge)?;
    let repo = setup.open_repo()?;
    let top = sides::top_of(&repo, &setup.repo_dir)?;
    let specs = ferry_ledger::environment_specs(&setup.config, &repo, cli.forge.repo.is_some())
        .map_err(Error::from)?;
    let pull = pull::from_actions()?;
    let workspace = Workspace {
        repo,
        top,
        options: ferry_ledger::resolve_options(&setup.config),
    };
    let to = workspace.new_side(cli.to.as_deref(), pull.as_ref())?;
    let overlay_of = |name: &str| -> Result<String> {
        setup
            .config
            .require_environment(name)
            .map_err(Error::from)?;
        Ok(specs
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.overlay.clone())
            .expect("every configured environment has a spec"))
    };
    let report = match &cli.envs {
        Some(pair) => drift(&workspace, &to, pair, &overlay_of, cli.ignore_images)?,
        None => {
            let from = workspace.old_side(
                cli.from.as_deref(),
                pull.as_ref(),
                &to,
                &setup.config.forge.base_branch,
                &setup.remote,
            )?;
            let names: Vec<String> = if cli.env.is_empty() {
                specs.iter().map(|s| s.name.clone()).collect()
            } else {
                cli.env.clone()
            };
            let mut sections = Vec::new();
            for name in &names {
                let overlay = overlay_of(name)?;
                let old = workspace.render(&from.side, &overlay)?.unwrap_or_default();
                let new = workspace.render(&to.side, &overlay)?.unwrap_or_default();
                let options = CompareOptions {
                    ignore_images: cli.ignore_images,
                };
                sections.push(Section {
                    name: name.clone(),
                    comparison: ferry_diff::compare(&old, &new, options),
                });
            }
            Report {
                mode: Mode::Revisions,
                from: from.label,
                to: to.label,
                ignore_images: cli.ignore_images,
                sections,
            }
        }
    };
    match cli.format {
        OutputFormat::Text => print!("{}", ferry_diff::to_text(&report)),
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).expect("JSON values print")
        ),
        OutputFormat::Markdown => print!("{}", ferry_diff::to_markdown(&report, usize::MAX)),
    }
    if cli.summary {
        ferry_cli::step_summary::append(&ferry_diff::to_markdown(&report, STEP_SUMMARY_LIMIT))?;
    }
    let mut outputs = vec![("differences", report.differences().to_string())];
    if cli.comment {
        let number = match (cli.pr, &pull) {
            (Some(number), _) => number,
            (None, Some(pull)) => pull.number,
            (None, None) => {
                return Err(Error::usage(
                    "--comment needs a pull request: run it for a pull_request event in GitHub \
                     Actions, or pass --pr NUMBER",
                ));
            }
        };
        let key = comment_key(&cli);
        let bodies = ferry_diff::comment_bodies(&report, &key, GITHUB_COMMENT_LIMIT);
        let github = setup.github_client()?;
        let done = pull::sync_comments(
            &github,
            number,
            &key,
            &bodies,
            cli.comment_author.as_deref(),
        )
        .await?;
        eprintln!(
            "ferry-diff: pull request #{number}: {} comment(s) created, {} updated, {} unchanged, {} deleted{}",
            done.created,
            done.updated,
            done.kept,
            done.deleted,
            done.url
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default()
        );
        if let Some(url) = done.url {
            outputs.push(("comment-url", url));
        }
    }
    ferry_cli::github_output::write(&outputs)?;
    Ok(u8::from(cli.exit_code && report.differences() > 0))
}

/// Environment A against environment B on the new side.
fn drift(
    workspace: &Workspace,
    at: &Labeled,
    pair: &[String],
    overlay_of: &dyn Fn(&str) -> Result<String>,
    ignore_images: bool,
) -> Result<Report> {
    let [a, b] = pair else {
        return Err(Error::usage("--envs takes two environments"));
    };
    if a == b {
        return Err(Error::usage(format!(
            "--envs {a} {b}: name two different environments"
        )));
    }
    let mut sides = Vec::new();
    for name in [a, b] {
        let overlay = overlay_of(name)?;
        let objects = workspace.render(&at.side, &overlay)?.ok_or_else(|| {
            Error::bad_input(format!("{name}: no overlay at {overlay} ({})", at.label))
        })?;
        let naming = workspace.naming(&at.side, &overlay)?;
        sides.push((objects, naming));
    }
    let comparison: Comparison = ferry_diff::drift(
        &sides[0].0,
        &sides[0].1,
        &sides[1].0,
        &sides[1].1,
        ignore_images,
    );
    Ok(Report {
        mode: Mode::Drift,
        from: a.clone(),
        to: b.clone(),
        ignore_images,
        sections: vec![Section {
            name: format!("{a}..{b}"),
            comparison,
        }],
    })
}

/// What the comments' marker is keyed by: the environments compared, so that diffs of other
/// environments (a job per environment) keep comments of their own.
fn comment_key(cli: &Cli) -> String {
    match (&cli.envs, cli.env.is_empty()) {
        (Some(pair), _) => format!("drift-{}", pair.join("-")),
        (None, true) => "all".to_owned(),
        (None, false) => cli.env.join(","),
    }
}
