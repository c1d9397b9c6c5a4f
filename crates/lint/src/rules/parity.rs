//! Required-check parity: every check the base branch requires is produced for a pull request
//! that changes only an overlay, or GitOps pull requests wait forever for it.

use std::collections::BTreeSet;

use super::context::{Ctx, finding};
use crate::finding::{Finding, Rule};
use crate::workflow::Pos;

/// A required check and where it is declared.
struct Required {
    name: String,
    file: String,
    at: Pos,
    /// Where it comes from, for the message.
    source: String,
}

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let required = required(ctx);
    let produced: Vec<(&String, &String, BTreeSet<&str>)> = ctx
        .overlay_files
        .iter()
        .map(|(env, file)| {
            let names = ctx
                .repo
                .workflows
                .iter()
                .filter(|w| ctx.runs_on_pull_request(w, file))
                .flat_map(|w| w.jobs.iter().map(|j| j.check_name()))
                .collect();
            (env, file, names)
        })
        .collect();
    let mut findings = Vec::new();
    for check in &required {
        // One finding per required check: the first environment it is missing for.
        if let Some((env, file, _)) = produced
            .iter()
            .find(|(_, _, names)| !names.contains(check.name.as_str()))
        {
            findings.push(finding(
                &check.file,
                check.at,
                Rule::RequiredCheckParity,
                format!(
                    "the base branch requires the check `{}` ({}), but no workflow produces it for a pull request that changes only {file} (environment {env}): GitOps pull requests would wait for it forever; add a job named `{}` to a workflow that runs on pull_request for the overlays",
                    check.name, check.source, check.name
                ),
            ));
        }
    }
    findings
}

/// `[forge] required-checks`, else the checks of the workflows that run on pull requests
/// changing code (the pull-request validation).
fn required(ctx: &Ctx<'_>) -> Vec<Required> {
    let listed = &ctx.repo.config.forge.required_checks;
    if !listed.is_empty() {
        return listed
            .iter()
            .map(|c| Required {
                name: c.name.clone(),
                file: ctx.repo.config_file.clone(),
                at: Pos {
                    line: c.line,
                    column: c.column,
                },
                source: format!("[forge] required-checks of {}", ctx.repo.config_file),
            })
            .collect();
    }
    let mut out: Vec<Required> = Vec::new();
    for workflow in &ctx.repo.workflows {
        let validates = ctx
            .code_files
            .iter()
            .any(|f| ctx.runs_on_pull_request(workflow, f));
        if !validates {
            continue;
        }
        for job in &workflow.jobs {
            if out.iter().any(|r| r.name == job.check_name()) {
                continue;
            }
            out.push(Required {
                name: job.check_name().to_string(),
                file: workflow.file.clone(),
                at: job.at,
                source: format!(
                    "a job of the pull-request validation workflow {}",
                    workflow.file
                ),
            });
        }
    }
    out
}
