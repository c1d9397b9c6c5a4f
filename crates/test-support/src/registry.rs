//! A real OCI registry for tests: the `docker-registry` program (distribution 2.x) on 127.0.0.1.
//!
//! [`TestRegistry::start`] runs an anonymous registry, [`TestRegistry::start_with_auth`] one that
//! requires HTTP basic authentication (an htpasswd file with a bcrypt hash made here, no extra
//! tool). Each instance listens on a free port, stores blobs in its own temporary directory, is
//! ready when `/v2/` answers and is killed when dropped. Both return `None` (skip notice) when
//! `docker-registry` is not installed, and panic under CI (see [`crate::require_tool`]).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::require_tool;

/// How long a registry may take to answer `/v2/` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `docker-registry` process on 127.0.0.1; killed on drop.
pub struct TestRegistry {
    child: Option<Child>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    credentials: Option<(String, String)>,
}

impl std::fmt::Debug for TestRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRegistry")
            .field("addr", &self.addr)
            .field("auth", &self.credentials.is_some())
            .finish()
    }
}

impl TestRegistry {
    /// Starts an anonymous registry, or returns `None` when `docker-registry` is missing.
    pub fn start() -> Option<Self> {
        Self::spawn(None)
    }

    /// Starts a registry that accepts only `username`/`password` (HTTP basic authentication).
    pub fn start_with_auth(username: &str, password: &str) -> Option<Self> {
        Self::spawn(Some((username.to_owned(), password.to_owned())))
    }

    fn spawn(credentials: Option<(String, String)>) -> Option<Self> {
        let program = require_tool("docker-registry")?;
        let dir = tempfile::tempdir().expect("temporary directory for the registry");
        let addr = free_port();
        let config = dir.path().join("config.yml");
        let mut yaml = format!(
            "version: 0.1\n\
             log:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\n  secret: ferry-test-registry\n",
            root = dir.path().join("data").display(),
        );
        if let Some((user, password)) = &credentials {
            let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: ferry-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        std::fs::write(&config, yaml).expect("write registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry log");
        let child = Command::new(program)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut registry = TestRegistry {
            child: Some(child),
            addr,
            dir,
            credentials,
        };
        registry.wait_ready();
        Some(registry)
    }

    /// Polls `GET /v2/` until the registry answers (200, or 401 with authentication).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "docker-registry exited with {status} before it was ready:\n{}",
                    self.log()
                );
            }
            if let Some(status) = http_status(self.addr, "/v2/") {
                assert!(
                    status == 200 || status == 401,
                    "docker-registry answered /v2/ with {status}:\n{}",
                    self.log()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry on {} did not answer within {START_TIMEOUT:?}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The username and password this registry accepts, when it requires authentication.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The directory holding the registry's configuration, storage and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the registry has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// Kills the registry now (its address then refuses connections); idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address")
}

/// The status code of `GET path`, or `None` when nothing answers.
fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).ok()?;
    let line = std::str::from_utf8(&head[..n]).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}
