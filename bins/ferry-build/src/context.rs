//! The labels' context: GitHub Actions' inside Actions, else the git repository around the
//! build context.

use std::collections::{BTreeMap, BTreeSet};

use ferry_build::labels::{LabelInputs, oci_labels};
use ferry_cli::env as names;
use ferry_cli::{Error, ErrorKind, Result};
use ferry_image::meta::{Context, RepoInfo, context_from_github};
use jiff::Timestamp;
use serde_json::json;

use crate::cli::Cli;

/// The image's labels: the computed OCI labels, then `--label`s, then `--version-label`.
pub(crate) fn labels(cli: &Cli, now: Timestamp) -> Result<BTreeMap<String, String>> {
    let (context, repo) = if ferry_cli::env::in_github_actions() {
        workflow(now)?
    } else {
        match ferry_build::git::local_context(&cli.context) {
            Ok(found) => found,
            Err(e) => {
                eprintln!("ferry-build: warning: {e}; the labels name no source or revision");
                (
                    Context {
                        event_name: "push".to_owned(),
                        sha: String::new(),
                        git_ref: String::new(),
                        payload: json!({}),
                        commit_date: now,
                    },
                    RepoInfo::default(),
                )
            }
        }
    };
    for label in &cli.labels {
        if !label.contains('=') {
            return Err(Error::usage(format!("--label {label}: expected KEY=VALUE")));
        }
    }
    let (mut labels, warnings) = oci_labels(&LabelInputs {
        context,
        repo,
        now,
        extra: cli.labels.clone(),
        version: cli.version_label.clone(),
    })
    .map_err(Error::usage)?;
    for w in warnings {
        eprintln!("ferry-build: warning: {w}");
    }
    // Empty values say nothing (a repository without description).
    let empty: BTreeSet<String> = labels
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    labels.retain(|k, _| !empty.contains(k));
    Ok(labels)
}

/// The context of a workflow run, as `ferry tag` reads it: the `GITHUB_*` variables and the
/// event payload.
fn workflow(now: Timestamp) -> Result<(Context, RepoInfo)> {
    let vars: BTreeMap<String, String> = ferry_cli::env::github_workflow();
    let payload = match vars.get(names::GITHUB_EVENT_PATH).filter(|p| !p.is_empty()) {
        Some(path) if std::path::Path::new(path).exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::msg(
                    ErrorKind::Io,
                    format!("cannot read the event payload {path}: {e}"),
                )
            })?;
            serde_json::from_str(&text).map_err(|e| {
                Error::bad_input(format!("the event payload {path} is not valid JSON: {e}"))
            })?
        }
        _ => json!({}),
    };
    let context = context_from_github(&vars, payload, false, |_| now);
    let mut repo = context
        .payload
        .get("repository")
        .map(RepoInfo::from_github_json)
        .unwrap_or_default();
    if let Some(full) = vars.get(names::GITHUB_REPOSITORY).filter(|r| !r.is_empty()) {
        if repo.name.is_empty() {
            repo.name = full.rsplit('/').next().unwrap_or(full).to_owned();
        }
        if repo.html_url.is_empty() {
            repo.html_url = format!("{}/{full}", ferry_cli::env::github_server_url());
        }
    }
    Ok((context, repo))
}
