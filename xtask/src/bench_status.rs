//! `cargo xtask bench status [--commits N] [--runs R] [--keep]`: how long `ferry status` and
//! `ferry metrics --since 365d` take on the generated repository of `bench ledger` (N commits,
//! default 10,000, bumping dev, staging and prod in turn).
//!
//! Times `ferry-status --offline --format json` and `ferry-metrics --offline --since 365d
//! --format json` (release build, the best of R runs, default 3), the window ending an hour
//! after the last commit, and checks what they answer: three environments, and as many
//! deployments of each as the generator made. Targets: `ferry status` under 300 ms, `ferry
//! metrics` under 1 s.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::bench_ledger::{best_of, generate, show};
use crate::build_release_bins;

const USAGE: &str = "usage: cargo xtask bench status [--commits N] [--runs R] [--keep]";
const STATUS_TARGET: Duration = Duration::from_millis(300);
const METRICS_TARGET: Duration = Duration::from_secs(1);
/// The generator's first commit time and its step (`bench_ledger::generate`).
const START: i64 = 1_700_000_000;
const STEP: i64 = 60;

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let mut commits = 10_000;
    let mut runs = 3;
    let mut keep = false;
    let mut rest = args;
    loop {
        rest = match rest {
            ["--commits", n, tail @ ..] => {
                commits = n.parse().context("--commits takes a number")?;
                tail
            }
            ["--runs", n, tail @ ..] => {
                runs = n.parse().context("--runs takes a number")?;
                tail
            }
            ["--keep", tail @ ..] => {
                keep = true;
                tail
            }
            [] => break,
            _ => bail!("{USAGE}"),
        };
    }
    ensure!(commits >= 1 && runs >= 1, "{USAGE}");
    let bins = build_release_bins(&["ferry-status", "ferry-metrics"])?;
    let repo = tempfile::tempdir()?;
    let start = Instant::now();
    generate(repo.path(), commits)?;
    println!(
        "generated {commits} commits in {} ({})",
        repo.path().display(),
        show(start.elapsed())
    );
    let last = START + (commits as i64 - 1) * STEP;
    let now = jiff::Timestamp::from_second(last + 3600)
        .context("the generated times are valid")?
        .to_string();

    let mut status_out = Vec::new();
    let status = best_of(runs, || {
        status_out = run_bin(
            &bins.join("ferry-status"),
            repo.path(),
            &["--offline", "--format", "json", "--now", &now],
        )?;
        Ok(())
    })?;
    let report: serde_json::Value =
        serde_json::from_slice(&status_out).context("ferry-status printed no JSON")?;
    let envs = report["environments"]
        .as_array()
        .context("no environments in ferry-status's JSON")?;
    ensure!(
        envs.len() == 3,
        "ferry-status shows {} environments",
        envs.len()
    );

    let mut metrics_out = Vec::new();
    let metrics = best_of(runs, || {
        metrics_out = run_bin(
            &bins.join("ferry-metrics"),
            repo.path(),
            &[
                "--offline",
                "--format",
                "json",
                "--since",
                "365d",
                "--now",
                &now,
            ],
        )?;
        Ok(())
    })?;
    let report: serde_json::Value =
        serde_json::from_slice(&metrics_out).context("ferry-metrics printed no JSON")?;
    let counts: Vec<u64> = report["environments"]
        .as_array()
        .context("no environments in ferry-metrics's JSON")?
        .iter()
        .map(|e| e["deployment_frequency"]["count"].as_u64().unwrap_or(0))
        .collect();
    // The root commit deploys every environment; then each third commit bumps one of them.
    let expected: Vec<u64> = (0..3)
        .map(|e| {
            1 + (0..commits.saturating_sub(1))
                .filter(|n| n % 3 == e)
                .count() as u64
        })
        .collect();
    ensure!(
        counts == expected,
        "ferry-metrics counted {counts:?} deployments, the generator made {expected:?}"
    );

    println!("ferry status --offline:             {}", show(status));
    println!(
        "ferry metrics --since 365d ({} deployments): {}",
        counts.iter().sum::<u64>(),
        show(metrics)
    );
    if keep {
        println!("kept the repository: {}", repo.keep().display());
    }
    let mut missed = Vec::new();
    if status >= STATUS_TARGET {
        missed.push(format!(
            "ferry status took {}, above {} ms",
            show(status),
            STATUS_TARGET.as_millis()
        ));
    }
    if metrics >= METRICS_TARGET {
        missed.push(format!(
            "ferry metrics took {}, above {} s",
            show(metrics),
            METRICS_TARGET.as_secs()
        ));
    }
    if missed.is_empty() {
        println!(
            "targets met: status under {} ms, metrics under {} s (best of {runs})",
            STATUS_TARGET.as_millis(),
            METRICS_TARGET.as_secs()
        );
        Ok(())
    } else {
        bail!("{}", missed.join("; "))
    }
}

fn run_bin(bin: &Path, dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    ensure!(
        out.status.success(),
        "{} failed: {}",
        bin.display(),
        out.status
    );
    Ok(out.stdout)
}
