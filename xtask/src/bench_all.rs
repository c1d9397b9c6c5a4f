//! `cargo xtask bench all [--runs R] [--commits N]`: every speed ratio of Ferry against the tool
//! a user would pick instead, measured in one run on the same inputs, from one release build
//! of the multi-call `ferry` (steps run through links `ferry-STEP` → `ferry`, as the release
//! archive installs them).
//!
//! Each comparison runs the pair R times (default 5), interleaved (Ferry, the other, Ferry, …),
//! and compares medians; peak resident memory (`/usr/bin/time -f %M`) is measured once each.
//! Rows: start-up, `ferry-validate` (blueprint, every fixture overlay, the real-world corpus and
//! its largest overlay), `ferry-render`, `ferry-set-image`, the ledger cold and warm, the image
//! digest; then `bench status` and `bench monitor`, which have no other tool. Prints a markdown
//! table for `docs/performance.md`, with the machine, and which targets are met. Exits 0 when
//! every comparison ran (a target not met is reported, not an error); a comparison that could
//! not run (a missing tool, a failure) is listed and makes it exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::bench::{median, ms, peak_rss, tool};
use crate::{bench_ledger, bench_registry, build_release_bins, root};

const USAGE: &str = "usage: cargo xtask bench all [--runs R] [--commits N]";

/// What a row must show to meet its target.
#[derive(Debug, Clone, Copy)]
enum Goal {
    /// Ferry at least this many times faster than the other tool.
    Faster(f64),
    /// Ferry's median under this time.
    Under(Duration),
    /// Ferry taking at most this many times the other tool's time.
    AtMost(f64),
}

impl Goal {
    fn met(self, row: &Row) -> bool {
        let ratio = row.other.as_secs_f64() / row.ferry.as_secs_f64();
        match self {
            Goal::Faster(r) => ratio >= r,
            Goal::Under(d) => row.ferry < d,
            Goal::AtMost(r) => 1.0 / ratio <= r,
        }
    }

    fn describe(self) -> String {
        match self {
            Goal::Faster(r) => format!("≥ {r}× faster"),
            Goal::Under(d) => format!("under {} ms", d.as_millis()),
            Goal::AtMost(r) => format!("≤ {r}× the time"),
        }
    }
}

/// One comparison's result.
struct Row {
    what: String,
    ferry: Duration,
    other: Duration,
    other_name: String,
    ferry_rss: Option<u64>,
    other_rss: Option<u64>,
    goal: Option<Goal>,
}

/// Commands to time together.
struct Job {
    commands: Vec<Command>,
}

impl Job {
    fn one(cmd: Command) -> Self {
        Job {
            commands: vec![cmd],
        }
    }

    fn many(commands: Vec<Command>) -> Self {
        Job { commands }
    }

    /// Runs every command once (one after another); the wall time.
    fn time(&mut self) -> Result<Duration> {
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

    /// The highest peak resident size (KiB) of its commands.
    fn peak_rss(&self) -> Option<u64> {
        self.commands
            .iter()
            .map(peak_rss)
            .try_fold(0, |peak, rss| Some(peak.max(rss?)))
    }
}

/// Times `ferry` and `other` `runs` times each, interleaved; medians, and peak memory.
fn compare(
    what: &str,
    (other_name, goal): (&str, Option<Goal>),
    runs: usize,
    ferry: &mut Job,
    other: &mut Job,
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
        goal,
    };
    println!(
        "{what}: ferry {} ms, {other_name} {} ms ({})",
        ms(row.ferry),
        ms(row.other),
        ratio(&row)
    );
    Ok(row)
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

fn cmd(program: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// The rows measured so far and what could not be measured.
#[derive(Default)]
struct Results {
    rows: Vec<Row>,
    missing: Vec<String>,
}

impl Results {
    /// Keeps a row, or notes why it could not be measured.
    fn add(&mut self, what: &str, row: Result<Row>) {
        match row {
            Ok(row) => self.rows.push(row),
            Err(e) => {
                println!("{what}: FAILED: {e:#}");
                self.missing.push(format!("{what}: failed: {e:#}"));
            }
        }
    }

    fn skip(&mut self, what: &str, why: &str) {
        println!("{what}: SKIPPED: {why}");
        self.missing.push(format!("{what}: SKIPPED: {why}"));
    }
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
    let mut results = Results::default();

    match tool("kubectl") {
        Some(kubectl) => {
            results.add(
                "start-up",
                compare(
                    "start-up (`--version`)",
                    (
                        "kubectl version --client",
                        Some(Goal::Under(Duration::from_millis(5))),
                    ),
                    runs.max(10),
                    &mut Job::one(cmd(&ferry, &["--version"])),
                    &mut Job::one(cmd(&kubectl, &["version", "--client"])),
                ),
            );
            validate_rows(&mut results, &step("validate")?, &kubectl, runs)?;
            results.add("render", render_row(&step("render")?, &kubectl, runs));
        }
        None => {
            for what in ["start-up", "validate", "render"] {
                results.skip(what, "kubectl not found");
            }
        }
    }
    results.add("set-image", set_image_row(&step("set-image")?, runs));
    ledger_rows(&mut results, &step("ledger")?, commits, runs)?;
    match tool("skopeo") {
        Some(skopeo) => match digest_row(&step("image")?, &skopeo, runs) {
            Ok(Some(row)) => results.rows.push(row),
            Ok(None) => results.skip("image digest", "docker-registry not found"),
            Err(e) => results.add("image digest", Err(e)),
        },
        None => results.skip("image digest", "skopeo not found"),
    }

    // Status and metrics (no other tool: their own targets).
    println!();
    if let Err(e) =
        crate::bench_status::print_section(&step("status")?, &step("metrics")?, commits, runs)
    {
        println!("bench status: FAILED: {e:#}");
        results
            .missing
            .push(format!("status/metrics: failed: {e:#}"));
    }
    // The monitor's detection latency (simulated time).
    println!("\n## cargo xtask bench monitor");
    if let Err(e) = crate::bench_monitor::run(&[]) {
        println!("bench monitor: FAILED: {e:#}");
        results.missing.push(format!("monitor: failed: {e:#}"));
    }

    println!();
    print_table(&results);
    if !results.missing.is_empty() {
        bail!(
            "not every comparison ran:\n  {}",
            results.missing.join("\n  ")
        );
    }
    Ok(())
}

/// `ferry-validate` on the blueprint (one process), every fixture overlay and the real-world
/// corpus (one process per overlay), and the corpus's largest overlay, against `kubectl
/// kustomize`.
fn validate_rows(
    results: &mut Results,
    validate: &Path,
    kubectl: &Path,
    runs: usize,
) -> Result<()> {
    let (ferry_cmd, kubectl_cmds) = blueprint_commands(validate, kubectl);
    results.add(
        "validate: blueprint",
        compare(
            "validate: blueprint (3 overlays, one ferry process)",
            ("kubectl kustomize ×3", None),
            runs,
            &mut Job::one(ferry_cmd),
            &mut Job::many(kubectl_cmds),
        ),
    );
    let corpus = corpus_overlays()?;
    for (what, list, goal) in [
        ("validate: every fixture overlay", fixture_overlays()?, None),
        (
            "validate: real-world corpus",
            corpus.clone(),
            Some(Goal::Faster(30.0)),
        ),
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
        results.add(
            what,
            compare(
                &format!("{what} ({} overlays, one process each)", list.len()),
                ("kubectl kustomize", goal),
                runs,
                &mut Job::many(per_overlay(validate, true)),
                &mut Job::many(per_overlay(kubectl, false)),
            ),
        );
    }
    let (root_dir, largest) = largest_overlay(kubectl, &corpus)?;
    let mut ferry_cmd = Command::new(validate);
    ferry_cmd.arg("--root").arg(&root_dir).arg(&largest);
    let mut kubectl_cmd = Command::new(kubectl);
    kubectl_cmd.arg("kustomize").arg(&largest);
    results.add(
        "validate: largest overlay",
        compare(
            &format!(
                "validate: largest real-world overlay ({})",
                largest
                    .strip_prefix(root().join("fixtures/conformance/kustomize-realworld"))
                    .unwrap_or(&largest)
                    .display()
            ),
            ("kubectl kustomize", Some(Goal::Faster(30.0))),
            runs.max(10),
            &mut Job::one(ferry_cmd),
            &mut Job::one(kubectl_cmd),
        ),
    );
    Ok(())
}

/// `ferry` (one process over the blueprint's three overlays) and `kubectl kustomize` on each
/// of them: the pair the validate and render rows compare.
fn blueprint_commands(ferry: &Path, kubectl: &Path) -> (Command, Vec<Command>) {
    let blueprint = root().join("fixtures/blueprint");
    let overlays: Vec<PathBuf> = ["dev", "staging", "prod"]
        .iter()
        .map(|e| blueprint.join("infra/k8s/overlays").join(e))
        .collect();
    let mut ferry_cmd = Command::new(ferry);
    ferry_cmd.arg("--root").arg(&blueprint).args(&overlays);
    let kubectl_cmds = overlays
        .iter()
        .map(|o| {
            let mut c = Command::new(kubectl);
            c.arg("kustomize").arg(o);
            c
        })
        .collect();
    (ferry_cmd, kubectl_cmds)
}

/// `ferry-render` on every blueprint overlay (one process) against `kubectl kustomize` on
/// each; `cargo xtask bench render` also checks the outputs are byte-equal.
fn render_row(render: &Path, kubectl: &Path, runs: usize) -> Result<Row> {
    let (ferry_cmd, kubectl_cmds) = blueprint_commands(render, kubectl);
    compare(
        "render: blueprint (3 overlays, one ferry process)",
        ("kubectl kustomize ×3", Some(Goal::Faster(50.0))),
        runs,
        &mut Job::one(ferry_cmd),
        &mut Job::many(kubectl_cmds),
    )
}

/// `ferry-set-image` against `sed -i`, on copies of the same file.
fn set_image_row(set_image: &Path, runs: usize) -> Result<Row> {
    let work = tempfile::tempdir()?;
    let overlay = work.path().join("overlay");
    crate::copy_dir(
        &root().join("fixtures/blueprint/infra/k8s/overlays/dev"),
        &overlay,
    )?;
    let sed_file = work.path().join("sed-kustomization.yaml");
    std::fs::copy(overlay.join("kustomization.yaml"), &sed_file)?;
    let mut ferry_cmd = Command::new(set_image);
    ferry_cmd
        .arg(&overlay)
        .arg("registry.example.com/acme/backend:9.9.9");
    let mut sed_cmd = Command::new("sed");
    sed_cmd
        .arg("-i")
        .arg("s/newTag: .*/newTag: 9.9.9/")
        .arg(&sed_file);
    compare(
        "set-image (one tag in the blueprint's dev overlay)",
        ("sed -i", None),
        runs.max(10),
        &mut Job::one(ferry_cmd),
        &mut Job::one(sed_cmd),
    )
}

/// `ferry-ledger dev` cold (cache removed) and warm on the generated repository of `bench
/// ledger`, against `git log -p -- <overlay>` (the measurement of `bench ledger`).
fn ledger_rows(results: &mut Results, ledger: &Path, commits: usize, runs: usize) -> Result<()> {
    let repo = tempfile::tempdir()?;
    bench_ledger::generate(repo.path(), commits)?;
    let times = match bench_ledger::measure(ledger, repo.path(), runs) {
        Ok(t) => t,
        Err(e) => {
            results.add("ledger", Err(e));
            return Ok(());
        }
    };
    let mut ledger_cmd = Command::new(ledger);
    ledger_cmd
        .args(["dev", "--format", "json"])
        .current_dir(repo.path());
    let mut git_cmd = Command::new("git");
    git_cmd
        .args(["log", "-p", "--", bench_ledger::OVERLAY])
        .current_dir(repo.path());
    let git_rss = peak_rss(&git_cmd);
    let warm_rss = peak_rss(&ledger_cmd);
    let cache = repo.path().join(".git/ferry/ledger-cache");
    if cache.exists() {
        std::fs::remove_dir_all(&cache)?;
    }
    let cold_rss = peak_rss(&ledger_cmd);
    for (what, ferry, rss, goal) in [
        (
            format!(
                "ledger cold, no cache ({commits} commits, {} deployments)",
                times.deployments
            ),
            times.cold,
            cold_rss,
            Goal::AtMost(bench_ledger::COLD_RATIO_TARGET),
        ),
        (
            format!("ledger warm, cached ({commits} commits)"),
            times.warm,
            warm_rss,
            Goal::Under(bench_ledger::WARM_TARGET),
        ),
    ] {
        let row = Row {
            what,
            ferry,
            other: times.git_log,
            other_name: "git log -p -- <overlay>".into(),
            ferry_rss: rss,
            other_rss: git_rss,
            goal: Some(goal),
        };
        println!(
            "{}: ferry {} ms, {} {} ms ({})",
            row.what,
            ms(row.ferry),
            row.other_name,
            ms(row.other),
            ratio(&row)
        );
        results.rows.push(row);
    }
    Ok(())
}

/// `ferry-image digest` against `skopeo inspect` on an image in a local `docker-registry`;
/// `None` when `docker-registry` is missing. Both must print the manifest's digest.
fn digest_row(image: &Path, skopeo: &Path, runs: usize) -> Result<Option<Row>> {
    let Some(registry) = bench_registry::start(skopeo)? else {
        return Ok(None);
    };
    let reference = registry.reference();
    let ferry_cmd = || cmd(image, &["digest", &reference]);
    let skopeo_cmd = || {
        let mut c = cmd(
            skopeo,
            &["inspect", "--tls-verify=false", "--format", "{{.Digest}}"],
        );
        c.arg(format!("docker://{reference}"));
        c
    };
    for (name, mut c) in [
        ("ferry-image digest", ferry_cmd()),
        ("skopeo inspect", skopeo_cmd()),
    ] {
        let out = c.output().with_context(|| format!("cannot run {name}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        ensure!(
            out.status.success() && text.trim() == registry.digest,
            "{name} printed {:?}, expected {} ({})",
            text.trim(),
            registry.digest,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    compare(
        "image digest (local docker-registry)",
        ("skopeo inspect", None),
        runs.max(10),
        &mut Job::one(ferry_cmd()),
        &mut Job::one(skopeo_cmd()),
    )
    .map(Some)
}

fn print_table(results: &Results) {
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
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into());
    println!("Machine: {cores} cores, {cpu}, load average {load} at the end.\n");
    println!(
        "| what | ferry | other tool | other | ratio | peak RSS ferry | peak RSS other | target |"
    );
    println!("|---|---:|---|---:|---|---:|---:|---|");
    for r in &results.rows {
        let target = r.goal.map_or(String::new(), |g| {
            format!(
                "{}: {}",
                g.describe(),
                if g.met(r) { "met" } else { "NOT met" }
            )
        });
        println!(
            "| {} | {} ms | {} | {} ms | {} | {} | {} | {target} |",
            r.what,
            ms(r.ferry),
            r.other_name,
            ms(r.other),
            ratio(r),
            rss(r.ferry_rss),
            rss(r.other_rss)
        );
    }
    for m in &results.missing {
        println!("| {m} | | | | | | | |");
    }
    println!();
    for r in &results.rows {
        if let Some(g) = r.goal {
            let verdict = if g.met(r) { "met" } else { "NOT met" };
            println!(
                "target {verdict}: {} ({}; {})",
                r.what,
                g.describe(),
                ratio(r)
            );
        }
    }
}

/// Every kustomization directory under `fixtures/kustomize` but components, with the root each
/// resolves in.
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
