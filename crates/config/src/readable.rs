//! Durations and times as people read them, the one way every binary and message prints them:
//! `1m 19s`, `2h 5m`, `350ms`; `2026-11-24T09:00:00Z` (whole seconds).

use std::time::Duration;

/// A duration as people write it: its units largest first, separated by spaces, zero units left
/// out, whole seconds (`1m 19s`, `1h 0m` reads `1h`, `2d 3h`, `0s`); under a second, milliseconds
/// (`350ms`). Rounded to the nearest second.
pub fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        return if millis == 0 {
            "0s".to_owned()
        } else {
            format!("{millis}ms")
        };
    }
    let mut secs = (millis + 500) / 1000;
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    parts.join(" ")
}

/// A signed number of seconds as [`human_duration`] prints it; negative is `0s`.
pub fn human_seconds(seconds: i64) -> String {
    human_duration(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

/// An RFC 3339 time as people read it: whole seconds in UTC (`2026-11-24T09:00:00Z`), without
/// the nanoseconds a stored time may carry. Text that is not such a time is returned as it is.
pub fn human_time(rfc3339: &str) -> String {
    let trimmed = rfc3339.trim();
    let Some((date_time, zone)) = split_zone(trimmed) else {
        return trimmed.to_owned();
    };
    let Some((whole, fraction)) = date_time.split_once('.') else {
        return trimmed.to_owned();
    };
    let looks_like_a_time = whole.len() == 19 && matches!(whole.as_bytes()[10], b'T' | b't' | b' ');
    if !looks_like_a_time || fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.to_owned();
    }
    format!("{whole}{zone}")
}

/// `(date and time, zone)` of an RFC 3339 time: the zone is `Z` or `±HH:MM`.
fn split_zone(text: &str) -> Option<(&str, &str)> {
    if let Some(rest) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((rest, &text[rest.len()..]));
    }
    let at = text.len().checked_sub(6)?;
    let zone = text.get(at..)?;
    let bytes = zone.as_bytes();
    (matches!(bytes[0], b'+' | b'-') && bytes[3] == b':').then(|| (&text[..at], zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let s = Duration::from_secs;
        assert_eq!(human_duration(s(79)), "1m 19s");
        assert_eq!(human_duration(s(60)), "1m");
        assert_eq!(human_duration(s(3600 + 5)), "1h 5s");
        assert_eq!(human_duration(s(2 * 86_400 + 3 * 3600)), "2d 3h");
        assert_eq!(human_duration(s(0)), "0s");
        assert_eq!(human_duration(Duration::from_millis(350)), "350ms");
        assert_eq!(human_duration(Duration::from_millis(79_400)), "1m 19s");
        assert_eq!(human_duration(Duration::from_millis(79_600)), "1m 20s");
        assert_eq!(
            human_duration(Duration::new(19, 123_456_789)),
            "19s",
            "no sub-second digits above a second"
        );
        assert_eq!(human_seconds(-5), "0s");
        assert_eq!(human_seconds(3_661), "1h 1m 1s");
    }

    #[test]
    fn times_are_whole_seconds() {
        assert_eq!(
            human_time("2026-12-07T06:23:05.123456789Z"),
            "2026-12-07T06:23:05Z"
        );
        assert_eq!(
            human_time("2026-12-07T06:23:05.5+02:00"),
            "2026-12-07T06:23:05+02:00"
        );
        assert_eq!(human_time("2026-12-07T06:23:05Z"), "2026-12-07T06:23:05Z");
        assert_eq!(human_time("yesterday"), "yesterday");
        assert_eq!(human_time("1.5Z"), "1.5Z");
    }
}
