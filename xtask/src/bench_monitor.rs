//! `cargo xtask bench monitor`: detection latency of the monitor, in simulated time.
//!
//! Runs the real monitor loop on a paused tokio clock, so the times are exact:
//! - crash loop: the real Kubernetes probe and its pod watch, through kube's client against an
//!   in-process mock API; the verdict must come with the first watch event that shows the crash
//!   loop (latency 0 ms after it);
//! - HTTP failures: an endpoint that answers 503 (judged by the real HTTP rules); the verdict must
//!   come at warm-up + (failures − 1) × interval, to the millisecond;
//! - Prometheus: the real analysis loop on a Prometheus answer with a bad error rate (read by the
//!   real provider and conditions), `failureLimit` = failures − 1, so its row sits next to the
//!   HTTP one with the same expected time: warm-up + failureLimit × interval.

use std::time::Duration;

use anyhow::{Result, bail};
use ferry_health::analysis::evaluate::Conditions;
use ferry_health::analysis::metric::Limits;
use ferry_health::analysis::prometheus::{self, Answer};
use ferry_health::analysis::run::{MeasureFuture, Measured, Metric, Provider, Timestamp};
use ferry_health::analysis::{self};
use ferry_health::monitor::{self, Policy, Span, Verdict};
use ferry_health::probe::http::{HttpSpec, judge};
use ferry_health::probe::kubernetes::{Workload, WorkloadProbe};
use ferry_health::probe::{CheckFuture, Observation, Probe};
use serde_json::{Value, json};

/// Runs the benchmark.
pub(crate) fn run(args: &[&str]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask bench monitor");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    let mut rows = Vec::new();
    for (warmup, interval, failures) in [(60, 30, 3), (10, 5, 5), (0, 1, 1), (45, 20, 2)] {
        let policy = Policy {
            warmup: Duration::from_secs(warmup),
            interval: Duration::from_secs(interval),
            span: Span::Checks(10),
            failures,
            error_budget: 5,
            timeout: Duration::from_secs(3600),
        };
        let expected = policy.warmup + policy.interval * (failures - 1);
        let report = runtime.block_on(http_failures(&policy));
        rows.push(Row {
            scenario: format!(
                "HTTP 503, warm-up {warmup}s, interval {interval}s, failures {failures}"
            ),
            event_ms: None,
            expected_ms: millis(expected),
            verdict_ms: report.at_ms,
            verdict: report.verdict,
        });
        let limit = failures - 1;
        let report = runtime.block_on(prometheus_spike(&policy, limit));
        rows.push(Row {
            scenario: format!(
                "Prometheus error rate, warm-up {warmup}s, interval {interval}s, limit {limit}"
            ),
            event_ms: None,
            expected_ms: millis(expected),
            verdict_ms: report.at_ms,
            verdict: report.verdict,
        });
    }
    for event_at in [
        Duration::from_millis(47_500),
        Duration::from_millis(95_321),
        Duration::from_secs(61),
    ] {
        let report = runtime.block_on(crash_loop(event_at))?;
        rows.push(Row {
            scenario: format!("crash loop, watch event at {:.3}s", event_at.as_secs_f64()),
            event_ms: Some(millis(event_at)),
            expected_ms: millis(event_at),
            verdict_ms: report.at_ms,
            verdict: report.verdict,
        });
    }
    println!(
        "{:<56} {:>12} {:>12} {:>10}  verdict",
        "scenario (simulated time)", "expected", "verdict at", "latency"
    );
    let mut wrong = 0;
    for row in &rows {
        let latency = row
            .event_ms
            .map(|e| format!("{} ms", row.verdict_ms.saturating_sub(e)))
            .unwrap_or_else(|| "-".into());
        let ok = row.verdict_ms == row.expected_ms && row.verdict == Verdict::Unhealthy;
        if !ok {
            wrong += 1;
        }
        println!(
            "{:<56} {:>10} ms {:>9} ms {:>10}  {}{}",
            row.scenario,
            row.expected_ms,
            row.verdict_ms,
            latency,
            row.verdict,
            if ok { "" } else { "  <- WRONG" }
        );
    }
    if wrong > 0 {
        bail!("{wrong} scenario(s) missed the expected detection time");
    }
    Ok(())
}

struct Row {
    scenario: String,
    event_ms: Option<u64>,
    expected_ms: u64,
    verdict_ms: u64,
    verdict: Verdict,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An endpoint that always answers 503, judged by the HTTP probe's rules.
struct Unavailable(HttpSpec);

impl Probe for Unavailable {
    fn name(&self) -> String {
        format!("http GET {}", self.0.url)
    }

    fn check(&mut self) -> CheckFuture<'_> {
        let (outcome, message) = judge(&self.0, 503, b"upstream connect error");
        let name = self.name();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(0)).await;
            Observation::new(name, outcome, message)
        })
    }
}

async fn http_failures(policy: &Policy) -> monitor::Report {
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(Unavailable(HttpSpec::new(
        "https://app.example.com/healthz",
    )))];
    monitor::run(policy, &mut probes, None, &mut |_| {}).await
}

/// A Prometheus answering an error rate of 0.31 to `result[0] < 0.05`, read as the provider
/// reads an answer, measured by the real analysis loop.
struct BadErrorRate(Conditions);

impl Provider for BadErrorRate {
    fn describe(&self) -> String {
        "prometheus http://prometheus:9090: error rate".to_owned()
    }

    fn measure(&mut self, _time: Timestamp) -> MeasureFuture<'_> {
        let data = json!({"resultType": "vector",
            "result": [{"metric": {}, "value": [1_700_000_000, "0.31"]}]});
        let (phase, value, message) = prometheus::measure(
            Ok(Answer {
                data,
                warnings: Vec::new(),
            }),
            &self.0,
        );
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(0)).await;
            Measured {
                phase,
                value,
                message,
            }
        })
    }
}

async fn prometheus_spike(policy: &Policy, failure_limit: u32) -> analysis::run::Report {
    let metric = Metric {
        name: "error-rate".to_owned(),
        limits: Limits {
            count: Some(i64::from(policy.checks())),
            interval: Some(policy.interval),
            failure_limit: Some(i64::from(failure_limit)),
            ..Limits::default()
        },
        initial_delay: policy.warmup,
        dry_run: false,
        provider: Box::new(BadErrorRate(
            Conditions::parse("result[0] < 0.05", "").expect("the condition parses"),
        )),
    };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    analysis::run::run(vec![metric], policy.timeout, Timestamp::UNIX_EPOCH, tx).await
}

/// A Deployment whose new pod starts crash looping at `event_at`, seen by the pod watch.
async fn crash_loop(event_at: Duration) -> Result<monitor::Report> {
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "u-1", "generation": 2,
            "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}},
        "status": {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1,
            "readyReplicas": 1, "availableReplicas": 1,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    });
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-5d4f8b9c7", "namespace": "default",
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "labels": {"app": "web", "pod-template-hash": "5d4f8b9c7"},
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "u-1"}]}
    });
    let pod = |state: Value, restarts: u32| {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-5d4f8b9c7-x2k9p", "namespace": "default",
                "labels": {"app": "web", "pod-template-hash": "5d4f8b9c7"}},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": restarts, "state": state}]}
        })
    };
    let running = pod(json!({"running": {"startedAt": "2026-11-25T10:00:00Z"}}), 0);
    let crashing = pod(
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container"}}),
        1,
    );
    let list = |kind: &str, items: Vec<Value>| json!({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "7"}, "items": items});
    let watch_body = format!("{}\n", json!({"type": "MODIFIED", "object": crashing}));
    let start = tokio::time::Instant::now();
    let (service, mut handle) = tower_test::mock::pair::<
        http::Request<kube::client::Body>,
        http::Response<kube::client::Body>,
    >();
    let deploy_body = deploy.to_string();
    let rs_body = list("ReplicaSetList", vec![rs]).to_string();
    let pods_body = list("PodList", vec![running]).to_string();
    tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let uri = request.uri().to_string();
            let path = request.uri().path();
            let (body, at) = if uri.contains("watch=true") {
                (watch_body.clone(), Some(start + event_at))
            } else if path.ends_with("/deployments/web") {
                (deploy_body.clone(), None)
            } else if path.ends_with("/replicasets") {
                (rs_body.clone(), None)
            } else {
                (pods_body.clone(), None)
            };
            tokio::spawn(async move {
                if let Some(at) = at {
                    tokio::time::sleep_until(at).await;
                }
                let response = http::Response::builder()
                    .status(200)
                    .body(kube::client::Body::from(body.into_bytes()))
                    .expect("a valid response");
                send.send_response(response);
            });
        }
    });
    let client = kube::Client::new(service, "default");
    let workload: Workload = "deployment/web".parse().map_err(anyhow::Error::msg)?;
    let probe = WorkloadProbe::new(client, "default", workload);
    let watcher = probe.clone();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move { watcher.watch_signals(tx, Duration::from_secs(5)).await });
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(probe)];
    Ok(monitor::run(&Policy::default(), &mut probes, Some(rx), &mut |_| {}).await)
}
