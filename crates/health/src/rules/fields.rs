//! Small readers for untyped Kubernetes objects.
//!
//! Missing fields read as `None` (or as an empty list), the way Go's typed conversion reads them as
//! zero values. Numbers may arrive as JSON integers or as integral floats.

use serde_json::Value;

/// The value at `path` below `v`, if every step exists.
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(*key))
}

/// The string at `path`, if it is a string.
pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The string at `path`, or `""` (Go's zero value).
pub(crate) fn string_or_empty<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    str_at(v, path).unwrap_or("")
}

/// The integer at `path`, if it is a JSON number with an integral value.
pub(crate) fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(as_int)
}

/// The integer at `path`, or `0` (Go's zero value).
pub(crate) fn int_or_zero(v: &Value, path: &[&str]) -> i64 {
    int_at(v, path).unwrap_or(0)
}

/// A JSON number as an integer (integral floats included).
pub(crate) fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.is_finite())
            .map(|f| f as i64)
    })
}

/// A number, or a string holding a number, as an integer (Lua's `tonumber`, integers only).
pub(crate) fn lenient_int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        other => as_int(other),
    }
}

/// The array at `path`, or an empty slice.
pub(crate) fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether the bool at `path` is `true`.
pub(crate) fn is_true(v: &Value, path: &[&str]) -> bool {
    at(v, path).and_then(Value::as_bool) == Some(true)
}

/// The first entry of `status.conditions` whose `type` is `kind`.
pub(crate) fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    array_at(obj, &["status", "conditions"])
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

/// An annotation of the object.
pub(crate) fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    at(obj, &["metadata", "annotations", key]).and_then(Value::as_str)
}

/// A name quoted the way Go's `%q` quotes it (for the names Kubernetes allows, JSON quoting agrees).
pub(crate) fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}
