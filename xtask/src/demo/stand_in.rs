//! The demo's stand-ins, each labelled as such when the demo starts: an OCI registry that knows
//! the tags the demo's "CI" built, and Argo CD + the cluster, which deploy what each overlay on
//! the origin's base branch says and answer health checks the way the deployed image behaves.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// One HTTP answer.
struct Answer {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Answer {
    fn json(status: &'static str, body: String) -> Answer {
        Answer {
            status,
            headers: vec![("content-type", "application/json".into())],
            body,
        }
    }
}

/// Serves `respond(method, path)` on a free 127.0.0.1 port from a background thread.
fn serve(respond: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let respond = Arc::clone(&respond);
            std::thread::spawn(move || {
                let _ = answer(stream, &*respond);
            });
        }
    });
    Ok(addr)
}

fn answer(stream: TcpStream, respond: &dyn Fn(&str, &str) -> Answer) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let answer = respond(&method, &path);
    let mut stream = reader.into_inner();
    let mut head = format!("HTTP/1.1 {}\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        answer.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(answer.body.as_bytes())?;
    }
    stream.flush()
}

/// The registry stand-in: answers manifest requests (`HEAD`/`GET /v2/<name>/manifests/<tag>`)
/// for the images the demo "pushed", 404 for every other tag.
pub struct Registry {
    /// `127.0.0.1:<port>`.
    pub host: String,
    pushed: Arc<Mutex<BTreeMap<(String, String), String>>>,
}

impl Registry {
    /// Starts the stand-in.
    pub fn start() -> Result<Registry> {
        let pushed: Arc<Mutex<BTreeMap<(String, String), String>>> = Arc::default();
        let state = Arc::clone(&pushed);
        let addr = serve(move |method, path| {
            if path == "/v2/" || path == "/v2" {
                return Answer::json("200 OK", "{}".into());
            }
            let found = path
                .strip_prefix("/v2/")
                .and_then(|rest| rest.rsplit_once("/manifests/"))
                .and_then(|(name, reference)| {
                    let pushed = state.lock().unwrap();
                    pushed
                        .get(&(name.to_owned(), reference.to_owned()))
                        .cloned()
                        .or_else(|| {
                            pushed
                                .iter()
                                .find(|((n, _), body)| n == name && digest(body) == reference)
                                .map(|(_, body)| body.clone())
                        })
                });
            match (method, found) {
                ("GET" | "HEAD", Some(body)) => Answer {
                    status: "200 OK",
                    headers: vec![
                        (
                            "content-type",
                            "application/vnd.oci.image.manifest.v1+json".into(),
                        ),
                        ("docker-content-digest", digest(&body)),
                    ],
                    body,
                },
                _ => Answer::json(
                    "404 Not Found",
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                        .into(),
                ),
            }
        })?;
        Ok(Registry {
            host: addr.to_string(),
            pushed,
        })
    }

    /// Records `repository:tag` (repository without the host) as pushed; returns its digest.
    pub fn push(&self, repository: &str, tag: &str) -> String {
        let config = digest(&format!("{repository}:{tag} config"));
        let layer = digest(&format!("{repository}:{tag} layer"));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":32}}]}}"#
        );
        let d = digest(&manifest);
        self.pushed
            .lock()
            .unwrap()
            .insert((repository.to_owned(), tag.to_owned()), manifest);
        d
    }
}

fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let mut out = String::from("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What the cluster stand-in runs in one environment.
#[derive(Debug, Clone, Default)]
struct Deployed {
    commit: String,
    images: BTreeSet<String>,
}

/// The Argo CD + cluster stand-in: a loop that "syncs" each environment to its overlay on the
/// origin's base branch (a clone, fetched every 100 ms, overlays resolved by ferry-kustomize),
/// and the application's health endpoint `/<env>/api/healthz`, which fails while an image in
/// `bad` runs outside the environments in `bad_only_outside`.
pub struct Cluster {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    deployed: Arc<Mutex<BTreeMap<String, Deployed>>>,
}

impl Cluster {
    /// Starts the stand-in for `envs` (name → overlay path in the repository), syncing from
    /// `origin`'s `branch` through a clone at `checkout`.
    pub fn start(
        origin: &Path,
        branch: &str,
        checkout: PathBuf,
        envs: BTreeMap<String, String>,
        bad: BTreeSet<String>,
        bad_only_outside: BTreeSet<String>,
    ) -> Result<Cluster> {
        super::git(
            Path::new("."),
            &[
                "clone",
                "-q",
                "--branch",
                branch,
                &origin.display().to_string(),
                &checkout.display().to_string(),
            ],
        )?;
        let deployed: Arc<Mutex<BTreeMap<String, Deployed>>> = Arc::default();
        sync(&checkout, branch, &envs, &deployed)?;
        {
            let deployed = Arc::clone(&deployed);
            let branch = branch.to_owned();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    let _ = sync(&checkout, &branch, &envs, &deployed);
                }
            });
        }
        let state = Arc::clone(&deployed);
        let addr = serve(move |_, path| {
            let mut parts = path.trim_start_matches('/').splitn(2, '/');
            let env = parts.next().unwrap_or("");
            let rest = parts.next().unwrap_or("");
            let Some(now) = state.lock().unwrap().get(env).cloned() else {
                return Answer::json("404 Not Found", r#"{"error":"no such environment"}"#.into());
            };
            match rest {
                "revision" => Answer::json("200 OK", format!(r#"{{"revision":"{}"}}"#, now.commit)),
                "api/healthz" => {
                    let broken: Vec<&String> = now
                        .images
                        .iter()
                        .filter(|i| bad.contains(*i) && !bad_only_outside.contains(env))
                        .collect();
                    if broken.is_empty() {
                        Answer::json("200 OK", r#"{"status":"ok"}"#.into())
                    } else {
                        Answer::json(
                            "500 Internal Server Error",
                            format!(
                                r#"{{"status":"error","detail":"checkout fails with {}"}}"#,
                                broken[0]
                            ),
                        )
                    }
                }
                _ => Answer::json("404 Not Found", r#"{"error":"not served"}"#.into()),
            }
        })?;
        Ok(Cluster {
            url: format!("http://{addr}"),
            deployed,
        })
    }

    /// Waits until `env` runs `commit` (as `ferry-monitor sync` waits for Argo CD).
    pub fn wait_synced(&self, env: &str, commit: &str, timeout: Duration) -> Result<()> {
        let start = std::time::Instant::now();
        loop {
            let now = self
                .deployed
                .lock()
                .unwrap()
                .get(env)
                .map(|d| d.commit.clone());
            if now.as_deref() == Some(commit) {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!(
                    "the cluster stand-in did not sync {env} to {commit} within {timeout:?} (it runs {now:?})"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn sync(
    checkout: &Path,
    branch: &str,
    envs: &BTreeMap<String, String>,
    deployed: &Mutex<BTreeMap<String, Deployed>>,
) -> Result<()> {
    super::git(checkout, &["fetch", "-q", "origin", branch])?;
    super::git(checkout, &["reset", "-q", "--hard", "FETCH_HEAD"])?;
    let mut changed = BTreeMap::new();
    for (env, overlay) in envs {
        let dir = checkout.join(overlay);
        let resolution = ferry_kustomize::resolve_overlay(checkout, &dir)
            .with_context(|| format!("{env} does not render"))?;
        let images = resolution
            .workloads
            .iter()
            .flat_map(|w| w.containers.iter().map(|c| c.image.clone()))
            .collect();
        let commit = super::git_out(checkout, &["log", "-1", "--format=%H", "--", overlay])?;
        changed.insert(env.clone(), Deployed { commit, images });
    }
    *deployed.lock().unwrap() = changed;
    Ok(())
}
