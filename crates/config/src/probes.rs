//! The probes of `[environment.monitor]` besides `http`: `workloads` and their `namespace`;
//! `[monitor.prometheus]` and the Prometheus `metrics`.

use std::time::Duration;

use toml::Spanned;

use crate::error::{Diagnostic, Source};
use crate::raw::{RawMetric, RawPrometheus};
use crate::{Metric, Prometheus};

/// Checks `[monitor.prometheus]`: an http(s) `url`, a `timeout` longer than 0s (default 30s).
pub(crate) fn prometheus(
    src: &Source<'_>,
    raw: Spanned<RawPrometheus>,
    prefix: &str,
) -> Result<Prometheus, Diagnostic> {
    let raw = raw.into_inner();
    if !is_http_url(raw.url.get_ref()) || raw.url.get_ref().contains('?') {
        return Err(src.at(
            raw.url.span().start,
            Some(format!("{prefix}.url")),
            format!(
                "invalid URL {:?}: expected an http:// or https:// URL without a query",
                raw.url.get_ref()
            ),
        ));
    }
    let timeout = match &raw.timeout {
        None => Duration::from_secs(30),
        Some(t) => match crate::parse_duration(t.get_ref()) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                return Err(src.at(
                    t.span().start,
                    Some(format!("{prefix}.timeout")),
                    "the timeout must be longer than 0s",
                ));
            }
            Err(e) => {
                return Err(src.at(
                    t.span().start,
                    Some(format!("{prefix}.timeout")),
                    e.to_string(),
                ));
            }
        },
    };
    Ok(Prometheus {
        url: raw.url.into_inner(),
        timeout,
    })
}

/// Checks `[[environment.monitor.metrics]]`: a unique `name`, a `query`, at least one
/// condition, limits of -1 (off; `failure-limit` only) or more, and a Prometheus to ask.
pub(crate) fn metrics(
    src: &Source<'_>,
    raw: Vec<Spanned<RawMetric>>,
    prometheus: Option<&Prometheus>,
    prefix: &str,
) -> Result<Vec<Metric>, Diagnostic> {
    let mut out: Vec<Metric> = Vec::new();
    for (i, m) in raw.into_iter().enumerate() {
        let at = m.span().start;
        let m = m.into_inner();
        let field = format!("{prefix}.metrics[{i}]");
        let fail = |pos: usize, key: &str, message: String| {
            Err(src.at(pos, Some(format!("{field}.{key}")), message))
        };
        let name = m.name.get_ref();
        if name.trim().is_empty() {
            return fail(
                m.name.span().start,
                "name",
                "the name must not be empty".into(),
            );
        }
        if out.iter().any(|o| &o.name == name) {
            return fail(
                m.name.span().start,
                "name",
                format!("another metric is named {name:?}; names must be unique"),
            );
        }
        if m.query.get_ref().trim().is_empty() {
            return fail(
                m.query.span().start,
                "query",
                "the query must not be empty".into(),
            );
        }
        if m.success.is_none() && m.failure.is_none() {
            return fail(
                at,
                "success",
                "give `success` (e.g. \"result[0] >= 0.95\"), `failure`, or both".into(),
            );
        }
        if prometheus.is_none() {
            return fail(
                m.query.span().start,
                "query",
                "no Prometheus to ask: set [monitor.prometheus] url (or this environment's [environment.monitor.prometheus])".into(),
            );
        }
        let limit =
            |v: &Option<Spanned<i64>>, key: &str, min: i64| -> Result<Option<i64>, Diagnostic> {
                match v {
                    None => Ok(None),
                    Some(v) if *v.get_ref() >= min && *v.get_ref() <= i64::from(u32::MAX) => {
                        Ok(Some(*v.get_ref()))
                    }
                    Some(v) => Err(src.at(
                        v.span().start,
                        Some(format!("{field}.{key}")),
                        format!("expected a whole number from {min}, found {}", v.get_ref()),
                    )),
                }
            };
        let place = |v: &Option<Spanned<String>>, key: &str| {
            let d = src.at(
                v.as_ref().map_or(at, |v| v.span().start),
                Some(format!("{field}.{key}")),
                "",
            );
            d.to_string().trim_end_matches([' ', ':']).to_owned()
        };
        out.push(Metric {
            name: name.clone(),
            query: m.query.get_ref().clone(),
            failure_limit: limit(&m.failure_limit, "failure-limit", -1)?,
            inconclusive_limit: limit(&m.inconclusive_limit, "inconclusive-limit", 0)?,
            consecutive_error_limit: limit(
                &m.consecutive_error_limit,
                "consecutive-error-limit",
                0,
            )?,
            success_at: place(&m.success, "success"),
            failure_at: place(&m.failure, "failure"),
            success: m.success.map(Spanned::into_inner).unwrap_or_default(),
            failure: m.failure.map(Spanned::into_inner).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Workload kinds the monitor follows, as `KIND/NAME` spells them (the monitor's `--workload`
/// also takes these plurals and short names).
const KINDS: [&str; 4] = ["deployment", "statefulset", "daemonset", "rollout"];
const ALIASES: [&str; 8] = [
    "deployments",
    "deploy",
    "statefulsets",
    "sts",
    "daemonsets",
    "ds",
    "rollouts",
    "ro",
];

/// Checks `workloads = ["deployment/backend", …]`.
pub(crate) fn workloads(
    src: &Source<'_>,
    raw: Vec<Spanned<String>>,
    prefix: &str,
) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    for (i, w) in raw.into_iter().enumerate() {
        let text = w.get_ref();
        let ok = text.split_once('/').is_some_and(|(kind, name)| {
            let kind = kind.to_ascii_lowercase();
            (KINDS.contains(&kind.as_str()) || ALIASES.contains(&kind.as_str()))
                && is_dns_name(name)
        });
        if !ok {
            return Err(src.at(
                w.span().start,
                Some(format!("{prefix}.workloads[{i}]")),
                format!(
                    "invalid workload {text:?}: write KIND/NAME with KIND one of {}, e.g. \"deployment/backend\"",
                    KINDS.join(", ")
                ),
            ));
        }
        out.push(w.into_inner());
    }
    Ok(out)
}

/// Checks `namespace = "shop"`.
pub(crate) fn namespace(
    src: &Source<'_>,
    raw: Option<Spanned<String>>,
    prefix: &str,
) -> Result<Option<String>, Diagnostic> {
    let Some(ns) = raw else { return Ok(None) };
    let ok = is_dns_name(ns.get_ref()) && !ns.get_ref().contains('.') && ns.get_ref().len() <= 63;
    if !ok {
        return Err(src.at(
            ns.span().start,
            Some(format!("{prefix}.namespace")),
            format!(
                "invalid namespace {:?}: lowercase letters, digits and `-`, at most 63 characters",
                ns.get_ref()
            ),
        ));
    }
    Ok(Some(ns.into_inner()))
}

/// A Kubernetes object name (RFC 1123 subdomain).
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// An `http://` or `https://` URL with a host.
pub(crate) fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}
