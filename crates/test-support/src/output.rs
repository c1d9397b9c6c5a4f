//! What every binary's output promises: a closed stdout ends the run quietly, and with
//! `--format json` an error is one JSON object on stdout.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs `cmd` with its stdout a pipe whose reading end is closed before the program starts (as
/// `ferry … | head -0` would leave it), stderr captured.
pub fn run_into_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    cmd.stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
        .wait_with_output()
        .expect("wait for the program")
}

/// Asserts that a run whose stdout was closed ended quietly: exit 0, no panic, no broken-pipe
/// message.
pub fn assert_quiet_broken_pipe(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe"),
        "a closed stdout is no error: {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
}

/// Asserts that `out` is a failure reported as `{"error": {"kind", "exit_code", "message"}}` on
/// stdout with this kind and exit code, and returns the `error` object.
pub fn assert_json_error(out: &Output, kind: &str, exit_code: i32) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let value: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("with --format json the error is JSON on stdout ({e}): {stdout:?}\nstderr: {stderr}")
    });
    let error = value["error"].clone();
    assert_eq!(error["kind"], kind, "{value}\nstderr: {stderr}");
    assert_eq!(error["exit_code"], exit_code, "{value}");
    assert_eq!(out.status.code(), Some(exit_code), "stderr: {stderr}");
    let message = error["message"].as_str().expect("a message");
    assert!(!message.is_empty(), "{value}");
    let start: String = message.chars().take(40).collect();
    assert!(
        stderr.contains(&start),
        "the same message is on stderr: {stderr}"
    );
    error
}

/// Asserts that every key of every object in `json` (at any depth) is documented in the
/// section of the page `doc` (a path from the workspace root, e.g. `docs/ferry-status.md`)
/// whose heading starts with `heading` (`## JSON`), up to the next `## ` heading: the key
/// appears there in backticks, alone (`` `key` ``) or as the end of a path (`` `a[].key` ``,
/// `` `key[]` ``). Returns how many distinct keys were checked.
pub fn assert_json_documented(json: &Value, doc: &str, heading: &str) -> usize {
    let path = crate::workspace_root().join(doc);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = text
        .lines()
        .position(|l| l.starts_with(heading))
        .unwrap_or_else(|| panic!("{doc} has no heading {heading:?}"));
    let section: Vec<&str> = text
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let section = section.join("\n");
    let mut keys = std::collections::BTreeMap::new();
    collect_keys(json, "", &mut keys);
    assert!(!keys.is_empty(), "no object key in {json}");
    let undocumented: Vec<String> = keys
        .iter()
        .filter(|(key, _)| {
            ![
                format!("`{key}`"),
                format!("`{key}[]"),
                format!(".{key}`"),
                format!(".{key}[]"),
            ]
            .iter()
            .any(|form| section.contains(form.as_str()))
        })
        .map(|(key, at)| format!("{at}.{key}"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "{doc} ({heading}) does not document {undocumented:?}"
    );
    keys.len()
}

/// Every key of the objects in `value`, with the first path it was found at.
fn collect_keys(value: &Value, at: &str, keys: &mut std::collections::BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                keys.entry(key.clone()).or_insert_with(|| at.to_owned());
                collect_keys(inner, &format!("{at}.{key}"), keys);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_keys(item, &format!("{at}[]"), keys);
            }
        }
        _ => {}
    }
}
