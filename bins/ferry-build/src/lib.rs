//! `ferry-build`: build an image on the Docker Engine, push its tags with the credentials
//! `ferry image` uses, and report the digest the registry stored.

mod cli;
mod context;

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use ferry_build::{BuildArg, BuildError, BuildOptions, Engine, Event, Outcome, Progress, Request};
use ferry_cli::registry::{CredentialFlags, RegistryFlags};
use ferry_cli::{Error, ErrorKind, Format, Result, Runtime};
use ferry_image::reference::Reference;
use ferry_image::registry::{RegistryClient, RetryPolicy};
use jiff::Timestamp;
use serde_json::json;

use cli::{Cli, ProgressMode};

/// Runs `ferry-build` with this command line (the program name first): the binary's `main`,
/// and `ferry build` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-build: error", Runtime::CurrentThread, run)
}

async fn run(cli: Cli) -> Result<()> {
    let tags = cli
        .tags
        .iter()
        .map(|t| parse_tag(t))
        .collect::<Result<Vec<_>>>()?;
    let build_args = build_args(&cli)?;
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let labels = context::labels(&cli, now)?;
    let registry = registry_client(&cli)?;
    let host = cli
        .docker_host
        .clone()
        .or_else(|| ferry_cli::env::non_empty(ferry_cli::env::DOCKER_HOST))
        .unwrap_or_else(|| ferry_build::DEFAULT_HOST.to_owned());
    let engine = Engine::connect(&host).await?;

    let request = Request {
        context: cli.context.clone(),
        dockerfile: cli.file.clone(),
        options: BuildOptions {
            tags,
            build_args,
            target: cli.target.clone(),
            platform: cli.platform.clone(),
            labels,
        },
        push: !cli.no_push,
    };
    let mut progress = Progress::new(tty(cli.progress));
    let mut show = |event: Event| {
        let text = progress.render(&event);
        if !text.is_empty() {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(ferry_cli::redact::scrub(&text).as_bytes());
            let _ = err.flush();
        }
    };
    let outcome = ferry_build::build_and_push(&engine, &registry, &request, &mut show)
        .await
        .map_err(failed_build)?;
    report(&outcome, cli.format)
}

/// A tag as `docker build -t` takes it: a strict reference (Docker Hub normalised), `latest`
/// when it has no tag, no digest.
fn parse_tag(tag: &str) -> Result<Reference> {
    let parsed = Reference::parse_normalized(tag)
        .map_err(|e| Error::usage(format!("invalid tag `{tag}`: {e}")))?;
    if parsed.digest().is_some() {
        return Err(Error::usage(format!(
            "invalid tag `{tag}`: a tag cannot carry a digest"
        )));
    }
    Ok(parsed.with_default_tag())
}

/// `--build-arg NAME=VALUE` or `NAME` (the environment variable's value), and
/// `--secret-build-arg NAME` (the environment variable's value, registered as a secret).
fn build_args(cli: &Cli) -> Result<Vec<BuildArg>> {
    let mut args = Vec::new();
    let from_env = |name: &str, flag: &str| {
        ferry_cli::env::var(name).ok_or_else(|| {
            Error::usage(format!(
                "{flag} {name}: the environment variable {name} is not set"
            ))
        })
    };
    for arg in &cli.build_args {
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (arg.clone(), from_env(arg, "--build-arg")?),
        };
        check_arg_name(&name)?;
        args.push(BuildArg {
            name,
            value,
            secret: false,
        });
    }
    for name in &cli.secret_build_args {
        check_arg_name(name)?;
        let value = from_env(name, "--secret-build-arg")?;
        ferry_cli::redact::register(&value);
        args.push(BuildArg {
            name: name.clone(),
            value,
            secret: true,
        });
    }
    Ok(args)
}

fn check_arg_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(Error::usage(format!(
            "invalid build argument name {name:?}"
        )));
    }
    Ok(())
}

/// The registry client of `ferry image`, from the same flags, `ferry.toml` and environment:
/// it resolves the push credentials and reads back the digests.
fn registry_client(cli: &Cli) -> Result<RegistryClient> {
    let r = &cli.registry;
    let config = ferry_cli::registry::registry_config(r.config.as_deref())?;
    let flags = RegistryFlags {
        plain_http: r.plain_http.clone(),
        insecure: r.insecure,
        docker_config: r.docker_config.clone(),
        explicit: CredentialFlags {
            token: r.token.clone(),
            username: r.username.clone(),
            password: r.password.clone(),
            password_stdin: r.password_stdin,
        }
        .credentials()?,
        retry: Some(RetryPolicy {
            max_attempts: r.retries.saturating_add(1),
            ..RetryPolicy::default()
        }),
    };
    Ok(ferry_cli::registry::client(&flags, config.as_ref())?)
}

/// Whether progress is drawn for a terminal: `auto` means stderr is one and `CI` is not set.
fn tty(mode: ProgressMode) -> bool {
    match mode {
        ProgressMode::Tty => true,
        ProgressMode::Plain => false,
        ProgressMode::Auto => {
            let ci = ferry_cli::env::var(ferry_cli::env::CI)
                .is_some_and(|v| !v.is_empty() && v != "false");
            !ci && std::io::stderr().is_terminal()
        }
    }
}

/// The error of a failed build, with the failing step and its lines in the JSON report.
fn failed_build(error: BuildError) -> Error {
    let (step, output) = match &error {
        BuildError::StepFailed { step, output, .. } => (step.clone(), output.clone()),
        _ => (None, Vec::new()),
    };
    let mut error = Error::from(error);
    if let Some(step) = step {
        error = error
            .with("step", step.number)
            .with("instruction", step.instruction);
    }
    if !output.is_empty() {
        error = error.with("output", output);
    }
    error
}

/// Prints the outcome, writes the step outputs and the job summary.
fn report(outcome: &Outcome, format: Format) -> Result<()> {
    let digest = outcome.digest.clone().unwrap_or_default();
    let text = match format {
        Format::Json => json!({
            "image": outcome.image,
            "tags": outcome.tags,
            "digest": outcome.digest,
            "id": outcome.id,
            "size": outcome.size,
        })
        .to_string(),
        Format::Text => {
            let mut text = format!("image: {}\n", outcome.image);
            if !digest.is_empty() {
                text.push_str(&format!("digest: {digest}\n"));
            }
            text.push_str(&format!(
                "id: {}\nsize: {} ({} bytes)\ntags:",
                outcome.id,
                ferry_build::progress::bytes(outcome.size),
                outcome.size
            ));
            for tag in &outcome.tags {
                text.push_str(&format!("\n  {tag}"));
            }
            text
        }
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Error::new(ErrorKind::Io, e))?;
    let tags = outcome.tags.join("\n");
    ferry_cli::GithubOutput::from_env()
        .always_delimited()
        .write(&[
            ("digest", digest.as_str()),
            ("tags", tags.as_str()),
            ("imageid", outcome.id.as_str()),
        ])
        .map_err(|e| Error::new(ErrorKind::Io, e))?;
    let verb = if outcome.digest.is_some() {
        "pushed"
    } else {
        "built"
    };
    let tags = outcome
        .tags
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    ferry_cli::step_summary::append(&format!(
        "**ferry build** {verb} `{}` as {tags} (image id `{}`, {})\n",
        outcome.image,
        outcome.id,
        ferry_build::progress::bytes(outcome.size)
    ))
    .map_err(|e| Error::new(ErrorKind::Io, e))?;
    Ok(())
}
