//! `verify.yml`: after every push to the base branch that changes what an environment renders,
//! Ferry waits for Argo CD, watches the environment and records the verification — or reverts
//! it in Git to its last verified images and holds the bad ones.

use super::{RUNNER, app_token, checkout, install, kubeconfig, verified_after_merge};
use crate::Options;

/// The text of `verify.yml`.
pub(crate) fn workflow(options: &Options) -> String {
    let envs = verified_after_merge(options);
    let mut detect = String::new();
    for env in &envs {
        detect.push_str(&format!(
            "          if [ \"$all\" = true ] || grep -q -e '^infra/k8s/base/' -e '^{}/' changed.txt; then\n            envs=\"$envs,\\\"{env}\\\"\"\n          fi\n",
            options.overlay(env)
        ));
    }
    format!(
        "# Verification after each deployment, written by `ferry init`: a push to {base} that changes
# what {list} render{s} (base or overlay) is synced by Argo CD, watched and verified; an unhealthy
# release is reverted in Git to the last verified images, which are held. Environments on
# blue-green Rollouts are verified by their deploy workflow, which also switches traffic.
name: Verify deployments

on:
  push:
    branches: [\"{base}\"]
    paths:
      - \"infra/k8s/**\"

permissions: {{}}

jobs:
  changed:
    name: changed environments
    runs-on: {RUNNER}
    timeout-minutes: 5
    permissions:
      contents: read
    outputs:
      environments: ${{{{ steps.changed.outputs.environments }}}}
    steps:
{checkout}      - name: The environments whose base or overlay changed
        id: changed
        env:
          BEFORE: ${{{{ github.event.before }}}}
        run: |
          all=false
          git diff --name-only \"$BEFORE\" \"$GITHUB_SHA\" -- infra/k8s > changed.txt || all=true
          envs=\"\"
{detect}          echo \"environments=[${{envs#,}}]\" >> \"$GITHUB_OUTPUT\"

  verify:
    name: verify (${{{{ matrix.environment }}}})
    needs: changed
    if: needs.changed.outputs.environments != '[]'
    runs-on: {RUNNER}
    timeout-minutes: 45
    permissions:
      contents: read
    strategy:
      fail-fast: false
      matrix:
        environment: ${{{{ fromJSON(needs.changed.outputs.environments) }}}}
    concurrency:
      group: verify-${{{{ matrix.environment }}}}
      cancel-in-progress: false
    env:
      ENVIRONMENT: ${{{{ matrix.environment }}}}
      FERRY_SLACK_WEBHOOK: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}
    steps:
{token}{checkout_history}{install}{kubeconfig}      - name: Wait until Argo CD synced this commit
        run: ferry monitor sync --argocd-app \"{app}-$ENVIRONMENT\" --revision \"$GITHUB_SHA\"
      - name: Watch and verify (the environment's probes and policy in ferry.toml)
        id: watch
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry monitor watch --verify \"$ENVIRONMENT\" --revision \"$GITHUB_SHA\"
          --format json > report.json
      - name: Roll back (revert in Git to the last verified images, hold the bad ones)
        if: failure() && steps.watch.outputs.verdict == 'unhealthy'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry rollback --env \"$ENVIRONMENT\" --report report.json
          --reason \"health checks failed after $GITHUB_SHA\"
",
        base = options.base_branch,
        list = envs.join(", "),
        s = if envs.len() == 1 { "s" } else { "" },
        checkout = checkout(true),
        checkout_history = checkout(true),
        install = install(&["ferry-monitor", "ferry-rollback"]),
        token = app_token(&[
            ("contents", "write"),
            ("pull-requests", "write"),
            ("statuses", "write"),
        ]),
        kubeconfig = kubeconfig(),
        app = options.app,
    )
}
