//! The web provider: a request whose JSON answer, at a JSON path, is the result (Rollouts'
//! `web` metric provider).

use std::time::Duration;

use super::Phase;
use super::evaluate::{Conditions, evaluate_result};
use super::expr::Value;
use crate::probe::http::{describe, read_capped};

/// The most body bytes read (1 MiB, as the HTTP probe).
pub const MAX_BODY: usize = 1024 * 1024;
/// Rollouts' default `timeoutSeconds`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A web metric's request, as data.
#[derive(Debug, Clone, PartialEq)]
pub struct WebSpec {
    /// The URL.
    pub url: String,
    /// `GET` (default), `POST` or `PUT`.
    pub method: String,
    /// Request headers (`headers: [{key, value}]`).
    pub headers: Vec<(String, String)>,
    /// The request body, if any (`body`, or `jsonBody` serialised).
    pub body: Option<String>,
    /// `timeoutSeconds`.
    pub timeout: Duration,
    /// `jsonPath`, parsed: the steps after `$`.
    pub path: Vec<PathStep>,
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]`.
    Index(usize),
}

/// Parses the JSON path subset Rollouts users write: `{$}`, `{$.data.ok}`, `{$.items[0].v}`,
/// `{$['a-b']}` (braces optional). Filters, wildcards and ranges are refused.
pub fn parse_json_path(path: &str) -> Result<Vec<PathStep>, String> {
    let p = path.trim();
    let p = p
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(p)
        .trim();
    let Some(mut rest) = p.strip_prefix('$') else {
        return Err(format!("jsonPath {path:?} does not start with $"));
    };
    let unsupported = || format!("jsonPath {path:?}: only .field, ['field'] and [n] are supported");
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name.contains(['*', '?', '@', '(', ')', ':', '\'']) {
                return Err(unsupported());
            }
            steps.push(PathStep::Field(name.to_owned()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(unsupported)?;
            let inner = r[..end].trim();
            if let Some(q) = inner
                .strip_prefix('\'')
                .and_then(|q| q.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|q| q.strip_suffix('"')))
            {
                steps.push(PathStep::Field(q.to_owned()));
            } else {
                steps.push(PathStep::Index(inner.parse().map_err(|_| unsupported())?));
            }
            rest = &r[end + 1..];
        } else {
            return Err(unsupported());
        }
    }
    Ok(steps)
}

/// The value at `path` in `doc`, if there is one.
pub fn select<'a>(doc: &'a serde_json::Value, path: &[PathStep]) -> Option<&'a serde_json::Value> {
    path.iter().try_fold(doc, |v, step| match step {
        PathStep::Field(name) => v.get(name),
        PathStep::Index(i) => v.get(*i),
    })
}

/// `v` with object keys in sorted order, as Go's `encoding/json` writes a map.
fn sorted(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Runs one web measurement: the phase, the value (the selected JSON), the message of an
/// error.
pub async fn measure(
    client: &reqwest::Client,
    spec: &WebSpec,
    conditions: &Conditions,
) -> (Phase, String, Option<String>) {
    let error = |m: String| (Phase::Error, String::new(), Some(ferry_redact::scrub(&m)));
    let method = match reqwest::Method::from_bytes(spec.method.as_bytes()) {
        Ok(m) => m,
        Err(_) => return error(format!("bad method {:?}", spec.method)),
    };
    let mut request = client.request(method, &spec.url).timeout(spec.timeout);
    for (k, v) in &spec.headers {
        request = request.header(k, v);
    }
    if let Some(body) = &spec.body {
        request = request.body(body.clone());
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return error(describe(&e)),
    };
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return error(format!("received non 2xx response code: {status}"));
    }
    let body = match read_capped(&mut response, MAX_BODY).await {
        Ok((body, true)) => body,
        Ok((_, false)) => return error(format!("the answer is larger than {MAX_BODY} bytes")),
        Err(e) => return error(describe(&e)),
    };
    // A body that is not JSON (the empty body too) is the result as a string, as Rollouts reads
    // it.
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) else {
        let text = String::from_utf8_lossy(&body).into_owned();
        let (phase, message) = evaluate_result(&Value::Str(text.clone()), conditions);
        return (phase, text, message);
    };
    let Some(selected) = select(&doc, &spec.path) else {
        return error("Could not find JSONPath in body".to_owned());
    };
    let value = sorted(selected).to_string();
    let (phase, message) = evaluate_result(&Value::from_json(selected), conditions);
    (phase, value, message)
}

/// A metric measured by a web request (a [`super::run::Provider`]).
#[derive(Debug, Clone)]
pub struct WebProvider {
    client: reqwest::Client,
    spec: WebSpec,
    conditions: Conditions,
}

impl WebProvider {
    /// The request `spec` judged by `conditions`.
    pub fn new(spec: WebSpec, conditions: Conditions) -> Result<Self, reqwest::Error> {
        Ok(Self {
            client: reqwest::Client::builder().build()?,
            spec,
            conditions,
        })
    }
}

impl super::run::Provider for WebProvider {
    fn describe(&self) -> String {
        format!(
            "web {} {}",
            self.spec.method,
            ferry_redact::redact_url(&self.spec.url)
        )
    }

    fn measure(&mut self, _time: jiff::Timestamp) -> super::run::MeasureFuture<'_> {
        Box::pin(async move {
            let (phase, value, message) = measure(&self.client, &self.spec, &self.conditions).await;
            super::run::Measured {
                phase,
                value,
                message,
            }
        })
    }
}
