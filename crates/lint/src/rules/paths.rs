//! Path filters: a change to an overlay alone starts no image build (merging a GitOps change
//! would build and deploy again), and a change to code does not skip the tests.

use super::context::{Ctx, PULL_REQUEST_EVENTS, finding, is_build_job, is_test_job};
use crate::filters;
use crate::finding::{Finding, Rule};

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for workflow in &ctx.repo.workflows {
        let Some(build) = workflow.jobs.iter().find(|j| is_build_job(j)) else {
            continue;
        };
        for trigger in &workflow.triggers {
            if trigger.event != "push" && !PULL_REQUEST_EVENTS.contains(&trigger.event.as_str()) {
                continue;
            }
            if let Some((_, file)) = ctx
                .overlay_files
                .iter()
                .find(|(_, file)| filters::starts(trigger, ctx.base, file))
            {
                findings.push(finding(
                    &workflow.file,
                    trigger.filter_at,
                    Rule::PathFilters,
                    format!(
                        "`{}` starts this workflow for a change to {file} alone, and job `{}` builds images: a merged GitOps change would build again; filter the overlays out (`paths-ignore`) or list the code paths (`paths`)",
                        trigger.event, build.id
                    ),
                ));
            }
        }
    }
    let tested: Vec<_> = ctx
        .repo
        .workflows
        .iter()
        .filter(|w| w.jobs.iter().any(is_test_job))
        .filter(|w| {
            w.triggers
                .iter()
                .any(|t| PULL_REQUEST_EVENTS.contains(&t.event.as_str()))
        })
        .collect();
    for file in &ctx.code_files {
        if tested.is_empty() || tested.iter().any(|w| ctx.runs_on_pull_request(w, file)) {
            continue;
        }
        for workflow in &tested {
            let trigger = workflow
                .triggers
                .iter()
                .find(|t| PULL_REQUEST_EVENTS.contains(&t.event.as_str()))
                .expect("kept for its pull_request trigger");
            findings.push(finding(
                &workflow.file,
                trigger.filter_at,
                Rule::PathFilters,
                format!(
                    "a pull request that changes code ({file}, say) skips the tests of this workflow: its `{}` filters leave the code out",
                    trigger.event
                ),
            ));
        }
    }
    findings
}
