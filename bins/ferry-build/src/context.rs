//! The labels' context: GitHub Actions' inside Actions, else the git repository around the
//! build context.

use std::collections::{BTreeMap, BTreeSet};

use ferry_build::labels::{LabelInputs, oci_labels};
use ferry_cli::{Error, Result};
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
    let payload = ferry_cli::github_event::payload(&vars)?.unwrap_or_else(|| json!({}));
    let context = context_from_github(&vars, payload, false, |_| now);
    let repo = RepoInfo::of_workflow(
        &context.payload,
        &vars,
        &ferry_cli::env::github_server_url(),
    );
    Ok((context, repo))
}
