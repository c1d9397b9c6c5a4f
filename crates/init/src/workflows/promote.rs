//! `deploy-ENV.yml`: the promotion of one environment by hand (workflow dispatch). The gates
//! (dry run), the pull request, tests against a preview (environments before the last), the
//! approval of the GitHub environment and the merge, the blue-green release (smoke tests on the
//! preview Services, promotion, the watch, a rollback), the cleanup.

use std::fmt::Write as _;

use super::{
    RUNNER, app_token, checkout, install, kubeconfig, registry_env, uses, uses_ghcr,
    verified_after_merge,
};
use crate::Options;

/// Jobs reading the registry gate's images on GitHub's registry need `packages: read`.
fn packages(options: &Options) -> &'static str {
    if uses_ghcr(options) {
        "      packages: read # the registry gate reads the images on ghcr.io\n"
    } else {
        ""
    }
}

fn gates_and_open(options: &Options, env: &str) -> String {
    let registry = registry_env(options, "          ");
    format!(
        "  gates:
    name: gates
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
      pull-requests: read # the gates read the open changes and holds
      statuses: read # verification records are commit statuses
{packages}    steps:
{checkout}{install}      - name: Check the promotion gates (a dry run writes nothing)
        env:
          FERRY_GITHUB_TOKEN: ${{{{ github.token }}}}
{registry}        run: ferry promote --to {env} --dry-run

  open:
    name: open
    needs: gates
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
{packages}    outputs:
      # Empty when there is nothing to promote: the later jobs are skipped.
      change: ${{{{ steps.promote.outputs.promoted == 'true' && steps.promote.outputs.change || '' }}}}
    steps:
{token}{checkout}{install}      - name: Open the promotion's pull request (merged after the approval)
        id: promote
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
{registry}        run: ferry promote --to {env} --no-auto-merge
",
        packages = packages(options),
        checkout = checkout(true),
        install = install(&["ferry-promote"]),
        token = app_token(&[
            ("contents", "write"),
            ("pull-requests", "write"),
            ("statuses", "read"),
        ]),
    )
}

fn preview_tests(env: &str) -> String {
    let var = format!("{}_PREVIEW_URL", env.to_ascii_uppercase().replace('-', "_"));
    format!(
        "
  preview:
    name: preview tests
    needs: open
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 60
    permissions:
      contents: read
    env:
      BASE_URL: ${{{{ vars.{var} }}}}
    steps:
{checkout}      # TODO(issue 17): `ferry preview up` deploys the change to a preview environment of its
      # own and `ferry preview down` removes it; until it ships the tests run against the
      # preview URL in the repository variable {var}.
      - name: End-to-end tests
        run: make e2e
      - name: Load tests
        run: make load-test
",
        checkout = checkout(false),
    )
}

fn approve(env: &str, after: &str) -> String {
    format!(
        "
  approve:
    name: approve and merge
    needs: [{after}]
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 30
    # The environment's required reviewers approve here (Settings → Environments → {env}).
    environment: {env}
    permissions:
      contents: read
    outputs:
      commit: ${{{{ steps.merged.outputs.merge-commit }}}}
    steps:
{token}{checkout}{install}      - name: The change's state
        id: state
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
          CHANGE: ${{{{ needs.open.outputs.change }}}}
        run: ferry pr show \"$CHANGE\"
      - name: Merge
        if: steps.state.outputs.state == 'open'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
          CHANGE: ${{{{ needs.open.outputs.change }}}}
        run: ferry pr merge \"$CHANGE\"
      - name: The merge commit
        id: merged
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
          CHANGE: ${{{{ needs.open.outputs.change }}}}
        run: ferry pr show \"$CHANGE\" > /dev/null
",
        token = app_token(&[("contents", "write"), ("pull-requests", "write")]),
        checkout = checkout(true),
        install = install(&["ferry-pr"]),
    )
}

fn release(options: &Options, env: &str) -> String {
    let ns = options.namespace(env);
    let app = format!("{}-{env}", options.app);
    let var = format!("{}_PREVIEW_URL", env.to_ascii_uppercase().replace('-', "_"));
    let mut wait = String::new();
    let mut promote = String::new();
    let mut rollouts = String::new();
    for image in &options.images {
        let _ = writeln!(
            wait,
            "          ferry rollout status {} -n {ns} --wait --timeout 10m",
            image.name
        );
        let _ = writeln!(
            promote,
            "          ferry rollout promote {} -n {ns} --wait",
            image.name
        );
        let _ = write!(rollouts, " --rollout {}", image.name);
    }
    format!(
        "
  release:
    name: blue-green release
    needs: [open, approve]
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 60
    permissions:
      contents: read
    env:
      COMMIT: ${{{{ needs.approve.outputs.commit }}}}
      FERRY_SLACK_WEBHOOK: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}
    steps:
{token}{checkout}{install}{kubeconfig}      - name: Wait until Argo CD synced the merge
        run: ferry monitor sync --argocd-app {app} --revision \"$COMMIT\"
      - name: Wait for the preview (every Rollout paused for promotion)
        run: |
{wait}      - name: Smoke tests against the preview Services
        id: smoke
        env:
          BASE_URL: ${{{{ vars.{var} }}}}
        run: make smoke-test
      - name: Promote (the active Services switch to the new version)
        run: |
{promote}      - name: Watch {env} (60 s warm-up, 10 checks over 5 minutes, 3 failures in a row roll back)
        id: watch
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry monitor watch --verify {env} --revision \"$COMMIT\"
          --warmup 60s --interval 30s --checks 10 --failures 3
          --format json > report.json
      - name: Roll back (revert in Git, abort the Rollouts, hold the images)
        if: failure() && steps.watch.outputs.verdict == 'unhealthy'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry rollback --env {env} --report report.json{rollouts} -n {ns}
          --reason \"health checks failed after the promotion\"
      - name: Roll back (the smoke tests failed on the preview)
        if: failure() && steps.smoke.outcome == 'failure'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry rollback --env {env} --to previous{rollouts} -n {ns}
          --reason \"smoke tests failed on the preview\"
      - name: Tell Slack the release failed
        if: failure()
        {slack}
        with:
          webhook: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}
          webhook-type: incoming-webhook
          payload: |
            text: \"{env}: the release of ${{{{ needs.approve.outputs.commit }}}} failed: ${{{{ github.server_url }}}}/${{{{ github.repository }}}}/actions/runs/${{{{ github.run_id }}}}\"
",
        token = app_token(&[
            ("contents", "write"),
            ("pull-requests", "write"),
            ("statuses", "write"),
        ]),
        checkout = checkout(true),
        install = install(&["ferry-monitor", "ferry-rollout", "ferry-rollback"]),
        kubeconfig = kubeconfig(),
        slack = uses("slackapi/slack-github-action"),
    )
}

/// The text of `deploy-ENV.yml`.
pub(crate) fn workflow(options: &Options, env: &str) -> String {
    let upstream = options.upstream(env).expect("a promoted environment");
    let last = env == options.last();
    let blue_green = options.is_blue_green(env);
    let mut header = format!(
        "# Deploy {env}, written by `ferry init`: promotes what {upstream} ran and verified, by hand.\n\
         # Jobs: gates (a dry run), open (the pull request),\n"
    );
    if !last {
        header.push_str("# preview tests (end-to-end and load tests against a preview),\n");
    }
    let _ = writeln!(
        header,
        "# approve and merge (after the approval of the GitHub environment `{env}`),"
    );
    if blue_green {
        header.push_str(
            "# release (blue-green: smoke tests on the preview Services, promotion, the watch,\n\
             # a rollback after 3 failed checks in a row, Slack),\n",
        );
    }
    header.push_str("# cleanup (merged branches deleted, superseded changes closed).\n");
    if verified_after_merge(options).contains(&env) {
        header.push_str("# verify.yml watches and verifies the environment after the merge.\n");
    }
    let mut out = format!(
        "{header}name: Deploy {env}

on:
  workflow_dispatch:

permissions: {{}}

concurrency:
  group: deploy-{env}
  cancel-in-progress: false

jobs:
",
    );
    out.push_str(&gates_and_open(options, env));
    if last {
        out.push_str(&approve(env, "open"));
    } else {
        out.push_str(&preview_tests(env));
        out.push_str(&approve(env, "open, preview"));
    }
    if blue_green {
        out.push_str(&release(options, env));
    }
    let _ = write!(
        out,
        "
  cleanup:
    name: cleanup
    needs: [open, approve]
    if: always() && needs.open.result == 'success'
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
    steps:
{token}{checkout}{install}      - name: Delete merged branches, close superseded changes
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: ferry pr cleanup
",
        token = app_token(&[("contents", "write"), ("pull-requests", "write")]),
        checkout = checkout(true),
        install = install(&["ferry-pr"]),
    );
    out
}
