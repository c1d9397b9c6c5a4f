//! `ferry-metrics` on the demo's story: text, JSON and the HTML report, the job summary, lead
//! times from an application repository, and usage errors.

use std::path::Path;
use std::process::Output;

use ferry_test_support::git::{binary_in, git, init_commit};
use ferry_test_support::history::History;
use ferry_test_support::output::assert_json_documented;

const T0: i64 = 1_790_000_000;
const HOUR: i64 = 3600;
const NOW: &str = "2026-09-21T21:13:20Z";

fn metrics(dir: &Path, args: &[&str]) -> Output {
    binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-metrics")), dir)
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("ferry-metrics runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ferry-metrics failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

#[test]
fn text_json_html_and_summary() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, bad) = History::demo(&tmp.path().join("repo"), T0);
    let args = ["--offline", "--now", NOW, "--since", "2d"];
    insta::assert_snapshot!("demo_text", stdout(&metrics(&h.dir, &args)));

    let json: serde_json::Value = serde_json::from_str(&stdout(&metrics(
        &h.dir,
        &[&args[..], &["--format", "json", "--env", "staging"]].concat(),
    )))
    .expect("JSON");
    let staging = &json["environments"][0];
    assert_eq!(json["environments"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        staging["change_failure_rate"]["failures"][0]["commit"],
        bad.as_str()
    );
    assert_eq!(staging["time_to_restore"]["samples"][0]["seconds"], 20 * 60);
    // Samples of every metric included, every field is in the documented schema.
    assert_json_documented(&json, "docs/ferry-metrics.md", "## Output");
    insta::assert_json_snapshot!("demo_staging_json", json);

    let report = tmp.path().join("report.html");
    let summary = tmp.path().join("summary.md");
    let out = binary_in(Path::new(env!("CARGO_BIN_EXE_ferry-metrics")), &h.dir)
        .args(args)
        .args(["--format", "html", "--out"])
        .arg(&report)
        .arg("--summary")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("ferry-metrics runs");
    assert_eq!(stdout(&out), "", "the report goes to the file");
    let html = std::fs::read_to_string(&report).expect("the report was written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(!html.contains("http"), "no URL in the report");
    assert_eq!(
        html.matches("<svg").count(),
        12,
        "four charts per environment"
    );
    let summary = std::fs::read_to_string(&summary).expect("the summary was written");
    assert!(summary.contains("| staging |"), "{summary}");
    assert!(summary.contains("33.3% (1 of 3) **low**"), "{summary}");
}

#[test]
fn lead_time_from_the_application_repository() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    // The application: 1.4.0 tagged at T0 - 2h, v1.5.0 at T0 + 4h.
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).expect("a directory");
    std::fs::write(app.join("main.rs"), "fn main() {}\n").expect("a file");
    init_commit(&app, "first", T0 - 2 * HOUR);
    git(&app, &["tag", "1.4.0"], T0 - 2 * HOUR);
    std::fs::write(app.join("main.rs"), "fn main() { }\n").expect("a file");
    git(&app, &["commit", "-q", "-am", "second"], T0 + 4 * HOUR);
    git(
        &app,
        &["tag", "-a", "-m", "v1.5.0", "v1.5.0"],
        T0 + 4 * HOUR,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&metrics(
        &h.dir,
        &[
            "--offline",
            "--now",
            NOW,
            "--since",
            "2d",
            "--format",
            "json",
            "--app-repo",
            app.to_str().expect("UTF-8"),
        ],
    )))
    .expect("JSON");
    assert_eq!(json["lead_time_from"], "application-commit");
    // dev got 1.4.0 at T0 + 1h (3h after its commit) and 1.5.0 at T0 + 5h (1h after).
    let dev: Vec<i64> = json["environments"][0]["lead_time"]["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| s["seconds"].as_i64().expect("seconds"))
        .collect();
    assert_eq!(dev, [3 * HOUR, HOUR]);
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain).expect("a directory");
    let not_a_repo = plain.to_str().expect("UTF-8");
    for args in [
        &["--offline", "--since", "ninety days"][..],
        &["--offline", "--env", "qa"],
        &["--offline", "--format", "pdf"],
        &["--offline", "--now", NOW, "--since", "2030-01-01T00:00:00Z"],
        &["--offline", "--app-repo", not_a_repo],
    ] {
        let out = metrics(&h.dir, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_unwritable_report_or_an_unreachable_forge_exits_3() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (h, _) = History::demo(&tmp.path().join("repo"), T0);
    let nowhere = tmp.path().join("no-such-directory").join("report.html");
    let out = metrics(
        &h.dir,
        &[
            "--offline",
            "--now",
            NOW,
            "--format",
            "html",
            "--out",
            nowhere.to_str().expect("UTF-8"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!nowhere.exists());
    assert!(out.stdout.is_empty(), "the report goes nowhere else");

    // The plain-git forge's remote does not exist.
    let gone = tmp.path().join("gone.git");
    git(
        &h.dir,
        &["remote", "add", "origin", gone.to_str().expect("UTF-8")],
        T0,
    );
    let out = metrics(&h.dir, &["--now", NOW]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --offline does not ask it.
    let out = metrics(&h.dir, &["--offline", "--now", NOW]);
    assert_eq!(out.status.code(), Some(0));
}
