//! Counting measurements and judging a metric and a run, as the Rollouts controller does
//! (`analysis/analysis.go`: the counters, `assessMetricStatus`, `assessRunStatus`).

use std::time::Duration;

use serde::Serialize;

use super::Phase;

/// The limits and span of one metric; `None` is "not set" (Rollouts' defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// `count`: measurements (errors excluded) after which the metric ends.
    pub count: Option<i64>,
    /// `interval`: time between measurements.
    #[serde(skip)]
    pub interval: Option<Duration>,
    /// `failureLimit` (default 0; negative disables it).
    pub failure_limit: Option<i64>,
    /// `inconclusiveLimit` (default 0).
    pub inconclusive_limit: Option<i64>,
    /// `consecutiveErrorLimit` (default 4).
    pub consecutive_error_limit: Option<i64>,
    /// `consecutiveSuccessLimit` (default: off).
    pub consecutive_success_limit: Option<i64>,
}

/// Rollouts' default `consecutiveErrorLimit`.
pub const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i64 = 4;

impl Limits {
    /// The number of measurements after which the metric ends: 1 without `count` and
    /// `interval`, none (until a limit or the end of the run) with an `interval` but no
    /// `count`, else `count`.
    pub fn effective_count(&self) -> Option<i64> {
        match (self.count.filter(|c| *c != 0), self.interval) {
            (Some(c), _) => Some(c),
            (None, None) => Some(1),
            (None, Some(_)) => None,
        }
    }

    fn failure_limit(&self) -> i64 {
        self.failure_limit.unwrap_or(0)
    }

    fn inconclusive_limit(&self) -> i64 {
        self.inconclusive_limit.unwrap_or(0)
    }

    fn consecutive_error_limit(&self) -> i64 {
        self.consecutive_error_limit
            .unwrap_or(DEFAULT_CONSECUTIVE_ERROR_LIMIT)
    }
}

/// A metric's counters (`status.metricResults[]` of an AnalysisRun).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Completed measurements, errors excluded.
    pub count: i64,
    /// Successful measurements.
    pub successful: i64,
    /// Failed measurements.
    pub failed: i64,
    /// Inconclusive measurements.
    pub inconclusive: i64,
    /// Errored measurements.
    pub error: i64,
    /// Errors since the last measurement that was not one.
    pub consecutive_error: i64,
    /// Successes since the last measurement that was not one.
    pub consecutive_success: i64,
}

impl Counters {
    /// Counts one completed measurement: an error does not count towards `count`, and resets
    /// nothing but `consecutiveSuccess`; any other phase resets `consecutiveError`.
    pub fn record(&mut self, phase: Phase) {
        match phase {
            Phase::Error => {
                self.error += 1;
                self.consecutive_error += 1;
                self.consecutive_success = 0;
                return;
            }
            Phase::Successful => {
                self.successful += 1;
                self.consecutive_success += 1;
            }
            Phase::Failed => {
                self.failed += 1;
                self.consecutive_success = 0;
            }
            Phase::Inconclusive => {
                self.inconclusive += 1;
                self.consecutive_success = 0;
            }
            Phase::Pending | Phase::Running => return,
        }
        self.count += 1;
        self.consecutive_error = 0;
    }
}

/// The limit a metric's counters exceed, if any, with Rollouts' message
/// (`failed (1) > failureLimit (0)`). Each check is a strict `>`, and a later one wins: Error
/// beats Inconclusive beats Failed.
pub fn assess_limits(limits: &Limits, c: &Counters) -> Option<(Phase, String)> {
    let mut out = None;
    let failure_limit = limits.failure_limit();
    if failure_limit >= 0 && c.failed > failure_limit {
        out = Some((
            Phase::Failed,
            format!("failed ({}) > failureLimit ({failure_limit})", c.failed),
        ));
    }
    let inconclusive_limit = limits.inconclusive_limit();
    if c.inconclusive > inconclusive_limit {
        out = Some((
            Phase::Inconclusive,
            format!(
                "inconclusive ({}) > inconclusiveLimit ({inconclusive_limit})",
                c.inconclusive
            ),
        ));
    }
    let error_limit = limits.consecutive_error_limit();
    if c.consecutive_error > error_limit {
        out = Some((
            Phase::Error,
            format!(
                "consecutiveErrors ({}) > consecutiveErrorLimit ({error_limit})",
                c.consecutive_error
            ),
        ));
    }
    out
}

/// A metric's phase (Rollouts' `assessMetricStatus`) from its limits, counters, the phase of
/// its last measurement (`None`: no measurement yet) and whether the run is terminating.
pub fn assess_metric(
    limits: &Limits,
    c: &Counters,
    last: Option<Phase>,
    terminating: bool,
) -> Phase {
    let Some(last) = last else {
        return if terminating {
            Phase::Successful
        } else {
            Phase::Pending
        };
    };
    if !last.is_completed() {
        return Phase::Running;
    }
    if let Some((phase, _)) = assess_limits(limits, c) {
        return phase;
    }
    let success_limit = limits.consecutive_success_limit.unwrap_or(0);
    if success_limit > 0 && c.consecutive_success >= success_limit {
        return Phase::Successful;
    }
    if let Some(n) = limits.effective_count()
        && c.count >= n
    {
        let failure_applicable = limits.failure_limit.is_none_or(|l| l >= 0);
        let success_applicable = success_limit > 0;
        return match (failure_applicable, success_applicable) {
            (true, true) => Phase::Inconclusive,
            (false, true) => Phase::Failed,
            _ => Phase::Successful,
        };
    }
    if terminating {
        Phase::Successful
    } else {
        Phase::Running
    }
}

/// One metric of a run as [`assess_run`] needs it.
#[derive(Debug, Clone)]
pub struct MetricState<'a> {
    /// The metric's name.
    pub name: &'a str,
    /// Its limits.
    pub limits: &'a Limits,
    /// Its phase so far.
    pub phase: Phase,
    /// Its counters.
    pub counters: Counters,
    /// The message of its result (the last measurement's error), if any.
    pub message: Option<&'a str>,
    /// A dry-run metric never affects the run's phase.
    pub dry_run: bool,
}

/// The measurements of dry-run metrics, by phase (`status.dryRunSummary`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DryRunSummary {
    /// Completed dry-run metrics.
    pub count: i64,
    /// Of them, successful.
    pub successful: i64,
    /// Failed.
    pub failed: i64,
    /// Inconclusive.
    pub inconclusive: i64,
    /// Errored.
    pub error: i64,
}

/// The run's phase (Rollouts' `assessRunStatus`): `Running` while a metric is not completed,
/// else the worst metric phase (`Successful < Running < Pending < Inconclusive < Error <
/// Failed`), with `Metric "NAME" assessed PHASE due to LIMIT` from the first metric reaching it.
/// Dry-run metrics only count in the summary.
pub fn assess_run(metrics: &[MetricState<'_>], terminate: bool) -> (Phase, String, DryRunSummary) {
    let mut summary = DryRunSummary::default();
    let mut worst: Option<Phase> = None;
    let mut message = String::new();
    let mut all_completed = true;
    for m in metrics {
        if !m.phase.is_completed() {
            all_completed = false;
            continue;
        }
        if m.dry_run {
            summary.count += 1;
            match m.phase {
                Phase::Successful => summary.successful += 1,
                Phase::Failed => summary.failed += 1,
                Phase::Inconclusive => summary.inconclusive += 1,
                Phase::Error => summary.error += 1,
                _ => {}
            }
            continue;
        }
        if worst.is_none_or(|w| m.phase.worse_than(w)) {
            worst = Some(m.phase);
            message = match assess_limits(m.limits, &m.counters) {
                Some((_, why)) => {
                    let mut msg = format!("Metric {:?} assessed {} due to {why}", m.name, m.phase);
                    if let Some(detail) = m.message.filter(|d| !d.is_empty()) {
                        msg.push_str(&format!(": \"Error Message: {detail}\""));
                    }
                    msg
                }
                None => String::new(),
            };
        }
    }
    if !all_completed {
        return (Phase::Running, String::new(), summary);
    }
    let phase = worst.unwrap_or(Phase::Successful);
    if terminate && phase != Phase::Successful {
        return (phase, "Run Terminated".to_owned(), summary);
    }
    (phase, message, summary)
}
