//! `cargo xtask bench all [--runs R] [--commits N]`: every speed ratio of Ferry against the tool
//! a user would pick instead, measured in one run on the same inputs, from one release build
//! of the multi-call `ferry` (steps run through links `ferry-STEP` → `ferry`, as the release
//! archive installs them).
//!
//! Each comparison runs the pair R times (default 5), interleaved (Ferry, the other, Ferry, …),
//! and compares medians; peak resident memory (`/usr/bin/time -f %M`) is measured once each.
//! Comparisons whose other tool is missing (`kubectl`, `skopeo`, `docker-registry`) print
//! `SKIPPED`. Then `bench status` (`ferry status` and `ferry metrics`, cold and warm, against
//! their targets) and `bench monitor` (detection latency in simulated time). Prints a
//! markdown table for `docs/performance.md`, with the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::{bench_ledger, build_release_bins, root};

const USAGE: &str = "usage: cargo xtask bench all [--runs R] [--commits N]";

/// One comparison's result.
struct Row {
    what: String,
    ferry: Duration,
    other: Duration,
    other_name: String,
    ferry_rss: Option<u64>,
    other_rss: Option<u64>,
}

/// A command to time: the program, its arguments, the directory, and a step before each run
/// (not timed).
struct Job<'a> {
    commands: Vec<Command>,
    before: Option<&'a dyn Fn() -> Result<()>>,
}

impl Job<'_> {
    fn one(cmd: Command) -> Self {
        Job {
            commands: vec![cmd],
            before: None,
        }
    }

    /// Runs every command once (one after another); the wall time, not counting `before`.
    fn time(&mut self) -> Result<Duration> {
        if let Some(before) = self.before {
            before()?;
        }
        let start = Instant::now();
        for cmd in &mut self.commands {
            let status = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .with_context(|| format!("cannot run {cmd:?}"))?;
            // 0, or 1 for a negative answer (an overlay with findings).
            ensure!(
                matches!(status.code(), Some(0 | 1)),
                "{cmd:?} failed: {status}"
            );
        }
        Ok(start.elapsed())
    }

    /// The highest peak resident size (KiB) of its commands, under `/usr/bin/time`.
    fn peak_rss(&mut self) -> Option<u64> {
        if let Some(before) = self.before {
            before().ok()?;
        }
        let mut peak = 0;
        for cmd in &self.commands {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(cmd.get_program())
                .args(cmd.get_args())
                .current_dir(cmd.get_current_dir().unwrap_or(Path::new(".")))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stderr);
            peak = peak.max(text.lines().last()?.trim().parse().ok()?);
        }
        Some(peak)
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times `ferry` and `other` `runs` times each, interleaved; medians, and peak memory.
fn compare(
    what: &str,
    other_name: &str,
    runs: usize,
    ferry: &mut Job<'_>,
    other: &mut Job<'_>,
) -> Result<Row> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        a.push(ferry.time()?);
        b.push(other.time()?);
    }
    let row = Row {
        what: what.to_owned(),
        ferry: median(a),
        other: median(b),
        other_name: other_name.to_owned(),
        ferry_rss: ferry.peak_rss(),
        other_rss: other.peak_rss(),
    };
    println!(
        "{what}: ferry {} ms, {other_name} {} ms ({})",
        ms(row.ferry),
        ms(row.other),
        ratio(&row)
    );
    Ok(row)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn ratio(row: &Row) -> String {
    let r = row.other.as_secs_f64() / row.ferry.as_secs_f64();
    if r >= 1.0 {
        format!("{r:.1}× faster")
    } else {
        format!("{:.2}× the time", 1.0 / r)
    }
}

fn rss(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1} MB", k as f64 / 1024.0))
}

fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn cmd(program: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    let mut runs = 5;
    let mut commits = 10_000;
    let mut rest = args;
    loop {
        rest = match rest {
            ["--runs", n, tail @ ..] => {
                runs = n.parse().context("--runs takes a number")?;
                tail
            }
            ["--commits", n, tail @ ..] => {
                commits = n.parse().context("--commits takes a number")?;
                tail
            }
            [] => break,
            _ => bail!("{USAGE}"),
        };
    }
    ensure!(runs >= 1 && commits >= 1, "{USAGE}");
    let ferry = build_release_bins(&["ferry"])?.join("ferry");
    let links = tempfile::tempdir()?;
    let step = |name: &str| -> Result<PathBuf> {
        let link = links.path().join(format!("ferry-{name}"));
        if !link.exists() {
            std::os::unix::fs::symlink(&ferry, &link)?;
        }
        Ok(link)
    };
    let kubectl = tool("kubectl");
    let mut rows = Vec::new();
    let mut skipped = Vec::new();

    // Start-up.
    match &kubectl {
        Some(kubectl) => rows.push(compare(
            "start-up (`--version`)",
            "kubectl version --client",
            runs.max(10),
            &mut Job::one(cmd(&ferry, &["--version"])),
            &mut Job::one(cmd(kubectl, &["version", "--client"])),
        )?),
        None => skipped.push("start-up: kubectl not found"),
    }

    // Validate.
    let validate = step("validate")?;
    if let Some(kubectl) = &kubectl {
        let blueprint = root().join("fixtures/blueprint");
        let overlays: Vec<PathBuf> = ["dev", "staging", "prod"]
            .iter()
            .map(|e| blueprint.join("infra/k8s/overlays").join(e))
            .collect();
        let mut ferry_cmd = Command::new(&validate);
        ferry_cmd.arg("--root").arg(&blueprint).args(&overlays);
        let kubectl_cmds = overlays
            .iter()
            .map(|o| {
                let mut c = Command::new(kubectl);
                c.arg("kustomize").arg(o);
                c
            })
            .collect();
        rows.push(compare(
            "validate: blueprint (3 overlays, one ferry process)",
            "kubectl kustomize ×3",
            runs,
            &mut Job::one(ferry_cmd),
            &mut Job {
                commands: kubectl_cmds,
                before: None,
            },
        )?);
        for (what, list) in [
            ("validate: every fixture overlay", fixture_overlays()?),
            ("validate: real-world corpus", corpus_overlays()?),
        ] {
            let per_overlay = |program: &Path, ferry: bool| -> Vec<Command> {
                list.iter()
                    .map(|(root, dir)| {
                        let mut c = Command::new(program);
                        if ferry {
                            c.arg("--root").arg(root).arg(dir);
                        } else {
                            c.arg("kustomize").arg(dir);
                        }
                        c
                    })
                    .collect()
            };
            rows.push(compare(
                &format!("{what} ({} overlays, one process each)", list.len()),
                "kubectl kustomize",
                runs,
                &mut Job {
                    commands: per_overlay(&validate, true),
                    before: None,
                },
                &mut Job {
                    commands: per_overlay(kubectl, false),
                    before: None,
                },
            )?);
        }
        let (root_dir, largest) = largest_overlay(kubectl, &corpus_overlays()?)?;
        let mut ferry_cmd = Command::new(&validate);
        ferry_cmd.arg("--root").arg(&root_dir).arg(&largest);
        let mut kubectl_cmd = Command::new(kubectl);
        kubectl_cmd.arg("kustomize").arg(&largest);
        rows.push(compare(
            &format!(
                "validate: largest real-world overlay ({})",
                largest
                    .strip_prefix(root().join("fixtures/conformance/kustomize-realworld"))
                    .unwrap_or(&largest)
                    .display()
            ),
            "kubectl kustomize",
            runs,
            &mut Job::one(ferry_cmd),
            &mut Job::one(kubectl_cmd),
        )?);
    } else {
        skipped.push("validate: kubectl not found");
    }

    // set-image vs sed -i, on copies of the same file.
    let work = tempfile::tempdir()?;
    let overlay = work.path().join("overlay");
    crate::copy_dir(
        &root().join("fixtures/blueprint/infra/k8s/overlays/dev"),
        &overlay,
    )?;
    let sed_file = work.path().join("sed-kustomization.yaml");
    std::fs::copy(overlay.join("kustomization.yaml"), &sed_file)?;
    let mut ferry_cmd = Command::new(step("set-image")?);
    ferry_cmd
        .arg(&overlay)
        .arg("registry.example.com/acme/backend:9.9.9");
    let mut sed_cmd = Command::new("sed");
    sed_cmd
        .arg("-i")
        .arg("s/newTag: .*/newTag: 9.9.9/")
        .arg(&sed_file);
    rows.push(compare(
        "set-image (one tag in the blueprint's dev overlay)",
        "sed -i",
        runs.max(10),
        &mut Job::one(ferry_cmd),
        &mut Job::one(sed_cmd),
    )?);

    // Ledger, cold and warm, vs git log -p.
    let repo = tempfile::tempdir()?;
    bench_ledger::generate(repo.path(), commits)?;
    let cache = repo.path().join(".git/ferry/ledger-cache");
    let clear = || -> Result<()> {
        if cache.exists() {
            std::fs::remove_dir_all(&cache)?;
        }
        Ok(())
    };
    let ledger = step("ledger")?;
    let ledger_cmd = || {
        let mut c = Command::new(&ledger);
        c.args(["dev", "--format", "json"]).current_dir(repo.path());
        c
    };
    let git_cmd = || {
        let mut c = Command::new("git");
        c.args(["log", "-p", "--", bench_ledger::OVERLAY])
            .current_dir(repo.path());
        c
    };
    rows.push(compare(
        &format!("ledger cold, no cache ({commits} commits)"),
        "git log -p -- <overlay>",
        runs,
        &mut Job {
            commands: vec![ledger_cmd()],
            before: Some(&clear),
        },
        &mut Job::one(git_cmd()),
    )?);
    let mut warm = Job::one(ledger_cmd());
    warm.time()?; // fills the cache
    rows.push(compare(
        &format!("ledger warm, cached ({commits} commits)"),
        "git log -p -- <overlay>",
        runs,
        &mut warm,
        &mut Job::one(git_cmd()),
    )?);

    // Image digest vs skopeo inspect against a local registry.
    if tool("skopeo").is_none() || tool("docker-registry").is_none() {
        skipped.push("image digest: skopeo or docker-registry not found");
    }

    // ferry status and ferry metrics, cold and warm (no other tool to compare with).
    crate::bench_status::print_section(&step("status")?, &step("metrics")?, commits, runs)?;

    // The monitor's detection latency (simulated time, no other tool to compare with).
    println!("\n## cargo xtask bench monitor");
    if let Err(e) = crate::bench_monitor::run(&[]) {
        println!("bench monitor failed: {e:#}");
    }

    println!();
    print_table(&rows, &skipped);
    for s in &skipped {
        println!("notice: SKIPPED {s}");
    }
    Ok(())
}

fn print_table(rows: &[Row], skipped: &[&str]) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("Machine: {cores} cores, {cpu}.\n");
    println!("| what | ferry | other tool | other | ratio | peak RSS ferry | peak RSS other |");
    println!("|---|---:|---|---:|---|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} ms | {} | {} ms | {} | {} | {} |",
            r.what,
            ms(r.ferry),
            r.other_name,
            ms(r.other),
            ratio(r),
            rss(r.ferry_rss),
            rss(r.other_rss)
        );
    }
    for s in skipped {
        println!("| {s} | | | | SKIPPED | | |");
    }
}

/// Every kustomization directory under `fixtures/` but components, with the root each resolves in.
fn fixture_overlays() -> Result<Vec<(PathBuf, PathBuf)>> {
    let fixtures = root().join("fixtures/kustomize");
    let mut out = Vec::new();
    let mut stack = vec![fixtures.clone()];
    while let Some(dir) = stack.pop() {
        let text = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .find_map(|n| std::fs::read_to_string(dir.join(n)).ok());
        if let Some(text) = text
            && !text.contains("kind: Component")
        {
            out.push((fixtures.clone(), dir.clone()));
        }
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The overlays of `fixtures/conformance/kustomize-realworld/OVERLAYS.txt`, each with its
/// repository's directory as the root.
fn corpus_overlays() -> Result<Vec<(PathBuf, PathBuf)>> {
    let corpus = root().join("fixtures/conformance/kustomize-realworld");
    let list = std::fs::read_to_string(corpus.join("OVERLAYS.txt"))
        .context("read the real-world corpus list")?;
    Ok(list
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let repo = l.split('/').next().unwrap_or(l);
            (corpus.join(repo), corpus.join(l))
        })
        .collect())
}

/// The overlay whose `kubectl kustomize` output is largest.
fn largest_overlay(kubectl: &Path, list: &[(PathBuf, PathBuf)]) -> Result<(PathBuf, PathBuf)> {
    let mut best: Option<(usize, &(PathBuf, PathBuf))> = None;
    for item in list {
        let out = Command::new(kubectl)
            .arg("kustomize")
            .arg(&item.1)
            .stderr(Stdio::null())
            .output()?;
        if best.is_none_or(|(n, _)| out.stdout.len() > n) {
            best = Some((out.stdout.len(), item));
        }
    }
    best.map(|(_, item)| item.clone())
        .context("the corpus lists no overlay")
}
