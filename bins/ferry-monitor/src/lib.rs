//! `ferry-monitor`: say quickly and truthfully whether a new version is healthy after a deploy.
//!
//! Exit codes: 0 healthy (or synced), 1 unhealthy (or the sync failed), 3 inconclusive (probe
//! errors over budget, still waiting, timed out), 2 usage errors (bad arguments, unreadable files,
//! no usable kubeconfig).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use args::{AnalyzeArgs, AssessArgs, SyncArgs, WatchArgs};
use clap::{Parser, Subcommand};
use ferry_cli::{Context as _, Error, ErrorKind, Format, Result, Runtime, WithKind as _};
use ferry_health::monitor::Event;
use ferry_health::output::{event_json, event_text, observation_text};
use ferry_health::probe::argocd::{ApplicationProbe, wait_until_decided};
use ferry_health::probe::cluster::{Application, cluster_probes};
use ferry_health::probe::http::HttpProbe;
use ferry_health::probe::kubernetes::Workload;
use ferry_health::probe::{Observation, Outcome, Probe};
use watch::run_watch;

mod analyze;
mod args;
mod http_spec;
mod metrics;
mod settings;
mod verify;
mod watch;

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
    /// Run an Argo Rollouts AnalysisTemplate (prometheus and web providers) as the Rollouts
    /// controller would, printing each measurement (exit 0 Successful, 1 Failed, 3 Error or
    /// Inconclusive).
    Analyze(AnalyzeArgs),
}

/// Runs `ferry-monitor` with this command line (the program name first): the binary's `main`,
/// and `ferry monitor` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(
        args,
        "ferry-monitor",
        Runtime::MultiThread,
        |cli: Cli| async move {
            match cli.command {
                Command::Watch(args) => watch(args).await,
                Command::Assess(args) => assess(&args),
                Command::Sync(args) => sync(args).await,
                Command::Analyze(args) => analyze::analyze(args).await,
            }
        },
    )
}

async fn watch(args: WatchArgs) -> Result<u8> {
    // What to watch comes from the command line and ferry.toml: a mistake in it is a usage
    // error (exit 2), and so is a --verify that cannot start (no forge, no remote), found
    // before anything is watched, whatever failed below it.
    let chosen = settings::resolve(&args).with_kind(ErrorKind::Usage)?;
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
                .map_err(|e| Error::usage(format!("--workload {w}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let vars = metrics::release_vars(
        chosen.env.as_deref(),
        chosen.namespace.as_deref(),
        args.metric.image.as_deref(),
    );
    let auth = if chosen.metrics.is_empty() {
        None
    } else {
        metrics::auth().with_kind(ErrorKind::Usage)?
    };
    let analysis_metrics = metrics::build(&chosen.metrics, &policy, &vars, auth.as_ref())
        .with_kind(ErrorKind::Usage)?;
    let pending = verify::prepare(&args.verify)
        .await
        .with_kind(ErrorKind::Usage)?;
    let (signals_tx, signals) = tokio::sync::mpsc::channel(8);
    if !workloads.is_empty() || chosen.argocd.is_some() {
        let (client, namespace) = ferry_cli::kube::client(
            None,
            args.cluster.context.as_deref(),
            chosen.namespace.as_deref(),
        )
        .await?;
        let application = chosen.argocd.as_ref().map(|(app, revision)| Application {
            namespace: args.cluster.argocd_namespace.clone(),
            name: app.clone(),
            revision: revision.clone(),
        });
        let retry = policy.interval.min(Duration::from_secs(10));
        probes.extend(cluster_probes(
            &client,
            &namespace,
            workloads,
            application,
            &signals_tx,
            retry,
        ));
    }
    let metric_signal = signals_tx.clone();
    drop(signals_tx);
    let format = args.format;
    let total = policy.checks();
    let mut probe_names: Vec<String> = probes.iter().map(|p| p.name()).collect();
    probe_names.extend(analysis_metrics.iter().map(|m| m.provider.describe()));
    let started = jiff::Timestamp::now();
    // The verdict line also says when the watch started and what it watched, so that
    // `ferry-rollback --report` can tell a stale report and age the failures.
    let watched = pending
        .as_ref()
        .map(|p| p.commit().to_string())
        .or_else(|| chosen.argocd.as_ref().map(|(_, r)| r.clone()));
    if probes.is_empty() {
        let line = match format {
            Format::Json => serde_json::json!({"event": "started", "policy": &policy,
                "probes": &probe_names})
            .to_string(),
            Format::Text => metrics::started_text(&policy, &analysis_metrics),
        };
        let mut out = std::io::stdout();
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .context("cannot write to stdout")?;
    }
    let report = run_watch(
        &policy,
        probes,
        signals,
        analysis_metrics,
        metric_signal,
        started,
        format,
    )
    .await?;
    let verdict_event = Event::Verdict(report.clone());
    let line = match format {
        Format::Json => event_json(&verdict_event, started, watched.as_deref()),
        Format::Text => event_text(&verdict_event, total),
    };
    let mut out = std::io::stdout();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("cannot write to stdout")?;
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
    ferry_cli::github_output::write(&outputs)?;
    if let Some((env, result)) = verification {
        verify::print(&mut out, format, &env, &result?).context("cannot write to stdout")?;
    }
    Ok(report.verdict.exit_code())
}

fn assess(args: &AssessArgs) -> Result<u8> {
    let mut rows = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let docs = ferry_kustomize::documents::read_documents(file).map_err(Into::into);
        let assessed = docs.and_then(|docs| {
            ferry_health::assessment::assess_documents(&name, docs).map_err(Error::from)
        });
        // A FILE argument that cannot be read or holds no objects is a usage error (exit 2).
        rows.extend(assessed.map_err(|e| e.reclassify(ErrorKind::Usage))?);
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&rows).expect("assessments are JSON");
            writeln!(out, "{json}")?;
        }
        Format::Text => {
            for r in &rows {
                writeln!(out, "{}", r.text())?;
            }
        }
    }
    Ok(ferry_health::assessment::exit_code(&rows))
}

async fn sync(args: SyncArgs) -> Result<u8> {
    let cluster = &args.cluster;
    let (client, _) = ferry_cli::kube::client(
        None,
        cluster.context.as_deref(),
        cluster.namespace.as_deref(),
    )
    .await?;
    let mut probe = ApplicationProbe::new(
        client,
        args.cluster.argocd_namespace.clone(),
        args.argocd_app.clone(),
        settings::full_revision(&args.revision, None).with_kind(ErrorKind::Usage)?,
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
    ferry_cli::github_output::write(&[("sync", verdict), ("message", &result.message)])?;
    Ok(match result.outcome {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        _ => 3,
    })
}
