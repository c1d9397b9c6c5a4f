//! `cargo xtask bench kustomize [--overlays N]`: how much faster `ferry-validate` resolves overlays
//! than `kubectl kustomize` renders them.
//!
//! Generates N (default 300) overlays over a shared base in a temporary repository, then times one
//! `ferry-validate` run (release build) over all of them and `kubectl kustomize` on each one, and
//! prints both times and their ratio. Target: at least 50 times faster.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::bench::show;
use crate::build_release_bins;

const TARGET_RATIO: f64 = 50.0;

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let count = match args {
        [] => 300,
        ["--overlays", n] => n.parse().context("--overlays takes a number")?,
        _ => bail!("usage: cargo xtask bench kustomize [--overlays N]"),
    };
    let bin = build_release_bins(&["ferry-validate"])?.join("ferry-validate");
    let repo = tempfile::tempdir()?;
    let overlays = generate(repo.path(), count)?;
    println!("generated {count} overlays in {}", repo.path().display());

    let start = Instant::now();
    let out = Command::new(&bin)
        .arg("--root")
        .arg(repo.path())
        .arg("--format")
        .arg("json")
        .args(&overlays)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let ferry = start.elapsed();
    ensure!(
        out.status.success(),
        "ferry-validate failed: {}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let workloads: usize = report["overlays"]
        .as_array()
        .context("no overlays in the report")?
        .iter()
        .map(|o| o["workloads"].as_array().map_or(0, Vec::len))
        .sum();
    ensure!(
        workloads == count * 3,
        "expected {} workloads, got {workloads}",
        count * 3
    );

    let start = Instant::now();
    for dir in &overlays {
        let status = Command::new("kubectl")
            .arg("kustomize")
            .arg(dir)
            .stdout(Stdio::null())
            .status()
            .context("cannot run kubectl (is it installed?)")?;
        ensure!(
            status.success(),
            "kubectl kustomize {} failed",
            dir.display()
        );
    }
    let kubectl = start.elapsed();

    let ratio = kubectl.as_secs_f64() / ferry.as_secs_f64();
    println!(
        "ferry-validate, all {count} overlays (one run): {}",
        show(ferry)
    );
    println!(
        "kubectl kustomize, each of {count} overlays:     {}",
        show(kubectl)
    );
    println!("ratio: {ratio:.1}x faster (target: {TARGET_RATIO}x)");
    ensure!(
        ratio >= TARGET_RATIO,
        "ferry-validate is only {ratio:.1}x faster, below the {TARGET_RATIO}x target"
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("files sit in directories"))?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// A shared base (three workloads) and `count` overlays with namespace, prefix, images and a patch.
fn generate(root: &Path, count: usize) -> Result<Vec<PathBuf>> {
    let base = root.join("base");
    let mut resources = String::new();
    for (name, image) in [
        ("backend", "registry.example.com/acme/backend:1.0.0"),
        ("frontend", "registry.example.com/acme/frontend:1.0.0"),
        ("worker", "registry.example.com/acme/worker:1.0.0"),
    ] {
        writeln!(resources, "- {name}.yaml")?;
        write(
            &base.join(format!("{name}.yaml")),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    \
                 app: {name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: \
                 {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    \
                 spec:\n      initContainers:\n        - name: init\n          image: \
                 busybox:1.36\n      containers:\n        - name: {name}\n          image: \
                 {image}\n          ports:\n            - containerPort: 8080\n"
            ),
        )?;
    }
    write(
        &base.join("kustomization.yaml"),
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n\
             {resources}labels:\n  - pairs:\n      team: shop\n"
        ),
    )?;
    let mut dirs = Vec::with_capacity(count);
    for i in 0..count {
        let dir = root.join(format!("overlays/env-{i:03}"));
        write(
            &dir.join("kustomization.yaml"),
            &format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: \
                 env-{i}\nnamePrefix: e{i}-\nresources:\n  - ../../base\npatches:\n  - path: \
                 replicas.yaml\nimages:\n  - name: registry.example.com/acme/backend\n    \
                 newTag: \"1.{i}.0\"\n  - name: registry.example.com/acme/frontend\n    newTag: \
                 \"2.{i}.0\"\n  - name: busybox\n    newName: registry.example.com/mirror/busybox\n"
            ),
        )?;
        write(
            &dir.join("replicas.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  \
             template:\n    spec:\n      containers:\n        - name: worker\n          image: \
             registry.example.com/acme/worker:hotfix\n",
        )?;
        dirs.push(dir);
    }
    Ok(dirs)
}
