//! Environment and image names of `ferry` steps exist in `ferry.toml` (a typo fails only when
//! the step runs, often after a merge).

use super::context::{Ctx, finding};
use crate::finding::{Finding, Rule};

/// The flags that name an environment, by step.
const ENV_FLAGS: &[(&str, &[&str])] = &[
    ("pr", &["env"]),
    ("diff", &["env", "envs"]),
    ("promote", &["from", "to", "mark-verified"]),
    ("monitor", &["env", "verify"]),
    ("rollback", &["env"]),
    ("ledger", &["env"]),
];

pub(super) fn check(ctx: &Ctx<'_>) -> Vec<Finding> {
    let config = &ctx.repo.config;
    let known_envs: Vec<&str> = config
        .environments()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let known_images: Vec<&str> = config.images.iter().map(|i| i.name.as_str()).collect();
    let mut findings = Vec::new();
    for workflow in &ctx.repo.workflows {
        for call in workflow
            .jobs
            .iter()
            .flat_map(|j| &j.steps)
            .flat_map(|s| &s.calls)
        {
            let flags = ENV_FLAGS
                .iter()
                .find(|(step, _)| *step == call.step)
                .map_or(&[][..], |(_, flags)| flags);
            for flag in flags {
                let mut envs = call.values(flag);
                if *flag == "envs" {
                    envs = second_values(call, flag);
                }
                for env in envs {
                    if literal(env) && config.environment(env).is_none() {
                        findings.push(finding(
                            &workflow.file,
                            call.at,
                            Rule::KnownNames,
                            format!(
                                "`{}` names the environment `{env}` (--{flag}), which {} does not define; known: {}",
                                call.command(),
                                ctx.repo.config_file,
                                known_envs.join(", ")
                            ),
                        ));
                    }
                }
            }
            if !call.is("pr", Some("open")) {
                continue;
            }
            for image in call.values("image") {
                let name = image.split_once('=').map_or(image, |(n, _)| n);
                // A repository (`registry/acme/backend`) is matched by ferry itself.
                let repository = name.contains(['/', '.', ':']);
                if literal(name) && !repository && config.image(name).is_none() {
                    findings.push(finding(
                        &workflow.file,
                        call.at,
                        Rule::KnownNames,
                        format!(
                            "`{}` sets the image `{name}`, which [images] of {} does not define; known: {}",
                            call.command(),
                            ctx.repo.config_file,
                            known_images.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    findings
}

/// A value written out, not an expression, a shell variable or the next flag.
fn literal(value: &str) -> bool {
    !value.is_empty() && !value.contains('$') && !value.starts_with('-')
}

/// The two values of a flag that takes two (`--envs A B`).
fn second_values<'c>(call: &'c crate::calls::FerryCall, flag: &str) -> Vec<&'c str> {
    let flag = format!("--{flag}");
    let mut out = Vec::new();
    let mut words = call.args.iter();
    while let Some(word) = words.next() {
        if *word == flag {
            out.extend(words.by_ref().take(2).map(String::as_str));
        }
    }
    out
}
