//! The HTTP probe: one request, judged by status code, body regex or a JSON field.

use std::time::Duration;

use regex::Regex;

use super::{CheckFuture, Observation, Outcome, Probe};

/// The most body bytes a check reads by default (1 MiB): enough for any health document.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Why an HTTP probe could not be built.
#[derive(Debug, thiserror::Error)]
pub enum HttpProbeError {
    /// The URL does not parse or is not http(s).
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// A header name or value is not valid HTTP.
    #[error("invalid header {name:?}")]
    Header {
        /// The header name.
        name: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// A URL or header that is refused comes from the probe's spec (`--http`, `ferry.toml`): a
/// usage error; an HTTP client that cannot be built is a failure of the machine (`io`).
impl ferry_error::Classify for HttpProbeError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            HttpProbeError::Url { .. } | HttpProbeError::Header { .. } => {
                ferry_error::ErrorKind::Usage
            }
            HttpProbeError::Client(_) => ferry_error::ErrorKind::Io,
        }
    }
}

/// A check of a JSON field of the response body.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCheck {
    /// An RFC 6901 JSON pointer, such as `/status`.
    pub pointer: String,
    /// The value the field must have.
    pub expected: serde_json::Value,
}

/// What an HTTP probe asks and what it expects, as data.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// The URL to GET.
    pub url: String,
    /// Status codes that pass; empty means 200 only.
    pub expected_status: Vec<u16>,
    /// A regex the body must match.
    pub body: Option<Regex>,
    /// A JSON field the body must carry.
    pub json: Option<JsonCheck>,
    /// Headers sent with the request.
    pub headers: Vec<(String, String)>,
    /// How long one request may take; past it the check is an error.
    pub timeout: Duration,
    /// The most body bytes read for the body and JSON checks; a status-only check reads none.
    pub max_body: usize,
}

impl HttpSpec {
    /// A spec that expects 200 from `url` within 10 seconds.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            expected_status: Vec::new(),
            body: None,
            json: None,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    fn status_passes(&self, status: u16) -> bool {
        if self.expected_status.is_empty() {
            status == 200
        } else {
            self.expected_status.contains(&status)
        }
    }
}

/// The HTTP probe.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    spec: HttpSpec,
    client: reqwest::Client,
    url: reqwest::Url,
    headers: reqwest::header::HeaderMap,
}

impl HttpProbe {
    /// Builds the probe; fails on a bad URL or header.
    pub fn new(spec: HttpSpec) -> Result<Self, HttpProbeError> {
        let url = reqwest::Url::parse(&spec.url).map_err(|e| HttpProbeError::Url {
            url: spec.url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(HttpProbeError::Url {
                url: spec.url.clone(),
                reason: "only http and https are supported".into(),
            });
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &spec.headers {
            let bad = || HttpProbeError::Header { name: name.clone() };
            let n = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
            let v = reqwest::header::HeaderValue::from_str(value).map_err(|_| bad())?;
            headers.append(n, v);
        }
        let client = reqwest::Client::builder()
            .timeout(spec.timeout)
            .build()
            .map_err(HttpProbeError::Client)?;
        Ok(Self {
            spec,
            client,
            url,
            headers,
        })
    }

    async fn run(&self) -> Observation {
        let name = self.name();
        let started = tokio::time::Instant::now();
        let response = self
            .client
            .get(self.url.clone())
            .headers(self.headers.clone())
            .send()
            .await;
        let result = match response {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let needs_body = self.spec.body.is_some() || self.spec.json.is_some();
                if !needs_body || !self.spec.status_passes(status) {
                    // The status decides: the body is never read.
                    judge(&self.spec, status, b"")
                } else {
                    match read_capped(&mut response, self.spec.max_body).await {
                        Ok((body, complete)) => judge_read(&self.spec, status, &body, complete),
                        Err(e) => (
                            Outcome::Error,
                            format!("HTTP {status}, body not read: {}", describe(&e)),
                        ),
                    }
                }
            }
            Err(e) => (Outcome::Error, describe(&e)),
        };
        Observation::new(name, result.0, result.1).with_latency(started.elapsed())
    }
}

impl Probe for HttpProbe {
    fn name(&self) -> String {
        format!("http GET {}", self.spec.url)
    }

    fn check(&mut self) -> CheckFuture<'_> {
        Box::pin(self.run())
    }
}

/// Reads at most `max` body bytes; `true` when that was the whole body.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// Judges one response: the status must be expected, then the body must match.
pub fn judge(spec: &HttpSpec, status: u16, body: &[u8]) -> (Outcome, String) {
    judge_read(spec, status, body, true)
}

/// [`judge`] for a body that may have been cut at [`HttpSpec::max_body`] (`complete` false).
///
/// A body check that cannot be decided on what was read (a regex not found in the first bytes,
/// JSON over the limit or nested deeper than the parser takes) is an error, not a failure.
pub fn judge_read(spec: &HttpSpec, status: u16, body: &[u8], complete: bool) -> (Outcome, String) {
    if !spec.status_passes(status) {
        let expected = if spec.expected_status.is_empty() {
            "200".to_string()
        } else {
            spec.expected_status
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("|")
        };
        return (Outcome::Fail, format!("HTTP {status}, expected {expected}"));
    }
    if let Some(re) = &spec.body {
        let text = String::from_utf8_lossy(body);
        if !re.is_match(&text) && !complete {
            return (
                Outcome::Error,
                format!(
                    "HTTP {status}, /{}/ not found in the first {} bytes of a longer body",
                    re.as_str(),
                    body.len()
                ),
            );
        }
        if !re.is_match(&text) {
            return (
                Outcome::Fail,
                format!("HTTP {status}, body does not match /{}/", re.as_str()),
            );
        }
    }
    if let Some(check) = &spec.json {
        if !complete {
            return (
                Outcome::Error,
                format!(
                    "HTTP {status}, JSON body longer than {} bytes, not read",
                    body.len()
                ),
            );
        }
        let value: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) if e.to_string().contains("recursion limit") => {
                return (
                    Outcome::Error,
                    format!("HTTP {status}, JSON body nested too deeply to read: {e}"),
                );
            }
            Err(e) => {
                return (
                    Outcome::Fail,
                    format!("HTTP {status}, body is not JSON: {e}"),
                );
            }
        };
        match value.pointer(&check.pointer) {
            Some(found) if *found == check.expected => {}
            Some(found) => {
                return (
                    Outcome::Fail,
                    format!(
                        "HTTP {status}, {} is {found}, expected {}",
                        check.pointer, check.expected
                    ),
                );
            }
            None => {
                return (
                    Outcome::Fail,
                    format!("HTTP {status}, body has no {}", check.pointer),
                );
            }
        }
    }
    (Outcome::Pass, format!("HTTP {status}"))
}

pub(crate) fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut message = kind.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    message
}
