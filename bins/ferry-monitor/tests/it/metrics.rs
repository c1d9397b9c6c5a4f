//! `watch --prometheus --query` and `analyze --template` end to end, against a Prometheus
//! stand-in on 127.0.0.1 that records the requests (and a web endpoint for the web provider).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use ferry_test_support::http::serve_with;
use serde_json::Value;

fn monitor() -> Command {
    let mut cmd = Command::cargo_bin("ferry-monitor").expect("the binary");
    for var in [
        "GITHUB_OUTPUT",
        "FERRY_PROMETHEUS_TOKEN",
        "FERRY_PROMETHEUS_USER",
        "FERRY_PROMETHEUS_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A Prometheus stand-in answering every query with `body`; the request heads it saw.
fn prometheus(status: &'static str, body: &str) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let body = body.to_owned();
    let addr = serve_with(move |head| {
        log.lock().expect("the log").push(head.to_owned());
        (status, body.clone())
    });
    (addr, seen)
}

fn vector(v: &str) -> String {
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1700000000,"{v}"]}}]}}}}"#
    )
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

const FAST: [&str; 6] = ["--warmup", "0s", "--interval", "50ms", "--count", "3"];

fn watch(addr: SocketAddr, query: &str, success: &str) -> Command {
    let mut cmd = monitor();
    cmd.args([
        "watch",
        "--prometheus",
        &format!("http://{addr}"),
        "--query",
        query,
        "--success",
        success,
        "--format",
        "json",
    ])
    .args(FAST);
    cmd
}

#[test]
fn a_good_error_rate_is_healthy_and_each_measurement_is_printed() {
    let (addr, seen) = prometheus("200 OK", &vector("0.99"));
    let out = watch(
        addr,
        "sum(rate(ok[1m])) / sum(rate(all[1m]))",
        "result[0] >= 0.95",
    )
    .assert()
    .code(0)
    .get_output()
    .stdout
    .clone();
    let events = json_lines(&out);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(
        kinds,
        [
            "started",
            "measurement",
            "measurement",
            "measurement",
            "analysis",
            "verdict"
        ]
    );
    assert_eq!(events[1]["phase"], "Successful");
    assert_eq!(events[1]["value"], "[0.99]");
    assert_eq!(events[4]["phase"], "Successful");
    assert_eq!(events[5]["verdict"], "healthy");
    assert!(events[5]["started_at"].is_string());
    let seen = seen.lock().expect("the log");
    assert_eq!(seen.len(), 3);
    // An instant query, URL-encoded, evaluated at the measurement's time.
    assert!(
        seen[0].starts_with("GET /api/v1/query?query=sum%28rate%28ok%5B1m%5D%29%29+%2F+sum"),
        "{}",
        seen[0]
    );
    assert!(seen[0].contains("&time=1"), "{}", seen[0]);
}

#[test]
fn failures_beyond_the_failure_limit_are_unhealthy() {
    let (addr, _) = prometheus("200 OK", &vector("0.5"));
    let out = watch(addr, "q", "result[0] >= 0.95")
        .args(["--failure-limit", "1"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    let phases: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "measurement")
        .map(|e| e["phase"].as_str().expect("phase"))
        .collect();
    assert_eq!(phases, ["Failed", "Failed"]);
    let verdict = events.last().expect("a verdict");
    assert_eq!(verdict["verdict"], "unhealthy");
    assert_eq!(
        verdict["reason"],
        "metrics: Metric \"query\" assessed Failed due to failed (2) > failureLimit (1)"
    );
}

/// Errors are never failures: a Prometheus answering 503 ends inconclusive (exit 3).
#[test]
fn prometheus_errors_are_inconclusive() {
    let (addr, _) = prometheus(
        "503 Service Unavailable",
        r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
    );
    let out = watch(addr, "q", "result[0] >= 0.95")
        .args(["--consecutive-error-limit", "1"])
        .assert()
        .code(3)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    let errors = events
        .iter()
        .filter(|e| e["event"] == "measurement" && e["phase"] == "Error")
        .count();
    assert_eq!(errors, 2);
    assert_eq!(
        events[1]["message"],
        "Prometheus answered HTTP 503: timeout: query timed out"
    );
    assert_eq!(events.last().expect("a verdict")["verdict"], "inconclusive");
}

/// The token goes to Prometheus as a bearer token and never into the output, even when the
/// server repeats it.
#[test]
fn the_bearer_token_is_sent_and_never_printed() {
    let secret = "prom-s3cret-token-4f1c";
    let (addr, seen) = prometheus(
        "401 Unauthorized",
        &format!(r#"{{"status":"error","errorType":"bad_data","error":"bad token {secret}"}}"#),
    );
    let output = watch(addr, "q", "result[0] >= 0.95")
        .env("FERRY_PROMETHEUS_TOKEN", secret)
        .args(["--consecutive-error-limit", "0"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(secret), "{all}");
    assert!(all.contains("bad token"), "{all}");
    let seen = seen.lock().expect("the log");
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains(&format!("authorization: bearer {secret}")),
        "{}",
        seen[0]
    );
}

#[test]
fn basic_auth_comes_from_user_and_password() {
    let (addr, seen) = prometheus("200 OK", &vector("1"));
    watch(addr, "q", "result[0] == 1")
        .env("FERRY_PROMETHEUS_USER", "ferry")
        .env("FERRY_PROMETHEUS_PASSWORD", "pw")
        .assert()
        .code(0);
    // base64("ferry:pw")
    assert!(seen.lock().expect("log")[0].contains("Basic ZmVycnk6cHc="));
    watch(addr, "q", "result[0] == 1")
        .env("FERRY_PROMETHEUS_USER", "ferry")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "FERRY_PROMETHEUS_USER is set without FERRY_PROMETHEUS_PASSWORD",
        ));
}

#[test]
fn release_values_fill_the_query() {
    let (addr, seen) = prometheus("200 OK", &vector("0"));
    watch(
        addr,
        "errors{namespace=\"{{namespace}}\",version=\"{{version}}\"}",
        "result[0] == 0",
    )
    .args([
        "-n",
        "shop",
        "--image",
        "registry.example.com/acme/backend:1.4.0",
    ])
    .assert()
    .code(0);
    let head = seen.lock().expect("log")[0].clone();
    assert!(
        head.contains("namespace%3D%22shop%22%2Cversion%3D%221.4.0%22"),
        "{head}"
    );
    // A value that is not known is a usage error before anything runs.
    watch(addr, "errors{image=\"{{image}}\"}", "result[0] == 0")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("failed to resolve {{image}}"));
}

#[test]
fn conditions_outside_the_subset_are_usage_errors() {
    let (addr, seen) = prometheus("200 OK", &vector("0"));
    watch(addr, "q", "result[0] > 1 ? true : false")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--success: operator ? is not supported by Ferry's expression subset",
        ));
    monitor()
        .args([
            "watch",
            "--prometheus",
            &format!("http://{addr}"),
            "--query",
            "q",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--query needs --success"));
    assert!(seen.lock().expect("log").is_empty());
}

const TEMPLATE: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
    - name: service-name
    - name: threshold
      value: "0.95"
  metrics:
    - name: success-rate
      interval: 50ms
      count: 2
      successCondition: result[0] >= {{args.threshold}}
      failureLimit: 0
      provider:
        prometheus:
          address: http://PROM
          query: sum(rate(ok{service="{{args.service-name}}"}[1m]))
    - name: ready
      successCondition: result.ready == true
      provider:
        web:
          url: http://WEB/health
          jsonPath: "{$.status}"
"#;

fn template(dir: &std::path::Path, prom: SocketAddr, web: SocketAddr) -> std::path::PathBuf {
    let path = dir.join("analysis.yaml");
    std::fs::write(
        &path,
        TEMPLATE
            .replace("PROM", &prom.to_string())
            .replace("WEB", &web.to_string()),
    )
    .expect("write the template");
    path
}

#[test]
fn analyze_runs_a_template_with_prometheus_and_web_metrics() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (prom, seen) = prometheus("200 OK", &vector("0.97"));
    let web = serve_with(|_| ("200 OK", r#"{"status":{"ready":true}}"#.to_owned()));
    let path = template(tmp.path(), prom, web);
    let out = monitor()
        .args(["analyze", "--template"])
        .arg(&path)
        .args(["--arg", "service-name=backend", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    let measured: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "measurement")
        .map(|e| {
            (
                e["metric"].as_str().expect("m"),
                e["phase"].as_str().expect("p"),
            )
        })
        .collect();
    assert_eq!(measured.len(), 3, "{events:?}");
    assert_eq!(measured.iter().filter(|m| m.0 == "success-rate").count(), 2);
    assert!(measured.contains(&("ready", "Successful")));
    let last = events.last().expect("the verdict");
    assert_eq!(last["event"], "analysis");
    assert_eq!(last["phase"], "Successful");
    assert_eq!(last["verdict"], "healthy");
    assert!(seen.lock().expect("log")[0].contains("service%3D%22backend%22"));
    // Text: one line per measurement, then the verdict.
    let text = monitor()
        .args(["analyze", "--template"])
        .arg(&path)
        .args(["--arg", "service-name=backend", "--arg", "threshold=0.99"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).expect("UTF-8");
    assert!(
        text.contains("measurement success-rate #1 Failed [0.97]"),
        "{text}"
    );
    assert!(
        text.lines().last().expect("a line").contains(
            "analysis unhealthy (Failed): Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)"
        ),
        "{text}"
    );
}

#[test]
fn analyze_refuses_what_it_cannot_run() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (prom, _) = prometheus("200 OK", &vector("1"));
    let web = serve_with(|_| ("200 OK", "{}".to_owned()));
    let path = template(tmp.path(), prom, web);
    monitor()
        .args(["analyze", "--template"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "spec.args[0]: argument \"service-name\" has no value: give it with --arg service-name=VALUE",
        ));
    let job = tmp.path().join("job.yaml");
    std::fs::write(
        &job,
        "kind: ClusterAnalysisTemplate\nspec:\n  metrics:\n    - name: j\n      provider:\n        job: {}\n",
    )
    .expect("write");
    monitor()
        .args(["analyze", "--template"])
        .arg(&job)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "spec.metrics[0].provider: provider [\"job\"] is not supported (prometheus and web are)",
        ));
}

/// A ferry.toml whose dev environment watches one metric on `prom`, with `metric` lines added
/// to the metric's table.
fn config(dir: &std::path::Path, prom: SocketAddr, metric: &str) {
    std::fs::write(
        dir.join("ferry.toml"),
        format!(
            r#"[monitor]
warmup = "0s"
interval = "20ms"
checks = 2
failures = 1

[monitor.prometheus]
url = "http://{prom}"
timeout = "5s"

[[environment]]
name = "dev"
overlay = "overlays/dev"

[[environment.monitor.metrics]]
name = "error-rate"
query = 'errors{{env="{{{{env}}}}"}}'
{metric}
"#
        ),
    )
    .expect("write ferry.toml");
}

#[test]
fn env_takes_metrics_from_the_configuration() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (prom, seen) = prometheus("200 OK", &vector("0.01"));
    config(tmp.path(), prom, "success = \"result[0] < 0.05\"");
    let out = monitor()
        .current_dir(tmp.path())
        .args(["watch", "--env", "dev", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let events = json_lines(&out);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "measurement")
            .count(),
        2
    );
    assert_eq!(events[1]["metric"], "error-rate");
    assert!(seen.lock().expect("log")[0].contains("errors%7Benv%3D%22dev%22%7D"));
    // A failure limit from the command line overrides the file's.
    config(
        tmp.path(),
        prom,
        "success = \"result[0] < 0.001\"\nfailure-limit = 5",
    );
    monitor()
        .current_dir(tmp.path())
        .args(["watch", "--env", "dev", "--failure-limit", "0"])
        .assert()
        .code(1);
}

#[test]
fn a_bad_condition_in_the_configuration_names_its_line() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let (prom, seen) = prometheus("200 OK", &vector("0"));
    config(tmp.path(), prom, "success = \"result[0] <\"");
    monitor()
        .current_dir(tmp.path())
        .args(["watch", "--env", "dev"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "ferry.toml:18:11: environment[0].monitor.metrics[0].success: unexpected end of the expression",
        ));
    config(tmp.path(), prom, "");
    monitor()
        .current_dir(tmp.path())
        .args(["watch", "--env", "dev"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "environment[0].monitor.metrics[0].success: give `success`",
        ));
    assert!(seen.lock().expect("log").is_empty());
}
