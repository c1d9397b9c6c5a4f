//! `watch` with probes and Prometheus metrics side by side: the monitor loop and the analysis
//! run at once, their events printed as they come, one verdict at the end.
//!
//! An unhealthy analysis ends the monitor at once (it arrives as a fast-fail signal); an
//! unhealthy monitor ends the watch without waiting for the analysis. Otherwise the worse of
//! the two verdicts wins (unhealthy, then inconclusive, then healthy).

use std::io::Write;

use ferry_cli::{Context as _, Format, Result};
use ferry_health::analysis::run::{self, Event as AnalysisEvent, Metric, Report as AnalysisReport};
use ferry_health::monitor::{self, Event, Policy, Report, Verdict};
use ferry_health::output::{event_json, event_text};
use ferry_health::probe::{Observation, Probe};
use tokio::sync::mpsc;

use crate::metrics::event_line;

/// Runs the probes and the metrics until a verdict.
pub async fn run_watch(
    policy: &Policy,
    mut probes: Vec<Box<dyn Probe>>,
    signals: mpsc::Receiver<Observation>,
    metrics: Vec<Metric>,
    metric_signal: mpsc::Sender<Observation>,
    started: jiff::Timestamp,
    format: Format,
) -> Result<Report> {
    let total = policy.checks();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let deadline = policy.timeout;
    let analysis = async move {
        if metrics.is_empty() {
            return None;
        }
        let report = run::run(metrics, deadline, started, tx).await;
        if report.verdict == Verdict::Unhealthy {
            let _ = metric_signal
                .send(Observation::fast_fail(
                    "metrics",
                    format!("analysis {}: {}", report.phase, report.reason),
                ))
                .await;
        }
        Some(report)
    };
    let mut write_error = None;
    let mut print_error = None;
    let has_probes = !probes.is_empty();
    let (a, m) = {
        let mut print_monitor = |event: &Event| {
            // The verdict is printed once both are done.
            if matches!(event, Event::Verdict(_)) {
                return;
            }
            let line = match format {
                Format::Json => event_json(event, started, None),
                Format::Text => event_text(event, total),
            };
            let mut out = std::io::stdout();
            if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
                && write_error.is_none()
            {
                write_error = Some(e);
            }
        };
        let monitored = async {
            if has_probes {
                Some(monitor::run(policy, &mut probes, Some(signals), &mut print_monitor).await)
            } else {
                None
            }
        };
        let mut analysis = std::pin::pin!(analysis);
        let mut monitored = std::pin::pin!(monitored);
        let (mut a, mut m): (Option<Option<AnalysisReport>>, Option<Option<Report>>) = (None, None);
        let mut print = |event: AnalysisEvent| {
            let mut out = std::io::stdout();
            if let Err(e) = writeln!(out, "{}", event_line(&event, format == Format::Json))
                .and_then(|()| out.flush())
                && print_error.is_none()
            {
                print_error = Some(e);
            }
        };
        while a.is_none() || m.is_none() {
            tokio::select! {
                r = &mut analysis, if a.is_none() => a = Some(r),
                r = &mut monitored, if m.is_none() => {
                    let unhealthy = matches!(&r, Some(r) if r.verdict == Verdict::Unhealthy);
                    m = Some(r);
                    if unhealthy {
                        break;
                    }
                }
                Some(event) = rx.recv() => print(event),
            }
        }
        while let Ok(event) = rx.try_recv() {
            print(event);
        }
        (a, m)
    };
    if let Some(e) = write_error.or(print_error) {
        return Err(e).context("cannot write to stdout");
    }
    Ok(combine(policy, m.flatten(), a.flatten()))
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Healthy => 0,
        Verdict::Inconclusive => 1,
        Verdict::Unhealthy => 2,
    }
}

/// One report: the monitor's, with the analysis's verdict and reason when it is worse (or
/// when only metrics were watched).
fn combine(policy: &Policy, m: Option<Report>, a: Option<AnalysisReport>) -> Report {
    let from_analysis = |base: Option<Report>, a: &AnalysisReport| Report {
        verdict: a.verdict,
        reason: format!("metrics: {}", a.reason),
        at_ms: base.as_ref().map_or(a.at_ms, |b| b.at_ms.max(a.at_ms)),
        policy: policy.clone(),
        checks: base.as_ref().map(|b| b.checks.clone()).unwrap_or_default(),
        signal: base.and_then(|b| b.signal),
    };
    match (m, a) {
        (Some(m), Some(a)) if rank(a.verdict) > rank(m.verdict) => from_analysis(Some(m), &a),
        (Some(m), _) => m,
        (None, Some(a)) => from_analysis(None, &a),
        (None, None) => Report {
            verdict: Verdict::Inconclusive,
            reason: "nothing was watched".to_owned(),
            at_ms: 0,
            policy: policy.clone(),
            checks: Vec::new(),
            signal: None,
        },
    }
}
