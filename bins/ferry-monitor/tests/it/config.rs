//! `watch --env ENV` and `watch --verify ENV` take their probes and policy from ferry.toml.

use std::path::Path;

use assert_cmd::Command;
use ferry_test_support::http::serve_with;
use predicates::prelude::*;

fn monitor(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry-monitor").unwrap();
    cmd.current_dir(dir).env_remove("GITHUB_OUTPUT");
    cmd
}

/// A ferry.toml in a fresh directory: dev probes `url` (expecting `status`), with `monitor` lines
/// in its [environment.monitor].
fn config(url: &str, status: u16, monitor: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"[monitor]
warmup = "1h"
interval = "1h"
checks = 4

[[environment]]
name = "dev"
overlay = "overlays/dev"

[environment.monitor]
{monitor}
http = [{{ url = "{url}", status = {status} }}]
"#
    );
    std::fs::write(dir.path().join("ferry.toml"), text).unwrap();
    dir
}

#[test]
fn env_takes_probes_and_policy_from_the_configuration() {
    let addr = serve_with(|_| ("200 OK", "ok".to_string()));
    let url = format!("http://{addr}/healthz");
    let dir = config(
        &url,
        200,
        "warmup = \"0s\"\ninterval = \"20ms\"\nchecks = 3",
    );
    let out = monitor(dir.path())
        .args(["watch", "--env", "dev"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(&format!(
            "watching http GET {url}: warm-up 0s, 3 checks every 20ms"
        )),
        "{text}"
    );
    assert!(text.contains("check 3/3 pass"), "{text}");
    // Flags override key by key; --config names the file.
    let elsewhere = tempfile::tempdir().unwrap();
    let file = dir.path().join("ferry.toml");
    let out = monitor(elsewhere.path())
        .args(["watch", "--env", "dev", "--config"])
        .arg(&file)
        .args(["--checks", "2", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["policy"]["warmup_ms"], 0);
    assert_eq!(first["policy"]["interval_ms"], 20);
    assert_eq!(first["policy"]["span"]["checks"], 2);
    assert_eq!(
        first["policy"]["failures"], 2,
        "the default 3 is lowered to 2 checks"
    );
}

#[test]
fn the_configured_expected_status_is_used() {
    let addr = serve_with(|_| ("200 OK", "ok".to_string()));
    let url = format!("http://{addr}/healthz");
    let dir = config(
        &url,
        204,
        "warmup = \"0s\"\ninterval = \"10ms\"\nchecks = 2\nfailures = 2",
    );
    monitor(dir.path())
        .args(["watch", "--env", "dev"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("HTTP 200, expected 204"));
}

#[test]
fn verify_env_watches_what_the_environment_configures() {
    let addr = serve_with(|_| ("200 OK", "ok".to_string()));
    let url = format!("http://{addr}/healthz");
    let dir = config(&url, 200, "warmup = \"5s\"");
    // No --http: the probes of dev, and its 5 s warm-up (not the default 60 s). The run stops
    // at the first problem after the watch is planned: the directory is not a git repository.
    let assert = monitor(dir.path())
        .args(["watch", "--verify", "dev", "--no-push", "--format", "json"])
        .args(["--interval", "10ms", "--checks", "1"])
        .assert();
    let out = assert.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("nothing to watch"), "{stderr}");
    monitor(dir.path())
        .args([
            "watch",
            "--env",
            "dev",
            "--interval",
            "10ms",
            "--checks",
            "1",
        ])
        // Past the 5 s warm-up: a timeout before the only check is refused as a usage error.
        .args(["--timeout", "6s"])
        .assert()
        .stdout(predicate::str::contains("warm-up 5s"));
}

#[test]
fn configuration_mistakes_are_usage_errors() {
    let dir = config("http://127.0.0.1:9/", 200, "");
    monitor(dir.path())
        .args(["watch", "--env", "qa"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no environment `qa`"))
        .stderr(predicate::str::contains("known: dev"));
    monitor(dir.path())
        .args(["watch", "--env", "dev", "--failures", "5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a release could never be found unhealthy",
        ));
    monitor(dir.path())
        .args(["watch", "--env", "dev", "--verify", "prod"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("different environments"));
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(
        empty.path().join("ferry.toml"),
        "[[environment]]\nname = \"dev\"\noverlay = \"o/dev\"\n",
    )
    .unwrap();
    monitor(empty.path())
        .args(["watch", "--env", "dev"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "environment `dev` configures no probe",
        ));
}
