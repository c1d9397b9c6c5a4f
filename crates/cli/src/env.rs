//! Every environment variable Ferry reads, one constant each (as uv's `EnvVars`), and the only
//! functions that read them: no other crate and no binary reads the environment (a test of
//! `ferry-cli` checks the sources). docs/environment.md is generated from this file (a test
//! checks it is up to date: `FERRY_BLESS=1 cargo test -p ferry-cli --test environment`).
//!
//! Besides these, Ferry reads the variables `ferry.toml` names in `[registries."HOST"]`
//! (`username-env`, `password-env`, `token-env`), and scans the names of all variables for
//! secrets to scrub from its output (`crate::register_env_secrets`).

use std::collections::BTreeMap;
use std::ffi::OsString;

/// The log filter of every binary (`tracing_subscriber::EnvFilter` directives: `debug`,
/// `ferry_health=trace`); unset or empty, `RUST_LOG`; neither, `warn`.
pub const FERRY_LOG: &str = "FERRY_LOG";

/// The log filter when `FERRY_LOG` is unset or empty.
pub const RUST_LOG: &str = "RUST_LOG";

/// The file GitHub Actions reads step outputs from; unset or empty, outputs are dropped.
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";

/// The file GitHub Actions shows as the job's summary (Markdown, `ferry scan`); unset or
/// empty, the summary is dropped.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// `true` inside GitHub Actions: `ferry-validate` prints workflow annotations, `ferry-tag`
/// reads the workflow context, `ferry-diff` the pull request.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";

/// The GitHub server (default `https://github.com`): links to the run, commits and
/// repositories.
pub const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";

/// `owner/repo`: the run's page, the repository of `--forge github` when `[forge.github]` does
/// not name one, the repository `ferry-tag` describes.
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";

/// The workflow run's id: the link to the run's page in notifications.
pub const GITHUB_RUN_ID: &str = "GITHUB_RUN_ID";

/// The REST API of `--forge github` (default `[forge.github] api-url`, `https://api.github.com`).
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";

/// The GraphQL API of `--forge github` (default `[forge.github] graphql-url`).
pub const GITHUB_GRAPHQL_URL: &str = "GITHUB_GRAPHQL_URL";

/// The token of `--forge github` when neither a GitHub App key nor `FERRY_GITHUB_TOKEN` is set.
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";

/// The token of `--forge github`, before `GITHUB_TOKEN`.
pub const FERRY_GITHUB_TOKEN: &str = "FERRY_GITHUB_TOKEN";

/// The GitHub App id of `--forge github` (else `[forge.github] app-id`), with a private key.
pub const FERRY_GITHUB_APP_ID: &str = "FERRY_GITHUB_APP_ID";

/// The GitHub App private key (PEM) of `--forge github`.
pub const FERRY_GITHUB_APP_PRIVATE_KEY: &str = "FERRY_GITHUB_APP_PRIVATE_KEY";

/// A file holding the GitHub App private key, when `FERRY_GITHUB_APP_PRIVATE_KEY` is unset.
pub const FERRY_GITHUB_APP_PRIVATE_KEY_PATH: &str = "FERRY_GITHUB_APP_PRIVATE_KEY_PATH";

/// The event that started the workflow (`push`, `pull_request`, …): `ferry-tag`'s context.
pub const GITHUB_EVENT_NAME: &str = "GITHUB_EVENT_NAME";

/// The file holding the event's payload (JSON): `ferry-tag`'s context; the pull request
/// (number, base and head commits) of `ferry-diff`.
pub const GITHUB_EVENT_PATH: &str = "GITHUB_EVENT_PATH";

/// The ref that started the workflow (`refs/heads/main`, `refs/tags/v1.2.3`): `ferry-tag`.
pub const GITHUB_REF: &str = "GITHUB_REF";

/// The commit that started the workflow: `ferry-tag`.
pub const GITHUB_SHA: &str = "GITHUB_SHA";

/// The checked-out repository (default `.`): `ferry-tag` reads commit dates there.
pub const GITHUB_WORKSPACE: &str = "GITHUB_WORKSPACE";

/// `true`: `ferry-tag` uses a pull request's head commit instead of the merge commit (as
/// docker/metadata-action).
pub const DOCKER_METADATA_PR_HEAD_SHA: &str = "DOCKER_METADATA_PR_HEAD_SHA";

/// The length of `ferry-tag`'s short commit (default 7, as docker/metadata-action).
pub const DOCKER_METADATA_SHORT_SHA_LENGTH: &str = "DOCKER_METADATA_SHORT_SHA_LENGTH";

/// The annotation levels of `ferry-tag` when `--annotation-levels` is not given (default
/// `manifest`, as docker/metadata-action).
pub const DOCKER_METADATA_ANNOTATIONS_LEVELS: &str = "DOCKER_METADATA_ANNOTATIONS_LEVELS";

/// The directory of docker's `config.json` (default `$HOME/.docker`): registry credentials.
pub const DOCKER_CONFIG: &str = "DOCKER_CONFIG";

/// The home directory: `$HOME/.docker/config.json` when `DOCKER_CONFIG` is unset.
pub const HOME: &str = "HOME";

/// The Docker Engine `ferry-build` builds on (`unix:///var/run/docker.sock` when unset;
/// `--docker-host` wins).
pub const DOCKER_HOST: &str = "DOCKER_HOST";

/// Set (to anything but `false`) in CI: `ferry-build` shows plain progress lines, not a
/// terminal's.
pub const CI: &str = "CI";

/// Set and not empty: no ANSI colours, even on a terminal (<https://no-color.org>): `ferry-status`'s
/// table (`--color always` still colours) and the log lines on standard error.
pub const NO_COLOR: &str = "NO_COLOR";

/// `ferry-image --plain-http` and `ferry-promote --plain-http`: talk plain HTTP to every
/// registry.
pub const FERRY_PLAIN_HTTP: &str = "FERRY_PLAIN_HTTP";

/// The registry user name (`ferry-image --username`, `ferry-promote`), with
/// `FERRY_REGISTRY_PASSWORD`.
pub const FERRY_REGISTRY_USERNAME: &str = "FERRY_REGISTRY_USERNAME";

/// The registry password of `FERRY_REGISTRY_USERNAME`.
pub const FERRY_REGISTRY_PASSWORD: &str = "FERRY_REGISTRY_PASSWORD";

/// A registry bearer token (`ferry-image --token`, `ferry-promote`), instead of a user name and
/// password.
pub const FERRY_REGISTRY_TOKEN: &str = "FERRY_REGISTRY_TOKEN";

/// The Slack incoming webhook of notifications (`--slack-webhook` of `ferry-promote`,
/// `ferry-rollback`, `ferry-monitor --verify`).
pub const FERRY_SLACK_WEBHOOK: &str = "FERRY_SLACK_WEBHOOK";

/// The bearer token `ferry-monitor` sends to Prometheus (`watch --prometheus`, `analyze`);
/// never printed.
pub const FERRY_PROMETHEUS_TOKEN: &str = "FERRY_PROMETHEUS_TOKEN";

/// The basic-auth user `ferry-monitor` sends to Prometheus, with `FERRY_PROMETHEUS_PASSWORD`
/// (when `FERRY_PROMETHEUS_TOKEN` is unset).
pub const FERRY_PROMETHEUS_USER: &str = "FERRY_PROMETHEUS_USER";

/// The basic-auth password for `FERRY_PROMETHEUS_USER`; never printed.
pub const FERRY_PROMETHEUS_PASSWORD: &str = "FERRY_PROMETHEUS_PASSWORD";

/// The kubeconfig files of `ferry-monitor`, `ferry-rollout` and `ferry-rollback` (default
/// `~/.kube/config`; in a pod, the in-cluster config). Read by the Kubernetes client.
pub const KUBECONFIG: &str = "KUBECONFIG";

/// The directories `ferry STEP` searches for `ferry-STEP` after its own directory.
pub const PATH: &str = "PATH";

/// The value of `name`, when set and Unicode (it may be empty).
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The value of `name`, when set and not empty or blank.
pub fn non_empty(name: &str) -> Option<String> {
    var(name).filter(|v| !v.trim().is_empty())
}

/// The value of `name` as the OS gives it, when set.
pub fn var_os(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// Every variable of the environment, for the secret scan.
pub(crate) fn vars_os() -> std::env::VarsOs {
    std::env::vars_os()
}

/// Whether this runs in GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn in_github_actions() -> bool {
    var_os(GITHUB_ACTIONS).is_some_and(|v| v == "true")
}

/// Whether the user asked for no colours: `NO_COLOR` set and not empty.
pub fn no_color() -> bool {
    var_os(NO_COLOR).is_some_and(|v| !v.is_empty())
}

/// The GitHub server: `GITHUB_SERVER_URL` without a trailing `/`, else `https://github.com`.
pub fn github_server_url() -> String {
    var(GITHUB_SERVER_URL)
        .filter(|v| !v.is_empty())
        .map_or_else(
            || "https://github.com".to_owned(),
            |s| s.trim_end_matches('/').to_owned(),
        )
}

/// The workflow context of GitHub Actions that `ferry-tag` reads, by name: `GITHUB_EVENT_NAME`,
/// `GITHUB_EVENT_PATH`, `GITHUB_REF`, `GITHUB_SHA`, `GITHUB_WORKSPACE`, `GITHUB_REPOSITORY`
/// (those set and Unicode).
pub fn github_workflow() -> BTreeMap<String, String> {
    [
        GITHUB_EVENT_NAME,
        GITHUB_EVENT_PATH,
        GITHUB_REF,
        GITHUB_SHA,
        GITHUB_WORKSPACE,
        GITHUB_REPOSITORY,
    ]
    .into_iter()
    .filter_map(|name| Some((name.to_owned(), var(name)?)))
    .collect()
}
