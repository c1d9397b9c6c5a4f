//! `deploy-ENV.yml`: the promotion of one environment by hand (workflow dispatch). The gates
//! (dry run), the pull request, tests against a preview (environments before the last: `ferry
//! preview up`, the E2E and load WorkflowTemplates, `ferry preview down` always), the approval of
//! the GitHub environment and the merge, the blue-green release (smoke tests on the preview
//! Services, the approval of the promotion, promotion, the watch, a rollback), the cleanup.

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
      # The change's head commit: what the preview deploys.
      commit: ${{{{ steps.promote.outputs.commit }}}}
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

/// The preview of a change: `ferry preview up` deploys the change's overlay into a namespace of
/// its own, the E2E and load WorkflowTemplates of `infra/argo-workflows/` run against it.
fn preview_tests(options: &Options, env: &str) -> String {
    let service = &options.images[0].name;
    let base_url = format!("base-url=http://{service}.{{namespace}}.svc.cluster.local");
    format!(
        "
  preview:
    name: preview tests
    needs: open
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 90
    permissions:
      contents: read
    steps:
      - name: Check out the change
        {checkout}
        with:
          persist-credentials: false
          ref: ${{{{ needs.open.outputs.commit }}}}
{install}{kubeconfig}      - name: Preview up (the change in namespace {env}-run-RUN_ID, healthy before the tests)
        env:
          COMMIT: ${{{{ needs.open.outputs.commit }}}}
        run: >-
          ferry preview up --env {env} --name \"run-$GITHUB_RUN_ID\"
          --commit \"$COMMIT\" --ttl 24h
      - name: End-to-end tests (WorkflowTemplate e2e of infra/argo-workflows/)
        run: >-
          ferry preview test --env {env} --name \"run-$GITHUB_RUN_ID\"
          --workflow-template e2e --param {base_url} --timeout 30m
      - name: Load tests (WorkflowTemplate load of infra/argo-workflows/)
        run: >-
          ferry preview test --env {env} --name \"run-$GITHUB_RUN_ID\"
          --workflow-template load --param {base_url} --timeout 30m
",
        checkout = uses("actions/checkout"),
        install = install(&["ferry-preview"]),
        kubeconfig = kubeconfig(),
    )
}

/// `ferry preview down` after the approval and the merge, whatever happened before.
fn preview_down(env: &str) -> String {
    format!(
        "
  preview-down:
    name: preview down
    needs: [open, preview, approve]
    if: always() && needs.open.result == 'success'
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
    steps:
{install}{kubeconfig}      - name: Preview down (by its labels, then the namespace; a no-op when it is gone)
        run: ferry preview down --env {env} --name \"run-$GITHUB_RUN_ID\"
",
        install = install(&["ferry-preview"]),
        kubeconfig = kubeconfig(),
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
    let mut smoke = String::new();
    let mut promote = String::new();
    let mut rollouts = String::new();
    for image in &options.images {
        let _ = writeln!(
            wait,
            "          ferry rollout status {} -n {ns} --wait --timeout 10m",
            image.name
        );
        let _ = writeln!(
            smoke,
            "          ferry preview smoke --env {env} --rollout {} -n {ns} --url \"$PREVIEW_URL\" --http / --warmup 0s --interval 10s --checks 6 --failures 2",
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
  smoke:
    name: smoke tests on the blue-green preview
    needs: [open, approve]
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 45
    permissions:
      contents: read
    env:
      COMMIT: ${{{{ needs.approve.outputs.commit }}}}
    steps:
{token}{checkout}{install_smoke}{kubeconfig}      - name: Wait until Argo CD synced the merge
        run: ferry monitor sync --argocd-app {app} --revision \"$COMMIT\"
      - name: Wait for the preview (every Rollout paused for promotion)
        run: |
{wait}      - name: Smoke tests against the preview Services (the monitor's probes and verdicts)
        id: smoke
        env:
          PREVIEW_URL: ${{{{ vars.{var} }}}}
        run: |
{smoke}      - name: Roll back (the smoke tests failed on the preview)
        if: failure() && steps.smoke.outcome == 'failure'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
        run: >-
          ferry rollback --env {env} --to previous{rollouts} -n {ns}
          --reason \"smoke tests failed on the preview\"

  release:
    name: approve the promotion, promote, watch
    needs: [open, approve, smoke]
    if: needs.open.outputs.change != ''
    runs-on: {RUNNER}
    timeout-minutes: 60
    # The environment's required reviewers approve the promotion here, after the smoke tests.
    environment: {env}
    permissions:
      contents: read
    env:
      COMMIT: ${{{{ needs.approve.outputs.commit }}}}
      FERRY_SLACK_WEBHOOK: ${{{{ secrets.SLACK_WEBHOOK_URL }}}}
    steps:
{token}{checkout}{install}{kubeconfig}      - name: Promote (the active Services switch to the new version)
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
        install_smoke = install(&["ferry-monitor", "ferry-rollout", "ferry-preview", "ferry-rollback"]),
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
        header.push_str(
            "# preview tests (ferry preview up, the end-to-end and load WorkflowTemplates),\n",
        );
    }
    let _ = writeln!(
        header,
        "# approve and merge (after the approval of the GitHub environment `{env}`),"
    );
    if blue_green {
        header.push_str(
            "# smoke (blue-green: smoke tests on the preview Services, a rollback when they fail),\n\
             # release (the approval of the promotion, promotion, the watch, a rollback after 3\n\
             # failed checks in a row, Slack),\n",
        );
    }
    if !last {
        header.push_str("# preview down (always, after the approval and the merge),\n");
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
        out.push_str(&preview_tests(options, env));
        out.push_str(&approve(env, "open, preview"));
        out.push_str(&preview_down(env));
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
