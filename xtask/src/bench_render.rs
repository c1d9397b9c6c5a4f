//! `cargo xtask bench render [--runs N]`: how much faster `ferry-render` renders every overlay of
//! the blueprint (`fixtures/blueprint`) than `kubectl kustomize` does.
//!
//! Each run times one `ferry-render` process (release build) rendering all the overlays and
//! `kubectl kustomize` on each overlay; runs alternate (interleaved, so both see the same machine
//! load). The outputs must be byte-identical. Prints the median of each side and their ratio.
//! Target: at least 50 times faster.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::{build_release_bins, root};

const TARGET_RATIO: f64 = 50.0;

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let runs: usize = match args {
        [] => 11,
        ["--runs", n] => n.parse().context("--runs takes a number")?,
        _ => bail!("usage: cargo xtask bench render [--runs N]"),
    };
    let bins = build_release_bins(&["ferry-render"])?;
    let (ferry, kubectl) = measure(&bins, runs)?;
    let ratio = kubectl.as_secs_f64() / ferry.as_secs_f64();
    let n = overlays(&root().join("fixtures/blueprint"))?.len();
    println!(
        "ferry-render, all {n} blueprint overlays (one process, median of {runs}): {}",
        show(ferry)
    );
    println!(
        "kubectl kustomize, each of {n} overlays (median of {runs}):            {}",
        show(kubectl)
    );
    println!("ratio: {ratio:.1}x faster (target: {TARGET_RATIO}x)");
    ensure!(
        ratio >= TARGET_RATIO,
        "ferry-render is only {ratio:.1}x faster, below the {TARGET_RATIO}x target"
    );
    Ok(())
}

/// The medians over `runs` interleaved runs of (one `ferry-render` process from `bin_dir`
/// rendering every blueprint overlay, `kubectl kustomize` on each overlay); fails when their
/// outputs differ. `cargo xtask bench all`'s render row.
pub(crate) fn measure(bin_dir: &Path, runs: usize) -> Result<(Duration, Duration)> {
    ensure!(runs > 0, "--runs must be at least 1");
    let bin = bin_dir.join("ferry-render");
    let blueprint = root().join("fixtures/blueprint");
    let overlays = overlays(&blueprint)?;
    ensure!(
        !overlays.is_empty(),
        "no overlays in {}",
        blueprint.display()
    );
    // Both sides print the same stream: kubectl's documents, overlay after overlay.
    let (mut ferry_times, mut kubectl_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let ferry = run_ferry(&bin, &blueprint, &overlays)?;
        ferry_times.push(start.elapsed());

        let start = Instant::now();
        let mut kubectl = Vec::new();
        for dir in &overlays {
            kubectl.push(run_kubectl(dir)?);
        }
        kubectl_times.push(start.elapsed());
        let kubectl = kubectl
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("---\n");
        ensure!(
            ferry == kubectl,
            "ferry-render's output differs from kubectl kustomize's"
        );
    }
    Ok((median(&mut ferry_times), median(&mut kubectl_times)))
}

/// The overlays of the blueprint, in name order.
fn overlays(blueprint: &Path) -> Result<Vec<PathBuf>> {
    let dir = blueprint.join("infra/k8s/overlays");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("kustomization.yaml").is_file())
        .collect();
    out.sort();
    Ok(out)
}

fn run_ferry(bin: &Path, root: &Path, overlays: &[PathBuf]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--root")
        .arg(root)
        .args(overlays)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    ensure!(out.status.success(), "ferry-render failed: {}", out.status);
    String::from_utf8(out.stdout).context("ferry-render printed non-UTF-8")
}

fn run_kubectl(dir: &Path) -> Result<String> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run kubectl (is it installed?)")?;
    ensure!(
        out.status.success(),
        "kubectl kustomize {} failed",
        dir.display()
    );
    String::from_utf8(out.stdout).context("kubectl printed non-UTF-8")
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn show(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
