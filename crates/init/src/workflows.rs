//! `.github/workflows`: PR validation, CI for the first environment, GitOps checks, one promotion
//! workflow per later environment and the verification after each deployment.
//!
//! Every workflow starts from `permissions: {}` and grants each job what its steps need; anything
//! that deploys has a `concurrency:` group that never cancels a run in progress; code and GitOps
//! files (`infra/**`, `ferry.toml`) trigger different workflows; a change that must trigger
//! checks or workflows is made with a GitHub App token (pull requests and pushes made with
//! `GITHUB_TOKEN` trigger none); actions are pinned to full commit SHAs ([`ACTIONS`]); no
//! `${{ }}` expression is expanded inside a `run:` script (values go through `env:`).

mod checks;
mod ci;
mod promote;
mod verify;

use std::fmt::Write as _;

use crate::{File, Options};

/// The actions the workflows use: (action, full commit SHA of the release, release).
pub const ACTIONS: [(&str, &str, &str); 4] = [
    (
        "actions/checkout",
        "3d3c42e5aac5ba805825da76410c181273ba90b1",
        "v7.0.1",
    ),
    (
        "actions/create-github-app-token",
        "1b10c78c7865c340bc4f6099eb2f838309f1e8c3",
        "v3.1.1",
    ),
    (
        "github/codeql-action/upload-sarif",
        "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        "v4.36.2",
    ),
    (
        "slackapi/slack-github-action",
        "dcb1066f776dd043e64d0e8ba94ca15cc7e1875d",
        "v4.0.0",
    ),
];

/// The job names branch protection requires: both the PR-validation and the GitOps-checks
/// workflow produce each of them, so code-only, overlay-only and mixed pull requests all
/// report every required check.
pub const REQUIRED_CHECKS: [&str; 2] = ["test", "validate"];

/// The Ferry packages a workflow may install, with the binaries they hold (a binary of another
/// name than its package: `ferry-build` in `ferry-build-cli`, `ferry-scan` in `ferry-scan-cli`,
/// `ferry-rollback` in `ferry-rollback-cli`).
pub const FERRY_PACKAGES: [(&str, &str); 12] = [
    ("ferry", "ferry"),
    ("ferry-validate", "ferry-validate"),
    ("ferry-diff-cli", "ferry-diff"),
    ("ferry-tag", "ferry-tag"),
    ("ferry-build-cli", "ferry-build"),
    ("ferry-scan-cli", "ferry-scan"),
    ("ferry-pr", "ferry-pr"),
    ("ferry-promote", "ferry-promote"),
    ("ferry-monitor", "ferry-monitor"),
    ("ferry-rollout", "ferry-rollout"),
    ("ferry-preview-cli", "ferry-preview"),
    ("ferry-rollback-cli", "ferry-rollback"),
];

/// The Ferry repository and the release the workflows install.
const FERRY_REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
const FERRY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The runner every job runs on.
pub(crate) const RUNNER: &str = "ubuntu-24.04";

/// `uses: ACTION@SHA # VERSION` of one of [`ACTIONS`].
pub(crate) fn uses(action: &str) -> String {
    let (name, sha, version) = ACTIONS
        .iter()
        .find(|(name, _, _)| *name == action)
        .expect("the action is one of ACTIONS");
    format!("uses: {name}@{sha} # {version}")
}

/// The checkout step: credentials are not left in `.git/config` for later steps; `history`
/// fetches every commit (Ferry's ledger reads the base branch's history).
pub(crate) fn checkout(history: bool) -> String {
    let mut out = format!(
        "      - name: Check out\n        {}\n        with:\n          persist-credentials: false\n",
        uses("actions/checkout")
    );
    if history {
        out.push_str("          fetch-depth: 0\n");
    }
    out
}

/// The step that installs the Ferry `binaries` (and the `ferry` front end) with
/// `cargo install --locked` from the release tag: no download to verify, no `$GITHUB_PATH`
/// write (`~/.cargo/bin` is on the runners' `PATH`).
pub(crate) fn install(binaries: &[&str]) -> String {
    let mut packages = vec!["ferry"];
    for binary in binaries {
        let (package, _) = FERRY_PACKAGES
            .iter()
            .find(|(_, b)| b == binary)
            .expect("a binary of FERRY_PACKAGES");
        packages.push(package);
    }
    format!(
        "      - name: Install Ferry {FERRY_VERSION}\n        run: >-\n          cargo install --locked --git {FERRY_REPOSITORY}\n          --tag v{FERRY_VERSION} {}\n",
        packages.join(" ")
    )
}

/// The GitHub App token step (`id: app-token`) with exactly `permissions` (`contents: write`).
pub(crate) fn app_token(permissions: &[(&str, &str)]) -> String {
    let mut out = format!(
        "      - name: GitHub App token (what it opens and merges triggers checks and workflows)\n        id: app-token\n        {}\n        with:\n          client-id: ${{{{ vars.FERRY_APP_CLIENT_ID }}}}\n          private-key: ${{{{ secrets.FERRY_APP_PRIVATE_KEY }}}}\n",
        uses("actions/create-github-app-token")
    );
    for (permission, level) in permissions {
        let _ = writeln!(out, "          permission-{permission}: {level}");
    }
    out
}

/// The step that writes the cluster's kubeconfig from the secret `KUBECONFIG` to
/// `~/.kube/config`, readable by the runner's user only.
pub(crate) fn kubeconfig() -> String {
    "      - name: Kubeconfig\n        env:\n          KUBECONFIG_DATA: ${{ secrets.KUBECONFIG }}\n        run: |\n          install -d -m 700 ~/.kube\n          install -m 600 /dev/null ~/.kube/config\n          printf '%s\\n' \"$KUBECONFIG_DATA\" > ~/.kube/config\n".to_owned()
}

/// The `env:` lines (at `indent`) with the credentials of the registries of `options`' images,
/// as `ferry.toml`'s `[registries]` name them.
pub(crate) fn registry_env(options: &Options, indent: &str) -> String {
    let mut out = String::new();
    let hosts: std::collections::BTreeSet<String> =
        options.images.iter().filter_map(|i| i.registry()).collect();
    if hosts.contains("ghcr.io") {
        let _ = writeln!(out, "{indent}GITHUB_TOKEN: ${{{{ github.token }}}}");
    }
    if hosts.iter().any(|h| h != "ghcr.io" && !is_loopback(h)) {
        let _ = writeln!(
            out,
            "{indent}REGISTRY_USERNAME: ${{{{ secrets.REGISTRY_USERNAME }}}}\n{indent}REGISTRY_PASSWORD: ${{{{ secrets.REGISTRY_PASSWORD }}}}"
        );
    }
    out
}

pub(crate) fn is_loopback(host: &str) -> bool {
    host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]")
}

/// Whether any image lives on GitHub's registry (the jobs that read it need `packages: read`).
pub(crate) fn uses_ghcr(options: &Options) -> bool {
    options
        .images
        .iter()
        .any(|i| i.registry().as_deref() == Some("ghcr.io"))
}

/// The environments verified by `verify.yml` (the others by their own workflow, which also
/// switches their blue-green traffic).
pub(crate) fn verified_after_merge(options: &Options) -> Vec<&str> {
    options
        .environments
        .iter()
        .filter(|e| !options.is_blue_green(e))
        .map(String::as_str)
        .collect()
}

/// The workflow files.
pub(crate) fn files(options: &Options) -> Vec<File> {
    let mut files = vec![
        File::new(".github/workflows/pr.yml", checks::pr(options)),
        File::new(".github/workflows/ci.yml", ci::workflow(options)),
        File::new(
            ".github/workflows/gitops-checks.yml",
            checks::gitops(options),
        ),
    ];
    for env in options.environments.iter().skip(1) {
        files.push(File::new(
            format!(".github/workflows/deploy-{env}.yml"),
            promote::workflow(options, env),
        ));
    }
    if !verified_after_merge(options).is_empty() {
        files.push(File::new(
            ".github/workflows/verify.yml",
            verify::workflow(options),
        ));
    }
    files
}
