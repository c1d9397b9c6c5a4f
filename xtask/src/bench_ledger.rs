//! `cargo xtask bench ledger [--commits N] [--runs R] [--keep]`: how long `ferry-ledger` takes to read the
//! whole deployment history of one environment, next to `git log -p -- <overlay>`.
//!
//! Generates a repository of the blueprint (`fixtures/blueprint`) with N (default 10,000) commits
//! on `main` through `git fast-import`, each bumping the image tags of one overlay in turn (dev,
//! staging, prod). Then times `ferry-ledger dev` (release build, full history, default options)
//! (cold: its cache in the Git directory removed before each run) and `git log -p --
//! infra/k8s/overlays/dev`, the best of R (default 3) runs each, and prints both and their
//! ratio. `cargo xtask bench all` measures the warm ledger too. Target: `ferry-ledger` under one second. `--keep` leaves the generated
//! repository in place (for profiling).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::{build_release_bins, root};

const USAGE: &str = "usage: cargo xtask bench ledger [--commits N] [--runs R] [--keep]";
const TARGET: Duration = Duration::from_secs(1);
pub(crate) const OVERLAY: &str = "infra/k8s/overlays/dev";
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

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
    let bin = build_release_bins(&["ferry-ledger-cli"])?.join("ferry-ledger");
    let repo = tempfile::tempdir()?;
    let start = Instant::now();
    generate(repo.path(), commits)?;
    println!(
        "generated {commits} commits in {} ({})",
        repo.path().display(),
        show(start.elapsed())
    );

    let mut ledger_out = Vec::new();
    // Cold: the ledger's cache in the Git directory is removed before each run.
    let cache = repo.path().join(".git/ferry/ledger-cache");
    let ferry = best_of(runs, || {
        if cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        let out = Command::new(&bin)
            .arg("dev")
            .arg("--format")
            .arg("json")
            .current_dir(repo.path())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        ensure!(out.status.success(), "ferry-ledger failed: {}", out.status);
        ledger_out = out.stdout;
        Ok(())
    })?;
    let report: serde_json::Value =
        serde_json::from_slice(&ledger_out).context("ferry-ledger printed no JSON")?;
    let deployments = count_deployments(&report)?;
    // The root commit deploys dev, then every third commit bumps it.
    let expected = 1 + (commits - 1).div_ceil(3);
    ensure!(
        deployments == expected,
        "expected {expected} deployments of dev, ferry-ledger found {deployments}"
    );

    let git = best_of(runs, || {
        let out = Command::new("git")
            .args(["log", "-p", "--", OVERLAY])
            .current_dir(repo.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run git")?;
        ensure!(out.status.success(), "git log failed: {}", out.status);
        Ok(())
    })?;

    let ratio = ferry.as_secs_f64() / git.as_secs_f64();
    println!(
        "ferry-ledger dev ({deployments} deployments): {}",
        show(ferry)
    );
    println!("git log -p -- {OVERLAY}:   {}", show(git));
    println!("ratio: ferry-ledger takes {ratio:.2}x the time of git log -p (best of {runs})");
    if keep {
        println!("kept the repository: {}", repo.keep().display());
    }
    if ferry < TARGET {
        println!("target met: under {} s", TARGET.as_secs());
        Ok(())
    } else {
        bail!(
            "ferry-ledger took {}, above the {} s target",
            show(ferry),
            TARGET.as_secs()
        )
    }
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

/// The shortest wall time of `runs` runs of `f`.
pub(crate) fn best_of(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

pub(crate) fn show(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
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
