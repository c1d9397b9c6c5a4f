//! `cargo xtask demo`: the whole Ferry flow on one machine, offline, with the real binaries.
//!
//! A temporary bare repository seeded from `fixtures/blueprint` is the GitOps origin (plain-git
//! forge); stand-ins take the place of the registry and of Argo CD + the cluster (see
//! [`stand_in`]). The story: compute tags → dev change auto-merged → monitored → verified →
//! promoted to staging → verified → promoted to prod → verified; then a bad release passes dev,
//! fails in staging, is caught by the monitor, rolled back in Git and held, `ferry promote`
//! refuses the held image, and the ledger is printed.

mod stand_in;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use stand_in::{Cluster, Registry};

/// The monitor's timing in the demo: checks every `INTERVAL`, `FAILURES` failed checks in a row
/// make a release unhealthy.
const INTERVAL: Duration = Duration::from_millis(500);
const FAILURES: u32 = 3;
const CHECKS: u32 = 4;
/// Every binary the demo runs, directly or as `ferry STEP` (which runs `ferry-STEP` beside
/// `ferry`). `cargo xtask demo` builds exactly these (see `DEMO_PACKAGES` in `main.rs`, checked
/// by its tests), and the demo refuses to run one that is not listed.
pub(crate) const BINARIES: [&str; 8] = [
    "ferry",
    "ferry-set-image",
    "ferry-tag",
    "ferry-pr",
    "ferry-promote",
    "ferry-monitor",
    "ferry-rollback",
    "ferry-ledger",
];

/// The path of the demo binary `name` in `bins`; an error when `name` is not in [`BINARIES`].
pub(crate) fn binary(bins: &Path, name: &str) -> Result<PathBuf> {
    ensure!(
        BINARIES.contains(&name),
        "the demo runs `{name}`, which is not in demo::BINARIES (so `cargo xtask demo` does not \
         build it)"
    );
    Ok(bins.join(name))
}

const ENVS: [(&str, &str); 3] = [
    ("dev", "infra/k8s/overlays/dev"),
    ("staging", "infra/k8s/overlays/staging"),
    ("prod", "infra/k8s/overlays/prod"),
];

/// Runs the demo with the binaries in `bin_dir`.
pub fn run(bin_dir: &Path) -> Result<()> {
    let started = Instant::now();
    let work = tempfile::Builder::new().prefix("ferry-demo-").tempdir()?;
    let demo = Demo::new(bin_dir, work.path())?;
    demo.story()?;
    println!(
        "\nDemo finished in {:.1} s. Everything ran in {} (removed now).",
        started.elapsed().as_secs_f64(),
        work.path().display()
    );
    Ok(())
}

struct Demo {
    bins: PathBuf,
    origin: PathBuf,
    checkout: PathBuf,
    app: PathBuf,
    registry: Registry,
    cluster: Cluster,
    step: std::cell::Cell<u32>,
}

impl Demo {
    fn new(bins: &Path, work: &Path) -> Result<Demo> {
        for bin in BINARIES {
            ensure!(
                bins.join(bin).is_file(),
                "{} is missing; build the binaries first (`cargo build --bins`)",
                bins.join(bin).display()
            );
        }
        let registry = Registry::start()?;
        let origin = work.join("origin.git");
        let seed = work.join("seed");
        crate::copy_dir(&crate::root().join("fixtures/blueprint"), &seed)?;
        // Offline: the database image comes from the registry stand-in too.
        registry.push("library/postgres", "16.4");
        let status = Command::new(binary(bins, "ferry-set-image")?)
            .arg(seed.join("infra/k8s/base"))
            .arg(format!("postgres={}/library/postgres:16.4", registry.host))
            .output()?;
        ensure!(
            status.status.success(),
            "ferry-set-image failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        // Offline: every environment pulls from the registry stand-in (same tags as the blueprint).
        for (env, tag) in [("dev", "1.3.3"), ("staging", "1.3.2"), ("prod", "1.3.1")] {
            for image in ["backend", "frontend"] {
                let out = Command::new(binary(bins, "ferry-set-image")?)
                    .arg(seed.join(format!("infra/k8s/overlays/{env}")))
                    .arg(format!(
                        "registry.example.com/acme/{image}={}/acme/{image}:{tag}",
                        registry.host
                    ))
                    .output()?;
                ensure!(
                    out.status.success(),
                    "ferry-set-image failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        std::fs::write(seed.join("ferry.toml"), config(&registry.host))?;
        git(&seed, &["init", "-q", "-b", "main"])?;
        git(&seed, &["add", "-A"])?;
        git(
            &seed,
            &[
                "commit",
                "-q",
                "-m",
                "acme-shop GitOps repository (from fixtures/blueprint)",
            ],
        )?;
        git(
            work,
            &[
                "clone",
                "-q",
                "--bare",
                &seed.display().to_string(),
                &origin.display().to_string(),
            ],
        )?;
        let checkout = work.join("gitops");
        git(
            work,
            &[
                "clone",
                "-q",
                &origin.display().to_string(),
                &checkout.display().to_string(),
            ],
        )?;
        let cluster = Cluster::start(
            &origin,
            "main",
            work.join("cluster"),
            ENVS.iter()
                .map(|(e, o)| (e.to_string(), o.to_string()))
                .collect(),
            [format!("{}/acme/backend:1.5.0", registry.host)].into(),
            ["dev".to_owned()].into(),
        )?;
        let app = work.join("backend-app");
        std::fs::create_dir_all(&app)?;
        git(&app, &["init", "-q", "-b", "main"])?;
        Ok(Demo {
            bins: bins.to_path_buf(),
            origin,
            checkout,
            app,
            registry,
            cluster,
            step: std::cell::Cell::new(0),
        })
    }

    fn story(&self) -> Result<()> {
        println!(
            "Ferry demo: one release through dev → staging → prod, then a bad one rolled back."
        );
        println!(
            "  GitOps origin    {} (bare git repository, plain-git forge)",
            self.origin.display()
        );
        println!("  CI checkout      {}", self.checkout.display());
        println!(
            "  STAND-IN registry          {} (knows the tags the demo's CI pushed)",
            self.registry.host
        );
        println!(
            "  STAND-IN Argo CD + cluster {} (deploys each overlay from the origin's main; /<env>/api/healthz answers as the deployed image behaves)",
            self.cluster.url
        );

        self.heading("CI builds the backend and frontend at v1.4.0: compute the tags");
        let tag = self.release("1.4.0")?;
        let good = self.images(&tag);

        self.heading("Dev: one GitOps change, auto-merged (ferry pr open --auto-merge)");
        let commit = self.open_dev(&good)?;
        self.monitor_and_verify("dev", &commit)?;

        self.heading("Staging: promote what dev ran and verified (ferry promote)");
        let commit = self.promote("dev", "staging")?;
        self.monitor_and_verify("staging", &commit)?;

        self.heading("Prod: promote what staging ran and verified");
        let commit = self.promote("staging", "prod")?;
        self.monitor_and_verify("prod", &commit)?;

        self.heading("v1.5.0: passes dev, then breaks in staging");
        let tag = self.release("1.5.0")?;
        let bad = self.images(&tag);
        let commit = self.open_dev(&bad)?;
        self.monitor_and_verify("dev", &commit)?;
        let commit = self.promote("dev", "staging")?;

        self.heading(
            "The monitor catches it; ferry rollback reverts staging in Git and holds v1.5.0",
        );
        self.cluster
            .wait_synced("staging", &commit, Duration::from_secs(10))?;
        let watch_start = Instant::now();
        let report = self.watch("staging", &commit, false)?;
        ensure!(
            report.verdict == "unhealthy",
            "the monitor said {} for the bad release",
            report.verdict
        );
        let first_fail = report
            .first_failure_ms
            .context("an unhealthy verdict without a failed check")?;
        let report_file = self.checkout.join("../staging-report.json");
        std::fs::write(&report_file, &report.verdict_line)?;
        let rollback = self.ferry(&[
            "rollback",
            "--env",
            "staging",
            "--report",
            &report_file.display().to_string(),
            "--reason",
            "health checks failed after promoting v1.5.0",
            "--format",
            "json",
        ])?;
        let reverted_at = watch_start.elapsed();
        let rollback: Value = json(&rollback)?;
        let revert = rollback["revert"]["commit"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        println!("{}", indent(&serde_json::to_string_pretty(&rollback)?));
        let took = reverted_at.saturating_sub(Duration::from_millis(first_fail));
        let budget = INTERVAL * FAILURES + Duration::from_secs(5);
        println!(
            "  first failing check → revert commit {} on main: {:.2} s (budget: interval {} ms × failures {} + 5 s = {:.1} s)",
            short(&revert),
            took.as_secs_f64(),
            INTERVAL.as_millis(),
            FAILURES,
            budget.as_secs_f64()
        );
        ensure!(
            took <= budget,
            "the rollback took {took:?}, over the budget of {budget:?}"
        );
        self.cluster
            .wait_synced("staging", &revert, Duration::from_secs(10))?;
        println!("  the cluster stand-in runs the reverted overlay again");

        self.heading("Automation tries again: ferry promote refuses the held image");
        let refused = self.ferry_status(&[
            "promote",
            "--from",
            "dev",
            "--to",
            "staging",
            "--plain-http",
            &self.registry.host,
        ])?;
        ensure!(
            !refused.status.success(),
            "ferry promote accepted the held image"
        );
        println!(
            "{}",
            indent(String::from_utf8_lossy(&refused.stderr).trim_end())
        );
        println!("  (exit code {})", refused.status.code().unwrap_or(-1));

        self.heading("The ledger: what each environment ran, from Git history");
        // The forge pushed to origin; the ledger reads the clone's main, so bring it up to date.
        git(
            &self.checkout,
            &["pull", "--quiet", "--ff-only", "origin", "main"],
        )?;
        let image = |set: &[String]| set[0].split_once('=').map(|(_, r)| r.to_owned());
        let (good_backend, bad_backend) = (image(&good), image(&bad));
        let report = json(&self.ferry(&["ledger", "staging", "--format", "json"])?)?;
        let staging = &report["environments"][0];
        let runs = staging["current"]["images"]["backend/backend"].as_str();
        ensure!(
            runs == good_backend.as_deref(),
            "the ledger says staging runs {runs:?}, not {good_backend:?}"
        );
        let ran_bad = staging["deployments"].as_array().is_some_and(|d| {
            d.iter()
                .any(|d| d["images"]["backend/backend"].as_str() == bad_backend.as_deref())
        });
        ensure!(
            ran_bad,
            "the ledger of staging does not show {bad_backend:?}"
        );
        let out = self.ferry(&["ledger", "staging"])?;
        println!("{}", indent(out.trim_end()));
        Ok(())
    }

    fn heading(&self, text: &str) {
        let n = self.step.get() + 1;
        self.step.set(n);
        println!("\n── {n}. {text}");
    }

    /// Tags the application repository, computes the image tag with `ferry tag` and "pushes"
    /// both images to the registry stand-in.
    fn release(&self, version: &str) -> Result<String> {
        git(
            &self.app,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("release {version}"),
            ],
        )?;
        git(&self.app, &["tag", &format!("v{version}")])?;
        // A release build runs on the tag, as a tag push event would.
        git(&self.app, &["checkout", "-q", &format!("v{version}")])?;
        let out = self.ferry(&[
            "tag",
            "--context",
            "git",
            "--repo",
            &self.app.display().to_string(),
            "--images",
            &format!("{}/acme/backend", self.registry.host),
            "--tags",
            "type=semver,pattern={{version}}",
            "--format",
            "json",
        ])?;
        let meta: Value = json(&out)?;
        let tag = meta["version"]["main"]
            .as_str()
            .or_else(|| meta["version"].as_str())
            .context("ferry tag printed no version")?
            .to_owned();
        println!("  ferry tag → {tag}");
        for image in ["backend", "frontend"] {
            let digest = self.registry.push(&format!("acme/{image}"), &tag);
            println!(
                "  pushed {}/acme/{image}:{tag} ({})",
                self.registry.host,
                &digest[..19]
            );
        }
        Ok(tag)
    }

    fn images(&self, tag: &str) -> Vec<String> {
        ["backend", "frontend"]
            .iter()
            .map(|i| format!("{i}={}/acme/{i}:{tag}", self.registry.host))
            .collect()
    }

    fn open_dev(&self, images: &[String]) -> Result<String> {
        let mut args = vec![
            "pr",
            "open",
            "--env",
            "dev",
            "--auto-merge",
            "--format",
            "json",
        ];
        for image in images {
            args.extend(["--image", image.as_str()]);
        }
        let out: Value = json(&self.ferry(&args)?)?;
        println!(
            "  change {} on {}: merged={} commit {}",
            out["id"].as_str().unwrap_or(""),
            out["branch"].as_str().unwrap_or(""),
            out["merged"],
            short(out["commit"].as_str().unwrap_or(""))
        );
        ensure!(
            out["merged"] == Value::Bool(true),
            "the dev change was not merged: {out}"
        );
        Ok(out["commit"].as_str().unwrap_or_default().to_owned())
    }

    fn promote(&self, from: &str, to: &str) -> Result<String> {
        let out: Value = json(&self.ferry(&[
            "promote",
            "--from",
            from,
            "--to",
            to,
            "--plain-http",
            &self.registry.host,
            "--format",
            "json",
        ])?)?;
        let change = &out["promotion"]["change"];
        println!(
            "  gates passed (verified in {from}, in the registry, soaked, not held); change merged={} commit {}",
            change["merged"],
            short(change["commit"].as_str().unwrap_or(""))
        );
        ensure!(
            change["merged"] == Value::Bool(true),
            "the promotion to {to} was not merged: {out}"
        );
        Ok(change["commit"].as_str().unwrap_or_default().to_owned())
    }

    fn monitor_and_verify(&self, env: &str, commit: &str) -> Result<()> {
        self.cluster
            .wait_synced(env, commit, Duration::from_secs(10))?;
        println!("  cluster stand-in synced {env} to {}", short(commit));
        let report = self.watch(env, commit, true)?;
        ensure!(
            report.verdict == "healthy",
            "{env} is {}: {}",
            report.verdict,
            report.reason
        );
        println!(
            "  ferry monitor: {env} healthy after {} checks → verification record written",
            report.checks
        );
        Ok(())
    }

    fn watch(&self, env: &str, commit: &str, verify: bool) -> Result<Watch> {
        let url = format!("{}/{env}/api/healthz", self.cluster.url);
        let interval = format!("{}ms", INTERVAL.as_millis());
        let checks = CHECKS.to_string();
        let failures = FAILURES.to_string();
        let mut args = vec![
            "monitor",
            "watch",
            "--http",
            &url,
            "--warmup",
            "0s",
            "--interval",
            &interval,
            "--checks",
            &checks,
            "--failures",
            &failures,
            "--format",
            "json",
        ];
        if verify {
            args.extend(["--verify", env, "--commit", commit]);
        }
        let out = self.ferry_status(&args)?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut watch = Watch::default();
        for line in stdout.lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            match event["event"].as_str() {
                Some("check") => {
                    watch.checks += 1;
                    if event["outcome"] == "fail" && watch.first_failure_ms.is_none() {
                        watch.first_failure_ms = event["at_ms"].as_u64();
                    }
                    if event["outcome"] == "fail" {
                        println!(
                            "  check {}: FAIL {}",
                            event["n"],
                            event["observations"][0]["message"].as_str().unwrap_or("")
                        );
                    }
                }
                Some("verdict") => {
                    watch.verdict = event["verdict"].as_str().unwrap_or("").to_owned();
                    watch.reason = event["reason"].as_str().unwrap_or("").to_owned();
                    watch.verdict_line = line.to_owned();
                }
                _ => {}
            }
        }
        if watch.verdict.is_empty() {
            bail!(
                "ferry monitor printed no verdict: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(watch)
    }

    /// Runs `ferry ARGS` in the CI checkout; fails with its stderr when it fails.
    fn ferry(&self, args: &[&str]) -> Result<String> {
        let out = self.ferry_status(args)?;
        if !out.status.success() {
            bail!(
                "`ferry {}` failed ({}):\n{}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn ferry_status(&self, args: &[&str]) -> Result<Output> {
        if let Some(step) = args.first() {
            binary(&self.bins, &format!("ferry-{step}"))?;
        }
        Command::new(binary(&self.bins, "ferry")?)
            .args(args)
            .current_dir(&self.checkout)
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_EVENT_NAME")
            .env("NO_COLOR", "1")
            .output()
            .with_context(|| format!("cannot run ferry {}", args.join(" ")))
    }
}

#[derive(Debug, Default)]
struct Watch {
    verdict: String,
    reason: String,
    checks: u32,
    first_failure_ms: Option<u64>,
    verdict_line: String,
}

/// The demo's ferry.toml: the blueprint's, with the plain-git forge, automatic merges in every
/// environment (a person approves prod in the blueprint) and soak times short enough for a demo.
fn config(registry: &str) -> String {
    let text = r#"# Ferry settings of the demo (cargo xtask demo); fixtures/blueprint/ferry.toml is the real one.
[images]
backend = "REGISTRY/acme/backend"
frontend = "REGISTRY/acme/frontend"

[forge]
kind = "git"
author = "Ferry Demo <demo@ferry.invalid>"
base-branch = "main"
branch-prefix = "deploy/"

[forge.git]
remote = "origin"

[[environment]]
name = "dev"
overlay = "infra/k8s/overlays/dev"
auto-merge = true

[[environment]]
name = "staging"
overlay = "infra/k8s/overlays/staging"
upstream = "dev"
auto-merge = true
soak = "0s"

[[environment]]
name = "prod"
overlay = "infra/k8s/overlays/prod"
upstream = "staging"
auto-merge = true
soak = "0s"
"#;
    text.replace("REGISTRY", registry)
}

fn json(text: &str) -> Result<Value> {
    serde_json::from_str(text).with_context(|| format!("not JSON: {text}"))
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Runs git in `dir` with a fixed identity; fails with its stderr.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<()> {
    git_out(dir, args).map(drop)
}

/// Runs git in `dir`; returns its trimmed stdout.
pub(crate) fn git_out(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ferry Demo")
        .env("GIT_AUTHOR_EMAIL", "demo@ferry.invalid")
        .env("GIT_COMMITTER_NAME", "Ferry Demo")
        .env("GIT_COMMITTER_EMAIL", "demo@ferry.invalid")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
