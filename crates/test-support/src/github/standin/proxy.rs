//! The stand-in's TCP front: passes HTTP/1.1 requests and answers through to wiremock and, at
//! seeded requests, resets the client's connection (TCP RST, `SO_LINGER` 0) before forwarding
//! the request (nothing done) or after the server answered (done, but the client never hears).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::{Fault, Faults, State};

/// Starts the front on 127.0.0.1 (its own thread and runtime) for the server at `upstream`.
pub(super) fn start(upstream: SocketAddr, state: Arc<Mutex<State>>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the stand-in's front");
    let addr = listener.local_addr().expect("the front's address");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the front's runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("the front listens");
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, state.clone()));
            }
        });
    });
    addr
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    let mut server: Option<TcpStream> = None;
    let (mut from_client, mut from_server) = (Vec::new(), Vec::new());
    loop {
        let Some(request) = read_message(&mut client, &mut from_client, true).await else {
            return;
        };
        let reset = {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            let reset = state.faults.as_mut().and_then(Faults::next_reset);
            if let Some(fault) = reset {
                let line = String::from_utf8_lossy(&request);
                let first = line.lines().next().unwrap_or_default().to_owned();
                state.log.push(format!("{first} [{fault:?}]"));
            }
            reset
        };
        if reset == Some(Fault::ResetBefore) {
            let _ = client.set_zero_linger();
            return;
        }
        if server.is_none() {
            match TcpStream::connect(upstream).await {
                Ok(s) => server = Some(s),
                Err(_) => return,
            }
        }
        let upstream_conn = server.as_mut().expect("connected above");
        if upstream_conn.write_all(&request).await.is_err() {
            return;
        }
        let Some(answer) = read_message(upstream_conn, &mut from_server, false).await else {
            return;
        };
        if reset == Some(Fault::ResetAfter) {
            let _ = client.set_zero_linger();
            return;
        }
        if client.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// Reads one HTTP/1.1 message (head and `Content-Length` body; chunked bodies up to their last
/// chunk) from `stream`, keeping what follows in `buf`. `None` at the end of the stream.
async fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>, request: bool) -> Option<Vec<u8>> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(stream, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(':')
                .map(|v| v.trim().to_owned())
        })
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let no_body = !request && (status.starts_with('1') || status == "204" || status == "304");
    let end = if no_body {
        head_end
    } else if let Some(length) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while buf.len() < head_end + length {
            fill(stream, buf).await?;
        }
        head_end + length
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            if let Some(i) = find(&buf[head_end..], b"0\r\n\r\n") {
                break head_end + i + 5;
            }
            fill(stream, buf).await?;
        }
    } else {
        head_end
    };
    Some(buf.drain(..end).collect())
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
