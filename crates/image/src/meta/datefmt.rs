//! Moment.js style date formatting (`YYYYMMDD-HHmmss`, `[literal]`, ...) in an IANA time zone.

use jiff::{Timestamp, Zoned, tz::TimeZone};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Tokens in the order moment tries them at each position.
const TOKENS: &[&str] = &[
    "Hmmss",
    "hmmss",
    "Hmm",
    "hmm",
    "Mo",
    "MMMM",
    "MMM",
    "MM",
    "M",
    "Do",
    "DDDo",
    "DDDD",
    "DDD",
    "DD",
    "D",
    "dddd",
    "ddd",
    "do",
    "dd",
    "d",
    "wo",
    "ww",
    "w",
    "Wo",
    "WW",
    "W",
    "Qo",
    "Q",
    "YYYYYY",
    "YYYYY",
    "YYYY",
    "YY",
    "gggg",
    "gg",
    "GGGG",
    "GG",
    "e",
    "E",
    "a",
    "A",
    "hh",
    "h",
    "HH",
    "H",
    "kk",
    "k",
    "mm",
    "m",
    "ss",
    "s",
    "SSSSSSSSS",
    "SSSSSSSS",
    "SSSSSSS",
    "SSSSSS",
    "SSSSS",
    "SSSS",
    "SSS",
    "SS",
    "S",
    "x",
    "X",
    "zz",
    "z",
    "ZZ",
    "Z",
];

/// Formats `ts` in time zone `tz` (an IANA name such as `UTC` or `Asia/Tokyo`) with a moment.js
/// format string; `None` uses moment's default format.
pub(crate) fn format(ts: Timestamp, tz: &str, fmt: Option<&str>) -> Result<String, String> {
    let zone = TimeZone::get(tz).map_err(|e| format!("unknown time zone {tz:?}: {e}"))?;
    let z = ts.to_zoned(zone);
    let utc = z.offset().seconds() == 0;
    let default = if utc {
        "YYYY-MM-DDTHH:mm:ss[Z]"
    } else {
        "YYYY-MM-DDTHH:mm:ssZ"
    };
    let fmt = fmt.unwrap_or(default);
    let mut out = String::new();
    let mut rest = fmt;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '['
            && let Some(end) = rest[1..].find(']')
            && !rest[1..1 + end].contains('[')
        {
            out.push_str(&rest[1..1 + end]);
            rest = &rest[end + 2..];
            continue;
        }
        if c == '\\' {
            let mut it = rest.chars();
            it.next();
            if let Some(n) = it.next() {
                out.push(n);
                rest = &rest[1 + n.len_utf8()..];
            } else {
                rest = "";
            }
            continue;
        }
        for tok in TOKENS {
            if rest.starts_with(tok) {
                out.push_str(&token(&z, tok));
                rest = &rest[tok.len()..];
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn pad(n: i64, width: usize) -> String {
    if n < 0 {
        format!("-{:0width$}", -n)
    } else {
        format!("{n:0width$}")
    }
}

/// Locale (en) week: weeks start on Sunday; the week holding January 1st is week 1.
fn locale_week(z: &Zoned) -> (i64, i64) {
    let date = z.date();
    let back = i64::from(date.weekday().to_sunday_zero_offset());
    let saturday = date
        .checked_add(jiff::Span::new().days(6 - back))
        .unwrap_or(date);
    (
        i64::from(saturday.year()),
        (i64::from(saturday.day_of_year()) - 1) / 7 + 1,
    )
}

fn token(z: &Zoned, tok: &str) -> String {
    let hour = i64::from(z.hour());
    let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let ms = i64::from(z.millisecond());
    let weekday = i64::from(z.weekday().to_sunday_zero_offset());
    let iso = z.date().iso_week_date();
    let offset = z.offset().seconds();
    let (sign, abs) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    let (oh, om) = (abs / 3600, (abs % 3600) / 60);
    let month = i64::from(z.month());
    let year = i64::from(z.year());
    match tok {
        "Hmmss" => format!("{hour}{:02}{:02}", z.minute(), z.second()),
        "hmmss" => format!("{h12}{:02}{:02}", z.minute(), z.second()),
        "Hmm" => format!("{hour}{:02}", z.minute()),
        "hmm" => format!("{h12}{:02}", z.minute()),
        "M" => month.to_string(),
        "Mo" => ordinal(month),
        "MM" => pad(month, 2),
        "MMM" => MONTHS[(month - 1) as usize][..3].to_string(),
        "MMMM" => MONTHS[(month - 1) as usize].to_string(),
        "D" => z.day().to_string(),
        "Do" => ordinal(i64::from(z.day())),
        "DD" => pad(i64::from(z.day()), 2),
        "DDD" => z.day_of_year().to_string(),
        "DDDo" => ordinal(i64::from(z.day_of_year())),
        "DDDD" => pad(i64::from(z.day_of_year()), 3),
        "d" | "e" => weekday.to_string(),
        "do" => ordinal(weekday),
        "dd" => DAYS[weekday as usize][..2].to_string(),
        "ddd" => DAYS[weekday as usize][..3].to_string(),
        "dddd" => DAYS[weekday as usize].to_string(),
        "E" => z.weekday().to_monday_one_offset().to_string(),
        "w" => locale_week(z).1.to_string(),
        "wo" => ordinal(locale_week(z).1),
        "ww" => pad(locale_week(z).1, 2),
        "W" => iso.week().to_string(),
        "Wo" => ordinal(i64::from(iso.week())),
        "WW" => pad(i64::from(iso.week()), 2),
        "gg" => pad(locale_week(z).0 % 100, 2),
        "gggg" => pad(locale_week(z).0, 4),
        "GG" => pad(i64::from(iso.year()) % 100, 2),
        "GGGG" => pad(i64::from(iso.year()), 4),
        "Q" => ((month - 1) / 3 + 1).to_string(),
        "Qo" => ordinal((month - 1) / 3 + 1),
        "YY" => pad(year.rem_euclid(100), 2),
        "YYYY" if year <= 9999 => pad(year, 4),
        "YYYY" => format!("+{year}"),
        "YYYYY" => pad(year, 5),
        "YYYYYY" => format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs()),
        "a" => if hour < 12 { "am" } else { "pm" }.to_string(),
        "A" => if hour < 12 { "AM" } else { "PM" }.to_string(),
        "H" => hour.to_string(),
        "HH" => pad(hour, 2),
        "h" => h12.to_string(),
        "hh" => pad(h12, 2),
        "k" => (if hour == 0 { 24 } else { hour }).to_string(),
        "kk" => pad(if hour == 0 { 24 } else { hour }, 2),
        "m" => z.minute().to_string(),
        "mm" => pad(i64::from(z.minute()), 2),
        "s" => z.second().to_string(),
        "ss" => pad(i64::from(z.second()), 2),
        "S" => (ms / 100).to_string(),
        "SS" => pad(ms / 10, 2),
        s if s.starts_with('S') => format!("{}{}", pad(ms, 3), "0".repeat(s.len() - 3)),
        "x" => z.timestamp().as_millisecond().to_string(),
        "X" => z.timestamp().as_second().to_string(),
        "z" | "zz" => z
            .time_zone()
            .to_offset_info(z.timestamp())
            .abbreviation()
            .to_string(),
        "Z" => format!("{sign}{oh:02}:{om:02}"),
        "ZZ" => format!("{sign}{oh:02}{om:02}"),
        _ => tok.to_string(),
    }
}

/// Formats a timestamp as JavaScript's `Date.toISOString()` does.
pub(crate) fn iso_string(ts: Timestamp) -> String {
    let z = ts.to_zoned(TimeZone::UTC);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        pad(i64::from(z.year()), 4),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        z.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_moment_tokens() {
        let ts: Timestamp = "2020-01-10T00:30:00.123Z".parse().unwrap();
        assert_eq!(
            format(ts, "UTC", Some("YYYYMMDD-HHmmss")).unwrap(),
            "20200110-003000"
        );
        assert_eq!(
            format(ts, "Asia/Tokyo", Some("YYYYMMDD-HHmmss")).unwrap(),
            "20200110-093000"
        );
        assert_eq!(
            format(ts, "UTC", Some("YYYY-MM-DDTHH:mm:ss.SSS[Z]")).unwrap(),
            "2020-01-10T00:30:00.123Z"
        );
        assert_eq!(format(ts, "UTC", None).unwrap(), "2020-01-10T00:30:00Z");
        assert_eq!(
            format(ts, "Asia/Tokyo", None).unwrap(),
            "2020-01-10T09:30:00+09:00"
        );
        assert_eq!(
            format(ts, "UTC", Some("dddd Do MMM YY h A Q W")).unwrap(),
            "Friday 10th Jan 20 12 AM 1 2"
        );
        assert!(format(ts, "Nowhere/Town", None).is_err());
        assert_eq!(iso_string(ts), "2020-01-10T00:30:00.123Z");
    }
}
