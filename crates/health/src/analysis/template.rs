//! Argo Rollouts AnalysisTemplate and ClusterAnalysisTemplate documents (as JSON values, read by
//! `ferry-kustomize`'s documents API) turned into metric definitions, with `{{args.NAME}}` and
//! the release's `{{env}}`, `{{namespace}}`, `{{image}}`, `{{version}}` substituted.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::metric::Limits;
use super::web::{WebSpec, parse_json_path};

/// A template that cannot be run: the field (`spec.metrics[0].count`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TemplateError {
    /// Where, as a path into the document.
    pub field: String,
    /// Why.
    pub message: String,
}

impl ferry_error::Classify for TemplateError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> TemplateError {
    TemplateError {
        field: field.into(),
        message: message.into(),
    }
}

/// Replaces every `{{NAME}}` (spaces inside the braces allowed) by its value in `vars`; a name
/// without a value is an error (`failed to resolve {{args.var}}`, Rollouts' wording).
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = after[..close].trim();
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => return Err(format!("failed to resolve {{{{{name}}}}}")),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// How a metric is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderDef {
    /// `provider.prometheus`.
    Prometheus {
        /// `address`.
        address: String,
        /// `query`, substituted.
        query: String,
        /// `timeout` (seconds; default 30 s).
        timeout: Duration,
    },
    /// `provider.web`.
    Web(WebSpec),
}

/// One metric of a template, ready to be given a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDef {
    /// `name`.
    pub name: String,
    /// `count`, `interval` and the limits.
    pub limits: Limits,
    /// `initialDelay`.
    pub initial_delay: Duration,
    /// Listed in `spec.dryRun`.
    pub dry_run: bool,
    /// `successCondition` (`""` when not set).
    pub success: String,
    /// `failureCondition` (`""` when not set).
    pub failure: String,
    /// The provider.
    pub provider: ProviderDef,
}

/// The metrics of an AnalysisTemplate or ClusterAnalysisTemplate. `args` (from `--arg`) give
/// or override `spec.args` values; `vars` are the release's values (`env`, `namespace`,
/// `image`, `version`). An argument without a value, `valueFrom`, and providers other than
/// `prometheus` and `web` are errors naming the field.
pub fn metrics(
    doc: &Value,
    args: &BTreeMap<String, String>,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<MetricDef>, TemplateError> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if !matches!(kind, "AnalysisTemplate" | "ClusterAnalysisTemplate") {
        return Err(err(
            "kind",
            format!("{kind:?} is not an AnalysisTemplate or ClusterAnalysisTemplate"),
        ));
    }
    let spec = doc.get("spec").ok_or_else(|| err("spec", "missing"))?;
    let mut values = vars.clone();
    let declared = spec
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, arg) in declared.iter().enumerate() {
        let field = format!("spec.args[{i}]");
        let name = arg
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("{field}.name"), "missing"))?;
        let value = match (args.get(name), arg.get("value"), arg.get("valueFrom")) {
            (Some(v), _, _) => v.clone(),
            (None, Some(Value::String(v)), _) => v.clone(),
            (None, _, Some(_)) => {
                return Err(err(
                    format!("{field}.valueFrom"),
                    format!("valueFrom is not supported: give the value with --arg {name}=VALUE"),
                ));
            }
            _ => {
                return Err(err(
                    field,
                    format!("argument {name:?} has no value: give it with --arg {name}=VALUE"),
                ));
            }
        };
        values.insert(format!("args.{name}"), value);
    }
    for name in args.keys() {
        if !declared
            .iter()
            .any(|a| a.get("name").and_then(Value::as_str) == Some(name))
        {
            return Err(err(
                "spec.args",
                format!("the template declares no argument {name:?}"),
            ));
        }
    }
    let dry_run: Vec<String> = spec
        .get("dryRun")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(|e| e.get("metricName")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let list = spec
        .get("metrics")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| err("spec.metrics", "missing or empty"))?;
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            let field = format!("spec.metrics[{i}]");
            let m = substitute_all(m, &values, &field)?;
            metric(&m, &field, &dry_run)
        })
        .collect()
}

/// `v` with every string substituted.
fn substitute_all(
    v: &Value,
    vars: &BTreeMap<String, String>,
    field: &str,
) -> Result<Value, TemplateError> {
    Ok(match v {
        Value::String(s) => Value::String(substitute(s, vars).map_err(|m| err(field, m))?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute_all(x, vars, field))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), substitute_all(x, vars, field)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

fn string(m: &Value, key: &str) -> String {
    m.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// An int-or-string field (`count: 5`, `count: "5"`).
fn int(m: &Value, key: &str, field: &str) -> Result<Option<i64>, TemplateError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| err(format!("{field}.{key}"), "not an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| err(format!("{field}.{key}"), format!("{s:?} is not an integer"))),
        Some(_) => Err(err(format!("{field}.{key}"), "not an integer")),
    }
}

fn duration(m: &Value, key: &str, field: &str) -> Result<Option<Duration>, TemplateError> {
    match m.get(key).and_then(Value::as_str) {
        None => Ok(None),
        Some(s) => ferry_config::parse_duration(s)
            .map(Some)
            .map_err(|e| err(format!("{field}.{key}"), e.to_string())),
    }
}

fn metric(m: &Value, field: &str, dry_run: &[String]) -> Result<MetricDef, TemplateError> {
    let name = string(m, "name");
    if name.is_empty() {
        return Err(err(format!("{field}.name"), "missing"));
    }
    let limits = Limits {
        count: int(m, "count", field)?,
        interval: duration(m, "interval", field)?,
        failure_limit: int(m, "failureLimit", field)?,
        inconclusive_limit: int(m, "inconclusiveLimit", field)?,
        consecutive_error_limit: int(m, "consecutiveErrorLimit", field)?,
        consecutive_success_limit: int(m, "consecutiveSuccessLimit", field)?,
    };
    let success = string(m, "successCondition");
    let failure = string(m, "failureCondition");
    // Conditions are checked now: a typo is a usage error, not a run of errored measurements.
    super::evaluate::Conditions::parse(&success, &failure).map_err(|e| err(field, e))?;
    let provider = m
        .get("provider")
        .and_then(Value::as_object)
        .ok_or_else(|| err(format!("{field}.provider"), "missing"))?;
    let provider = if let Some(p) = provider.get("prometheus") {
        let pf = format!("{field}.provider.prometheus");
        if p.get("authentication").is_some() {
            return Err(err(
                format!("{pf}.authentication"),
                "sigv4 and oauth2 are not supported: use FERRY_PROMETHEUS_TOKEN or FERRY_PROMETHEUS_USER/FERRY_PROMETHEUS_PASSWORD",
            ));
        }
        if p.get("rangeQuery").is_some() {
            return Err(err(
                format!("{pf}.rangeQuery"),
                "range queries are not supported",
            ));
        }
        let query = string(p, "query");
        if query.is_empty() {
            return Err(err(format!("{pf}.query"), "missing"));
        }
        let timeout = match int(p, "timeout", &pf)? {
            None => super::prometheus::DEFAULT_TIMEOUT,
            Some(t) if t > 0 => Duration::from_secs(t as u64),
            Some(_) => return Err(err(format!("{pf}.timeout"), "must be positive")),
        };
        ProviderDef::Prometheus {
            address: string(p, "address"),
            query,
            timeout,
        }
    } else if let Some(w) = provider.get("web") {
        let wf = format!("{field}.provider.web");
        let url = string(w, "url");
        if url.is_empty() {
            return Err(err(format!("{wf}.url"), "missing"));
        }
        let headers = w
            .get("headers")
            .and_then(Value::as_array)
            .map(|h| {
                h.iter()
                    .map(|e| (string(e, "key"), string(e, "value")))
                    .collect()
            })
            .unwrap_or_default();
        let body = match (w.get("body"), w.get("jsonBody")) {
            (Some(Value::String(b)), _) => Some(b.clone()),
            (_, Some(j)) => Some(j.to_string()),
            _ => None,
        };
        let path = match w.get("jsonPath").and_then(Value::as_str) {
            Some(p) => parse_json_path(p).map_err(|e| err(format!("{wf}.jsonPath"), e))?,
            None => Vec::new(),
        };
        let timeout = match int(w, "timeoutSeconds", &wf)? {
            None => super::web::DEFAULT_TIMEOUT,
            Some(t) if t > 0 => Duration::from_secs(t as u64),
            Some(_) => return Err(err(format!("{wf}.timeoutSeconds"), "must be positive")),
        };
        let method = match string(w, "method") {
            m if m.is_empty() => "GET".to_owned(),
            m => m.to_ascii_uppercase(),
        };
        ProviderDef::Web(WebSpec {
            url,
            method,
            headers,
            body,
            timeout,
            path,
        })
    } else {
        let names: Vec<&String> = provider.keys().collect();
        return Err(err(
            format!("{field}.provider"),
            format!("provider {names:?} is not supported (prometheus and web are)"),
        ));
    };
    Ok(MetricDef {
        dry_run: dry_run.iter().any(|d| d == &name || d == ".*"),
        name,
        limits,
        initial_delay: duration(m, "initialDelay", field)?.unwrap_or(Duration::ZERO),
        success,
        failure,
        provider,
    })
}
