//! Merging and ordering of `key=value` labels.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// Keeps entries that contain `=`, lets later keys replace earlier ones, and sorts by key the way
/// JavaScript's `localeCompare` does for ASCII keys (case-insensitive first, punctuation before
/// digits before letters, lowercase before uppercase).
pub(crate) fn merge_sorted(entries: &[String]) -> Vec<String> {
    let mut merged: Vec<(String, String)> = Vec::new();
    for e in entries {
        let Some((k, v)) = e.split_once('=') else {
            continue;
        };
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => merged.push((k.to_string(), v.to_string())),
        }
    }
    merged.sort_by(|a, b| locale_compare(&a.0, &b.0));
    merged
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// `key=value` lines as a JSON object (lines without `=` are skipped).
pub(crate) fn to_object(labels: &[String]) -> Value {
    let mut map = Map::new();
    for l in labels {
        if let Some((k, v)) = l.split_once('=') {
            map.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    Value::Object(map)
}

const PRIMARY: &str =
    "\t\n\u{b}\u{c}\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";

fn primary(c: char) -> u32 {
    let l = c.to_ascii_lowercase();
    PRIMARY
        .chars()
        .position(|p| p == l)
        .map_or(1000 + c as u32, |i| i as u32)
}

fn locale_compare(a: &str, b: &str) -> Ordering {
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    pa.cmp(pb)
        .then_with(|| {
            let case = |c: char| u8::from(c.is_ascii_uppercase());
            a.chars().map(case).cmp(b.chars().map(case))
        })
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_sorts_like_locale_compare() {
        let got = merge_sorted(&[
            "b=1".into(),
            "invalid".into(),
            "A=2".into(),
            "a_b=3".into(),
            "a-b=4".into(),
            "b=5=6".into(),
        ]);
        assert_eq!(got, vec!["A=2", "a_b=3", "a-b=4", "b=5=6"]);
    }
}
