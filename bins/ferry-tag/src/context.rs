//! Where the tags' context comes from: the GitHub Actions workflow or the local repository.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferry_cli::Result;
use ferry_cli::env as names;
use ferry_image::meta::{Context, RepoInfo, context_from_github};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::{Cli, Source, bad_input, env, git};

/// The context source's description for the output.
pub(crate) struct Gathered {
    pub(crate) context: Context,
    pub(crate) repo: RepoInfo,
    pub(crate) source: &'static str,
    pub(crate) git: Option<Value>,
}

/// The context of the build: GitHub Actions' (`--context workflow`, or `auto` inside
/// Actions), else the local repository's.
pub(crate) fn gather(cli: &Cli, now: Timestamp) -> Result<Gathered> {
    let github = env(names::GITHUB_ACTIONS).as_deref() == Some("true")
        || env(names::GITHUB_EVENT_NAME).is_some_and(|e| !e.is_empty());
    let use_workflow = match cli.context {
        Source::Auto => github,
        Source::Workflow => true,
        Source::Git => false,
    };
    if use_workflow {
        return workflow_context(now);
    }
    let local = git::read(&cli.repo).map_err(bad_input)?;
    let git = json!({
        "dirty": local.dirty,
        "tags_at_head": local.tags_at_head,
    });
    Ok(Gathered {
        context: local.context,
        repo: local.repo,
        source: "git",
        git: Some(git),
    })
}

fn workflow_context(now: Timestamp) -> Result<Gathered> {
    let vars: BTreeMap<String, String> = ferry_cli::env::github_workflow();
    let payload = ferry_cli::github_event::payload(&vars)?.unwrap_or_else(|| json!({}));
    let pr_head_sha =
        env(names::DOCKER_METADATA_PR_HEAD_SHA).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Like metadata-action: the payload's commit date first; then (instead of the GitHub API)
    // the commit in the checked-out repository; then the current time.
    let workspace = vars
        .get("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let context = context_from_github(&vars, payload, pr_head_sha, |sha| {
        git::commit_time(&workspace, sha).unwrap_or(now)
    });
    let repo = RepoInfo::of_workflow(
        &context.payload,
        &vars,
        &ferry_cli::env::github_server_url(),
    );
    Ok(Gathered {
        context,
        repo,
        source: "workflow",
        git: None,
    })
}
