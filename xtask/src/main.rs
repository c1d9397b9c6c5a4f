//! `cargo xtask`: developer tasks for Ferry.
//!
//! - `cargo xtask demo`: the main job on a fresh machine.
//! - `cargo xtask ci`: what CI runs (fmt, clippy, tests).
//! - `cargo xtask bench kustomize|monitor|ledger`: the speed targets.

mod bench_kustomize;
mod bench_ledger;
mod bench_monitor;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str =
    "usage: cargo xtask <demo | ci | bench kustomize | bench monitor | bench ledger>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["demo"] => demo(),
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
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    Ok(target.join("release"))
}

/// The main job: until the end-to-end demo exists, validate the blueprint's environments.
fn demo() -> Result<()> {
    let bin = build_release_bins(&["ferry-validate"])?;
    run(Command::new(bin.join("ferry-validate"))
        .arg("--config")
        .arg("fixtures/blueprint/ferry.toml"))
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
