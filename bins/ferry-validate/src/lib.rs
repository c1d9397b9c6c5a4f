//! `ferry-validate`: check Kustomize overlays and list the workloads and images they render.
//!
//! Exit codes: 0 when every overlay is valid, 1 when any is invalid, 2 on usage errors (bad
//! arguments, unreadable `ferry.toml`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use ferry_cli::paths::{absolute, overlay_root};
use ferry_cli::{ErrorKind, Format, WithKind as _};
use ferry_config::Config;
use ferry_kustomize::{
    Finding, LoadRestrictor, Resolution, ResolveOptions, Severity, Workload, check_overlay_with,
};
use serde::Serialize;

mod print;

/// Check Kustomize overlays without kustomize and list the workloads and images they render.
///
/// Without OVERLAY_DIR arguments, every environment of ferry.toml is checked. Each problem names
/// its file, line and column and says what to do; deprecated fields are warnings.
#[derive(Debug, Parser)]
#[command(name = "ferry-validate", version, about, long_about)]
struct Cli {
    /// Overlay directories to check (default: every environment in the config file).
    #[arg(value_name = "OVERLAY_DIR")]
    overlays: Vec<PathBuf>,
    /// The Ferry config file (default: the nearest ferry.toml in the current directory or above);
    /// overlay paths are relative to its directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Repository root no resource may leave (default: the config file's directory, else the
    /// nearest directory holding `.git` above the overlay, else the current directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The JSON report (its shape is relied on by other tools).
#[derive(Debug, Serialize)]
struct Report {
    overlays: Vec<OverlayReport>,
}

#[derive(Debug, Serialize)]
struct OverlayReport {
    #[serde(skip)]
    environment: Option<String>,
    path: String,
    valid: bool,
    errors: Vec<Location>,
    warnings: Vec<Location>,
    workloads: Vec<Workload>,
}

#[derive(Debug, Serialize)]
struct Location {
    file: String,
    line: u64,
    column: u64,
    message: String,
}

/// One overlay to check.
struct Target {
    environment: Option<String>,
    /// The path as shown to the user.
    shown: String,
    dir: PathBuf,
    root: PathBuf,
    /// Finding paths are shown relative to this directory.
    base: PathBuf,
    /// How to resolve (the config's `[kustomize]`; kustomize's defaults without a config).
    options: ResolveOptions,
}

/// Runs `ferry-validate` with this command line (the program name first): the binary's `main`,
/// and `ferry validate` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_from(args, "ferry-validate", |cli: Cli| {
        let targets = targets(&cli).with_kind(ErrorKind::BadInput)?;
        let report = Report {
            overlays: targets.iter().map(check).collect(),
        };
        match cli.format {
            Format::Json => print::json(&report),
            Format::Text => print::text(&report),
        }
        .with_kind(ErrorKind::Io)?;
        let valid = report.overlays.iter().all(|o| o.valid);
        ferry_cli::github_output::write(&[("valid", valid.to_string())])?;
        Ok(if valid { 0 } else { 1 })
    })
}

fn targets(cli: &Cli) -> Result<Vec<Target>> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = match (&cli.config, cli.overlays.is_empty()) {
        (Some(path), _) => Some(load_config(path)?),
        (None, true) => Some(load_config(&discover_config(&cwd)?)?),
        (None, false) => None,
    };
    let config_root = config.as_ref().map(|c| absolute(&cwd, &c.root));
    let options = ResolveOptions {
        load_restrictor: match config.as_ref().map(|c| c.kustomize.load_restrictor) {
            Some(ferry_config::LoadRestrictor::None) => LoadRestrictor::None,
            _ => LoadRestrictor::RootOnly,
        },
    };
    if cli.overlays.is_empty() {
        let config = config.expect("loaded above");
        let base = config_root.expect("set with config");
        let root = cli
            .root
            .as_ref()
            .map_or_else(|| base.clone(), |r| absolute(&cwd, r));
        if config.environments().is_empty() {
            anyhow::bail!(
                "{} defines no [[environment]]; add one or pass OVERLAY_DIR arguments",
                config.path.display()
            );
        }
        return Ok(config
            .environments()
            .iter()
            .map(|env| Target {
                environment: Some(env.name.clone()),
                shown: env.overlay.to_string_lossy().replace('\\', "/"),
                dir: base.join(&env.overlay),
                root: root.clone(),
                base: base.clone(),
                options: options.clone(),
            })
            .collect());
    }
    Ok(cli
        .overlays
        .iter()
        .map(|dir| {
            let full = absolute(&cwd, dir);
            let root = overlay_root(&cwd, cli.root.as_deref(), config_root.as_deref(), &full);
            Target {
                environment: None,
                shown: dir.to_string_lossy().replace('\\', "/"),
                dir: full,
                root,
                base: cwd.clone(),
                options: options.clone(),
            }
        })
        .collect())
}

/// The nearest `ferry.toml` in `cwd` or above, as the other binaries find it.
fn discover_config(cwd: &Path) -> Result<PathBuf> {
    Config::discover(cwd).ok_or_else(|| {
        anyhow::anyhow!(
            "no {} in {} or above; pass --config FILE or OVERLAY_DIR arguments",
            ferry_config::FILE_NAME,
            cwd.display()
        )
    })
}

fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| {
        if path.exists() {
            anyhow::anyhow!("{e}")
        } else {
            anyhow::anyhow!("{e} (pass --config FILE or OVERLAY_DIR arguments)")
        }
    })
}

fn check(t: &Target) -> OverlayReport {
    let resolution =
        check_overlay_with(&t.root, &t.dir, &t.options).unwrap_or_else(|e| Resolution {
            workloads: Vec::new(),
            findings: vec![Finding {
                severity: Severity::Error,
                file: t.dir.clone(),
                line: 0,
                column: 0,
                message: format!("{e}; check the overlay path"),
            }],
            ..Resolution::default()
        });
    let base = t.base.canonicalize().unwrap_or_else(|_| t.base.clone());
    let loc = |f: &Finding| Location {
        file: shown_path(&base, &f.file),
        line: f.line,
        column: f.column,
        message: f.message.clone(),
    };
    OverlayReport {
        environment: t.environment.clone(),
        path: t.shown.clone(),
        valid: resolution.is_valid(),
        errors: resolution.errors().map(loc).collect(),
        warnings: resolution.warnings().map(loc).collect(),
        workloads: resolution.workloads,
    }
}

fn shown_path(base: &Path, file: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}
