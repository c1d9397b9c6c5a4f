//! `ferry-image`: ask a registry about images and copy them by digest.
//!
//! Exit codes: 0 success, 1 the image (or platform) does not exist, 2 usage errors (including
//! invalid references), 3 registry, network or credential errors after retries.

use std::process::ExitCode;

use ferry_cli::registry::{CredentialFlags, RegistryFlags};
use ferry_cli::{Error, ErrorKind, Format, Result, Runtime};
use ferry_image::policy::{Policy, TagFilter};
use ferry_image::reference::Reference;
use ferry_image::registry::{ImageRef, Platform, RegistryClient, RegistryError, RetryPolicy};
use serde_json::json;

mod cli;

use cli::{Cli, Command, Global};

/// Runs `ferry-image` with this command line (the program name first): the binary's `main`,
/// and `ferry image` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "error", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<()> {
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
                Err(RegistryError::NotFound { .. }) => Err(Error::msg(
                    ErrorKind::NotFound,
                    format!("{image}: not found in the registry"),
                )),
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
                .map_err(Error::usage)?;
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
                return Err(Error::usage(format!(
                    "{repository}: `tags` takes a repository without tag or digest"
                )));
            }
            let policy = policy
                .as_deref()
                .map(str::parse::<Policy>)
                .transpose()
                .map_err(|e| Error::usage(e.to_string()))?;
            let tag_filter = TagFilter::new(filter.as_deref(), extract.as_deref())
                .and_then(|f| f.allow(allow))
                .and_then(|f| f.ignore(ignore))
                .map_err(|e| Error::usage(e.to_string()))?;
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
                return Err(Error::msg(
                    ErrorKind::NotFound,
                    format!(
                        "{image}: none of its {} tag(s) passes the filter and policy {policy}",
                        all.len()
                    ),
                ));
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
                    return Err(Error::usage(format!(
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

fn parse(reference: &str, format: Format) -> Result<()> {
    let parsed = Reference::parse_normalized(reference)
        .map_err(|e| Error::usage(format!("invalid reference `{reference}`: {e}")))?;
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
fn image_ref(reference: &str, default_tag: bool) -> Result<ImageRef> {
    let parsed = Reference::parse_normalized(reference)
        .map_err(|e| Error::usage(format!("invalid reference `{reference}`: {e}")))?;
    let parsed = if default_tag {
        parsed.with_default_tag()
    } else {
        parsed
    };
    Ok(ImageRef::from(&parsed))
}

fn client(global: &Global) -> Result<RegistryClient> {
    let config = ferry_cli::registry::registry_config(global.config.as_deref())?;
    let flags = RegistryFlags {
        plain_http: global.plain_http.clone(),
        insecure: global.insecure,
        docker_config: global.docker_config.clone(),
        explicit: CredentialFlags {
            token: global.token.clone(),
            username: global.username.clone(),
            password: global.password.clone(),
            password_stdin: global.password_stdin,
        }
        .credentials()?,
        retry: Some(RetryPolicy {
            max_attempts: global.retries.saturating_add(1),
            ..RetryPolicy::default()
        }),
    };
    Ok(ferry_cli::registry::client(&flags, config.as_ref())?)
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
fn github_output(pairs: &[(&str, &str)]) -> Result<()> {
    ferry_cli::github_output::write(pairs).map_err(|e| Error::msg(ErrorKind::Io, e.to_string()))
}
