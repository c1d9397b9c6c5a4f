//! A tiny blocking HTTP/1.1 server for tests that probe a real local endpoint.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// Starts a server on `127.0.0.1` (a free port) in a background thread and returns its address.
///
/// Every connection carries one request: the server reads the request head, passes it (lossily
/// decoded) to `respond`, which returns a status line such as `"200 OK"` and a body, writes that
/// answer as `application/json` with `connection: close`, and closes the connection. The thread
/// lives as long as the test process.
///
/// # Panics
///
/// When no local port can be bound.
pub fn serve_with(respond: impl Fn(&str) -> (&'static str, String) + Send + 'static) -> SocketAddr {
    serve_answers(move |head| {
        let (status, body) = respond(head);
        Answer {
            status: status.to_owned(),
            headers: Vec::new(),
            body,
        }
    })
}

/// An answer of [`serve_answers`].
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The status line after `HTTP/1.1`, e.g. `"401 Unauthorized"`.
    pub status: String,
    /// Headers besides `content-type: application/json`, `content-length` and
    /// `connection: close` (a `content-type` given here replaces the JSON one).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// [`serve_with`] whose answers carry headers of their own. The request body (as long as its
/// `content-length`) is read before the answer is written, so the client never sees a reset.
///
/// # Panics
///
/// When no local port can be bound.
pub fn serve_answers(respond: impl Fn(&str) -> Answer + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break request.len(),
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            };
            let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while request.len() < head_end + length {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let answer = respond(&String::from_utf8_lossy(&request));
            let mut text = format!("HTTP/1.1 {}\r\n", answer.status);
            if !answer
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                text.push_str("content-type: application/json\r\n");
            }
            for (name, value) in &answer.headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n{}",
                answer.body.len(),
                answer.body
            ));
            let _ = stream.write_all(text.as_bytes());
        }
    });
    addr
}

/// [`serve_with`] answering every request with `status` (such as `"503 Service Unavailable"`)
/// and `body`.
pub fn serve(status: &'static str, body: &str) -> SocketAddr {
    let body = body.to_string();
    serve_with(move |_| (status, body.clone()))
}

/// [`serve`] that also keeps the request line of every request it answers
/// (`POST /services/T/B/X HTTP/1.1`), in order.
pub fn serve_recording(status: &'static str, body: &str) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let body = body.to_string();
    let addr = serve_with(move |head| {
        let line = head.lines().next().unwrap_or_default().to_owned();
        log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        (status, body.clone())
    });
    (addr, seen)
}
