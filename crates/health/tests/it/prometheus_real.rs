//! The analysis loop against a real Prometheus (`prometheus`, the Debian package) started on
//! 127.0.0.1 with a 1 s scrape interval, scraping a local exporter whose request counters and
//! latency histogram the test drives. Skips with a notice when `prometheus` is missing (fails
//! under `CI`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_health::analysis::Phase;
use ferry_health::analysis::evaluate::Conditions;
use ferry_health::analysis::metric::Limits;
use ferry_health::analysis::prometheus::{Client, PrometheusProvider};
use ferry_health::analysis::run::{self, Metric, Report};
use ferry_health::monitor::Verdict;
use ferry_test_support::prometheus::{Exporter, TestPrometheus};

const SCRAPE: Duration = Duration::from_secs(1);
const ERROR_RATE: &str =
    "sum(rate(http_requests_total{code=\"500\"}[3s])) / sum(rate(http_requests_total[3s]))";
const P99: &str =
    "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[3s])) by (le))";

/// Traffic on the exporter: 10 requests every 100 ms, 20 ms each; while `spike` is set, as
/// many again answered 500 and slow.
struct Traffic {
    spike: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Traffic {
    fn start(exporter: &Exporter) -> Self {
        let spike = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (e, s, st) = (exporter.clone(), Arc::clone(&spike), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                e.record(10, false, 0.02);
                if s.load(Ordering::Relaxed) {
                    e.record(10, true, 0.4);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { spike, stop }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn url_encoded(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Prometheus scraping a fresh exporter with healthy traffic, with data for the error rate.
fn setup() -> Option<(TestPrometheus, Exporter, Traffic)> {
    let exporter = Exporter::start();
    let traffic = Traffic::start(&exporter);
    let prometheus = TestPrometheus::start(exporter.addr(), SCRAPE)?;
    prometheus.wait_for_data(&url_encoded(ERROR_RATE), Duration::from_secs(30));
    Some((prometheus, exporter, traffic))
}

fn metric(url: &str, name: &str, query: &str, success: &str, limits: Limits, delay: u64) -> Metric {
    let client = Client::new(url, None, Duration::from_secs(5)).expect("a client");
    Metric {
        name: name.to_owned(),
        limits,
        initial_delay: Duration::from_secs(delay),
        dry_run: false,
        provider: Box::new(PrometheusProvider::new(
            client,
            query.to_owned(),
            Conditions::parse(success, "").expect("the condition parses"),
        )),
    }
}

fn every_second(count: i64, failure_limit: i64) -> Limits {
    Limits {
        count: Some(count),
        interval: Some(Duration::from_secs(1)),
        failure_limit: Some(failure_limit),
        ..Limits::default()
    }
}

async fn analyse(metrics: Vec<Metric>) -> Report {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    run::run(metrics, Duration::from_secs(60), jiff::Timestamp::now(), tx).await
}

fn phases(report: &Report, metric: usize) -> Vec<Phase> {
    report.metrics[metric]
        .measurements
        .iter()
        .map(|m| m.phase)
        .collect()
}

#[tokio::test]
async fn a_healthy_release_is_healthy() {
    let Some((prometheus, _exporter, _traffic)) = setup() else {
        return;
    };
    let url = prometheus.url();
    let report = analyse(vec![
        metric(
            &url,
            "error-rate",
            ERROR_RATE,
            "result[0] < 0.05",
            every_second(3, 0),
            1,
        ),
        metric(
            &url,
            "latency-p99",
            P99,
            "all(result, {# < 0.25})",
            every_second(3, 0),
            1,
        ),
    ])
    .await;
    assert_eq!(report.verdict, Verdict::Healthy, "{report:#?}");
    assert_eq!(phases(&report, 0), [Phase::Successful; 3]);
    assert_eq!(phases(&report, 1), [Phase::Successful; 3]);
    // The p99 latency of 20 ms requests is in the first bucket (≤ 50 ms).
    let v = &report.metrics[1].measurements[0].value;
    assert!(v.starts_with('[') && v != "[]", "{v}");
}

/// The release fails from its start; the warm-up (initialDelay 2 s) passes, then measurements
/// every second: unhealthy after exactly failureLimit + 1 failed measurements, at warm-up +
/// failureLimit × interval (± one scrape interval), read from the measurements' times.
#[tokio::test]
async fn an_error_spike_is_unhealthy_after_failure_limit_plus_one_failures() {
    let Some((prometheus, _exporter, traffic)) = setup() else {
        return;
    };
    let (warmup, interval, failure_limit) = (2_000u64, 1_000u64, 2i64);
    traffic.spike.store(true, Ordering::Relaxed);
    let report = analyse(vec![metric(
        &prometheus.url(),
        "error-rate",
        ERROR_RATE,
        "result[0] < 0.05",
        every_second(10, failure_limit),
        warmup / 1000,
    )])
    .await;
    assert_eq!(report.verdict, Verdict::Unhealthy, "{report:#?}");
    assert_eq!(
        phases(&report, 0),
        vec![Phase::Failed; failure_limit as usize + 1],
        "{report:#?}"
    );
    assert_eq!(
        report.reason,
        "Metric \"error-rate\" assessed Failed due to failed (3) > failureLimit (2)"
    );
    let judged = report.metrics[0]
        .measurements
        .last()
        .expect("measurements")
        .at_ms;
    let expected = warmup + failure_limit as u64 * interval;
    let scrape = SCRAPE.as_millis() as u64;
    assert!(
        judged.abs_diff(expected) <= scrape,
        "judged at {judged} ms, expected {expected} ± {scrape} ms"
    );
    // The spike judgement time, for the record (`cargo test -- --nocapture`).
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("prometheus spike judged at {judged} ms (expected {expected} ± {scrape} ms)\n")
            .as_bytes(),
    );
}

/// Prometheus killed mid-run: the measurements error, the run ends Error (consecutiveErrorLimit
/// 4 by default: the fifth error in a row), the verdict inconclusive — never unhealthy.
#[tokio::test]
async fn a_stopped_prometheus_is_inconclusive_never_unhealthy() {
    let Some((prometheus, _exporter, _traffic)) = setup() else {
        return;
    };
    let url = prometheus.url();
    let prometheus = Arc::new(Mutex::new(prometheus));
    let killer = Arc::clone(&prometheus);
    let kill = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        killer.lock().expect("prometheus").stop();
    });
    let report = analyse(vec![metric(
        &url,
        "error-rate",
        ERROR_RATE,
        "result[0] < 0.05",
        every_second(10, 0),
        1,
    )])
    .await;
    kill.await.expect("the kill task");
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
    assert_eq!(report.phase, Phase::Error);
    let p = phases(&report, 0);
    assert!(!p.contains(&Phase::Failed), "{p:?}");
    assert_eq!(p[..2], [Phase::Successful; 2], "{p:?}");
    assert_eq!(p[p.len() - 5..], [Phase::Error; 5], "{p:?}");
    assert_eq!(
        report.reason,
        format!(
            "Metric \"error-rate\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: {}\"",
            report.metrics[0]
                .measurements
                .last()
                .expect("measured")
                .message
                .as_deref()
                .expect("a message")
        )
    );
}

/// A query matching no series: an empty vector, inconclusive at the first measurement, though
/// the condition would accept it.
#[tokio::test]
async fn an_empty_vector_is_inconclusive() {
    let Some((prometheus, _exporter, _traffic)) = setup() else {
        return;
    };
    let report = analyse(vec![metric(
        &prometheus.url(),
        "not-found-rate",
        "sum(rate(http_requests_total{code=\"404\"}[3s]))",
        "len(result) == 0 || result[0] < 1",
        every_second(3, 0),
        0,
    )])
    .await;
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
    assert_eq!(phases(&report, 0), [Phase::Inconclusive]);
    assert_eq!(report.metrics[0].measurements[0].value, "[]");
}
