//! `analyze`: an Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate run as the Rollouts
//! controller runs it (prometheus and web providers), every measurement printed.

use std::collections::BTreeMap;
use std::io::Write;

use ferry_cli::{Context as _, Error, ErrorKind, Format, Result, WithKind as _};
use ferry_health::analysis::evaluate::Conditions;
use ferry_health::analysis::prometheus::{Client, PrometheusProvider};
use ferry_health::analysis::run::{self, Metric, Provider};
use ferry_health::analysis::template::{self, MetricDef, ProviderDef};
use ferry_health::analysis::web::WebProvider;
use serde_json::Value;

use crate::args::AnalyzeArgs;
use crate::metrics::{self, event_line};

/// Template kinds `analyze` runs.
const KINDS: [&str; 2] = ["AnalysisTemplate", "ClusterAnalysisTemplate"];

pub async fn analyze(args: AnalyzeArgs) -> Result<u8> {
    let file = args.template.display().to_string();
    let docs = ferry_kustomize::documents::read_documents(&args.template)
        .map_err(|e| Error::from(e).reclassify(ErrorKind::Usage))?;
    let templates: Vec<&Value> = docs
        .iter()
        .filter(|d| {
            d.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| KINDS.contains(&k))
        })
        .collect();
    let [doc] = templates.as_slice() else {
        return Err(Error::usage(format!(
            "{file}: expected one AnalysisTemplate or ClusterAnalysisTemplate, found {}",
            templates.len()
        )));
    };
    let mut given = BTreeMap::new();
    for a in &args.args {
        let Some((name, value)) = a.split_once('=') else {
            return Err(Error::usage(format!("--arg {a}: write NAME=VALUE")));
        };
        given.insert(name.trim().to_owned(), value.to_owned());
    }
    let defs = template::metrics(doc, &given, &BTreeMap::new())
        .map_err(|e| Error::usage(format!("{file}: {e}")))?;
    let auth = metrics::auth().with_kind(ErrorKind::Usage)?;
    let mut runnable = Vec::new();
    for def in defs {
        runnable.push(metric(
            def,
            args.prometheus.as_deref(),
            auth.as_ref(),
            &file,
        )?);
    }
    let json = args.format == Format::Json;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut out = std::io::stdout();
    let started = jiff::Timestamp::now();
    let run = run::run(runnable, args.timeout, started, tx);
    let mut run = std::pin::pin!(run);
    let report = loop {
        tokio::select! {
            report = &mut run => break report,
            Some(event) = rx.recv() => {
                writeln!(out, "{}", event_line(&event, json)).context("cannot write to stdout")?;
            }
        }
    };
    while let Ok(event) = rx.try_recv() {
        writeln!(out, "{}", event_line(&event, json)).context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")?;
    ferry_cli::github_output::write(&[
        ("verdict", report.verdict.as_str()),
        ("phase", report.phase.as_str()),
        ("reason", &report.reason),
    ])?;
    Ok(report.verdict.exit_code())
}

fn metric(
    def: MetricDef,
    prometheus: Option<&str>,
    auth: Option<&ferry_health::analysis::prometheus::Auth>,
    file: &str,
) -> Result<Metric> {
    let conditions = Conditions::parse(&def.success, &def.failure)
        .map_err(|e| Error::usage(format!("{file}: metric {}: {e}", def.name)))?;
    let provider: Box<dyn Provider> = match def.provider {
        ProviderDef::Prometheus {
            address,
            query,
            timeout,
        } => {
            let url = prometheus.map(str::to_owned).unwrap_or(address);
            if url.is_empty() {
                return Err(Error::usage(format!(
                    "{file}: metric {}: provider.prometheus.address is empty; give --prometheus URL",
                    def.name
                )));
            }
            let client = Client::new(&url, auth.cloned(), timeout)
                .with_context(|| format!("metric {}", def.name))?;
            Box::new(PrometheusProvider::new(client, query, conditions))
        }
        ProviderDef::Web(spec) => {
            Box::new(WebProvider::new(spec, conditions).map_err(|e| {
                Error::new(ErrorKind::Io, e).context("cannot build the HTTP client")
            })?)
        }
    };
    Ok(Metric {
        name: def.name,
        limits: def.limits,
        initial_delay: def.initial_delay,
        dry_run: def.dry_run,
        provider,
    })
}
