//! The monitor loop: checks at fixed times, a verdict from a policy given as data.
//!
//! Check `k` (from 1) runs at `warmup + (k - 1) × interval` after the start, every probe at once.
//! A round fails when any probe fails; it is inconclusive when no probe failed but one erred or
//! had no data; it waits when all others passed but one is waiting; else it passes.
//!
//! - `failures` consecutive failed rounds make the verdict unhealthy; a passed round resets the
//!   count (waiting and inconclusive rounds leave it alone).
//! - More than `error_budget` inconclusive rounds make the verdict inconclusive: probe errors never
//!   make a verdict unhealthy.
//! - A fast-fail observation (from a check, or sent on the signal channel by a watch) makes the
//!   verdict unhealthy at once.
//! - After the last check, without an unhealthy verdict: when the last conclusive round waited
//!   the verdict is inconclusive (still waiting); otherwise it is healthy when at least one
//!   round passed: failures interleaved with passes that never reach the consecutive threshold
//!   do not depend on which check came last. With no passed round (only errors, or failures
//!   below the threshold among errors) it is inconclusive.
//! - Past `timeout` the verdict is inconclusive.
//!
//! Everything runs on tokio time, so tests use a paused clock.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::probe::{Observation, Outcome, Probe};

/// How long to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// This many checks.
    Checks(u32),
    /// Checks until this long after the warm-up (the first check at the end of the warm-up
    /// included).
    #[serde(rename = "for_ms")]
    For(#[serde(with = "millis")] Duration),
}

/// The monitor's policy, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Wait before the first check.
    #[serde(rename = "warmup_ms", with = "millis")]
    pub warmup: Duration,
    /// Time between two checks.
    #[serde(rename = "interval_ms", with = "millis")]
    pub interval: Duration,
    /// How many checks, or for how long.
    pub span: Span,
    /// Consecutive failed rounds that make the verdict unhealthy.
    pub failures: u32,
    /// Inconclusive rounds (probe errors, no data) tolerated; one more makes the verdict
    /// inconclusive.
    pub error_budget: u32,
    /// The whole run ends, inconclusive, after this long.
    #[serde(rename = "timeout_ms", with = "millis")]
    pub timeout: Duration,
}

impl Default for Policy {
    /// 60 s warm-up, 10 checks 30 s apart, unhealthy after 3 consecutive failures, 5 errors
    /// tolerated, 15 minutes at most.
    fn default() -> Self {
        Self {
            warmup: Duration::from_secs(60),
            interval: Duration::from_secs(30),
            span: Span::Checks(10),
            failures: 3,
            error_budget: 5,
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// A binary's policy flags: each one given replaces the configured value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyFlags {
    /// `--warmup`.
    pub warmup: Option<Duration>,
    /// `--interval`.
    pub interval: Option<Duration>,
    /// `--checks` or `--duration`.
    pub span: Option<Span>,
    /// `--failures`.
    pub failures: Option<u32>,
    /// `--error-budget`.
    pub error_budget: Option<u32>,
    /// The timeout flag.
    pub timeout: Option<Duration>,
}

impl Policy {
    /// The policy of `monitor` (`[monitor]` ← `[environment.monitor]`), then the flags: the one
    /// way `ferry-monitor watch` and `ferry-preview` build it. A failure count that only comes
    /// from the file is lowered to the number of checks (a `--failures` above it is refused, as
    /// in `ferry.toml`); the result is [validated](Policy::validate).
    pub fn configured(
        monitor: &ferry_config::Monitor,
        flags: &PolicyFlags,
    ) -> Result<Policy, String> {
        let mut policy = Policy {
            warmup: flags.warmup.unwrap_or(monitor.warmup),
            interval: flags.interval.unwrap_or(monitor.interval),
            span: flags.span.unwrap_or(Span::Checks(monitor.checks)),
            failures: flags.failures.unwrap_or(monitor.failures),
            error_budget: flags.error_budget.unwrap_or(monitor.error_budget),
            timeout: flags.timeout.unwrap_or(monitor.timeout),
        };
        let checks = policy.checks();
        if flags.failures.is_none() && policy.failures > checks && checks > 0 {
            policy.failures = checks;
        }
        policy.validate()?;
        Ok(policy)
    }

    /// Why the policy cannot be run, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.failures == 0 {
            return Err("failures must be at least 1".into());
        }
        if self.interval.is_zero() {
            return Err("the interval must be longer than zero".into());
        }
        if self.span == Span::Checks(0) {
            return Err("checks must be at least 1".into());
        }
        let checks = self.checks();
        if self.failures > checks {
            return Err(format!(
                "failures ({}) must not exceed the number of checks ({checks}): a release could \
                 never be found unhealthy",
                self.failures
            ));
        }
        let last_due = self.due(checks);
        if last_due >= self.timeout {
            return Err(format!(
                "the last of {checks} checks is due {} after the start, at or after the timeout \
                 of {}: every run would end inconclusive; raise the timeout or ask for fewer checks",
                ferry_config::human_duration(last_due),
                ferry_config::human_duration(self.timeout)
            ));
        }
        Ok(())
    }

    /// The number of checks the policy asks for.
    pub fn checks(&self) -> u32 {
        match self.span {
            Span::Checks(n) => n,
            Span::For(d) => {
                let n = d.as_nanos() / self.interval.as_nanos().max(1);
                u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1)
            }
        }
    }

    /// When check `n` (from 1) is due, after the start.
    pub fn due(&self, n: u32) -> Duration {
        self.warmup + self.interval * n.saturating_sub(1)
    }
}

/// The final verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The new version is healthy.
    Healthy,
    /// The new version is failing.
    Unhealthy,
    /// The monitor could not tell.
    Inconclusive,
}

impl Verdict {
    /// The verdict as spelled in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// The exit code of a binary that ends on this verdict: 0 healthy, 1 unhealthy, 3
    /// inconclusive (`ferry-monitor watch` and `analyze`, `ferry-preview`).
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Healthy => 0,
            Self::Unhealthy => 1,
            Self::Inconclusive => 3,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One round of checks: the evidence of every probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The check's number, from 1.
    pub n: u32,
    /// When it started, in milliseconds after the monitor started.
    pub at_ms: u64,
    /// The round's outcome.
    pub outcome: Outcome,
    /// Consecutive failed rounds, this one included.
    pub consecutive_failures: u32,
    /// Inconclusive rounds so far, this one included.
    pub errors: u32,
    /// What each probe found.
    pub observations: Vec<Observation>,
}

/// A fast-fail signal received from a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// When it arrived, in milliseconds after the monitor started.
    pub at_ms: u64,
    /// The observation that carried it.
    pub observation: Observation,
}

/// The final report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one line.
    pub reason: String,
    /// When the verdict was reached, in milliseconds after the monitor started.
    pub at_ms: u64,
    /// The policy that was applied.
    pub policy: Policy,
    /// Every round of checks.
    pub checks: Vec<Check>,
    /// The fast-fail signal that ended the run, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
}

/// What the monitor tells as it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The monitor started.
    Started {
        /// The policy.
        policy: Policy,
        /// The probes' names.
        probes: Vec<String>,
    },
    /// A round of checks finished.
    Check(Check),
    /// A fast-fail signal arrived from a watch.
    Signal(Signal),
    /// The verdict; the last event.
    Verdict(Report),
}

/// Runs the monitor until a verdict, telling every event to `on_event`.
///
/// `signals` carries fast-fail observations from watches (see
/// [`crate::probe::kubernetes::WorkloadProbe::watch_signals`]); a closed channel just stops
/// being listened to. The policy must be valid (see [`Policy::validate`]).
pub async fn run(
    policy: &Policy,
    probes: &mut [Box<dyn Probe>],
    mut signals: Option<mpsc::Receiver<Observation>>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Report {
    let start = Instant::now();
    let deadline = start + policy.timeout;
    let since = move || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    on_event(&Event::Started {
        policy: policy.clone(),
        probes: probes.iter().map(|p| p.name()).collect(),
    });
    let mut state = State::default();
    let total = policy.checks();
    let finish = |state: State,
                  verdict: Verdict,
                  reason: String,
                  signal: Option<Signal>,
                  on_event: &mut (dyn FnMut(&Event) + Send)| {
        let report = Report {
            verdict,
            reason,
            at_ms: since(),
            policy: policy.clone(),
            checks: state.checks,
            signal,
        };
        on_event(&Event::Verdict(report.clone()));
        report
    };
    for n in 1..=total {
        let due = start + policy.due(n);
        let waited = tokio::select! {
            biased;
            signal = next_signal(&mut signals) => Err(Some(signal)),
            () = tokio::time::sleep_until(deadline) => Err(None),
            () = tokio::time::sleep_until(due) => Ok(()),
        };
        let round = match waited {
            Ok(()) => {
                let at_ms = since();
                tokio::select! {
                    biased;
                    signal = next_signal(&mut signals) => Err(Some(signal)),
                    () = tokio::time::sleep_until(deadline) => Err(None),
                    observations = futures::future::join_all(probes.iter_mut().map(|p| p.check())) => Ok((at_ms, observations)),
                }
            }
            Err(e) => Err(e),
        };
        let (at_ms, observations) = match round {
            Ok(found) => found,
            Err(Some(observation)) => {
                let signal = Signal {
                    at_ms: since(),
                    observation,
                };
                on_event(&Event::Signal(signal.clone()));
                let reason = format!(
                    "{}: {}",
                    signal.observation.probe, signal.observation.message
                );
                return finish(state, Verdict::Unhealthy, reason, Some(signal), on_event);
            }
            Err(None) => {
                let reason = format!(
                    "timed out after {}",
                    ferry_config::human_duration(policy.timeout)
                );
                return finish(state, Verdict::Inconclusive, reason, None, on_event);
            }
        };
        let outcome = round_outcome(&observations);
        match outcome {
            Outcome::Pass => state.consecutive_failures = 0,
            Outcome::Fail => state.consecutive_failures += 1,
            Outcome::Error | Outcome::NoData => state.errors += 1,
            Outcome::Waiting => {}
        }
        if !outcome.is_inconclusive() {
            state.last_conclusive = Some(outcome);
        }
        if outcome == Outcome::Pass {
            state.passed += 1;
        }
        let fast_fail = observations
            .iter()
            .find(|o| o.fast_fail && o.outcome == Outcome::Fail)
            .map(|o| format!("{}: {}", o.probe, o.message));
        let worst = observations
            .iter()
            .find(|o| o.outcome == outcome)
            .map(|o| format!("{}: {}", o.probe, o.message))
            .unwrap_or_default();
        let check = Check {
            n,
            at_ms,
            outcome,
            consecutive_failures: state.consecutive_failures,
            errors: state.errors,
            observations,
        };
        on_event(&Event::Check(check.clone()));
        state.checks.push(check);
        if let Some(reason) = fast_fail {
            return finish(state, Verdict::Unhealthy, reason, None, on_event);
        }
        if state.consecutive_failures >= policy.failures {
            let reason = format!(
                "{} consecutive failed checks; last: {worst}",
                state.consecutive_failures
            );
            return finish(state, Verdict::Unhealthy, reason, None, on_event);
        }
        if state.errors > policy.error_budget {
            let reason = format!(
                "{} inconclusive checks, over the budget of {}; last: {worst}",
                state.errors, policy.error_budget
            );
            return finish(state, Verdict::Inconclusive, reason, None, on_event);
        }
    }
    let last = state.checks.last().map(|c| {
        c.observations
            .iter()
            .map(|o| format!("{}: {}", o.probe, o.message))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let last = last.unwrap_or_default();
    match (state.last_conclusive, state.passed) {
        (Some(Outcome::Waiting), _) => {
            let reason = format!("still waiting after {total} checks: {last}");
            finish(state, Verdict::Inconclusive, reason, None, on_event)
        }
        (Some(_), passed) if passed > 0 => {
            let failed = state
                .checks
                .iter()
                .filter(|c| c.outcome == Outcome::Fail)
                .count();
            let reason = if failed == 0 {
                format!("{total} checks, the last conclusive one passed")
            } else {
                format!(
                    "{total} checks, {passed} passed; {failed} failed, never {} in a row",
                    policy.failures
                )
            };
            finish(state, Verdict::Healthy, reason, None, on_event)
        }
        (Some(_), _) => {
            let reason = format!("no check passed in {total}: {last}");
            finish(state, Verdict::Inconclusive, reason, None, on_event)
        }
        (None, _) => {
            let reason = format!("no conclusive check in {total}: {last}");
            finish(state, Verdict::Inconclusive, reason, None, on_event)
        }
    }
}

#[derive(Default)]
struct State {
    consecutive_failures: u32,
    errors: u32,
    last_conclusive: Option<Outcome>,
    passed: u32,
    checks: Vec<Check>,
}

/// The outcome of a round: fail, else inconclusive, else waiting, else pass.
pub fn round_outcome(observations: &[Observation]) -> Outcome {
    let any = |o: Outcome| observations.iter().any(|x| x.outcome == o);
    if any(Outcome::Fail) {
        Outcome::Fail
    } else if any(Outcome::Error) {
        Outcome::Error
    } else if any(Outcome::NoData) {
        Outcome::NoData
    } else if any(Outcome::Waiting) || observations.is_empty() {
        Outcome::Waiting
    } else {
        Outcome::Pass
    }
}

/// The next fast-fail observation; pending forever once the channel is closed or absent.
async fn next_signal(signals: &mut Option<mpsc::Receiver<Observation>>) -> Observation {
    loop {
        match signals {
            Some(rx) => match rx.recv().await {
                Some(obs) if obs.outcome == Outcome::Fail => return obs,
                Some(_) => {}
                None => *signals = None,
            },
            None => std::future::pending::<()>().await,
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
