//! `ferry-tag`: compute the image tags, OCI labels and annotations a build pushes, with the rules
//! of docker/metadata-action.

mod context;
mod git;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::{Parser, ValueEnum};
use ferry_cli::env as names;
use ferry_cli::{Error, ErrorKind, Format, GithubOutput, Result};
use ferry_image::meta::{Inputs, Meta, Options, input_lines};
use jiff::Timestamp;
use serde_json::json;

/// Compute image tags, OCI labels and annotations (docker/metadata-action compatible).
///
/// Inside GitHub Actions the context comes from the GITHUB_* variables and the event payload
/// file; elsewhere from the git repository in --repo (HEAD, branch, tags at HEAD, dirty state).
/// When GITHUB_OUTPUT is set, the outputs version, tags, tag-names, labels, annotations and json
/// are written there too.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    after_help = "Exit codes: 0 done; 2 usage error or bad input (tags, flavor, images, expressions, \
                  event payload, not a git repository); 3 a file cannot be read or written (stdout, \
                  GITHUB_OUTPUT, the event payload file)."
)]
struct Cli {
    /// Images to tag (one per value or per line; `name=IMG,enable=false` form allowed).
    #[arg(long, num_args = 1.., value_name = "IMG")]
    images: Vec<String>,
    /// Tag rules, one per line (e.g. `type=semver,pattern={{version}}`); empty: the defaults.
    #[arg(long, num_args = 1.., value_name = "LINES")]
    tags: Vec<String>,
    /// Flavor lines (`latest=auto|true|false`, `prefix=...`, `suffix=...,onlatest=true`).
    #[arg(long, num_args = 1.., value_name = "LINES")]
    flavor: Vec<String>,
    /// Extra labels, `key=value` per line (expressions allowed).
    #[arg(long, num_args = 1.., value_name = "LINES")]
    labels: Vec<String>,
    /// Extra annotations, `key=value` per line (expressions allowed).
    #[arg(long, num_args = 1.., value_name = "LINES")]
    annotations: Vec<String>,
    /// Separator between tags in the text output and the `tags` output.
    #[arg(
        long,
        value_name = "S",
        default_value = "\n",
        hide_default_value = true
    )]
    sep_tags: String,
    /// Separator between labels in the text output and the `labels` output.
    #[arg(
        long,
        value_name = "S",
        default_value = "\n",
        hide_default_value = true
    )]
    sep_labels: String,
    /// Separator between annotations in the text output and the `annotations` output.
    #[arg(
        long,
        value_name = "S",
        default_value = "\n",
        hide_default_value = true
    )]
    sep_annotations: String,
    /// Annotation levels, comma separated (default: DOCKER_METADATA_ANNOTATIONS_LEVELS or
    /// `manifest`).
    #[arg(long, value_name = "LEVELS")]
    annotation_levels: Option<String>,
    /// Where the context comes from.
    #[arg(long, value_enum, default_value_t = Source::Auto)]
    context: Source,
    /// The repository to read in the git context.
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,
    /// The current time (RFC 3339), for reproducible `{{date}}` and `created`.
    #[arg(long, value_name = "TIME")]
    now: Option<Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Source {
    /// GitHub Actions when GITHUB_ACTIONS=true or GITHUB_EVENT_NAME is set, else git.
    Auto,
    /// The GitHub Actions environment.
    Workflow,
    /// The local git repository.
    Git,
}

/// A usage error or bad input (exit 2).
fn usage(error: impl Into<anyhow::Error>) -> Error {
    Error::new(ErrorKind::Usage, error)
}

/// Bad input: an event payload that is not JSON, a `--repo` that is not a git repository
/// (exit 2).
fn bad_input(error: impl Into<anyhow::Error>) -> Error {
    Error::new(ErrorKind::BadInput, error)
}

/// A file that cannot be written: stdout, `GITHUB_OUTPUT` (exit 3).
fn runtime(error: impl Into<anyhow::Error>) -> Error {
    Error::new(ErrorKind::Io, error)
}

/// Runs `ferry-tag` with this command line (the program name first): the binary's `main`,
/// and `ferry tag` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-tag: error", run)
}

fn env(name: &str) -> Option<String> {
    ferry_cli::env::var(name)
}

fn lines(values: &[String]) -> Vec<String> {
    values.iter().flat_map(|v| input_lines(v)).collect()
}

fn run(cli: Cli) -> Result<()> {
    let now = cli.now.unwrap_or_else(Timestamp::now);
    let short_sha_length =
        match env(names::DOCKER_METADATA_SHORT_SHA_LENGTH).filter(|v| !v.is_empty()) {
            Some(v) => v.trim().parse().map_err(|_| {
                usage(anyhow!(
                    "DOCKER_METADATA_SHORT_SHA_LENGTH is not a valid number: {v:?}"
                ))
            })?,
            None => 7,
        };
    let levels: Vec<String> = cli
        .annotation_levels
        .clone()
        .or_else(|| env(names::DOCKER_METADATA_ANNOTATIONS_LEVELS).filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "manifest".to_string())
        .split(',')
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let inputs = Inputs {
        images: lines(&cli.images),
        tags: lines(&cli.tags),
        flavor: lines(&cli.flavor),
        labels: lines(&cli.labels),
        annotations: lines(&cli.annotations),
    };
    let gathered = context::gather(&cli, now)?;
    let meta = Meta::compute(
        &inputs,
        &gathered.context,
        &gathered.repo,
        Options {
            now,
            short_sha_length,
        },
    )
    .map_err(usage)?;
    for w in &meta.warnings {
        eprintln!("ferry-tag: warning: {w}");
    }
    if gathered.git.as_ref().and_then(|g| g["dirty"].as_bool()) == Some(true) {
        eprintln!(
            "ferry-tag: warning: the working tree has uncommitted changes; {} does not describe them",
            gathered.context.sha
        );
    }
    let annotations = meta.leveled_annotations(&levels);
    let version = meta.version.main.clone().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let printed = match cli.format {
        Format::Text => {
            let mut s = format!("version: {version}\n");
            for (title, items, sep) in [
                ("tags", &meta.tags, &cli.sep_tags),
                ("labels", &meta.labels, &cli.sep_labels),
                ("annotations", &annotations, &cli.sep_annotations),
            ] {
                s.push_str(&format!("{title}:\n"));
                if !items.is_empty() {
                    s.push_str(&items.join(sep));
                    s.push('\n');
                }
            }
            s
        }
        Format::Json => {
            let mut doc = meta.json(&levels);
            doc["version"] = json!(version);
            doc["latest"] = json!(meta.version.latest);
            doc["context"] = json!({
                "source": gathered.source,
                "event": gathered.context.event_name,
                "ref": gathered.context.git_ref,
                "sha": gathered.context.sha,
            });
            if let Some(git) = &gathered.git {
                doc["context"]["git"] = git.clone();
            }
            doc["warnings"] = json!(meta.warnings);
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
    };
    out.write_all(printed.as_bytes())
        .context("cannot write to stdout")
        .map_err(runtime)?;

    // Every value in the delimiter form, as `core.setOutput` writes them.
    let github_output = GithubOutput::from_env().always_delimited();
    if github_output.path().is_some() {
        let outputs = [
            ("version", version.clone()),
            ("tags", meta.tags.join(&cli.sep_tags)),
            ("tag-names", meta.tag_names.join(&cli.sep_tags)),
            ("labels", meta.labels.join(&cli.sep_labels)),
            ("annotations", annotations.join(&cli.sep_annotations)),
            ("json", meta.json(&levels).to_string()),
        ];
        github_output.write(&outputs).map_err(runtime)?;
    }
    Ok(())
}
