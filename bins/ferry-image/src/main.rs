//! `ferry-image`: ask a registry about images and copy them by digest.
//!
//! Exit codes: 0 success, 1 the image (or platform) does not exist, 2 usage errors (including
//! invalid references), 3 registry, network or credential errors after retries.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferry_cli::registry::RegistryFlags;
use ferry_cli::{ErrorKind, Format};
use ferry_image::policy::{Policy, TagFilter};
use ferry_image::reference::Reference;
use ferry_image::registry::{
    Credentials, ImageRef, Platform, RegistryClient, RegistryError, RetryPolicy,
};
use serde_json::json;

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
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

#[derive(Debug, clap::Args)]
struct Global {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
    /// Reach this registry (`host[:port]`) over plain HTTP; repeatable. Comma-separated in the
    /// environment variable.
    #[arg(
        long,
        value_name = "REGISTRY",
        env = ferry_cli::env::FERRY_PLAIN_HTTP,
        value_delimiter = ',',
        global = true
    )]
    plain_http: Vec<String>,
    /// Accept invalid TLS certificates.
    #[arg(long, global = true)]
    insecure: bool,
    /// Registry username (with --password-stdin or FERRY_REGISTRY_PASSWORD).
    #[arg(long, env = ferry_cli::env::FERRY_REGISTRY_USERNAME, global = true)]
    username: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, global = true)]
    password_stdin: bool,
    /// Registry password; prefer --password-stdin or the environment variable.
    #[arg(
        long,
        env = ferry_cli::env::FERRY_REGISTRY_PASSWORD,
        hide_env_values = true,
        global = true
    )]
    password: Option<String>,
    /// A registry bearer token.
    #[arg(
        long,
        env = ferry_cli::env::FERRY_REGISTRY_TOKEN,
        hide_env_values = true,
        global = true
    )]
    token: Option<String>,
    /// Docker config file [default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json].
    #[arg(long, value_name = "PATH", global = true)]
    docker_config: Option<PathBuf>,
    /// Retries for connection errors, 429 and 5xx answers.
    #[arg(long, default_value_t = 3, global = true)]
    retries: u32,
    /// The ferry.toml with [registries] settings [default: the nearest ferry.toml in the
    /// current directory or above, if any].
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
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

/// An error with its kind (which fixes the exit code).
struct Failure {
    kind: ErrorKind,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        let kind = match &e {
            RegistryError::NotFound { .. } | RegistryError::PlatformNotFound { .. } => {
                ErrorKind::NotFound
            }
            RegistryError::InvalidRequest(_) => ErrorKind::Usage,
            RegistryError::Unauthorized { .. } => ErrorKind::Authentication,
            RegistryError::Unavailable { .. } => ErrorKind::Unavailable,
            RegistryError::PlainHttp { .. } => ErrorKind::PlainHttp,
            RegistryError::Credentials(_) => ErrorKind::Credentials,
            _ => ErrorKind::Registry,
        };
        Self {
            kind,
            message: ferry_cli::report::error_chain(&e),
        }
    }
}

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = cli.global.format == Format::Json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the runtime: {e}");
            return ferry_cli::Failure::new(ErrorKind::Io, message).report("error", json);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            ferry_cli::Failure::new(failure.kind, failure.message).report("error", json)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let format = cli.global.format;
    match &cli.command {
        Command::Parse { reference } => parse(reference, format),
        Command::Exists { reference } => {
            let image = image_ref(reference, true)?;
            let client = client(&cli.global)?;
            match client.head_digest(&image).await {
                Ok(digest) => {
                    emit(
                        format,
                        &format!("{image} exists ({digest})"),
                        json!({"reference": image.to_string(), "exists": true, "digest": digest}),
                    );
                    Ok(())
                }
                Err(RegistryError::NotFound { .. }) => Err(Failure {
                    kind: ErrorKind::NotFound,
                    message: format!("{image}: not found in the registry"),
                }),
                Err(e) => Err(e.into()),
            }
        }
        Command::Digest {
            reference,
            platform,
        } => {
            let platform = platform
                .as_deref()
                .map(str::parse::<Platform>)
                .transpose()
                .map_err(Failure::usage)?;
            let image = image_ref(reference, true)?;
            let client = client(&cli.global)?;
            let info = client.digest(&image, platform.as_ref()).await?;
            let mut value = serde_json::to_value(&info).expect("serialisable");
            value["reference"] = json!(image.to_string());
            emit(format, &info.digest, value);
            github_output(&[("digest", &info.digest)])
        }
        Command::Tags {
            repository,
            policy,
            filter,
            extract,
            allow,
            ignore,
        } => {
            let image = image_ref(repository, false)?;
            if image.tag.is_some() || image.digest.is_some() {
                return Err(Failure::usage(format!(
                    "{repository}: `tags` takes a repository without tag or digest"
                )));
            }
            let policy = policy
                .as_deref()
                .map(str::parse::<Policy>)
                .transpose()
                .map_err(|e| Failure::usage(e.to_string()))?;
            let tag_filter = TagFilter::new(filter.as_deref(), extract.as_deref())
                .and_then(|f| f.allow(allow))
                .and_then(|f| f.ignore(ignore))
                .map_err(|e| Failure::usage(e.to_string()))?;
            let client = client(&cli.global)?;
            let all = client.list_tags(&image).await?;
            let Some(policy) = policy else {
                let tags: Vec<String> = all
                    .iter()
                    .filter_map(|t| tag_filter.candidate(t))
                    .map(|c| c.tag)
                    .collect();
                emit(
                    format,
                    &tags.join("\n"),
                    json!({"repository": image.to_string(), "tags": tags}),
                );
                return Ok(());
            };
            let sorted = policy.sorted(&tag_filter, &all);
            let Some(newest) = sorted.last() else {
                return Err(Failure {
                    kind: ErrorKind::NotFound,
                    message: format!(
                        "{image}: none of its {} tag(s) passes the filter and policy {policy}",
                        all.len()
                    ),
                });
            };
            let pinned = image.clone().with_tag(newest.tag.clone());
            emit(
                format,
                &newest.tag,
                json!({
                    "repository": image.to_string(),
                    "policy": policy.to_string(),
                    "tag": newest.tag,
                    "value": newest.value,
                    "image": pinned.to_string(),
                    "candidates": sorted.iter().map(|c| &c.tag).collect::<Vec<_>>(),
                }),
            );
            github_output(&[("tag", &newest.tag), ("image", &pinned.to_string())])
        }
        Command::Copy {
            source,
            destination,
        } => {
            let src = image_ref(source, true)?;
            let dst = image_ref(destination, false)?;
            let dst = match (&dst.tag, &dst.digest, &src.digest) {
                (None, None, Some(digest)) => dst.at_digest(digest),
                (None, None, None) => {
                    return Err(Failure::usage(format!(
                        "{destination}: the destination needs a tag (the source has no digest)"
                    )));
                }
                _ => dst,
            };
            let client = client(&cli.global)?;
            let report = client.copy(&src, &dst).await?;
            let text = format!(
                "copied {src} to {dst} ({}): {} manifest(s), {} blob(s) copied, {} mounted, {} already present",
                report.digest,
                report.manifests,
                report.blobs_copied,
                report.blobs_mounted,
                report.blobs_skipped
            );
            let mut value = serde_json::to_value(&report).expect("serialisable");
            value["source"] = json!(src.to_string());
            value["destination"] = json!(dst.to_string());
            emit(format, &text, value);
            github_output(&[("digest", &report.digest)])
        }
    }
}

fn parse(reference: &str, format: Format) -> Result<(), Failure> {
    let parsed = Reference::parse_normalized(reference)
        .map_err(|e| Failure::usage(format!("invalid reference `{reference}`: {e}")))?;
    let value = json!({
        "reference": parsed.to_string(),
        "familiar": parsed.familiar_string(),
        "domain": parsed.domain(),
        "path": parsed.path(),
        "name": parsed.name(),
        "tag": parsed.tag(),
        "digest": parsed.digest(),
    });
    let mut text = format!(
        "reference: {}\nfamiliar:  {}\ndomain:    {}\npath:      {}",
        parsed,
        parsed.familiar_string(),
        parsed.domain(),
        parsed.path()
    );
    if let Some(tag) = parsed.tag() {
        text.push_str(&format!("\ntag:       {tag}"));
    }
    if let Some(digest) = parsed.digest() {
        text.push_str(&format!("\ndigest:    {digest}"));
    }
    emit(format, &text, value);
    Ok(())
}

/// Parses a reference strictly (Docker Hub normalisation); `default_tag` adds `latest`.
fn image_ref(reference: &str, default_tag: bool) -> Result<ImageRef, Failure> {
    let parsed = Reference::parse_normalized(reference)
        .map_err(|e| Failure::usage(format!("invalid reference `{reference}`: {e}")))?;
    let parsed = if default_tag {
        parsed.with_default_tag()
    } else {
        parsed
    };
    Ok(ImageRef::from(&parsed))
}

fn client(global: &Global) -> Result<RegistryClient, Failure> {
    let path = global.config.clone().or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| ferry_config::Config::discover(&cwd))
    });
    let config = path
        .map(|p| ferry_config::Config::load(&p))
        .transpose()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let flags = RegistryFlags {
        plain_http: global.plain_http.clone(),
        insecure: global.insecure,
        docker_config: global.docker_config.clone(),
        explicit: explicit_credentials(global)?,
        retry: Some(RetryPolicy {
            max_attempts: global.retries.saturating_add(1),
            ..RetryPolicy::default()
        }),
    };
    ferry_cli::registry::client(&flags, config.as_ref()).map_err(|e| Failure {
        kind: ErrorKind::Credentials,
        message: ferry_cli::report::error_chain(&e),
    })
}

/// `--token`, or `--username` with its password: credentials for every registry.
fn explicit_credentials(global: &Global) -> Result<Option<Credentials>, Failure> {
    if global.token.is_some() && global.username.is_some() {
        return Err(Failure::usage("--token and --username exclude each other"));
    }
    if let Some(token) = &global.token {
        return Ok(Some(Credentials::token(token.clone())));
    }
    if let Some(username) = &global.username {
        let password = if global.password_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
            text.trim_end_matches(['\r', '\n']).to_owned()
        } else {
            global.password.clone().ok_or_else(|| {
                Failure::usage("--username needs --password-stdin or FERRY_REGISTRY_PASSWORD")
            })?
        };
        return Ok(Some(Credentials::basic(username.clone(), password)));
    }
    if global.password_stdin || global.password.is_some() {
        return Err(Failure::usage("a password needs --username"));
    }
    Ok(None)
}

fn emit(format: Format, text: &str, value: serde_json::Value) {
    match format {
        Format::Text => {
            if !text.is_empty() {
                println!("{text}");
            }
        }
        Format::Json => println!("{value}"),
    }
}

/// Appends the pairs to `$GITHUB_OUTPUT` when it is set.
fn github_output(pairs: &[(&str, &str)]) -> Result<(), Failure> {
    ferry_cli::github_output::write(pairs).map_err(|e| Failure {
        kind: ErrorKind::Io,
        message: e.to_string(),
    })
}
