//! Properties: durations round-trip, and no input makes loading panic.

use std::time::Duration;

use ferry_config::{Config, format_duration, parse_duration};
use proptest::prelude::*;

fn blueprint() -> String {
    std::fs::read_to_string(ferry_test_support::fixtures_dir().join("blueprint/ferry.toml"))
        .unwrap()
}

proptest! {
    #[test]
    fn durations_round_trip(millis in 0u64..10_000_000_000) {
        let d = Duration::from_millis(millis);
        let text = format_duration(d);
        prop_assert_eq!(parse_duration(&text).unwrap(), d, "{}", text);
    }

    #[test]
    fn compound_durations_add_up(d in 0u32..100, h in 0u32..24, m in 0u32..60, s in 0u32..60) {
        let text = format!("{d}d{h}h{m}m{s}s");
        let secs = u64::from(d) * 86_400 + u64::from(h) * 3_600 + u64::from(m) * 60 + u64::from(s);
        let expected = Duration::from_secs(secs);
        prop_assert_eq!(parse_duration(&text).unwrap(), expected);
    }

    /// Deleting, replacing or inserting one character anywhere in the blueprint's ferry.toml
    /// either still loads or gives an error whose line and column lie inside the file.
    #[test]
    fn edited_files_never_panic(position in 0usize..4000, op in 0u8..3, ch in proptest::char::any()) {
        let mut text = blueprint();
        let mut at = position % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match op {
            0 if at < text.len() => { text.remove(at); }
            1 if at < text.len() => { text.remove(at); text.insert(at, ch); }
            _ => text.insert(at, ch),
        }
        match Config::from_str(&text, "ferry.toml") {
            Ok(config) => prop_assert!(!config.environments().is_empty()),
            Err(err) => {
                let d = err.diagnostic().expect("in-file error");
                let lines = text.split('\n').count();
                prop_assert!(d.line >= 1 && d.line <= lines, "{} (file has {} lines)", err, lines);
                prop_assert!(d.column >= 1);
                let prefix = format!("ferry.toml:{}:{}: ", d.line, d.column);
                prop_assert!(err.to_string().starts_with(&prefix), "{}", err);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = Config::from_str(&text, "ferry.toml");
    }
}
