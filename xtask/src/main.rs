//! `cargo xtask`: developer tasks for Ferry.
//!
//! - `cargo xtask demo`: the main job on a fresh machine.
//! - `cargo xtask ci`: what CI runs (fmt, clippy, tests).
//! - `cargo xtask bench kustomize|monitor|ledger`: the speed targets.

mod bench_kustomize;
mod bench_ledger;
mod bench_monitor;
mod demo;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <demo [--bin-dir DIR] | ci | bench kustomize | bench monitor | bench ledger>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["demo"] => demo(None),
        ["demo", "--bin-dir", dir] => demo(Some(PathBuf::from(dir))),
        ["ci"] => ci(),
        ["bench", "kustomize", rest @ ..] => bench_kustomize::run(rest),
        ["bench", "monitor", rest @ ..] => bench_monitor::run(rest),
        ["bench", "ledger", rest @ ..] => bench_ledger::run(rest),
        _ => bail!("{USAGE}"),
    }
}

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits below the workspace root")
        .to_path_buf()
}

/// Runs a command in the workspace root and fails when it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds the release binaries and returns the directory holding them.
pub(crate) fn build_release_bins(packages: &[&str]) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--quiet"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    run(&mut cmd)?;
    Ok(target_dir().join("release"))
}

/// The main job: the end-to-end demo ([`mod@demo`]) with the binaries of `bin_dir`, or freshly
/// built debug binaries.
fn demo(bin_dir: Option<PathBuf>) -> Result<()> {
    let bins = match bin_dir {
        Some(dir) => dir,
        None => build_bins(&DEMO_BINS)?,
    };
    demo::run(&bins)
}

/// The packages whose binaries the demo runs.
const DEMO_BINS: [&str; 7] = [
    "ferry",
    "ferry-tag",
    "ferry-pr",
    "ferry-promote",
    "ferry-monitor",
    "ferry-rollback",
    "ferry-ledger",
];

/// Builds the debug binaries of `packages` and returns the directory holding them.
fn build_bins(packages: &[&str]) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.args(["build", "--quiet", "--locked"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    run(&mut cmd)?;
    Ok(target_dir().join("debug"))
}

fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    root().join(dir)
}

/// Copies the directory tree `from` to `to` (files and directories only).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// What CI checks, in order: formatting, lints, tests.
fn ci() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args(["test", "--workspace", "--locked"]))
}
