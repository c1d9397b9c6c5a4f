//! `cargo xtask`: developer tasks for Ferry.
//!
//! - `cargo xtask demo`: the main job on a fresh machine.
//! - `cargo xtask ci`: fmt, clippy, `cargo doc` without warnings, tests.
//! - `cargo xtask bench all|kustomize|monitor|ledger|render|status`: the speed targets (`all`: every ratio
//!   against the tool a user would pick instead, in one run).
//! - `cargo xtask fuzz [--time 10m] [TARGET...]`: the fuzz targets of `fuzz/` (nightly).
//! - `cargo xtask dist [--bin-dir DIR] [--out DIR]`: the release archive for the host target
//!   and its `SHA256SUMS` ([`mod@dist`]).

mod bench;
mod bench_all;
mod bench_kustomize;
mod bench_ledger;
mod bench_monitor;
mod bench_registry;
mod bench_render;
mod bench_status;
mod demo;
mod dist;
mod fuzz;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <demo [--bin-dir DIR] | ci | bench all [--runs R] [--commits N] | bench kustomize | bench monitor | bench ledger | bench render [--runs N] | bench status | fuzz [--time 10m] [TARGET...] | dist [--bin-dir DIR] [--out DIR]>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["demo"] => demo(None),
        ["demo", "--bin-dir", dir] => demo(Some(PathBuf::from(dir))),
        ["ci"] => ci(),
        ["bench", "all", rest @ ..] => bench_all::run(rest),
        ["bench", "kustomize", rest @ ..] => bench_kustomize::run(rest),
        ["bench", "monitor", rest @ ..] => bench_monitor::run(rest),
        ["bench", "ledger", rest @ ..] => bench_ledger::run(rest),
        ["bench", "render", rest @ ..] => bench_render::run(rest),
        ["bench", "status", rest @ ..] => bench_status::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["dist", rest @ ..] => dist::run(rest),
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
    cmd.args(["build", "--release", "--quiet", "--locked"]);
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
        None => build_bins(&DEMO_PACKAGES)?,
    };
    demo::run(&bins)
}

/// The packages holding the binaries the demo runs ([`demo::BINARIES`]); the binaries of
/// `ferry-image`, `ferry-rollback` and `ferry-ledger` live in the packages `ferry-image-cli`,
/// `ferry-rollback-cli` and `ferry-ledger-cli` (the plain names are the libraries).
const DEMO_PACKAGES: [&str; 8] = [
    "ferry",
    "ferry-set-image",
    "ferry-tag",
    "ferry-pr",
    "ferry-promote",
    "ferry-monitor",
    "ferry-rollback-cli",
    "ferry-ledger-cli",
];

/// Builds the debug binaries of `packages` and returns the directory holding them.
fn build_bins(packages: &[&str]) -> Result<PathBuf> {
    run(&mut build_command(packages))?;
    Ok(target_dir().join("debug"))
}

/// `cargo build --quiet --locked -p PACKAGE…`: the build of [`build_bins`].
fn build_command(packages: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args(["build", "--quiet", "--locked"]);
    for p in packages {
        cmd.args(["-p", p]);
    }
    cmd
}

pub(crate) fn target_dir() -> PathBuf {
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

/// What CI checks, in order: formatting, lints, documentation without warnings, tests (which
/// run every crate's examples).
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
    run(cargo()
        .args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    run(cargo().args(["test", "--workspace", "--locked"]))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The packages a build command names with `-p`.
    fn packages_of(cmd: &Command) -> Vec<String> {
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        args.windows(2)
            .filter(|w| w[0] == "-p")
            .map(|w| w[1].clone())
            .collect()
    }

    /// The binary targets of each workspace package, from `cargo metadata`.
    fn binary_targets() -> std::collections::BTreeMap<String, Vec<String>> {
        dist::packages()
            .expect("cargo metadata")
            .into_iter()
            .map(|p| (p.name, p.bins))
            .collect()
    }

    /// On a fresh clone the demo runs only what its own build command built: every binary it
    /// runs must be a binary target of a package that command names.
    #[test]
    fn the_demo_build_builds_every_binary_the_demo_runs() {
        let targets = binary_targets();
        let packages = packages_of(&build_command(&DEMO_PACKAGES));
        assert_eq!(packages.len(), DEMO_PACKAGES.len());
        for package in &packages {
            assert!(
                targets.get(package).is_some_and(|bins| !bins.is_empty()),
                "the demo build names `{package}`, which has no binary target: {targets:?}"
            );
        }
        for binary in demo::BINARIES {
            let built_by: Vec<&String> = packages
                .iter()
                .filter(|p| targets[*p].iter().any(|b| b == binary))
                .collect();
            assert!(
                !built_by.is_empty(),
                "the demo runs `{binary}`, but none of {packages:?} has that binary target"
            );
        }
    }

    /// A release ships every binary of the workspace ([`dist::binaries`], the packages under
    /// `bins/`): no package elsewhere has one (but xtask), the front end knows exactly its
    /// steps (`STEPS`) and depends on each package, so the one `ferry` binary of the archive
    /// runs them, and the lists kept by hand beside the code name exactly them: the README's
    /// table of binaries and the packages `ferry init`'s workflows install.
    #[test]
    fn the_release_ships_every_binary_of_the_workspace() {
        let binaries = dist::binaries().expect("the release's binaries");
        let names: BTreeSet<&str> = binaries.iter().map(|b| b.name.as_str()).collect();
        assert!(names.len() > 10, "{names:?}");
        for (package, bins) in binary_targets()
            .iter()
            .filter(|(p, b)| !b.is_empty() && *p != "xtask")
        {
            for binary in bins {
                assert!(
                    binaries
                        .iter()
                        .any(|b| &b.name == binary && &b.package == package),
                    "`{binary}` of `{package}` is not a binary of a package under bins/"
                );
            }
        }
        let front_end = std::fs::read_to_string(root().join("bins/ferry/src/main.rs"))
            .expect("read the front end");
        let table = &front_end[front_end.find("const STEPS").expect("STEPS")..];
        let table = &table[..table.find("];").expect("the end of STEPS")];
        let steps: BTreeSet<String> = table
            .split('(')
            .filter_map(|entry| entry.trim_start().strip_prefix('"')?.split_once('"'))
            .map(|(step, _)| format!("ferry-{step}"))
            .collect();
        let want_steps: BTreeSet<String> = names
            .iter()
            .filter(|n| **n != "ferry")
            .map(|n| (*n).to_owned())
            .collect();
        assert_eq!(steps, want_steps, "bins/ferry/src/main.rs STEPS");
        let ferry_manifest = std::fs::read_to_string(root().join("bins/ferry/Cargo.toml"))
            .expect("read bins/ferry/Cargo.toml");
        for b in binaries.iter().filter(|b| b.name != "ferry") {
            assert!(
                ferry_manifest
                    .lines()
                    .any(|l| l.starts_with(&format!("{} = ", b.package))),
                "bins/ferry does not depend on `{}`, so `ferry` cannot run its step",
                b.package
            );
        }
        // The README's table of binaries: one row per binary.
        let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
        let section = &readme[readme.find("## Binaries").expect("a Binaries section")..];
        let rows: BTreeSet<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with("| binary |"))
            .skip(2)
            .take_while(|l| l.starts_with("| `"))
            .filter_map(|l| l.strip_prefix("| `")?.split_once('`'))
            .map(|(name, _)| name)
            .collect();
        assert_eq!(rows, names, "README.md's table of binaries");
        // `ferry init`'s workflows install packages by the binaries they run.
        let init = std::fs::read_to_string(root().join("crates/init/src/workflows.rs"))
            .expect("read crates/init/src/workflows.rs");
        let list = &init[init
            .find("pub const FERRY_PACKAGES")
            .expect("FERRY_PACKAGES")..];
        let list = &list[..list.find("];").expect("the end of FERRY_PACKAGES")];
        let pairs: Vec<(&str, &str)> = list
            .lines()
            .filter_map(|l| {
                let (package, binary) = l.trim().strip_prefix("(\"")?.split_once("\", \"")?;
                Some((package, binary.strip_suffix("\"),")?))
            })
            .collect();
        assert!(pairs.len() > 5, "{pairs:?}");
        for (package, binary) in pairs {
            assert!(
                binaries
                    .iter()
                    .any(|b| b.name == binary && b.package == package),
                "FERRY_PACKAGES pairs `{package}` with `{binary}`, which it does not build"
            );
        }
    }

    /// A `ferry STEP` of the demo outside [`demo::BINARIES`] is refused before it runs.
    #[test]
    fn the_demo_refuses_binaries_it_does_not_build() {
        assert!(demo::binary(Path::new("/bin-dir"), "ferry-image").is_err());
        assert_eq!(
            demo::binary(Path::new("/bin-dir"), "ferry-pr").unwrap(),
            Path::new("/bin-dir/ferry-pr")
        );
    }
}
