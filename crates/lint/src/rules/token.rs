//! Pull requests that must trigger checks are opened with a GitHub App token: what
//! `GITHUB_TOKEN` does starts no workflow, so its pull requests never get their required
//! checks and auto-merge stalls.

use ferry_config::ForgeKind;

use super::context::{Ctx, Token, env_var, ferry_token, finding, opens_pull_request, token_of};
use crate::finding::{Finding, Rule};

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for workflow in &ctx.repo.workflows {
        for job in &workflow.jobs {
            for step in &job.steps {
                for call in &step.calls {
                    if ctx.forge(call) != ForgeKind::GitHub || !opens_pull_request(call) {
                        continue;
                    }
                    let why = match ferry_token(workflow, job, step, ForgeKind::GitHub) {
                        Token::Workflow => {
                            "with GITHUB_TOKEN, whose pull requests start no workflow"
                        }
                        Token::Missing => {
                            "without a token (set FERRY_GITHUB_TOKEN from an App token step)"
                        }
                        Token::App | Token::Other => continue,
                    };
                    findings.push(finding(
                        &workflow.file,
                        call.at,
                        Rule::AppToken,
                        format!(
                            "`{}` opens a pull request {why}: its required checks never run and auto-merge stalls; create a token with actions/create-github-app-token and pass it as FERRY_GITHUB_TOKEN",
                            call.command()
                        ),
                    ));
                }
                let gh = step
                    .run
                    .as_deref()
                    .is_some_and(|r| r.contains("gh pr create"));
                let action = step.action() == Some("peter-evans/create-pull-request");
                let token = if gh {
                    env_var(workflow, job, step, "GH_TOKEN")
                        .or_else(|| env_var(workflow, job, step, "GITHUB_TOKEN"))
                        .map_or(Token::Missing, |v| token_of(job, v))
                } else if action {
                    step.input("token")
                        .map_or(Token::Workflow, |v| token_of(job, v))
                } else {
                    continue;
                };
                if matches!(token, Token::Workflow | Token::Missing) {
                    findings.push(finding(
                        &workflow.file,
                        step.at,
                        Rule::AppToken,
                        "this step opens a pull request with GITHUB_TOKEN, whose pull requests start no workflow; give it an App token (actions/create-github-app-token)".to_string(),
                    ));
                }
            }
        }
    }
    findings
}
