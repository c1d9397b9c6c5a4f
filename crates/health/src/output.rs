//! How `ferry-monitor` shows what it saw: one line of text per monitor event, a JSON line per
//! event (the verdict's with when the watch started and what it watched), an observation in
//! one line. Strings only: the caller prints them.

use crate::monitor::Event;
use crate::probe::Observation;

/// An event as a JSON line; the verdict gets `started_at` (RFC 3339, milliseconds) and, when
/// known, the `commit` watched.
pub fn event_json(event: &Event, started: jiff::Timestamp, commit: Option<&str>) -> String {
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

/// An event as one line of text; `total` is the number of checks the policy makes.
pub fn event_text(event: &Event, total: u32) -> String {
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

/// `OUTCOME PROBE: MESSAGE (LATENCY ms)`.
pub fn observation_text(o: &Observation) -> String {
    let latency = o
        .latency_ms
        .map(|l| format!(" ({l} ms)"))
        .unwrap_or_default();
    format!("{} {}: {}{latency}", o.outcome, o.probe, o.message)
}

/// The time since the start: `+1m05s`, `+0m00.250s`.
pub fn clock(ms: u64) -> String {
    let (m, s, ms) = (ms / 60_000, ms / 1000 % 60, ms % 1000);
    if ms == 0 {
        format!("+{m}m{s:02}s")
    } else {
        format!("+{m}m{s:02}.{ms:03}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Outcome;

    #[test]
    fn times_and_observations_read_in_one_line() {
        assert_eq!(clock(65_000), "+1m05s");
        assert_eq!(clock(250), "+0m00.250s");
        let o = Observation::new("http GET http://x/", Outcome::Pass, "200")
            .with_latency(std::time::Duration::from_millis(12));
        assert_eq!(observation_text(&o), "pass http GET http://x/: 200 (12 ms)");
    }
}
