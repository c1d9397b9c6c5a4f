//! The command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use ferry_cli::Format;
use jiff::Timestamp;

const AFTER_HELP: &str = "\
Labels: the OCI labels `ferry tag` computes (source, revision, version, created, title, url), \
from the GitHub Actions context inside Actions, else from the git repository around CONTEXT.

Registries and credentials: as `ferry image`: ferry.toml's [registries.\"HOST\"] first; then \
--token, or --username with --password-stdin / FERRY_REGISTRY_PASSWORD, for every registry; \
otherwise docker's config.json ($DOCKER_CONFIG/config.json or ~/.docker/config.json, with \
credsStore/credHelpers). Passwords, tokens and secret build arguments never appear in output.

In GitHub Actions the outputs digest, tags and imageid go to GITHUB_OUTPUT and a line to \
GITHUB_STEP_SUMMARY.

Exit codes: 0 built (and pushed); 1 the build failed (the failing step is named); 2 usage error \
or bad input (a flag, a tag, a missing Dockerfile, a bad .dockerignore); 3 the Docker Engine or \
a registry cannot be reached or failed, credentials refused.";

/// Build an image on the Docker Engine, push its tags and report the digest the registry
/// stored.
#[derive(Debug, Parser)]
#[command(name = "ferry-build", version, about, long_about = None, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// The build context directory (its `.dockerignore` applies).
    #[arg(value_name = "CONTEXT", default_value = ".")]
    pub(crate) context: PathBuf,
    /// The Dockerfile [default: CONTEXT/Dockerfile].
    #[arg(short = 'f', long, value_name = "PATH")]
    pub(crate) file: Option<PathBuf>,
    /// A tag to build and push (`registry/repository:tag`); repeatable.
    #[arg(short = 't', long = "tag", value_name = "REF", required = true)]
    pub(crate) tags: Vec<String>,
    /// A build argument `NAME=VALUE`, or `NAME` for the environment variable's value;
    /// repeatable.
    #[arg(long = "build-arg", value_name = "NAME[=VALUE]")]
    pub(crate) build_args: Vec<String>,
    /// A secret build argument: the value of the environment variable NAME, never shown;
    /// repeatable.
    #[arg(long = "secret-build-arg", value_name = "NAME")]
    pub(crate) secret_build_args: Vec<String>,
    /// The stage to build.
    #[arg(long, value_name = "STAGE")]
    pub(crate) target: Option<String>,
    /// The platform to build for, e.g. `linux/amd64`.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Option<String>,
    /// A label `KEY=VALUE` besides the computed ones (and winning over them); repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub(crate) labels: Vec<String>,
    /// The version label [default: what `ferry tag`'s default rules give: the branch or tag].
    #[arg(long = "version-label", value_name = "VERSION")]
    pub(crate) version_label: Option<String>,
    /// The build time of the `created` label (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub(crate) now: Option<Timestamp>,
    /// Build and tag only; push nothing.
    #[arg(long)]
    pub(crate) no_push: bool,
    /// The Docker Engine: `unix://PATH`, `tcp://HOST:PORT` [default: DOCKER_HOST, else
    /// unix:///var/run/docker.sock].
    #[arg(long, value_name = "URL")]
    pub(crate) docker_host: Option<String>,
    /// Progress on stderr: `auto` draws for a terminal unless CI is set, `tty`, `plain`.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub(crate) progress: ProgressMode,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgressMode {
    /// A terminal's when stderr is one and CI is not set, else plain lines.
    Auto,
    /// A terminal's: lines redrawn in place.
    Tty,
    /// Plain lines.
    Plain,
}

/// The registry flags of `ferry image`.
#[derive(Debug, clap::Args)]
pub(crate) struct RegistryArgs {
    /// Reach this registry (`host[:port]`) over plain HTTP; repeatable. Comma-separated in the
    /// environment variable.
    #[arg(
        long,
        value_name = "REGISTRY",
        env = ferry_cli::env::FERRY_PLAIN_HTTP,
        value_delimiter = ','
    )]
    pub(crate) plain_http: Vec<String>,
    /// Accept invalid TLS certificates (when reading digests back).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Registry username (with --password-stdin or FERRY_REGISTRY_PASSWORD).
    #[arg(long, env = ferry_cli::env::FERRY_REGISTRY_USERNAME)]
    pub(crate) username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// Registry password; prefer --password-stdin or the environment variable.
    #[arg(long, env = ferry_cli::env::FERRY_REGISTRY_PASSWORD, hide_env_values = true)]
    pub(crate) password: Option<String>,
    /// A registry bearer token.
    #[arg(long, env = ferry_cli::env::FERRY_REGISTRY_TOKEN, hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Docker config file [default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json].
    #[arg(long, value_name = "PATH")]
    pub(crate) docker_config: Option<PathBuf>,
    /// Retries for connection errors, 429 and 5xx answers when reading digests back.
    #[arg(long, default_value_t = 3)]
    pub(crate) retries: u32,
    /// The ferry.toml with [registries] settings [default: the nearest ferry.toml in the
    /// current directory or above, if any].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}
