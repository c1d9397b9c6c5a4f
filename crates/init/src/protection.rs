//! `docs/github-branch-protection.md`: what to set on GitHub so the generated workflows work —
//! the required checks, CODEOWNERS for the last environment's overlay, the environments, the App.

use std::fmt::Write as _;

use crate::workflows::{REQUIRED_CHECKS, verified_after_merge};
use crate::{Forge, Options};

/// The text of the page.
pub(crate) fn markdown(options: &Options) -> String {
    let (owner, repo) = match &options.forge {
        Forge::Github { owner, repo } => (owner.as_str(), repo.as_str()),
        Forge::Git { .. } => ("OWNER", "REPO"),
    };
    let base = &options.base_branch;
    let last = options.last();
    let checks: Vec<String> = REQUIRED_CHECKS.iter().map(|c| format!("`{c}`")).collect();
    let mut out = format!(
        "# Branch protection for {owner}/{repo}

Written by `ferry init`. Set these once in the repository's settings; the workflows in
`.github/workflows` depend on them.

## Required status checks

Protect `{base}` (Settings → Rules → Rulesets, or Branches → Branch protection rules): require a
pull request, require status checks to pass, and require exactly these checks, by job name:

"
    );
    for check in REQUIRED_CHECKS {
        let _ = writeln!(out, "- `{check}`");
    }
    let _ = write!(
        out,
        "
Both pull-request workflows produce every one of them. `pr.yml` (PR validation) runs when code
changes: `test` runs the tests, `validate` only reports that no GitOps file changed.
`gitops-checks.yml` runs when GitOps files change (`infra/**`, `ferry.toml`): `validate` runs
`ferry validate` and `kubectl kustomize` on every overlay, `test` only reports that no code
changed. A pull request that changes both gets both, and every one must pass. Without the light
jobs, a pull request Ferry opens (it changes only an overlay) would never get {checks},
and its auto-merge would never happen. Turn on \"Allow auto-merge\" in the repository settings:
the change to {first} merges itself once the checks pass.

## CODEOWNERS for {last}

Add `.github/CODEOWNERS` so that a change to {last} needs its owners' review, and turn on
\"Require review from Code Owners\":

```
/{overlay}/ @{owner}/{last}-approvers
/infra/argocd/ @{owner}/{last}-approvers
```

(Use a team or the people who approve {last} releases.)

## Environments

Create the GitHub environments ",
        checks = checks.join(" and "),
        first = options.first(),
        overlay = options.overlay(last),
    );
    let envs: Vec<String> = options
        .environments
        .iter()
        .skip(1)
        .map(|e| format!("`{e}`"))
        .collect();
    let _ = write!(
        out,
        "{}
(Settings → Environments) with required reviewers: the `approve and merge` job of each deploy
workflow waits there for a person's approval before it merges the promotion.

## Why a GitHub App token

Pull requests opened, and pushes made, with the workflow's `GITHUB_TOKEN` start no workflows:
the required checks of a GitOps pull request would never run, its auto-merge would stall, and
the merge would not start `verify.yml`. So every job that opens, merges or reverts a change
makes a short-lived installation token of a GitHub App with `actions/create-github-app-token`,
asking only for the permissions that job needs (`permission-contents`,
`permission-pull-requests`, `permission-statuses`).

Create a GitHub App owned by `{owner}` with the repository permissions Contents, Pull requests
and Commit statuses (read and write), install it on `{owner}/{repo}`, and store:

- the variable `FERRY_APP_CLIENT_ID`: the App's client ID;
- the secret `FERRY_APP_PRIVATE_KEY`: a private key of the App.

## Other secrets and variables

- secret `KUBECONFIG`: a kubeconfig for the cluster Argo CD deploys to (read access to the
  Applications and workloads; `patch` on Rollouts for the blue-green release);
- secret `SLACK_WEBHOOK_URL`: the Slack incoming webhook told about verifications, rollbacks and
  failed releases;
",
        envs.join(", ")
    );
    for env in options.environments.iter().skip(1) {
        let var = format!("{}_PREVIEW_URL", env.to_ascii_uppercase().replace('-', "_"));
        if !options.is_blue_green(env) {
            continue;
        }
        let what = "preview Services, reachable from the runner (`ferry preview smoke --url`)";
        let _ = writeln!(out, "- variable `{var}`: the URL of {env}'s {what};");
    }
    let registries: std::collections::BTreeSet<String> = options
        .images
        .iter()
        .filter_map(|i| i.registry())
        .filter(|h| h != "ghcr.io" && !crate::workflows::is_loopback(h))
        .collect();
    if !registries.is_empty() {
        let list: Vec<String> = registries.iter().map(|r| format!("`{r}`")).collect();
        let _ = writeln!(
            out,
            "- secrets `REGISTRY_USERNAME` and `REGISTRY_PASSWORD`: credentials for {}.",
            list.join(", ")
        );
    }
    let verified: Vec<String> = verified_after_merge(options)
        .iter()
        .map(|e| format!("`{e}`"))
        .collect();
    let _ = write!(
        out,
        "
The workflows call `make test` (tests); the end-to-end and load tests are the WorkflowTemplates
`e2e` and `load` of `infra/argo-workflows/`, run by `ferry preview test` in a preview namespace
that `ferry preview up` creates and `ferry preview down` removes (the cluster runs Argo
Workflows; see Ferry's docs/ferry-preview.md for the permissions); each image is built from
`IMAGE/Dockerfile`. `verify.yml` verifies {} after each merge; {}.
",
        verified.join(", "),
        if options.blue_green.is_empty() {
            "no environment runs blue-green"
        } else {
            "a blue-green environment is verified by its deploy workflow"
        }
    );
    out
}
