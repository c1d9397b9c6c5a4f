//! Human durations such as `30m`, `1h30m` or `0s`.

use std::fmt;
use std::time::Duration;

/// Why a text is not a valid human duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {text:?}: {reason}; write a number followed by a unit \
     (ms, s, m, h, d), e.g. \"30m\" or \"1h30m\""
)]
pub struct DurationError {
    /// The text that was parsed.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A duration that does not parse: bad input (exit 2).
impl ferry_error::Classify for DurationError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::BadInput
    }
}

/// Parses a human duration: one or more `<integer><unit>` parts with the units `ms`, `s`, `m`,
/// `h` and `d`, largest first, e.g. `0s`, `90s`, `30m`, `1h30m`, `500ms`.
///
/// A bare number has no unit and is an error, so `soak = "30"` cannot silently mean seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let fail = |reason| DurationError {
        text: text.to_owned(),
        reason,
    };
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    let bytes = text.as_bytes();
    let mut total_millis: u64 = 0;
    let mut last_rank = usize::MAX;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(fail("expected a number"));
        }
        let number: u64 = text[start..i]
            .parse()
            .map_err(|_| fail("the number is too large"))?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let (rank, unit) = match &text[unit_start..i] {
            "d" => (0, 86_400_000u64),
            "h" => (1, 3_600_000),
            "m" => (2, 60_000),
            "s" => (3, 1_000),
            "ms" => (4, 1),
            "" => return Err(fail("a unit is missing")),
            _ => return Err(fail("unknown unit")),
        };
        if last_rank != usize::MAX && rank <= last_rank {
            return Err(fail("units must appear once each, largest first"));
        }
        last_rank = rank;
        total_millis = number
            .checked_mul(unit)
            .and_then(|part| total_millis.checked_add(part))
            .ok_or_else(|| fail("it is too large"))?;
    }
    Ok(Duration::from_millis(total_millis))
}

/// Formats a duration the way [`parse_duration`] reads it, e.g. `1h30m`, `0s`, `1500ms`.
///
/// Sub-millisecond parts are dropped.
pub fn format_duration(duration: Duration) -> String {
    HumanDuration(duration).to_string()
}

/// Display adapter that writes a [`Duration`] as a human duration (see [`format_duration`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis == 0 {
            return f.write_str("0s");
        }
        if !millis.is_multiple_of(1000) {
            return write!(f, "{millis}ms");
        }
        let mut secs = millis / 1000;
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if secs >= size {
                write!(f, "{}{unit}", secs / size)?;
                secs %= size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_compound_units() {
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse_duration("1m30s250ms").unwrap(),
            Duration::from_millis(90_250)
        );
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        for (text, reason) in [
            ("", "it is empty"),
            ("30", "a unit is missing"),
            ("30 m", "a unit is missing"),
            ("m", "expected a number"),
            ("1y", "unknown unit"),
            ("30M", "unknown unit"),
            ("1m1h", "units must appear once each, largest first"),
            ("1s1s", "units must appear once each, largest first"),
            ("-1s", "expected a number"),
            ("99999999999999999999s", "the number is too large"),
            ("300000000000d", "it is too large"),
        ] {
            let err = parse_duration(text).unwrap_err();
            assert_eq!(err.reason, reason, "{text:?}");
            assert!(err.to_string().contains("e.g. \"30m\""), "{err}");
        }
    }

    #[test]
    fn formats_what_it_parses() {
        for text in ["0s", "30m", "1h", "1h30m", "2d3h", "500ms", "1m5s", "1d1s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
    }
}
