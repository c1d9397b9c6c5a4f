//! Reading and writing scalar values: which values need quotes, and how to render them.

use serde_saphyr::granit_parser::ScalarStyle;

/// The YAML 1.2 core-schema type a plain scalar resolves to when it is not a string or null.
pub(super) fn core_schema_non_string(s: &str) -> Option<&'static str> {
    if matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return Some("boolean");
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if digits(unsigned, 10)
        || s.strip_prefix("0o").is_some_and(|t| digits(t, 8))
        || s.strip_prefix("0x").is_some_and(|t| digits(t, 16))
    {
        return Some("number");
    }
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Some("number");
    }
    // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && digits(frac, 10))
                || (digits(int, 10) && (frac.is_empty() || digits(frac, 10)))
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    (mantissa_ok && exponent_ok).then_some("number")
}

/// Whether a value must be quoted to be read back as the same string by YAML 1.1 and 1.2
/// parsers (numbers, booleans including `yes`/`no`/`on`/`off`, null, dates, special characters).
pub fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    if s.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', '=', '<',
    ]) || s.ends_with(':')
        || s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, ',' | '[' | ']' | '{' | '}' | '#' | '"' | '\'' | '\\')
        })
    {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return true;
    }
    let unsigned = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if matches!(unsigned, ".inf" | ".nan") {
        return true;
    }
    let starts_numeric = unsigned.starts_with(|c: char| c.is_ascii_digit())
        || (unsigned.starts_with('.') && unsigned[1..].starts_with(|c: char| c.is_ascii_digit()));
    if !starts_numeric {
        return false;
    }
    if let Some(rest) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0o"))
        .or_else(|| unsigned.strip_prefix("0b"))
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return true;
    }
    // Integers, floats, exponents, sexagesimal numbers and dates (YAML 1.1 and 1.2).
    unsigned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | 'e' | '+' | '-'))
        && unsigned.matches('.').count() <= 1
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a value in the given style, or plain when possible, quoting whenever needed.
pub(super) fn render(value: &str, style: ScalarStyle) -> String {
    match style {
        ScalarStyle::SingleQuoted if !value.chars().any(char::is_control) => {
            format!("'{}'", value.replace('\'', "''"))
        }
        ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => double_quoted(value),
        _ if needs_quotes(value) => double_quoted(value),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        for q in [
            "1.10",
            "2",
            "true",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "null",
            "~",
            "1e3",
            "0x1F",
            ".inf",
            "-.Inf",
            ".NaN",
            "3.2e2",
            "1234",
            "2024-01-15",
            "0755",
            "1_000",
            "1:20",
            "",
            " a",
            "a b",
            "-x",
            "@x",
            "a,b",
            "a#b",
        ] {
            assert!(needs_quotes(q), "{q:?} must be quoted");
        }
        for p in [
            "1.4.0",
            "v1.10",
            "my-tag",
            "latest",
            "1.4.0-rc1",
            "sha256:abc",
            "localhost:5000/a",
            "dev-01",
        ] {
            assert!(!needs_quotes(p), "{p:?} can stay plain");
        }
    }

    #[test]
    fn core_schema() {
        for n in [
            "1", "-1", "1.10", ".5", "1e3", "3.2e2", "0x1F", "0o17", ".inf", "true", "False",
        ] {
            assert!(core_schema_non_string(n).is_some(), "{n}");
        }
        for s in ["1.4.0", "yes", "v1", "1-2", "0b1", "1e", ""] {
            assert!(core_schema_non_string(s).is_none(), "{s}");
        }
    }
}
