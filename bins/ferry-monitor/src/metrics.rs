//! Prometheus metrics of `watch` (`--query`, `[[environment.monitor.metrics]]`) and the runs of
//! `analyze`: providers built from specs, credentials from the environment, measurement lines.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use ferry_health::analysis::evaluate::Conditions;
use ferry_health::analysis::metric::Limits;
use ferry_health::analysis::prometheus::{self, Auth, Client, PrometheusProvider};
use ferry_health::analysis::run::{Event, Measurement, Metric, Report};
use ferry_health::analysis::template::substitute;
use ferry_health::monitor::Policy;
use ferry_health::output::clock;

use crate::args::MetricArgs;

/// One Prometheus metric to watch, before its provider is built.
#[derive(Debug, Clone)]
pub struct MetricWatch {
    /// Its name.
    pub name: String,
    /// The Prometheus base URL.
    pub url: String,
    /// Time limit of one query.
    pub timeout: Duration,
    /// The query, before substitution.
    pub query: String,
    /// `successCondition` (`""`: not set).
    pub success: String,
    /// `failureCondition`.
    pub failure: String,
    /// `failureLimit`, `inconclusiveLimit`, `consecutiveErrorLimit`.
    pub limits: (Option<i64>, Option<i64>, Option<i64>),
    /// Where the conditions come from, for errors: `--success`, or `FILE:LINE:COL: FIELD`.
    pub places: (String, String),
}

/// The metric of `--prometheus --query`, if given.
pub fn from_flags(args: &MetricArgs) -> Result<Option<MetricWatch>> {
    let (Some(url), Some(query)) = (&args.prometheus, &args.query) else {
        return Ok(None);
    };
    if args.success.is_none() && args.failure.is_none() {
        bail!("--query needs --success EXPR, --failure EXPR or both");
    }
    Ok(Some(MetricWatch {
        name: "query".to_owned(),
        url: url.clone(),
        timeout: args.query_timeout.unwrap_or(prometheus::DEFAULT_TIMEOUT),
        query: query.clone(),
        success: args.success.clone().unwrap_or_default(),
        failure: args.failure.clone().unwrap_or_default(),
        limits: (
            args.failure_limit,
            args.inconclusive_limit,
            args.consecutive_error_limit,
        ),
        places: ("--success".to_owned(), "--failure".to_owned()),
    }))
}

/// The metrics of an environment's `[[environment.monitor.metrics]]`.
pub fn from_config(monitor: &ferry_config::Monitor, args: &MetricArgs) -> Vec<MetricWatch> {
    let Some(p) = &monitor.prometheus else {
        return Vec::new();
    };
    monitor
        .metrics
        .iter()
        .map(|m| MetricWatch {
            name: m.name.clone(),
            url: p.url.clone(),
            timeout: args.query_timeout.unwrap_or(p.timeout),
            query: m.query.clone(),
            success: m.success.clone(),
            failure: m.failure.clone(),
            limits: (
                args.failure_limit.or(m.failure_limit),
                args.inconclusive_limit.or(m.inconclusive_limit),
                args.consecutive_error_limit.or(m.consecutive_error_limit),
            ),
            places: (m.success_at.clone(), m.failure_at.clone()),
        })
        .collect()
}

/// Prometheus credentials from the environment: `FERRY_PROMETHEUS_TOKEN` (bearer), else
/// `FERRY_PROMETHEUS_USER` with `FERRY_PROMETHEUS_PASSWORD` (basic).
pub fn auth() -> Result<Option<Auth>> {
    use ferry_cli::env::{
        FERRY_PROMETHEUS_PASSWORD, FERRY_PROMETHEUS_TOKEN, FERRY_PROMETHEUS_USER, non_empty,
    };
    if let Some(token) = non_empty(FERRY_PROMETHEUS_TOKEN) {
        return Ok(Some(Auth::Bearer(token)));
    }
    match (
        non_empty(FERRY_PROMETHEUS_USER),
        non_empty(FERRY_PROMETHEUS_PASSWORD),
    ) {
        (Some(username), Some(password)) => Ok(Some(Auth::Basic { username, password })),
        (None, None) => Ok(None),
        (Some(_), None) => {
            bail!("{FERRY_PROMETHEUS_USER} is set without {FERRY_PROMETHEUS_PASSWORD}")
        }
        (None, Some(_)) => {
            bail!("{FERRY_PROMETHEUS_PASSWORD} is set without {FERRY_PROMETHEUS_USER}")
        }
    }
}

/// The release's values for query templates: `env`, `namespace`, `image` and `version` (the
/// image's tag), those known.
pub fn release_vars(
    env: Option<&str>,
    namespace: Option<&str>,
    image: Option<&str>,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    if let Some(env) = env {
        vars.insert("env".to_owned(), env.to_owned());
    }
    if let Some(ns) = namespace {
        vars.insert("namespace".to_owned(), ns.to_owned());
    }
    if let Some(image) = image {
        vars.insert("image".to_owned(), image.to_owned());
        let name = image.split('@').next().unwrap_or(image);
        let last = name.rsplit('/').next().unwrap_or(name);
        if let Some((_, tag)) = last.split_once(':') {
            vars.insert("version".to_owned(), tag.to_owned());
        }
    }
    vars
}

/// The metrics with their providers: measured at the warm-up, then every interval, as many
/// times as the policy checks. Conditions that do not parse and templates that do not resolve
/// are errors here, before anything runs.
pub fn build(
    watches: &[MetricWatch],
    policy: &Policy,
    vars: &BTreeMap<String, String>,
    auth: Option<&Auth>,
) -> Result<Vec<Metric>> {
    watches
        .iter()
        .map(|w| {
            let conditions = parse_conditions(w)?;
            let query = substitute(&w.query, vars).map_err(|e| {
                anyhow!(
                    "metric {}: query: {e} (known: {}; --image gives image and version)",
                    w.name,
                    vars.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?;
            let client = Client::new(&w.url, auth.cloned(), w.timeout)
                .with_context(|| format!("metric {}", w.name))?;
            Ok(Metric {
                name: w.name.clone(),
                limits: Limits {
                    count: Some(i64::from(policy.checks())),
                    interval: Some(policy.interval),
                    failure_limit: w.limits.0,
                    inconclusive_limit: w.limits.1,
                    consecutive_error_limit: w.limits.2,
                    consecutive_success_limit: None,
                },
                initial_delay: policy.warmup,
                dry_run: false,
                provider: Box::new(PrometheusProvider::new(client, query, conditions)),
            })
        })
        .collect()
}

fn parse_conditions(w: &MetricWatch) -> Result<Conditions> {
    let one = |src: &str, place: &str| -> Result<()> {
        if src.trim().is_empty() {
            return Ok(());
        }
        ferry_health::analysis::expr::Condition::parse(src)
            .map(|_| ())
            .map_err(|e| anyhow!("{place}: {e} (in {src:?})"))
    };
    one(&w.success, &w.places.0)?;
    one(&w.failure, &w.places.1)?;
    Conditions::parse(&w.success, &w.failure).map_err(|e| anyhow!("{e}"))
}

/// A measurement in one line: `+0m02s measurement error-rate #1 Failed [0.5] (failed 1, …)`.
pub fn measurement_text(m: &Measurement) -> String {
    let c = &m.counters;
    let message = m
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    format!(
        "{} measurement {} #{} {} {}{message} (successful {}, failed {}, inconclusive {}, errors in a row {}; metric {})",
        clock(m.at_ms),
        m.metric,
        m.n,
        m.phase,
        if m.value.is_empty() { "-" } else { &m.value },
        c.successful,
        c.failed,
        c.inconclusive,
        c.consecutive_error,
        m.metric_phase
    )
}

/// The analysis verdict in one line.
pub fn report_text(r: &Report) -> String {
    format!(
        "{} analysis {} ({}): {}",
        clock(r.at_ms),
        r.verdict,
        r.phase,
        r.reason
    )
}

/// An event as a line of text or JSON.
pub fn event_line(event: &Event, json: bool) -> String {
    if json {
        let mut v = serde_json::to_value(event).unwrap_or_default();
        if let (Event::Verdict(_), Some(obj)) = (event, v.as_object_mut()) {
            obj.insert("event".into(), "analysis".into());
        }
        return v.to_string();
    }
    match event {
        Event::Measurement(m) => measurement_text(m),
        Event::Verdict(r) => report_text(r),
    }
}

/// The start of a watch of metrics only, in one line.
pub fn started_text(policy: &Policy, metrics: &[Metric]) -> String {
    format!(
        "analysing {}: warm-up {}, {} measurements every {}, timeout {}",
        metrics
            .iter()
            .map(|m| format!("{} ({})", m.name, m.provider.describe()))
            .collect::<Vec<_>>()
            .join(", "),
        ferry_config::human_duration(policy.warmup),
        policy.checks(),
        ferry_config::human_duration(policy.interval),
        ferry_config::human_duration(policy.timeout)
    )
}
