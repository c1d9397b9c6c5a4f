//! The analysis loop: every metric measured on its schedule, counted and judged as the Rollouts
//! controller does, until the run's phase is decided; on tokio time (tests use a paused clock).
//!
//! Measurement `k` (from 1) of a metric is due at `initialDelay + (k − 1) × interval`; after an
//! errored measurement the next one is due `min(10 s, interval)` later (Rollouts' error retry),
//! and the schedule goes on from there. A measurement's query is evaluated at the measurement's
//! time: the wall-clock time the run started plus the tokio time elapsed.
//!
//! The run ends when every metric is completed, or at once when a metric that is not dry-run
//! ends Failed, Error or Inconclusive (the run is then terminating: nothing more is measured),
//! or at the deadline (the run is terminated; metrics still running end as Rollouts ends them
//! then: Successful unless a limit was reached).
//!
//! Verdict: Successful → healthy; Failed → unhealthy; Error and Inconclusive → inconclusive.
//! Errors never make a verdict unhealthy.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use jiff::Timestamp;

use super::Phase;
use super::metric::{Counters, DryRunSummary, Limits, MetricState, assess_metric, assess_run};
use crate::monitor::Verdict;

/// Rollouts' retry interval after an errored measurement (`DefaultErrorRetryInterval`).
pub const ERROR_RETRY: Duration = Duration::from_secs(10);

/// What one measurement found.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Its phase.
    pub phase: Phase,
    /// The value as Rollouts shows it (`[0.97]`, `10`, JSON for the web provider).
    pub value: String,
    /// Why, for an error or inconclusive measurement.
    pub message: Option<String>,
}

/// The future of one measurement.
pub type MeasureFuture<'a> = Pin<Box<dyn Future<Output = Measured> + Send + 'a>>;

/// A metric provider: measures at a given time. Tests script providers by implementing it.
pub trait Provider: Send {
    /// What is measured, in one line (`prometheus http://…: QUERY`).
    fn describe(&self) -> String;
    /// One measurement, evaluated at `time`.
    fn measure(&mut self, time: jiff::Timestamp) -> MeasureFuture<'_>;
}

/// One metric of a run.
pub struct Metric {
    /// Its name.
    pub name: String,
    /// `count`, `interval` and the limits.
    pub limits: Limits,
    /// `initialDelay`: the wait before the first measurement (the monitor's warm-up).
    pub initial_delay: Duration,
    /// A dry-run metric is measured and reported but never decides the run.
    pub dry_run: bool,
    /// How it is measured.
    pub provider: Box<dyn Provider>,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric")
            .field("name", &self.name)
            .field("limits", &self.limits)
            .field("initial_delay", &self.initial_delay)
            .field("dry_run", &self.dry_run)
            .field("provider", &self.provider.describe())
            .finish()
    }
}

/// One measurement, as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The metric measured.
    pub metric: String,
    /// Its number within the metric, from 1 (errors included).
    pub n: u32,
    /// When, in milliseconds since the run started (tokio time).
    pub at_ms: u64,
    /// The evaluation time of the query (RFC 3339).
    pub time: String,
    /// Its phase.
    pub phase: Phase,
    /// The value.
    pub value: String,
    /// Why, for an error or inconclusive measurement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The metric's counters after it.
    pub counters: Counters,
    /// The metric's phase after it.
    pub metric_phase: Phase,
}

/// A metric's end state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricReport {
    /// Its name.
    pub name: String,
    /// Its phase.
    pub phase: Phase,
    /// Its counters.
    pub counters: Counters,
    /// Whether it was dry-run.
    pub dry_run: bool,
    /// Its measurements.
    pub measurements: Vec<Measurement>,
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The monitor's verdict.
    pub verdict: Verdict,
    /// The run's phase.
    pub phase: Phase,
    /// Why (Rollouts' run message, or what ended the run).
    pub reason: String,
    /// When, in milliseconds since the start.
    pub at_ms: u64,
    /// Every metric.
    pub metrics: Vec<MetricReport>,
    /// The dry-run metrics by phase.
    pub dry_run_summary: DryRunSummary,
}

/// What the run reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A measurement finished.
    Measurement(Measurement),
    /// The run ended.
    Verdict(Report),
}

/// The verdict a run's phase implies.
pub fn verdict_of(phase: Phase) -> Verdict {
    match phase {
        Phase::Successful => Verdict::Healthy,
        Phase::Failed => Verdict::Unhealthy,
        _ => Verdict::Inconclusive,
    }
}

struct State {
    metric: Metric,
    counters: Counters,
    phase: Phase,
    last: Option<Phase>,
    message: Option<String>,
    next: Option<Duration>,
    measurements: Vec<Measurement>,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Runs the metrics until the run's phase is decided or `deadline` passes (then the run is
/// terminated), sending each measurement and the verdict on `events`.
pub async fn run(
    metrics: Vec<Metric>,
    deadline: Duration,
    started: jiff::Timestamp,
    events: mpsc::UnboundedSender<Event>,
) -> Report {
    let start = Instant::now();
    let mut states: Vec<State> = metrics
        .into_iter()
        .map(|metric| State {
            next: Some(metric.initial_delay),
            metric,
            counters: Counters::default(),
            phase: Phase::Pending,
            last: None,
            message: None,
            measurements: Vec::new(),
        })
        .collect();
    let mut terminate = false;
    loop {
        let due = states
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.next.map(|t| (t, i)))
            .min();
        let Some((due, i)) = due.filter(|(t, _)| *t <= deadline) else {
            terminate = true;
            if states.iter().any(|s| s.next.is_some()) {
                tokio::time::sleep_until(start + deadline).await;
            }
            break;
        };
        tokio::time::sleep_until(start + due).await;
        let elapsed = start.elapsed();
        let time = started.checked_add(elapsed).unwrap_or(started);
        let state = &mut states[i];
        let measured = state.metric.provider.measure(time).await;
        let at = start.elapsed();
        state.counters.record(measured.phase);
        state.last = Some(measured.phase);
        state.message = measured.message.clone();
        state.phase = assess_metric(&state.metric.limits, &state.counters, state.last, false);
        let n = u32::try_from(state.measurements.len() + 1).unwrap_or(u32::MAX);
        let m = Measurement {
            metric: state.metric.name.clone(),
            n,
            at_ms: millis(at),
            time: time.to_string(),
            phase: measured.phase,
            value: measured.value,
            message: measured.message,
            counters: state.counters,
            metric_phase: state.phase,
        };
        let _ = events.send(Event::Measurement(m.clone()));
        state.measurements.push(m);
        state.next = if state.phase.is_completed() {
            None
        } else {
            let interval = state.metric.limits.interval;
            Some(if measured.phase == Phase::Error {
                due + interval.map_or(ERROR_RETRY, |i| i.min(ERROR_RETRY))
            } else {
                due + interval.unwrap_or(Duration::ZERO)
            })
        };
        let decisive = !state.metric.dry_run
            && matches!(
                state.phase,
                Phase::Failed | Phase::Error | Phase::Inconclusive
            );
        if decisive || states.iter().all(|s| s.next.is_none()) {
            break;
        }
    }
    // A terminating run measures no more; its running metrics are assessed as terminating.
    let terminating = terminate
        || states.iter().any(|s| {
            !s.metric.dry_run
                && matches!(s.phase, Phase::Failed | Phase::Error | Phase::Inconclusive)
        });
    for s in &mut states {
        if !s.phase.is_completed() {
            s.phase = assess_metric(&s.metric.limits, &s.counters, s.last, terminating);
        }
    }
    let views: Vec<MetricState<'_>> = states
        .iter()
        .map(|s| MetricState {
            name: &s.metric.name,
            limits: &s.metric.limits,
            phase: s.phase,
            counters: s.counters,
            message: s.message.as_deref(),
            dry_run: s.metric.dry_run,
        })
        .collect();
    let (phase, message, dry_run_summary) = assess_run(&views, false);
    let reason = if !message.is_empty() {
        message
    } else if terminate && phase == Phase::Successful {
        format!(
            "the run was terminated at the deadline ({} s) with no metric failed",
            deadline.as_secs()
        )
    } else {
        format!("every metric completed: {phase}")
    };
    let report = Report {
        verdict: verdict_of(phase),
        phase,
        reason,
        at_ms: millis(start.elapsed()),
        metrics: states
            .into_iter()
            .map(|s| MetricReport {
                name: s.metric.name,
                phase: s.phase,
                counters: s.counters,
                dry_run: s.metric.dry_run,
                measurements: s.measurements,
            })
            .collect(),
        dry_run_summary,
    };
    let _ = events.send(Event::Verdict(report.clone()));
    report
}
