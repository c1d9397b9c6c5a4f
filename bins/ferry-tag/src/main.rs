//! `ferry-tag`: compute the image tags, OCI labels and annotations a build pushes, with the rules
//! of docker/metadata-action.

mod git;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow};
use clap::{Parser, ValueEnum};
use ferry_cli::env as names;
use ferry_cli::{ErrorKind, Format, GithubOutput};
use ferry_image::meta::{
    Context, Inputs, Meta, Options, RepoInfo, context_from_github, input_lines,
};
use jiff::Timestamp;
use serde_json::{Value, json};

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

/// An error with its kind (which fixes the exit code).
struct Failure {
    kind: ErrorKind,
    error: anyhow::Error,
}

/// A usage error or bad input (exit 2).
fn usage(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        kind: ErrorKind::Usage,
        error: error.into(),
    }
}

/// Bad input: an event payload that is not JSON, a `--repo` that is not a git repository
/// (exit 2).
fn bad_input(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        kind: ErrorKind::BadInput,
        error: error.into(),
    }
}

/// A file that cannot be read or written: stdout, `GITHUB_OUTPUT`, the event payload (exit 3).
fn runtime(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        kind: ErrorKind::Io,
        error: error.into(),
    }
}

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = cli.format == Format::Json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => ferry_cli::report::fail("ferry-tag: error", json, f.kind, f.error.as_ref()),
    }
}

fn env(name: &str) -> Option<String> {
    ferry_cli::env::var(name)
}

fn lines(values: &[String]) -> Vec<String> {
    values.iter().flat_map(|v| input_lines(v)).collect()
}

/// The context source's description for the output.
struct Gathered {
    context: Context,
    repo: RepoInfo,
    source: &'static str,
    git: Option<Value>,
}

fn gather(cli: &Cli, now: Timestamp) -> Result<Gathered, Failure> {
    let github = env(names::GITHUB_ACTIONS).as_deref() == Some("true")
        || env(names::GITHUB_EVENT_NAME).is_some_and(|e| !e.is_empty());
    let use_workflow = match cli.context {
        Source::Auto => github,
        Source::Workflow => true,
        Source::Git => false,
    };
    if use_workflow {
        return workflow_context(now);
    }
    let local = git::read(&cli.repo).map_err(bad_input)?;
    let git = json!({
        "dirty": local.dirty,
        "tags_at_head": local.tags_at_head,
    });
    Ok(Gathered {
        context: local.context,
        repo: local.repo,
        source: "git",
        git: Some(git),
    })
}

fn workflow_context(now: Timestamp) -> Result<Gathered, Failure> {
    let vars: BTreeMap<String, String> = ferry_cli::env::github_workflow();
    let payload = match vars.get(names::GITHUB_EVENT_PATH).filter(|p| !p.is_empty()) {
        Some(path) if std::path::Path::new(path).exists() => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the event payload {path}"))
                .map_err(runtime)?;
            serde_json::from_str(&text)
                .with_context(|| format!("the event payload {path} is not valid JSON"))
                .map_err(bad_input)?
        }
        _ => json!({}),
    };
    let pr_head_sha =
        env(names::DOCKER_METADATA_PR_HEAD_SHA).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Like metadata-action: the payload's commit date first; then (instead of the GitHub API)
    // the commit in the checked-out repository; then the current time.
    let workspace = vars
        .get("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let context = context_from_github(&vars, payload, pr_head_sha, |sha| {
        git::commit_time(&workspace, sha).unwrap_or(now)
    });
    let mut repo = context
        .payload
        .get("repository")
        .map(RepoInfo::from_github_json)
        .unwrap_or_default();
    if let Some(full) = vars.get(names::GITHUB_REPOSITORY).filter(|r| !r.is_empty()) {
        if repo.name.is_empty() {
            repo.name = full.rsplit('/').next().unwrap_or(full).to_string();
        }
        if repo.html_url.is_empty() {
            repo.html_url = format!("{}/{full}", ferry_cli::env::github_server_url());
        }
    }
    Ok(Gathered {
        context,
        repo,
        source: "workflow",
        git: None,
    })
}

fn run(cli: Cli) -> Result<(), Failure> {
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
        .or_else(|| env("DOCKER_METADATA_ANNOTATIONS_LEVELS").filter(|v| !v.is_empty()))
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
    let gathered = gather(&cli, now)?;
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
