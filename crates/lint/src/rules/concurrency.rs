//! A job that deploys has a concurrency group (two runs never change an environment at once)
//! and does not cancel a run in progress (a cancelled deploy stops half-way).

use super::context::{Ctx, deploys, finding};
use crate::finding::{Finding, Rule};

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut judged = std::collections::BTreeSet::new();
    for workflow in &ctx.repo.workflows {
        for job in &workflow.jobs {
            let Some(call) = job.steps.iter().flat_map(|s| &s.calls).find(|c| deploys(c)) else {
                continue;
            };
            let what = call.command();
            let Some(concurrency) = job.concurrency.as_ref().or(workflow.concurrency.as_ref())
            else {
                findings.push(finding(
                    &workflow.file,
                    job.at,
                    Rule::DeployConcurrency,
                    format!(
                        "job `{}` deploys (`{what}`, line {}) but has no `concurrency:`; add one with a group per environment and `cancel-in-progress: false`",
                        job.id, call.at.line
                    ),
                ));
                continue;
            };
            // The workflow's concurrency is judged once, for the first job that deploys.
            if job.concurrency.is_none() && !judged.insert(workflow.file.as_str()) {
                continue;
            }
            match concurrency.group.as_deref() {
                None => findings.push(finding(
                    &workflow.file,
                    concurrency.at,
                    Rule::DeployConcurrency,
                    format!(
                        "job `{}` deploys (`{what}`) but its `concurrency:` has no group",
                        job.id
                    ),
                )),
                Some(group)
                    if ["github.run_id", "github.run_number", "github.run_attempt"]
                        .iter()
                        .any(|unique| group.contains(unique)) =>
                {
                    findings.push(finding(
                        &workflow.file,
                        concurrency.at,
                        Rule::DeployConcurrency,
                        format!(
                            "job `{}` deploys (`{what}`) in the concurrency group `{group}`, which is new for every run, so runs still overlap; name the environment instead",
                            job.id
                        ),
                    ));
                }
                Some(_) => {}
            }
            if let Some(cancel) = concurrency.cancel_in_progress.as_deref()
                && cancel != "false"
            {
                findings.push(finding(
                    &workflow.file,
                    concurrency.cancel_at,
                    Rule::DeployConcurrency,
                    format!(
                        "job `{}` deploys (`{what}`) with `cancel-in-progress: {cancel}`: a newer run would stop a deployment half-way; set it to false",
                        job.id
                    ),
                ));
            }
        }
    }
    findings
}
