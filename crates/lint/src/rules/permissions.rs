//! Each job's `permissions:` cover what its `ferry` steps do with `GITHUB_TOKEN` (pull
//! requests, statuses, deployments, contents) and grant no write they do not need.

use super::context::{Ctx, Token, ferry_token, finding, needs};
use crate::finding::{Finding, Rule};
use crate::workflow::{Grant, Level};

/// The scopes Ferry's steps use.
const SCOPES: [&str; 4] = ["contents", "pull-requests", "statuses", "deployments"];

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for workflow in &ctx.repo.workflows {
        for job in &workflow.jobs {
            let calls: Vec<_> = job
                .steps
                .iter()
                .flat_map(|s| s.calls.iter().map(move |c| (s, c)))
                .collect();
            if calls.is_empty() {
                continue;
            }
            // What the ferry steps that use GITHUB_TOKEN need of it, with the step that needs
            // the most of each scope.
            let mut needed: Vec<(&str, Level, String)> = Vec::new();
            for (step, call) in &calls {
                let forge = ctx.forge(call);
                if ferry_token(workflow, job, step, forge) != Token::Workflow {
                    continue;
                }
                for (scope, level) in needs(call, forge) {
                    let by = format!("`{}` (line {})", call.command(), call.at.line);
                    match needed.iter_mut().find(|(s, _, _)| *s == scope) {
                        Some(entry) if entry.1 < level => *entry = (scope, level, by),
                        Some(_) => {}
                        None => needed.push((scope, level, by)),
                    }
                }
            }
            let Some(permissions) = job.permissions.as_ref().or(workflow.permissions.as_ref())
            else {
                findings.push(finding(
                    &workflow.file,
                    job.at,
                    Rule::Permissions,
                    format!(
                        "job `{}` runs ferry steps but neither it nor the workflow sets `permissions:`, so its token gets the repository's default (read-only gives 403, write-all gives too much); grant exactly {}",
                        job.id,
                        describe(&needed)
                    ),
                ));
                continue;
            };
            for (scope, level, by) in &needed {
                let granted = permissions.level(scope);
                if granted < *level {
                    findings.push(finding(
                        &workflow.file,
                        permissions.at,
                        Rule::Permissions,
                        format!(
                            "job `{}`: {by} needs `{scope}: {}` of GITHUB_TOKEN, but the permissions grant `{scope}: {}`",
                            job.id,
                            level.as_str(),
                            granted.as_str()
                        ),
                    ));
                }
            }
            let pushes_by_itself = job.steps.iter().any(|s| {
                s.calls.is_empty()
                    && s.run
                        .as_deref()
                        .is_some_and(|r| r.contains("git push") || r.contains("gh release"))
            });
            for scope in SCOPES {
                let wanted = needed
                    .iter()
                    .find(|(s, _, _)| *s == scope)
                    .map_or(Level::None, |n| n.1);
                let excess = permissions.level(scope) == Level::Write
                    && wanted < Level::Write
                    && !(scope == "contents" && pushes_by_itself);
                if excess {
                    let how = if permissions.grant == Grant::WriteAll {
                        "`write-all`".to_string()
                    } else {
                        format!("`{scope}: write`")
                    };
                    findings.push(finding(
                        &workflow.file,
                        permissions.at,
                        Rule::Permissions,
                        format!(
                            "job `{}` grants {how}, which none of its ferry steps needs of GITHUB_TOKEN (they need {}); lower it",
                            job.id,
                            describe(&needed)
                        ),
                    ));
                    if permissions.grant == Grant::WriteAll {
                        break;
                    }
                }
            }
        }
    }
    findings
}

fn describe(needed: &[(&str, Level, String)]) -> String {
    if needed.is_empty() {
        return "nothing beyond `contents: read`".to_string();
    }
    needed
        .iter()
        .map(|(scope, level, _)| format!("`{scope}: {}`", level.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
