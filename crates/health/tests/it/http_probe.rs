//! The HTTP probe against a real local server started by each test.

use std::net::SocketAddr;
use std::time::Duration;

use ferry_health::probe::http::{HttpProbe, HttpSpec, JsonCheck};
use ferry_health::probe::{Outcome, Probe};
use regex::Regex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The request head (up to the blank line); `None` when the client hung up first.
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    Some(request)
}

/// A tiny HTTP/1.1 server on 127.0.0.1 with a few fixed routes.
async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let Some(request) = read_head(&mut socket).await else {
                    return;
                };
                let request = String::from_utf8_lossy(&request).to_lowercase();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = match path.as_str() {
                    "/healthz" => ("200 OK", "ok".to_string()),
                    "/down" => ("503 Service Unavailable", "down".to_string()),
                    "/created" => ("201 Created", "made".to_string()),
                    "/json" => (
                        "200 OK",
                        r#"{"status":"UP","checks":{"db":"DOWN"}}"#.to_string(),
                    ),
                    "/version" => ("200 OK", "version=1.4.2 build=abc".to_string()),
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        ("200 OK", "late".to_string())
                    }
                    "/auth" if request.contains("\r\nauthorization: bearer s3cret\r\n") => {
                        ("200 OK", "hello".to_string())
                    }
                    "/auth" => ("401 Unauthorized", "who?".to_string()),
                    _ => ("404 Not Found", "no such path".to_string()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

async fn check(spec: HttpSpec) -> ferry_health::probe::Observation {
    HttpProbe::new(spec).unwrap().check().await
}

#[tokio::test]
async fn a_200_passes_and_records_latency() {
    let addr = server().await;
    let obs = check(HttpSpec::new(format!("http://{addr}/healthz"))).await;
    assert_eq!(obs.outcome, Outcome::Pass, "{}", obs.message);
    assert_eq!(obs.message, "HTTP 200");
    assert!(obs.latency_ms.is_some());
    assert_eq!(obs.probe, format!("http GET http://{addr}/healthz"));
}

#[tokio::test]
async fn an_unexpected_status_fails() {
    let addr = server().await;
    let obs = check(HttpSpec::new(format!("http://{addr}/down"))).await;
    assert_eq!(obs.outcome, Outcome::Fail);
    assert_eq!(obs.message, "HTTP 503, expected 200");
    // The blueprint's mistake: a path the app does not serve is a failure, not a pass.
    let obs = check(HttpSpec::new(format!("http://{addr}/api/health"))).await;
    assert_eq!(obs.outcome, Outcome::Fail);
}

#[tokio::test]
async fn expected_status_codes_are_data() {
    let addr = server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/created"));
    spec.expected_status = vec![200, 201];
    assert_eq!(check(spec).await.outcome, Outcome::Pass);
    let mut spec = HttpSpec::new(format!("http://{addr}/down"));
    spec.expected_status = vec![503];
    assert_eq!(check(spec).await.outcome, Outcome::Pass);
}

#[tokio::test]
async fn the_body_must_match_the_regex() {
    let addr = server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/version"));
    spec.body = Some(Regex::new(r"version=1\.4\.\d+").unwrap());
    assert_eq!(check(spec.clone()).await.outcome, Outcome::Pass);
    spec.body = Some(Regex::new(r"version=1\.5\.").unwrap());
    let obs = check(spec).await;
    assert_eq!(obs.outcome, Outcome::Fail);
    assert!(
        obs.message.contains("body does not match"),
        "{}",
        obs.message
    );
}

#[tokio::test]
async fn a_json_field_is_checked() {
    let addr = server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/json"));
    spec.json = Some(JsonCheck {
        pointer: "/status".into(),
        expected: "UP".into(),
    });
    assert_eq!(check(spec.clone()).await.outcome, Outcome::Pass);
    spec.json = Some(JsonCheck {
        pointer: "/checks/db".into(),
        expected: "UP".into(),
    });
    let obs = check(spec.clone()).await;
    assert_eq!(obs.outcome, Outcome::Fail);
    assert_eq!(
        obs.message,
        r#"HTTP 200, /checks/db is "DOWN", expected "UP""#
    );
    spec.url = format!("http://{addr}/healthz");
    let obs = HttpProbe::new(spec).unwrap().check().await;
    assert_eq!(obs.outcome, Outcome::Fail);
    assert!(obs.message.contains("not JSON"), "{}", obs.message);
}

#[tokio::test]
async fn headers_are_sent() {
    let addr = server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/auth"));
    assert_eq!(check(spec.clone()).await.outcome, Outcome::Fail);
    spec.headers = vec![("Authorization".into(), "Bearer s3cret".into())];
    assert_eq!(check(spec).await.outcome, Outcome::Pass);
}

#[tokio::test]
async fn a_timeout_is_an_error_not_a_failure() {
    let addr = server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/slow"));
    spec.timeout = Duration::from_millis(200);
    let obs = check(spec).await;
    assert_eq!(obs.outcome, Outcome::Error);
    assert!(obs.message.starts_with("timed out"), "{}", obs.message);
}

#[tokio::test]
async fn a_refused_connection_is_an_error_not_a_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let obs = check(HttpSpec::new(format!("http://{addr}/healthz"))).await;
    assert_eq!(obs.outcome, Outcome::Error);
    assert!(
        obs.message.starts_with("connection failed"),
        "{}",
        obs.message
    );
}

#[test]
fn bad_urls_and_headers_are_refused() {
    assert!(HttpProbe::new(HttpSpec::new("not a url")).is_err());
    assert!(HttpProbe::new(HttpSpec::new("ftp://example.com/")).is_err());
    let mut spec = HttpSpec::new("http://127.0.0.1/");
    spec.headers = vec![("bad header".into(), "x".into())];
    assert!(HttpProbe::new(spec).is_err());
}

/// A server whose every answer is 200 with an endless body of `chunk` repeated (no length), or,
/// for `/deep`, JSON nested 200 000 levels deep.
async fn endless_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let Some(request) = read_head(&mut socket).await else {
                    return;
                };
                if String::from_utf8_lossy(&request).starts_with("GET /deep ") {
                    let body = "[".repeat(200_000) + &"]".repeat(200_000);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(body.as_bytes()).await;
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                // At most 4 GiB; the client hangs up long before.
                for _ in 0..65_536 {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn an_endless_body_is_read_only_as_far_as_the_check_needs() {
    let addr = endless_server().await;
    // Status only: the body is never read.
    let started = std::time::Instant::now();
    let obs = check(HttpSpec::new(format!("http://{addr}/big"))).await;
    assert_eq!(obs.outcome, Outcome::Pass, "{}", obs.message);
    // A regex found early passes.
    let mut spec = HttpSpec::new(format!("http://{addr}/big"));
    spec.body = Some(Regex::new("xxx").unwrap());
    assert_eq!(check(spec.clone()).await.outcome, Outcome::Pass);
    // Not found in the first MiB of a longer body: the check cannot tell, an error.
    spec.body = Some(Regex::new("ok").unwrap());
    let obs = check(spec).await;
    assert_eq!(obs.outcome, Outcome::Error, "{}", obs.message);
    assert!(
        obs.message.contains("first 1048576 bytes"),
        "{}",
        obs.message
    );
    // JSON longer than the limit: an error too.
    let mut spec = HttpSpec::new(format!("http://{addr}/big"));
    spec.json = Some(JsonCheck {
        pointer: "/status".into(),
        expected: "UP".into(),
    });
    let obs = check(spec).await;
    assert_eq!(obs.outcome, Outcome::Error, "{}", obs.message);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn json_nested_deeper_than_the_parser_takes_is_an_error_not_a_failure() {
    let addr = endless_server().await;
    let mut spec = HttpSpec::new(format!("http://{addr}/deep"));
    spec.json = Some(JsonCheck {
        pointer: "/status".into(),
        expected: "UP".into(),
    });
    let obs = check(spec).await;
    assert_eq!(obs.outcome, Outcome::Error, "{}", obs.message);
    assert!(obs.message.contains("nested too deeply"), "{}", obs.message);
}
