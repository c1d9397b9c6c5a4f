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
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let (status, body) = respond(&String::from_utf8_lossy(&request));
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
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
