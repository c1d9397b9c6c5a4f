//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ferry_cli::Format;

const AFTER_HELP: &str = "\
Registries: ferry.toml's [registries.\"HOST\"] (plain-http, credentials) applies; loopback \
registries (localhost, 127.0.0.0/8, [::1]) use plain HTTP unless configured otherwise.

Credentials: a registry's configured source first; then --token, or --username with \
--password-stdin / FERRY_REGISTRY_PASSWORD, for every registry; otherwise docker's config.json \
($DOCKER_CONFIG/config.json or ~/.docker/config.json, with credsStore/credHelpers).

Exit codes: 0 ok, 1 image or platform not found, 2 usage error, 3 registry/network/auth error.";

/// Ask a container registry about images, and copy images by digest.
#[derive(Debug, Parser)]
#[command(name = "ferry-image", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) global: Global,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Global {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub(crate) format: Format,
    /// Reach this registry (`host[:port]`) over plain HTTP; repeatable. Comma-separated in the
    /// environment variable.
    #[arg(
        long,
        value_name = "REGISTRY",
        env = ferry_cli::env::FERRY_PLAIN_HTTP,
        value_delimiter = ',',
        global = true
    )]
    pub(crate) plain_http: Vec<String>,
    /// Accept invalid TLS certificates.
    #[arg(long, global = true)]
    pub(crate) insecure: bool,
    /// Registry username (with --password-stdin or FERRY_REGISTRY_PASSWORD).
    #[arg(long, env = ferry_cli::env::FERRY_REGISTRY_USERNAME, global = true)]
    pub(crate) username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, global = true)]
    pub(crate) password_stdin: bool,
    /// Registry password; prefer --password-stdin or the environment variable.
    #[arg(
        long,
        env = ferry_cli::env::FERRY_REGISTRY_PASSWORD,
        hide_env_values = true,
        global = true
    )]
    pub(crate) password: Option<String>,
    /// A registry bearer token.
    #[arg(
        long,
        env = ferry_cli::env::FERRY_REGISTRY_TOKEN,
        hide_env_values = true,
        global = true
    )]
    pub(crate) token: Option<String>,
    /// Docker config file [default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json].
    #[arg(long, value_name = "PATH", global = true)]
    pub(crate) docker_config: Option<PathBuf>,
    /// Retries for connection errors, 429 and 5xx answers.
    #[arg(long, default_value_t = 3, global = true)]
    pub(crate) retries: u32,
    /// The ferry.toml with [registries] settings [default: the nearest ferry.toml in the
    /// current directory or above, if any].
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Parse and normalise a reference (no network).
    Parse {
        /// Image reference, e.g. `nginx:1.27` or `ghcr.io/acme/api@sha256:…`.
        reference: String,
    },
    /// Exit 0 when the image exists, 1 when it does not.
    Exists {
        /// Image reference (`latest` when it has no tag or digest).
        reference: String,
    },
    /// Print the manifest digest (of one platform with --platform).
    Digest {
        /// Image reference (`latest` when it has no tag or digest).
        reference: String,
        /// Pick this platform's manifest from a multi-arch image, e.g. `linux/amd64`.
        #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
        platform: Option<String>,
    },
    /// List the tags of a repository, or pick the newest with --policy.
    Tags {
        /// Repository, without tag or digest.
        repository: String,
        /// Print only the newest tag: `semver:RANGE`, `semver-pre:RANGE` (pre-releases too),
        /// `numerical[:asc|desc]`, `alphabetical[:asc|desc]`.
        #[arg(long)]
        policy: Option<String>,
        /// Only tags matching this regular expression (unanchored).
        #[arg(long, value_name = "REGEX")]
        filter: Option<String>,
        /// The value the policy compares, from the filter's groups, e.g. `$version` or `${1}`.
        #[arg(long, value_name = "TEMPLATE", requires = "filter")]
        extract: Option<String>,
        /// Only tags matching one of these globs; repeatable.
        #[arg(long, value_name = "GLOB")]
        allow: Vec<String>,
        /// Never tags matching one of these globs; repeatable.
        #[arg(long, value_name = "GLOB")]
        ignore: Vec<String>,
    },
    /// Copy an image to another tag, repository or registry, keeping its digest.
    Copy {
        /// Source image.
        source: String,
        /// Destination image (a tag is required unless the source has a digest).
        destination: String,
    },
}
