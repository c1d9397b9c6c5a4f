//! `ferry-monitor`: say quickly and truthfully whether a new version is healthy after a deploy.
//!
//! Exit codes: 0 healthy (or synced), 1 unhealthy (or the sync failed), 3 inconclusive (probe
//! errors over budget, still waiting, timed out), 2 usage errors (bad arguments, unreadable files,
//! no usable kubeconfig).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use ferry_cli::Format;
use ferry_config::parse_duration;
use ferry_health::monitor::{self, Event, Verdict};
use ferry_health::probe::argocd::{ApplicationProbe, wait_until_decided};
use ferry_health::probe::http::HttpProbe;
use ferry_health::probe::kubernetes::{Workload, WorkloadProbe};
use ferry_health::probe::{Observation, Outcome, Probe};
use serde::Serialize;

mod http_spec;
mod settings;
mod verify;

/// Watch a deploy and give a verdict: healthy, unhealthy or inconclusive.
///
/// Probe errors (timeouts, refused connections, API 5xx/401/403) are never failures: they spend
/// an error budget and can only make the verdict inconclusive. Pod signals of the new revision
/// (CrashLoopBackOff, ImagePullBackOff, ErrImagePull, InvalidImageName,
/// CreateContainerConfigError, CreateContainerError, RunContainerError, repeated OOMKilled) end the
/// watch at once.
#[derive(Debug, Parser)]
#[command(name = "ferry-monitor", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check probes on a schedule and give a verdict (exit 0 healthy, 1 unhealthy, 3 inconclusive).
    Watch(WatchArgs),
    /// Assess Kubernetes objects in YAML or JSON files offline, with Argo CD's health rules.
    Assess(AssessArgs),
    /// Wait until an Argo CD Application is synced to a revision, then report its health.
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
struct ClusterArgs {
    /// Namespace of the workloads (default: the kubeconfig context's namespace, else `default`).
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    /// Kubeconfig context (default: the current context; in a pod, the in-cluster config).
    #[arg(long, value_name = "CTX")]
    context: Option<String>,
    /// Namespace of Argo CD Applications.
    #[arg(long, value_name = "NS", default_value = "argocd")]
    argocd_namespace: String,
}

#[derive(Debug, Args)]
#[command(after_help = settings::DEFAULTS)]
struct WatchArgs {
    /// Watch what ferry.toml configures for ENV: [environment.monitor] http probes, workloads,
    /// namespace and policy, and the environment's argocd-app (`--verify ENV` implies it). Flags
    /// override the file.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// HTTP probe: URL[,status=200|204][,body=REGEX][,json=/POINTER=VALUE][,header=NAME:VALUE][,timeout=10s].
    #[arg(long = "http", value_name = "SPEC")]
    http: Vec<String>,
    /// Kubernetes workload to follow: KIND/NAME (deployment, statefulset, daemonset, rollout).
    #[arg(long = "workload", value_name = "KIND/NAME")]
    workloads: Vec<String>,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Argo CD Application that must be synced to --revision and healthy.
    #[arg(long, value_name = "NAME")]
    argocd_app: Option<String>,
    /// The Git revision the Application must be synced to: a full commit id, or any form git
    /// rev-parse takes, resolved in the GitOps repository (default with --env: the tip of the
    /// base branch).
    #[arg(long, value_name = "SHA")]
    revision: Option<String>,
    /// Wait before the first check [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    warmup: Option<Duration>,
    /// Time between checks [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Number of checks [default: 10].
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    checks: Option<u32>,
    /// Check for this long after the warm-up instead of a number of checks.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Consecutive failed checks that make the verdict unhealthy (a passed check resets it); at
    /// most the number of checks [default: 3, or the number of checks when fewer].
    #[arg(long, value_name = "N")]
    failures: Option<u32>,
    /// Inconclusive checks (probe errors, no data) tolerated before the verdict is inconclusive
    /// [default: 5].
    #[arg(long, value_name = "N")]
    error_budget: Option<u32>,
    /// Give up, inconclusive, after this long [default: 15m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Output: one line per check, or JSON Lines events.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    verify: verify::VerifyArgs,
}

#[derive(Debug, Args)]
struct AssessArgs {
    /// YAML or JSON files (several documents each, `kind: List` expanded).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
struct SyncArgs {
    /// The Argo CD Application.
    #[arg(long, value_name = "NAME")]
    argocd_app: String,
    /// The Git revision it must be synced to: a full commit id, or any form git rev-parse
    /// takes, resolved in the repository around the current directory.
    #[arg(long, value_name = "SHA")]
    revision: String,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Time between checks.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    interval: Duration,
    /// Give up after this long (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    timeout: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn main() -> ExitCode {
    let cli: Cli = ferry_cli::start();
    let json = ferry_cli::report::json_requested();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the runtime: {e}");
            return ferry_cli::Failure::new(ferry_cli::ErrorKind::Io, message)
                .report("ferry-monitor", json);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Watch(args) => watch(args).await,
            Command::Assess(args) => assess(&args),
            Command::Sync(args) => sync(args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A --verify that cannot start (no forge, no remote) is a mistake found before
            // anything is watched: exit 2, whatever failed below it.
            let kind = if e.to_string().starts_with("--verify") {
                ferry_cli::ErrorKind::Usage
            } else {
                ferry_cli::forge::classify(&e)
            };
            ferry_cli::report::fail("ferry-monitor", json, kind, e.as_ref())
        }
    }
}

/// A Kubernetes client and the namespace to use, from the kubeconfig (or in-cluster config).
async fn kube_client(cluster: &ClusterArgs) -> Result<(kube::Client, String)> {
    ferry_cli::kube::client(
        None,
        cluster.context.as_deref(),
        cluster.namespace.as_deref(),
    )
    .await
    .map_err(anyhow::Error::from)
}

async fn watch(args: WatchArgs) -> Result<u8> {
    let chosen = settings::resolve(&args)?;
    let policy = chosen.policy.clone();
    let mut probes: Vec<Box<dyn Probe>> = Vec::new();
    for spec in chosen.http {
        let url = spec.url.clone();
        probes.push(Box::new(
            HttpProbe::new(spec).with_context(|| format!("--http {url}"))?,
        ));
    }
    let workloads = chosen
        .workloads
        .iter()
        .map(|w| {
            w.parse::<Workload>()
                .map_err(|e| anyhow::anyhow!("--workload {w}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let pending = verify::prepare(&args.verify).await?;
    let (signals_tx, signals) = tokio::sync::mpsc::channel(8);
    if !workloads.is_empty() || chosen.argocd.is_some() {
        let cluster = ClusterArgs {
            namespace: chosen.namespace.clone(),
            context: args.cluster.context.clone(),
            argocd_namespace: args.cluster.argocd_namespace.clone(),
        };
        let (client, namespace) = kube_client(&cluster).await?;
        for workload in workloads {
            let probe = WorkloadProbe::new(client.clone(), namespace.clone(), workload);
            let watcher = probe.clone();
            let tx = signals_tx.clone();
            let retry = policy.interval.min(Duration::from_secs(10));
            tokio::spawn(async move { watcher.watch_signals(tx, retry).await });
            probes.push(Box::new(probe));
        }
        if let Some((app, revision)) = &chosen.argocd {
            probes.push(Box::new(ApplicationProbe::new(
                client,
                args.cluster.argocd_namespace.clone(),
                app.clone(),
                revision.clone(),
            )));
        }
    }
    drop(signals_tx);
    let format = args.format;
    let total = policy.checks();
    let probe_names: Vec<String> = probes.iter().map(|p| p.name()).collect();
    let started = jiff::Timestamp::now();
    // The verdict line also says when the watch started and what it watched, so that
    // `ferry-rollback --report` can tell a stale report and age the failures.
    let watched = pending
        .as_ref()
        .map(|p| p.commit().to_string())
        .or_else(|| chosen.argocd.as_ref().map(|(_, r)| r.clone()));
    let mut out = std::io::stdout();
    let mut write_error = None;
    let report = monitor::run(&policy, &mut probes, Some(signals), &mut |event: &Event| {
        let line = match format {
            Format::Json => verdict_json(event, started, watched.as_deref()),
            Format::Text => text_line(event, total),
        };
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
            && write_error.is_none()
        {
            write_error = Some(e);
        }
    })
    .await;
    if let Some(e) = write_error {
        return Err(e).context("cannot write to stdout");
    }
    let verification = pending.map(|p| {
        let env = p.env().to_string();
        let evidence = verify::evidence(&report, &probe_names, started, jiff::Timestamp::now());
        (env, p.finish(&report, evidence))
    });
    let verification = match verification {
        Some((env, finish)) => Some((env, finish.await)),
        None => None,
    };
    let mut outputs = vec![
        ("verdict", report.verdict.as_str()),
        ("reason", &report.reason),
    ];
    if let Some((_, result)) = &verification {
        let verified = matches!(result, Ok(verify::Verification::Recorded(..)));
        outputs.push(("verified", if verified { "true" } else { "false" }));
    }
    github_output(&outputs)?;
    if let Some((env, result)) = verification {
        verify::print(&mut out, format, &env, &result?).context("cannot write to stdout")?;
    }
    Ok(match report.verdict {
        Verdict::Healthy => 0,
        Verdict::Unhealthy => 1,
        Verdict::Inconclusive => 3,
    })
}

/// An event as a JSON line; the verdict gets `started_at` (RFC 3339) and, when known, the
/// `commit` watched (the one `--verify` fixed, else `--revision`).
fn verdict_json(event: &Event, started: jiff::Timestamp, commit: Option<&str>) -> String {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let (Event::Verdict(_), Some(obj)) = (event, value.as_object_mut()) {
        let started =
            jiff::Timestamp::from_millisecond(started.as_millisecond()).unwrap_or(started);
        obj.insert("started_at".into(), started.to_string().into());
        if let Some(commit) = commit {
            obj.insert("commit".into(), commit.into());
        }
    }
    value.to_string()
}

fn clock(ms: u64) -> String {
    let (m, s, ms) = (ms / 60_000, ms / 1000 % 60, ms % 1000);
    if ms == 0 {
        format!("+{m}m{s:02}s")
    } else {
        format!("+{m}m{s:02}.{ms:03}s")
    }
}

fn observation_text(o: &Observation) -> String {
    let latency = o
        .latency_ms
        .map(|l| format!(" ({l} ms)"))
        .unwrap_or_default();
    format!("{} {}: {}{latency}", o.outcome, o.probe, o.message)
}

fn text_line(event: &Event, total: u32) -> String {
    match event {
        Event::Started { policy, probes } => format!(
            "watching {}: warm-up {}, {} checks every {}, unhealthy after {} consecutive failures, error budget {}, timeout {}",
            probes.join(", "),
            ferry_config::human_duration(policy.warmup),
            total,
            ferry_config::human_duration(policy.interval),
            policy.failures,
            policy.error_budget,
            ferry_config::human_duration(policy.timeout)
        ),
        Event::Check(c) => format!(
            "{} check {}/{total} {} (failures in a row {}, errors {}) | {}",
            clock(c.at_ms),
            c.n,
            c.outcome,
            c.consecutive_failures,
            c.errors,
            c.observations
                .iter()
                .map(observation_text)
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        Event::Signal(s) => format!(
            "{} signal {}",
            clock(s.at_ms),
            observation_text(&s.observation)
        ),
        Event::Verdict(r) => format!("{} verdict {}: {}", clock(r.at_ms), r.verdict, r.reason),
    }
}

/// Appends the pairs to `$GITHUB_OUTPUT` when running in GitHub Actions (multi-line values
/// whole, in the delimiter form).
fn github_output(pairs: &[(&str, &str)]) -> Result<()> {
    ferry_cli::github_output::write(pairs)?;
    Ok(())
}

/// One assessed object, as printed by `assess --format json`.
#[derive(Debug, Serialize)]
struct Assessed {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    /// `null` when no health rule applies to the kind.
    status: Option<String>,
    message: String,
    #[serde(skip)]
    file: String,
}

fn assess(args: &AssessArgs) -> Result<u8> {
    let mut rows = Vec::new();
    for file in &args.files {
        let docs = ferry_kustomize::documents::read_documents(file)?;
        let mut objects = Vec::new();
        for doc in docs {
            let is_list = doc
                .get("kind")
                .and_then(|k| k.as_str())
                .is_some_and(|k| k == "List" || k.ends_with("List"))
                && doc.get("items").is_some_and(serde_json::Value::is_array);
            if is_list {
                objects.extend(doc["items"].as_array().into_iter().flatten().cloned());
            } else if doc.is_object() {
                objects.push(doc);
            } else {
                bail!("{}: a document is not an object", file.display());
            }
        }
        for obj in objects {
            let text = |p: &str| obj.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
            let health = ferry_health::assess(&obj);
            rows.push(Assessed {
                api_version: text("/apiVersion"),
                kind: text("/kind"),
                namespace: text("/metadata/namespace"),
                name: text("/metadata/name"),
                status: health.as_ref().map(|h| h.status.to_string()),
                message: health
                    .map(|h| h.message)
                    .unwrap_or_else(|| "no health rule for this kind".into()),
                file: file.display().to_string(),
            });
        }
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?,
        Format::Text => {
            for r in &rows {
                let name = match &r.namespace {
                    Some(ns) => format!("{ns}/{}", r.name.as_deref().unwrap_or("?")),
                    None => r.name.clone().unwrap_or_else(|| "?".into()),
                };
                let status = r.status.as_deref().unwrap_or("-");
                let message = if r.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.message)
                };
                writeln!(
                    out,
                    "{}: {} {name} {status}{message}",
                    r.file,
                    r.kind.as_deref().unwrap_or("?")
                )?;
            }
        }
    }
    let any = |s: &[&str]| {
        rows.iter()
            .any(|r| r.status.as_deref().is_some_and(|x| s.contains(&x)))
    };
    Ok(if any(&["Degraded", "Missing"]) {
        1
    } else if any(&["Progressing", "Unknown"]) {
        3
    } else {
        0
    })
}

async fn sync(args: SyncArgs) -> Result<u8> {
    let (client, _) = kube_client(&args.cluster).await?;
    let mut probe = ApplicationProbe::new(
        client,
        args.cluster.argocd_namespace.clone(),
        args.argocd_app.clone(),
        settings::full_revision(&args.revision, None)?,
    );
    let format = args.format;
    let mut out = std::io::stdout();
    let mut print = |o: &Observation, last: bool| {
        let line = match format {
            Format::Json => serde_json::to_string(o).unwrap_or_default(),
            Format::Text if last => format!("result {}", observation_text(o)),
            Format::Text => observation_text(o),
        };
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    };
    let result = wait_until_decided(&mut probe, args.interval, args.timeout, &mut |o| {
        print(o, false)
    })
    .await;
    if result.message.starts_with("timed out") {
        print(&result, true);
    }
    let verdict = match result.outcome {
        Outcome::Pass => "synced",
        Outcome::Fail => "failed",
        _ => "timeout",
    };
    github_output(&[("sync", verdict), ("message", &result.message)])?;
    Ok(match result.outcome {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        _ => 3,
    })
}
