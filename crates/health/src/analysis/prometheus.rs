//! The Prometheus provider: an instant query through the HTTP API (`GET /api/v1/query` with
//! `time` = the measurement's time), its answer read as Rollouts' provider reads it.

use std::time::Duration;

use super::Phase;
use super::expr::Value;
use crate::probe::http::{describe, read_capped};

/// The most body bytes an answer may have (8 MiB); a longer one is an error.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// Rollouts' default query timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the client authenticates. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic …`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::Basic { username, .. } => write!(f, "Basic({username}:<redacted>)"),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse or is not http(s).
    #[error("invalid Prometheus URL {url:?}: {reason}")]
    Url {
        /// The URL, credentials hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

impl ferry_error::Classify for ClientError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            Self::Url { .. } => ferry_error::ErrorKind::Usage,
            Self::Client(_) => ferry_error::ErrorKind::Io,
        }
    }
}

/// A Prometheus HTTP API client on one base URL (`http://127.0.0.1:9090`, or a prefix such as
/// `https://example.com/prometheus`).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    auth: Option<Auth>,
}

impl Client {
    /// A client of the API under `base`, each query bounded by `timeout`. The secret of `auth`
    /// is registered with `ferry-redact`, so no message shows it.
    pub fn new(base: &str, auth: Option<Auth>, timeout: Duration) -> Result<Self, ClientError> {
        let bad = |reason: &str| ClientError::Url {
            url: ferry_redact::redact_url(base),
            reason: reason.to_owned(),
        };
        let mut endpoint = reqwest::Url::parse(base).map_err(|e| bad(&e.to_string()))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(bad("not an http(s) URL"));
        }
        if endpoint.query().is_some() {
            return Err(bad("the base URL has a query"));
        }
        let path = endpoint.path().trim_end_matches('/').to_owned();
        endpoint.set_path(&format!("{path}/api/v1/query"));
        match &auth {
            Some(Auth::Bearer(token)) => ferry_redact::register(token),
            Some(Auth::Basic { username, password }) => {
                ferry_redact::register_basic(username, password)
            }
            None => {}
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(ClientError::Client)?;
        Ok(Self {
            http,
            endpoint,
            auth,
        })
    }

    /// The base URL as it may be shown (credentials hidden).
    pub fn display_url(&self) -> String {
        let s = self.endpoint.as_str();
        ferry_redact::redact_url(s.strip_suffix("/api/v1/query").unwrap_or(s))
    }

    /// Runs the instant query `query` evaluated at `time`. `Err` is the message of an
    /// error measurement (transport, HTTP status, `status: "error"`, an unreadable body).
    pub async fn query(&self, query: &str, time: jiff::Timestamp) -> Result<Answer, String> {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("time", &format_time(time));
        let mut request = self.http.get(url);
        match &self.auth {
            Some(Auth::Bearer(token)) => request = request.bearer_auth(token),
            Some(Auth::Basic { username, password }) => {
                request = request.basic_auth(username, Some(password))
            }
            None => {}
        }
        let scrub = |m: String| ferry_redact::scrub(&m);
        let mut response = request.send().await.map_err(|e| scrub(describe(&e)))?;
        let status = response.status().as_u16();
        let (body, complete) = read_capped(&mut response, MAX_BODY)
            .await
            .map_err(|e| scrub(describe(&e)))?;
        if !complete {
            return Err(format!(
                "the Prometheus answer is larger than {} MiB",
                MAX_BODY / (1024 * 1024)
            ));
        }
        parse_answer(status, &body).map_err(scrub)
    }
}

/// Unix seconds with milliseconds, as the API takes `time`.
fn format_time(t: jiff::Timestamp) -> String {
    let ms = t.as_millisecond();
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A successful answer: its `data` (`null` when absent) and warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The `data` object (`{"resultType", "result"}`).
    pub data: serde_json::Value,
    /// `warnings`, which do not make the query fail.
    pub warnings: Vec<String>,
}

/// Reads an API answer: `status: "error"` is an error even on a 2xx; a non-2xx status is an
/// error, with the API's `errorType: error` when the body says it.
pub fn parse_answer(status: u16, body: &[u8]) -> Result<Answer, String> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let api_error = json.as_ref().and_then(|j| {
        (j.get("status")?.as_str()? == "error").then(|| {
            let kind = j
                .get("errorType")
                .and_then(|v| v.as_str())
                .unwrap_or("error");
            let msg = j.get("error").and_then(|v| v.as_str()).unwrap_or("");
            format!("{kind}: {msg}")
        })
    });
    if !(200..300).contains(&status) {
        return Err(match api_error {
            Some(e) => format!("Prometheus answered HTTP {status}: {e}"),
            None => format!("Prometheus answered HTTP {status}"),
        });
    }
    if let Some(e) = api_error {
        return Err(format!("Prometheus query failed: {e}"));
    }
    let Some(json) = json else {
        return Err("the Prometheus answer is not JSON".to_owned());
    };
    if json.get("status").and_then(|v| v.as_str()) != Some("success") {
        return Err("the Prometheus answer has no status \"success\"".to_owned());
    }
    let warnings = json
        .get("warnings")
        .and_then(|w| w.as_array())
        .map(|w| {
            w.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Answer {
        data: json.get("data").cloned().unwrap_or(serde_json::Value::Null),
        warnings,
    })
}

/// The message of a result type the provider does not read.
pub const UNSUPPORTED: &str = "Prometheus metric type not supported";

/// A query's `data` as the provider reads it: a `scalar` is a float (value `"10"`, `"NaN"`,
/// `"+Inf"`), a `vector` or `matrix` an array of every sample value in order (value
/// `[v1,v2]`); anything else is [`UNSUPPORTED`].
pub fn process_data(data: &serde_json::Value) -> Result<(Value, String), String> {
    let kind = data.get("resultType").and_then(|v| v.as_str());
    let result = data.get("result");
    match (kind, result) {
        (Some("scalar"), Some(point)) => {
            let s = sample(point)?;
            Ok((Value::Float(parse_sample(s)?), s.to_owned()))
        }
        (Some("vector"), Some(serde_json::Value::Array(series))) => {
            let mut values = Vec::new();
            for s in series {
                let point = s.get("value").ok_or("a vector sample without a value")?;
                values.push(parse_sample(sample(point)?)?);
            }
            Ok(vector(values))
        }
        (Some("matrix"), Some(serde_json::Value::Array(series))) => {
            let mut values = Vec::new();
            for s in series {
                let points = s
                    .get("values")
                    .and_then(|v| v.as_array())
                    .ok_or("a matrix series without values")?;
                for point in points {
                    values.push(parse_sample(sample(point)?)?);
                }
            }
            Ok(vector(values))
        }
        _ => Err(UNSUPPORTED.to_owned()),
    }
}

fn vector(values: Vec<f64>) -> (Value, String) {
    let text = values
        .iter()
        .map(|v| format_go_float(*v))
        .collect::<Vec<_>>()
        .join(",");
    (
        Value::Array(values.into_iter().map(Value::Float).collect()),
        format!("[{text}]"),
    )
}

/// Go's `%v` of a float64 in the shortest form (`10`, `0.5`, `NaN`, `+Inf`).
pub fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        let s = format!("{v}");
        if v.abs() >= 1e21 || (v != 0.0 && v.abs() < 1e-4) {
            format!("{v:e}").replace('e', "e+").replace("e+-", "e-")
        } else {
            s
        }
    }
}

fn sample(point: &serde_json::Value) -> Result<&str, String> {
    point
        .as_array()
        .and_then(|p| p.get(1))
        .and_then(|v| v.as_str())
        .ok_or_else(|| "a sample that is not [time, \"value\"]".to_owned())
}

fn parse_sample(s: &str) -> Result<f64, String> {
    super::expr::as_float(&Value::Str(s.to_owned()))
        .map_err(|_| format!("a sample value that is not a number: {s:?}"))
}

/// One measurement from a query's answer (or its error): the phase, the value string as
/// Rollouts shows it, the result the conditions saw, and the message of an error or
/// inconclusive measurement. An empty vector or matrix is inconclusive here, before the
/// conditions (Ferry's rule: no data is never healthy).
pub fn measure(
    answer: Result<Answer, String>,
    conditions: &super::evaluate::Conditions,
) -> (Phase, String, Option<String>) {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return (Phase::Error, String::new(), Some(e)),
    };
    let (result, value) = match process_data(&answer.data) {
        Ok(r) => r,
        Err(e) => return (Phase::Error, String::new(), Some(e)),
    };
    if result.is_nil_or_empty() {
        return (
            Phase::Inconclusive,
            value,
            Some("the query returned no data".to_owned()),
        );
    }
    let (phase, message) = super::evaluate::evaluate_result(&result, conditions);
    (phase, value, message)
}

/// A metric measured by a Prometheus query (a [`super::run::Provider`]).
#[derive(Debug, Clone)]
pub struct PrometheusProvider {
    client: Client,
    query: String,
    conditions: super::evaluate::Conditions,
}

impl PrometheusProvider {
    /// `query` (templates already substituted) on `client`, judged by `conditions`.
    pub fn new(client: Client, query: String, conditions: super::evaluate::Conditions) -> Self {
        Self {
            client,
            query,
            conditions,
        }
    }
}

impl super::run::Provider for PrometheusProvider {
    fn describe(&self) -> String {
        format!("prometheus {}: {}", self.client.display_url(), self.query)
    }

    fn measure(&mut self, time: jiff::Timestamp) -> super::run::MeasureFuture<'_> {
        Box::pin(async move {
            let answer = self.client.query(&self.query, time).await;
            let (phase, value, message) = measure(answer, &self.conditions);
            super::run::Measured {
                phase,
                value,
                message,
            }
        })
    }
}
