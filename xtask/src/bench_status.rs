//! `cargo xtask bench status [--commits N] [--runs R] [--keep]`: how long `ferry status` and
//! `ferry metrics --since 365d` take on the generated repository of `bench ledger` (N commits,
//! default 10,000, bumping dev, staging and prod in turn), cold and warm.
//!
//! Times `ferry-status --offline --format json` and `ferry-metrics --offline --since 365d
//! --format json` (release build), the window ending an hour after the last commit. Each of R
//! rounds (default 5) removes the ledger cache (`.git/ferry/ledger-cache`), times a cold run,
//! then a warm run (the cache the cold run left); medians are printed. Checks what they answer:
//! three environments, as many deployments of each as the generator made, and the same answer
//! cold and warm. Targets (issue 18): `ferry status` under 300 ms, `ferry metrics` under 1 s;
//! each of cold and warm is said met or not met, and the command fails when one is not met.
//!
//! [`print_section`] is what `cargo xtask bench all` calls.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::bench::median;
use crate::bench_ledger::generate;
use crate::build_release_bins;

const USAGE: &str = "usage: cargo xtask bench status [--commits N] [--runs R] [--keep]";
const STATUS_TARGET: Duration = Duration::from_millis(300);
const METRICS_TARGET: Duration = Duration::from_secs(1);
/// The generator's first commit time and its step (`bench_ledger::generate`).
const START: i64 = 1_700_000_000;
const STEP: i64 = 60;

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let crate::bench::RepoArgs {
        commits,
        runs,
        keep,
    } = crate::bench::repo_args(args, USAGE)?;
    let bins = build_release_bins(&["ferry-status", "ferry-metrics"])?;
    let repo = tempfile::tempdir()?;
    let measured = measure(
        &bins.join("ferry-status"),
        &bins.join("ferry-metrics"),
        repo.path(),
        commits,
        runs,
    )?;
    measured.print();
    if keep {
        println!("kept the repository: {}", repo.keep().display());
    }
    let missed = measured.missed();
    if missed.is_empty() {
        println!("targets met, cold and warm");
        Ok(())
    } else {
        bail!("targets not met: {}", missed.join("; "))
    }
}

/// Generates the repository in a temporary directory, measures `status` and `metrics` (the
/// `ferry-status` and `ferry-metrics` programs, or links to the multi-call `ferry`) and prints
/// a Markdown section: medians cold and warm, targets, met or not. For `cargo xtask bench all`;
/// a target not met is printed, not an error.
pub(crate) fn print_section(
    status: &Path,
    metrics: &Path,
    commits: usize,
    runs: usize,
) -> Result<()> {
    println!("\n## cargo xtask bench status");
    let repo = tempfile::tempdir()?;
    let measured = measure(status, metrics, repo.path(), commits, runs)?;
    measured.print();
    Ok(())
}

/// Medians of one program, cold and warm.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColdWarm {
    /// No ledger cache.
    pub cold: Duration,
    /// The cache a cold run left.
    pub warm: Duration,
}

/// What [`measure`] measured.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    pub commits: usize,
    pub runs: usize,
    /// Deployments counted by `ferry metrics` (all environments).
    pub deployments: u64,
    pub status: ColdWarm,
    pub metrics: ColdWarm,
}

impl Measured {
    fn rows(&self) -> [(String, ColdWarm, Duration); 2] {
        [
            (
                "`ferry status --offline`".to_owned(),
                self.status,
                STATUS_TARGET,
            ),
            (
                format!(
                    "`ferry metrics --offline --since 365d` ({} deployments)",
                    self.deployments
                ),
                self.metrics,
                METRICS_TARGET,
            ),
        ]
    }

    /// A Markdown table of the medians, targets and verdicts.
    pub(crate) fn print(&self) {
        println!(
            "\n{} commits, 3 environments; medians of {} runs each (cold: cache removed before \
             each run).\n",
            self.commits, self.runs
        );
        println!("| what | cold | warm | target | cold | warm |");
        println!("|---|---:|---:|---|---|---|");
        for (what, t, target) in self.rows() {
            println!(
                "| {what} | {} | {} | under {} | {} | {} |",
                ms(t.cold),
                ms(t.warm),
                ms(target),
                verdict(t.cold, target),
                verdict(t.warm, target)
            );
        }
    }

    /// The targets not met, said as sentences.
    pub(crate) fn missed(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (what, t, target) in self.rows() {
            for (which, d) in [("cold", t.cold), ("warm", t.warm)] {
                if d >= target {
                    out.push(format!(
                        "{what} {which} took {}, target {}",
                        ms(d),
                        ms(target)
                    ));
                }
            }
        }
        out
    }
}

fn verdict(d: Duration, target: Duration) -> &'static str {
    if d < target { "met" } else { "not met" }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// Generates `commits` commits in `dir` and times both programs there, `runs` rounds each.
pub(crate) fn measure(
    status_bin: &Path,
    metrics_bin: &Path,
    dir: &Path,
    commits: usize,
    runs: usize,
) -> Result<Measured> {
    let start = Instant::now();
    generate(dir, commits)?;
    println!(
        "generated {commits} commits in {} ({:.1} s)",
        dir.display(),
        start.elapsed().as_secs_f64()
    );
    let last = START + (commits as i64 - 1) * STEP;
    let now = jiff::Timestamp::from_second(last + 3600)
        .context("the generated times are valid")?
        .to_string();
    let cache = ledger_cache(dir)?;

    let status_args = ["--offline", "--format", "json", "--now", &now];
    let (status, status_out) = cold_warm(status_bin, dir, &cache, &status_args, runs)?;
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

    let metrics_args = [
        "--offline",
        "--format",
        "json",
        "--since",
        "365d",
        "--now",
        &now,
    ];
    let (metrics, metrics_out) = cold_warm(metrics_bin, dir, &cache, &metrics_args, runs)?;
    let report: serde_json::Value =
        serde_json::from_slice(&metrics_out).context("ferry-metrics printed no JSON")?;
    let counts: Vec<u64> = report["environments"]
        .as_array()
        .context("no environments in ferry-metrics's JSON")?
        .iter()
        .map(|e| e["deployment_frequency"]["count"].as_u64().unwrap_or(0))
        .collect();
    let expected = expected_counts(commits);
    ensure!(
        counts == expected,
        "ferry-metrics counted {counts:?} deployments, the generator made {expected:?}"
    );
    Ok(Measured {
        commits,
        runs,
        deployments: counts.iter().sum(),
        status,
        metrics,
    })
}

/// The deployments of dev, staging and prod the generator makes: the root commit deploys every
/// environment, then each commit bumps one of them in turn.
fn expected_counts(commits: usize) -> Vec<u64> {
    (0..3)
        .map(|e| {
            1 + (0..commits.saturating_sub(1))
                .filter(|n| n % 3 == e)
                .count() as u64
        })
        .collect()
}

/// Where the ledger keeps its cache in the repository at `dir`.
fn ledger_cache(dir: &Path) -> Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .current_dir(dir)
        .output()
        .context("cannot run git rev-parse")?;
    ensure!(
        out.status.success(),
        "git rev-parse failed in {}",
        dir.display()
    );
    let common = String::from_utf8(out.stdout).context("a UTF-8 path")?;
    Ok(PathBuf::from(common.trim())
        .join("ferry")
        .join("ledger-cache"))
}

/// `runs` rounds of: remove the cache, a cold run, a warm run. The medians, and the output
/// (the same cold and warm, or an error).
fn cold_warm(
    bin: &Path,
    dir: &Path,
    cache: &Path,
    args: &[&str],
    runs: usize,
) -> Result<(ColdWarm, Vec<u8>)> {
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let mut answer = None;
    for _ in 0..runs {
        if cache.exists() {
            std::fs::remove_dir_all(cache)
                .with_context(|| format!("cannot remove {}", cache.display()))?;
        }
        for times in [&mut cold, &mut warm] {
            let start = Instant::now();
            let out = run_bin(bin, dir, args)?;
            times.push(start.elapsed());
            match &answer {
                None => answer = Some(out),
                Some(first) => ensure!(
                    *first == out,
                    "{} answered differently from one run to the next (cold and warm)",
                    bin.display()
                ),
            }
        }
    }
    let times = ColdWarm {
        cold: median(cold),
        warm: median(warm),
    };
    Ok((times, answer.unwrap_or_default()))
}

fn run_bin(bin: &Path, dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    ensure!(
        out.status.success(),
        "{} {} failed ({}): {}",
        bin.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_deploys_each_environment_in_turn() {
        // The root commit, then dev, staging, prod, dev.
        assert_eq!(expected_counts(5), [3, 2, 2]);
        assert_eq!(expected_counts(1), [1, 1, 1]);
    }

    #[test]
    fn medians_and_verdicts() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(verdict(ms(299), STATUS_TARGET), "met");
        assert_eq!(verdict(ms(300), STATUS_TARGET), "not met");
        let m = Measured {
            commits: 10,
            runs: 1,
            deployments: 12,
            status: ColdWarm {
                cold: ms(400),
                warm: ms(100),
            },
            metrics: ColdWarm {
                cold: ms(900),
                warm: ms(50),
            },
        };
        let missed = m.missed();
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert!(missed[0].contains("ferry status") && missed[0].contains("cold"));
    }
}
