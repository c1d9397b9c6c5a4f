//! A real Prometheus (the Debian package's `prometheus`) on 127.0.0.1 with a temporary
//! configuration and storage, scraping a small exporter whose metrics the test drives.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::{Answer, serve_answers};
use crate::require_tool;

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `prometheus` program, or `None` after a skip notice (a failure under `CI`).
pub fn require_prometheus() -> Option<PathBuf> {
    require_tool("prometheus")
}

/// The latency histogram's bucket bounds, in seconds.
pub const BUCKETS: [f64; 4] = [0.05, 0.1, 0.25, 0.5];

/// What the exporter serves: request counters by status code and a latency histogram.
#[derive(Debug, Default, Clone)]
struct Counts {
    ok: u64,
    errors: u64,
    /// Cumulative counts per bucket of [`BUCKETS`], then `+Inf`.
    buckets: [u64; 5],
    sum: f64,
}

/// An exporter on 127.0.0.1 serving `/metrics`: `http_requests_total{code="200"|"500"}` and
/// `http_request_duration_seconds` (a histogram). The test records requests with
/// [`Exporter::record`]; scrapes see the totals so far.
#[derive(Debug, Clone)]
pub struct Exporter {
    addr: SocketAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Exporter {
    /// Starts the exporter (a thread that lives as long as the test process).
    pub fn start() -> Self {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let shared = Arc::clone(&counts);
        let addr = serve_answers(move |_head| {
            let c = shared.lock().expect("exporter counts").clone();
            Answer {
                status: "200 OK".to_owned(),
                headers: vec![(
                    "content-type".to_owned(),
                    "text/plain; version=0.0.4".to_owned(),
                )],
                body: render(&c),
            }
        });
        Self { addr, counts }
    }

    /// The address Prometheus scrapes.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Records `n` requests answered with `error` (500) or not (200), each taking `latency`
    /// seconds.
    pub fn record(&self, n: u64, error: bool, latency: f64) {
        let mut c = self.counts.lock().expect("exporter counts");
        if error {
            c.errors += n;
        } else {
            c.ok += n;
        }
        for (i, bound) in BUCKETS.iter().enumerate() {
            if latency <= *bound {
                c.buckets[i] += n;
            }
        }
        c.buckets[BUCKETS.len()] += n;
        c.sum += latency * n as f64;
    }
}

fn render(c: &Counts) -> String {
    let mut out = String::from(
        "# HELP http_requests_total Requests by status code.\n\
         # TYPE http_requests_total counter\n",
    );
    out.push_str(&format!("http_requests_total{{code=\"200\"}} {}\n", c.ok));
    out.push_str(&format!(
        "http_requests_total{{code=\"500\"}} {}\n",
        c.errors
    ));
    out.push_str(
        "# HELP http_request_duration_seconds Request latency.\n\
         # TYPE http_request_duration_seconds histogram\n",
    );
    for (i, bound) in BUCKETS.iter().enumerate() {
        out.push_str(&format!(
            "http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}\n",
            c.buckets[i]
        ));
    }
    let total = c.buckets[BUCKETS.len()];
    out.push_str(&format!(
        "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n\
         http_request_duration_seconds_sum {}\n\
         http_request_duration_seconds_count {total}\n",
        c.sum
    ));
    out
}

/// A running `prometheus` scraping one target every `scrape` interval.
pub struct TestPrometheus {
    child: Option<Child>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestPrometheus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPrometheus")
            .field("addr", &self.addr)
            .finish()
    }
}

impl TestPrometheus {
    /// Starts Prometheus on a free loopback port, scraping `target` every `scrape` (job
    /// `app`), and waits until it is ready; `None` after a skip notice when `prometheus` is not
    /// installed.
    pub fn start(target: SocketAddr, scrape: Duration) -> Option<Self> {
        let program = require_prometheus()?;
        let dir = tempfile::tempdir().expect("temporary directory for Prometheus");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        drop(listener);
        let ms = scrape.as_millis();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {ms}ms\n  evaluation_interval: {ms}ms\n\
                 scrape_configs:\n  - job_name: app\n    scrape_interval: {ms}ms\n    scrape_timeout: {ms}ms\n\
                 \x20   static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write the Prometheus configuration");
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
        let child = Command::new(program)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let mut p = Self {
            child: Some(child),
            addr,
            dir,
        };
        p.wait_ready();
        Some(p)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("prometheus exited with {status}:\n{}", self.log());
            }
            if get(self.addr, "/-/ready").is_some_and(|(status, _)| status == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus on {} was not ready within {START_TIMEOUT:?}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits (polling every 100 ms, at most `within`) until the instant query `query`, URL-safe
    /// as given, returns a non-empty result; panics otherwise.
    pub fn wait_for_data(&self, query: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let path = format!("/api/v1/query?query={query}");
        loop {
            if let Some((200, body)) = get(self.addr, &path)
                && !body.contains("\"result\":[]")
                && body.contains("\"status\":\"success\"")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no data for {query} within {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// Stops Prometheus (SIGKILL): queries are refused from now on.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestPrometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking GET of `path`: the status and body, `None` when the server does not answer.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}
