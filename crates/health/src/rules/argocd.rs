//! Argo CD Applications: health and "synced to revision R".
//!
//! Argo CD has no built-in health check for its own `Application` kind (it was removed in 1.8), so
//! [`super::assess`] returns `None` for one. The functions here read what the Argo CD application
//! controller records in `status` instead.

use serde_json::Value;

use super::fields::{array_at, at, str_at};
use crate::{Health, HealthStatus};

/// The health Argo CD reports for an Application (`status.health`).
///
/// * The status is `status.health.status` (an unrecognised value is `Unknown`) with
///   `status.health.message`.
/// * Without `status.health` the controller has not assessed the Application yet: `Progressing`,
///   empty message (the health check Argo CD documents for Applications does the same).
///
/// Read it only once [`sync_to_revision`] says [`SyncVerdict::Synced`]: right after a sync the
/// recorded health may still describe the previous revision.
pub fn application_health(app: &Value) -> Health {
    let Some(health) = at(app, &["status", "health"]).filter(|h| h.is_object()) else {
        return Health::new(HealthStatus::Progressing, "");
    };
    let status = str_at(health, &["status"])
        .and_then(super::parse_status)
        .unwrap_or(HealthStatus::Unknown);
    Health::new(status, str_at(health, &["message"]).unwrap_or(""))
}

/// Where an Application stands with respect to one Git revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncVerdict {
    /// A sync to the revision finished successfully, the controller has reconciled the
    /// Application since then, and it is `Synced` at that revision.
    Synced,
    /// Not there yet; the text says what is awaited.
    Pending(String),
    /// The sync operation for the revision failed or errored; the text is its message.
    Failed(String),
}

/// Whether the Application `app` is synced to `revision` (a commit SHA; a prefix of at least 7
/// characters matches the full SHA).
///
/// In order:
/// 1. `status.operationState` must exist; while its phase is `Running` or `Terminating` the
///    verdict is pending.
/// 2. A `Failed` or `Error` operation for `revision` is [`SyncVerdict::Failed`]; one for another
///    revision is an older attempt and the verdict stays pending.
/// 3. The finished operation must be for `revision` (`operationState.syncResult.revision(s)`).
/// 4. `status.reconciledAt` must not be earlier than `operationState.finishedAt`: before that, the
///    sync and health status may still describe the previous revision.
/// 5. `status.sync.revision` (or one of `status.sync.revisions`, for multi-source Applications)
///    must be `revision`, and `status.sync.status` must be `Synced`.
pub fn sync_to_revision(app: &Value, revision: &str) -> SyncVerdict {
    let Some(operation) = at(app, &["status", "operationState"]).filter(|o| o.is_object()) else {
        return pending("no sync operation recorded yet");
    };
    let phase = str_at(operation, &["phase"]).unwrap_or("");
    let message = str_at(operation, &["message"]).unwrap_or("");
    let op_revisions = revisions(operation, &["syncResult"])
        .into_iter()
        .chain(revisions(operation, &["operation", "sync"]))
        .collect::<Vec<_>>();
    let for_revision = op_revisions.iter().any(|r| same_revision(r, revision));
    match phase {
        "Running" | "Terminating" => {
            return pending(format!("sync operation is {}", phase.to_lowercase()));
        }
        "Failed" | "Error" if for_revision => {
            return SyncVerdict::Failed(format!(
                "sync operation {}: {message}",
                phase.to_lowercase()
            ));
        }
        "Succeeded" if for_revision => {}
        "Succeeded" | "Failed" | "Error" => {
            let last = op_revisions
                .first()
                .map_or("an unknown revision", |r| r.as_str());
            return pending(format!("last sync operation was for {last}"));
        }
        other => return pending(format!("sync operation phase is {other:?}")),
    }
    let finished = str_at(operation, &["finishedAt"]).and_then(parse_rfc3339);
    let reconciled = str_at(app, &["status", "reconciledAt"]).and_then(parse_rfc3339);
    match (finished, reconciled) {
        (Some(finished), Some(reconciled)) if reconciled >= finished => {}
        (None, _) => return pending("sync operation has no finish time yet"),
        _ => return pending("not reconciled since the sync finished"),
    }
    let at_revision = revisions(app, &["status", "sync"]);
    if !at_revision.iter().any(|r| same_revision(r, revision)) {
        let current = at_revision.first().map_or("no revision", |r| r.as_str());
        return pending(format!("application is at {current}"));
    }
    match str_at(app, &["status", "sync", "status"]) {
        Some("Synced") => SyncVerdict::Synced,
        other => pending(format!(
            "sync status is {}",
            other.unwrap_or("not reported")
        )),
    }
}

fn pending(why: impl Into<String>) -> SyncVerdict {
    SyncVerdict::Pending(why.into())
}

/// `revision` and the entries of `revisions` below `path`.
fn revisions(v: &Value, path: &[&str]) -> Vec<String> {
    let Some(base) = at(v, path) else {
        return Vec::new();
    };
    str_at(base, &["revision"])
        .into_iter()
        .chain(
            array_at(base, &["revisions"])
                .iter()
                .filter_map(Value::as_str),
        )
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether two revisions name the same commit: equal ignoring case, or one a prefix of the other
/// with at least 7 characters.
fn same_revision(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short == long || (short.len() >= 7 && long.starts_with(short.as_str()))
}

/// Parses an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, optional fraction, `Z` or `±hh:mm`) into
/// nanoseconds since the Unix epoch.
pub fn parse_rfc3339(s: &str) -> Option<i128> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let (clock, offset_seconds) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let idx = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(idx);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (h, m) = offset[1..].split_once(':')?;
        let offset = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
        (clock, sign * offset)
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos: i128 = format!("{fraction:0<9}").get(..9)?.parse().ok()?;
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
