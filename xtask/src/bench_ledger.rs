//! `cargo xtask bench ledger [--commits N] [--runs R] [--keep]`: how long `ferry-ledger` takes to read the
//! whole deployment history of one environment, next to `git log -p -- <overlay>`.
//!
//! Generates a repository of the blueprint (`fixtures/blueprint`) with N (default 10,000) commits
//! on `main` through `git fast-import`, each bumping the image tags of one overlay in turn (dev,
//! staging, prod). Then runs, R times (default 5) and interleaved so that a loaded machine
//! weighs on all of them alike: `ferry-ledger dev` cold (release build, full history, its
//! cache in the Git directory removed first), `ferry-ledger dev` warm (the cache the cold run
//! left), and `git log -p -- infra/k8s/overlays/dev`. Prints the medians, the cold/git ratio
//! against its target (at most 1.0×) and the warm time against its target (under 30 ms);
//! [`measure`] is the same measurement for `cargo xtask bench all`. `--keep` leaves the
//! generated repository in place (for profiling).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::bench::{median, show};
use crate::{build_release_bins, root};

const USAGE: &str = "usage: cargo xtask bench ledger [--commits N] [--runs R] [--keep]";
/// The cold run may take at most this many times `git log -p`.
pub(crate) const COLD_RATIO_TARGET: f64 = 1.0;
/// The warm run must take less than this.
pub(crate) const WARM_TARGET: Duration = Duration::from_millis(30);
pub(crate) const OVERLAY: &str = "infra/k8s/overlays/dev";
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let crate::bench::RepoArgs {
        commits,
        runs,
        keep,
    } = crate::bench::repo_args(args, USAGE)?;
    let bin = build_release_bins(&["ferry-ledger-cli"])?.join("ferry-ledger");
    let repo = tempfile::tempdir()?;
    let start = Instant::now();
    generate(repo.path(), commits)?;
    println!(
        "generated {commits} commits in {} ({})",
        repo.path().display(),
        show(start.elapsed())
    );
    let times = measure(&bin, repo.path(), runs)?;
    // The root commit deploys dev, then every third commit bumps it.
    let expected = 1 + (commits - 1).div_ceil(3);
    ensure!(
        times.deployments == expected,
        "expected {expected} deployments of dev, ferry-ledger found {}",
        times.deployments
    );
    let ratio = times.cold_ratio();
    println!(
        "ferry-ledger dev cold ({} deployments): {} (median of {runs})",
        times.deployments,
        show(times.cold)
    );
    println!(
        "ferry-ledger dev warm:                   {}",
        show(times.warm)
    );
    println!("git log -p -- {OVERLAY}:   {}", show(times.git_log));
    println!(
        "cold: {ratio:.2}x the time of git log -p (target at most {COLD_RATIO_TARGET:.1}x): {}",
        if ratio <= COLD_RATIO_TARGET {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "warm: {:.1} ms (target under {} ms): {}",
        times.warm.as_secs_f64() * 1000.0,
        WARM_TARGET.as_millis(),
        if times.warm < WARM_TARGET {
            "met"
        } else {
            "NOT met"
        }
    );
    if keep {
        println!("kept the repository: {}", repo.keep().display());
    }
    Ok(())
}

/// The medians of [`measure`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LedgerTimes {
    /// `ferry-ledger dev`, its cache removed first.
    pub(crate) cold: Duration,
    /// `ferry-ledger dev` with the cache the cold run left.
    pub(crate) warm: Duration,
    /// `git log -p -- <overlay>`.
    pub(crate) git_log: Duration,
    /// Deployments of dev the ledger printed (the same in every run).
    pub(crate) deployments: usize,
}

impl LedgerTimes {
    /// How many times `git log -p` the cold run takes.
    pub(crate) fn cold_ratio(&self) -> f64 {
        self.cold.as_secs_f64() / self.git_log.as_secs_f64()
    }
}

/// Times `ferry-ledger dev` cold and warm and `git log -p -- <overlay>` in `repo` (made by
/// [`generate`]), `runs` rounds of the three interleaved; medians. Every run's JSON must be the
/// same (cold, warm and across rounds).
pub(crate) fn measure(ledger_bin: &Path, repo: &Path, runs: usize) -> Result<LedgerTimes> {
    let cache = repo.join(".git/ferry/ledger-cache");
    let ledger = |out: &mut Vec<u8>| -> Result<()> {
        let run = Command::new(ledger_bin)
            .args(["dev", "--format", "json"])
            .current_dir(repo)
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot run {}", ledger_bin.display()))?;
        ensure!(run.status.success(), "ferry-ledger failed: {}", run.status);
        *out = run.stdout;
        Ok(())
    };
    let (mut cold, mut warm, mut git) = (Vec::new(), Vec::new(), Vec::new());
    let mut first: Option<Vec<u8>> = None;
    for _ in 0..runs.max(1) {
        if cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        let mut out = Vec::new();
        cold.push(timed(|| ledger(&mut out))?);
        let mut again = Vec::new();
        warm.push(timed(|| ledger(&mut again))?);
        ensure!(
            out == again,
            "ferry-ledger printed another answer warm than cold"
        );
        match &first {
            Some(f) => ensure!(
                *f == out,
                "ferry-ledger printed another answer in another run"
            ),
            None => first = Some(out),
        }
        git.push(timed(|| {
            let out = Command::new("git")
                .args(["log", "-p", "--", OVERLAY])
                .current_dir(repo)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .output()
                .context("cannot run git")?;
            ensure!(out.status.success(), "git log failed: {}", out.status);
            Ok(())
        })?);
    }
    let report: serde_json::Value = serde_json::from_slice(first.as_deref().unwrap_or_default())
        .context("ferry-ledger printed no JSON")?;
    Ok(LedgerTimes {
        cold: median(cold),
        warm: median(warm),
        git_log: median(git),
        deployments: count_deployments(&report)?,
    })
}

/// The wall time of `f`.
fn timed(f: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed())
}

fn count_deployments(report: &serde_json::Value) -> Result<usize> {
    let envs = report
        .get("environments")
        .and_then(serde_json::Value::as_array)
        .or_else(|| report.as_array())
        .context("no environments in ferry-ledger's JSON")?;
    let dev = envs
        .iter()
        .find(|e| e["name"] == "dev")
        .context("no dev environment in ferry-ledger's JSON")?;
    dev["deployments"]
        .as_array()
        .map(Vec::len)
        .context("no deployments in ferry-ledger's JSON")
}

/// Every file of the blueprint, by repository path.
fn blueprint_files() -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type()?.is_dir() {
                walk(&e.path(), &path, out)?;
            } else {
                out.push((path, std::fs::read(e.path())?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&root().join("fixtures/blueprint"), "", &mut out)?;
    Ok(out)
}

/// `text` with every `newTag:` value replaced by `tag` (comments kept).
fn bump(text: &str, tag: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        match line.split_once("newTag:") {
            Some((indent, rest)) => {
                let comment = rest.find(" #").map_or("", |i| rest[i..].trim_end());
                let _ = writeln!(out, "{indent}newTag: {tag}{comment}");
            }
            None => out.push_str(line),
        }
    }
    out
}

fn data(stream: &mut Vec<u8>, bytes: &[u8]) {
    let _ = writeln!(stream, "data {}", bytes.len());
    stream.extend_from_slice(bytes);
    stream.push(b'\n');
}

/// A repository with the blueprint as its root commit and `commits - 1` tag bumps on `main`,
/// checked out (ferry-ledger reads ferry.toml from the working tree).
pub(crate) fn generate(dir: &Path, commits: usize) -> Result<()> {
    let git = |args: &[&str]| -> Result<Command> {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        Ok(cmd)
    };
    let status = git(&["init", "-q", "-b", "main"])?.status()?;
    ensure!(status.success(), "git init failed");
    let files = blueprint_files()?;
    let overlays: Vec<(String, String)> = ENVIRONMENTS
        .iter()
        .map(|env| {
            let path = format!("infra/k8s/overlays/{env}/kustomization.yaml");
            let text = files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .with_context(|| format!("the blueprint has no {path}"))?;
            Ok((path, text))
        })
        .collect::<Result<_>>()?;

    let mut stream = Vec::with_capacity(commits * 1200);
    let start = 1_700_000_000u64;
    for n in 0..commits {
        let _ = writeln!(stream, "commit refs/heads/main\nmark :{}", n + 1);
        let _ = writeln!(
            stream,
            "committer Ferry Bench <bench@example.com> {} +0000",
            start + n as u64 * 60
        );
        if n == 0 {
            data(&mut stream, b"Import the blueprint\n");
            for (path, bytes) in &files {
                let _ = writeln!(stream, "M 100644 inline {path}");
                data(&mut stream, bytes);
            }
        } else {
            let env = (n - 1) % ENVIRONMENTS.len();
            let tag = format!("2.{}.{}", n / 1000, n % 1000);
            data(
                &mut stream,
                format!("{}: bump images to {tag}\n", ENVIRONMENTS[env]).as_bytes(),
            );
            let _ = writeln!(stream, "from :{n}");
            let (path, text) = &overlays[env];
            let _ = writeln!(stream, "M 100644 inline {path}");
            data(&mut stream, bump(text, &tag).as_bytes());
        }
        stream.push(b'\n');
    }
    let mut child = git(&["fast-import", "--quiet"])?
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run git fast-import")?;
    child
        .stdin
        .take()
        .context("no stdin for git fast-import")?
        .write_all(&stream)?;
    ensure!(child.wait()?.success(), "git fast-import failed");
    // fast-import writes one loose pack; `git gc` would pack it the way a clone has it.
    for args in [&["gc", "-q"][..], &["reset", "-q", "--hard", "main"][..]] {
        let status = git(args)?.status()?;
        ensure!(status.success(), "git {} failed", args.join(" "));
    }
    Ok(())
}
