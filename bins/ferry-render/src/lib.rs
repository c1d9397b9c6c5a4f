//! `ferry-render`: the `kustomize build` output of overlays, byte-identical to `kubectl
//! kustomize` (kustomize v5.5) for everything Ferry supports, from the working tree or from a
//! Git revision (`--at`), without kustomize or a cluster.
//!
//! Exit codes: 0 rendered, 2 usage errors and overlays that are invalid or use a field Ferry
//! does not render (named in the error), 3 when files or Git objects cannot be read.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use ferry_cli::paths::{absolute, overlay_root};
use ferry_cli::{Error, ErrorKind, Format};
use ferry_config::Config;
use ferry_kustomize::ResolveOptions;
use ferry_kustomize::render::{Rendered, render_overlays_in};
use ferry_kustomize::{FsSource, ParseCache};
use serde::Serialize;

/// Render Kustomize overlays as `kubectl kustomize` prints them, byte for byte.
///
/// Without OVERLAY or --env, the current directory is rendered. `--env ENV` renders the
/// overlay ferry.toml gives the environment. With `--at REV`, files are read from that Git
/// revision, not from the working tree. Overlays using fields Ferry does not render exactly
/// (Helm charts, plugins other than label, annotation and image transformers, replacements,
/// vars, configurations, …) are refused with the field and the kustomization file named.
#[derive(Debug, Parser)]
#[command(name = "ferry-render", version, about, long_about)]
struct Cli {
    /// Overlay directories (or kustomization files) to render.
    #[arg(value_name = "OVERLAY")]
    overlays: Vec<PathBuf>,
    /// Render the overlay of this environment of ferry.toml (repeatable).
    #[arg(long, value_name = "ENV")]
    env: Vec<String>,
    /// Render from this Git revision (branch, tag, commit, `HEAD~1`) instead of the working tree.
    #[arg(long, value_name = "REV")]
    at: Option<String>,
    /// The Ferry config file (default: the nearest ferry.toml in the current directory or above).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Repository root no resource may leave (default: the config file's directory, else the
    /// nearest directory holding `.git` above the overlay, else the current directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Output format: the YAML stream (text) or a JSON document of the objects.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// One overlay to render.
struct Target {
    environment: Option<String>,
    /// As the user named it.
    shown: String,
    /// Absolute directory in the working tree.
    dir: PathBuf,
}

/// The JSON output.
#[derive(Serialize)]
struct Report<'a> {
    overlays: Vec<OverlayReport<'a>>,
}

#[derive(Serialize)]
struct OverlayReport<'a> {
    overlay: &'a str,
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<&'a str>,
    objects: Vec<ObjectReport<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectReport<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    object: &'a serde_json::Value,
}

/// Runs `ferry-render` with this command line (the program name first): the binary's `main`,
/// and `ferry render` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-render", run)
}

fn run(cli: Cli) -> ferry_cli::Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::new(ErrorKind::Io, e))?;
    let config = match &cli.config {
        Some(path) => Some(Config::load(path).map_err(|e| Error::bad_input(e.to_string()))?),
        None => match Config::discover(&cwd) {
            Some(path) if !cli.env.is_empty() || cli.overlays.is_empty() => {
                Some(Config::load(&path).map_err(|e| Error::bad_input(e.to_string()))?)
            }
            _ => None,
        },
    };
    if !cli.env.is_empty() && config.is_none() {
        return Err(Error::usage(format!(
            "--env needs a {} (none in {} or above); pass --config FILE",
            ferry_config::FILE_NAME,
            cwd.display()
        )));
    }
    let options = config
        .as_ref()
        .map(ferry_ledger::resolve_options)
        .unwrap_or_default();
    let config_root = config.as_ref().map(|c| absolute(&cwd, &c.root));
    let mut targets = Vec::new();
    for name in &cli.env {
        let config = config.as_ref().expect("checked above");
        let env = config
            .require_environment(name)
            .map_err(|e| Error::usage(e.to_string()))?;
        let base = config_root.clone().expect("set with config");
        targets.push(Target {
            environment: Some(name.clone()),
            shown: env.overlay.to_string_lossy().replace('\\', "/"),
            dir: base.join(&env.overlay),
        });
    }
    for dir in &cli.overlays {
        targets.push(Target {
            environment: None,
            shown: dir.to_string_lossy().replace('\\', "/"),
            dir: absolute(&cwd, dir),
        });
    }
    if targets.is_empty() {
        targets.push(Target {
            environment: None,
            shown: ".".into(),
            dir: cwd.clone(),
        });
    }
    let rendered: Vec<Rendered> = match &cli.at {
        None => {
            let roots: Vec<PathBuf> = targets
                .iter()
                .map(|t| overlay_root(&cwd, cli.root.as_deref(), config_root.as_deref(), &t.dir))
                .collect();
            let jobs: Vec<(&Path, &Path)> = roots
                .iter()
                .zip(&targets)
                .map(|(root, t)| (root.as_path(), t.dir.as_path()))
                .collect();
            // One thread renders them all; the overlays' shared bases are parsed once.
            render_overlays_in(&FsSource, &ParseCache::new(), &jobs, &options)
                .into_iter()
                .collect::<Result<_, _>>()?
        }
        Some(rev) => targets
            .iter()
            .map(|t| render_at(rev, &t.dir, &options))
            .collect::<Result<_, _>>()?,
    };
    let mut out = std::io::stdout().lock();
    match cli.format {
        Format::Text => {
            let text: Vec<String> = rendered
                .iter()
                .map(Rendered::to_yaml)
                .filter(|s| !s.is_empty())
                .collect();
            out.write_all(text.join("---\n").as_bytes())
        }
        Format::Json => {
            let report = Report {
                overlays: targets
                    .iter()
                    .zip(&rendered)
                    .map(|(t, r)| OverlayReport {
                        overlay: &t.shown,
                        environment: t.environment.as_deref(),
                        at: cli.at.as_deref(),
                        objects: r
                            .objects
                            .iter()
                            .map(|o| ObjectReport {
                                api_version: &o.api_version,
                                kind: &o.kind,
                                namespace: o.namespace.as_deref(),
                                name: &o.name,
                                object: &o.value,
                            })
                            .collect(),
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(std::io::Error::other)
                .and_then(|()| out.write_all(b"\n"))
        }
    }
    .map_err(|e| Error::new(ErrorKind::Io, e))?;
    let count: usize = rendered.iter().map(|r| r.objects.len()).sum();
    ferry_cli::github_output::write(&[("objects", count.to_string())])?;
    Ok(0)
}

/// Renders the overlay at working-tree directory `dir` from revision `rev` of the repository
/// that holds it.
fn render_at(rev: &str, dir: &Path, options: &ResolveOptions) -> ferry_cli::Result<Rendered> {
    // The overlay need not exist in the working tree: the repository is found from the
    // nearest directory above it that does.
    let start = dir.ancestors().find(|d| d.is_dir()).unwrap_or(dir);
    let repo = ferry_git::Repo::discover(start)?;
    let workdir = repo.workdir().ok_or_else(|| {
        Error::usage("--at needs a repository with a working tree to place the overlay in")
    })?;
    let workdir = workdir
        .canonicalize()
        .map_err(|e| Error::new(ErrorKind::Io, e))?;
    let dir = normalize(dir);
    let placed = dir
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .ok()
        .or_else(|| {
            // The overlay may not exist in the working tree: place it by its parent.
            let parent = dir.parent()?.canonicalize().ok()?;
            let full = parent.join(dir.file_name()?);
            full.strip_prefix(&workdir).ok().map(Path::to_path_buf)
        });
    let rel = placed.ok_or_else(|| {
        Error::usage(format!(
            "{} is not inside the repository at {}",
            dir.display(),
            workdir.display()
        ))
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(ferry_ledger::render_at(&repo, rev, &rel, options)?)
}

/// `p` with `.` and `..` removed lexically, symbolic links resolved where it exists.
fn normalize(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
