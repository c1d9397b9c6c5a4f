//! The two pull-request workflows. PR validation runs for code, GitOps checks for GitOps files;
//! each produces every required job name ([`REQUIRED_CHECKS`](super::REQUIRED_CHECKS)), the one
//! that does not concern it as a light job, so no pull request waits forever for a check that
//! never starts.

use super::{RUNNER, checkout, install};
use crate::Options;

/// The `on:` paths of GitOps files.
pub(crate) const GITOPS_PATHS: &str = "      - \"infra/**\"\n      - \"ferry.toml\"\n";

/// `pr.yml`: the tests of code changes.
pub(crate) fn pr(options: &Options) -> String {
    format!(
        "# PR validation, written by `ferry init`: the tests of every pull request that changes code.
# Pull requests that change only GitOps files (infra/, ferry.toml) skip it; gitops-checks.yml
# reports the same job names for them (docs/github-branch-protection.md).
name: PR validation

on:
  pull_request:
    branches: [\"{base}\"]
    paths-ignore:
{GITOPS_PATHS}
permissions: {{}}

concurrency:
  group: pr-validation-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: true

jobs:
  test:
    name: test
    runs-on: {RUNNER}
    timeout-minutes: 30
    permissions:
      contents: read
    steps:
{checkout}      - name: Run the tests
        run: make test

  validate:
    name: validate
    runs-on: {RUNNER}
    timeout-minutes: 5
    permissions: {{}}
    steps:
      - name: No GitOps files changed
        run: echo \"Code only, so GitOps checks validate no overlay here.\"
",
        base = options.base_branch,
        checkout = checkout(false),
    )
}

/// `gitops-checks.yml`: the overlays of a GitOps pull request validated for real, the test job
/// a light one, and the rendered diff posted on the pull request (`ferry diff --comment`).
pub(crate) fn gitops(options: &Options) -> String {
    let mut render = String::new();
    for env in &options.environments {
        render.push_str(&format!(
            "          kubectl kustomize {} > /dev/null\n",
            options.overlay(env)
        ));
    }
    format!(
        "# GitOps checks, written by `ferry init`: pull requests that change GitOps files (infra/,
# ferry.toml), among them every change Ferry opens. `validate` checks every overlay for real;
# `test` only reports the required job name, since no code changed (pr.yml tests code); `diff`
# posts what the change does to each environment's rendered objects as a pull request comment.
name: GitOps checks

on:
  pull_request:
    branches: [\"{base}\"]
    paths:
{GITOPS_PATHS}
permissions: {{}}

concurrency:
  group: gitops-checks-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: true

jobs:
  test:
    name: test
    runs-on: {RUNNER}
    timeout-minutes: 5
    permissions: {{}}
    steps:
      - name: No code changed
        run: echo \"GitOps files only, so PR validation runs no tests here.\"

  validate:
    name: validate
    runs-on: {RUNNER}
    timeout-minutes: 30
    permissions:
      contents: read
    steps:
{checkout}{install}      - name: Validate every environment's overlay (ferry validate)
        run: ferry validate
      - name: Render every overlay (kubectl kustomize)
        run: |
{render}
  diff:
    name: diff
    # A fork's token cannot comment.
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
      pull-requests: write
    steps:
{history}{install_diff}      - name: Comment the rendered diff (ferry diff)
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
        run: ferry diff --comment --summary
",
        base = options.base_branch,
        checkout = checkout(false),
        history = checkout(true),
        install = install(&["ferry-validate"]),
        install_diff = install(&["ferry-diff"]),
    )
}
