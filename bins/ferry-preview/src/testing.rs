//! `ferry-preview test`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use ferry_cli::{Context as _, Error, ErrorKind, Format, Result, WithKind as _};
use ferry_preview::run::{TemplateSource, TestRun, Wait, run_job, run_workflow};
use ferry_preview::workflow::{expand, parse_param};
use ferry_preview::{Phase, WorkflowState};
use serde_json::{Value, json};

use crate::common;
use crate::{ClusterArgs, PreviewArgs, WaitArgs};

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    preview: PreviewArgs,
    /// The WorkflowTemplate to run: a file of infra/argo-workflows/ declaring it (applied into
    /// the preview namespace), else one already in the preview namespace.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "job",
        conflicts_with = "job"
    )]
    workflow_template: Option<String>,
    /// A parameter NAME=VALUE the template declares (repeatable); `{namespace}` in VALUE is the
    /// preview's namespace. An undeclared NAME is refused before anything is sent.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Run the Kubernetes Job in FILE instead of a Workflow.
    #[arg(long, value_name = "FILE")]
    job: Option<PathBuf>,
    #[command(flatten)]
    wait: WaitArgs,
    /// The ferry.toml [default: the nearest one from the current directory up].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    cluster: ClusterArgs,
}

/// The WorkflowTemplate NAME among the YAML files of `dir`, if one declares it.
fn find_template(dir: &Path, name: &str) -> Result<Option<Value>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    for file in files {
        let docs = ferry_kustomize::documents::read_documents(&file)
            .with_context(|| format!("reading {}", file.display()))
            .with_kind(ErrorKind::BadInput)?;
        if let Some(t) = docs.into_iter().find(|d| {
            d.get("kind").and_then(Value::as_str) == Some("WorkflowTemplate")
                && d.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
        }) {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

fn print_state(format: Format, what: &str, state: &WorkflowState) {
    if format == Format::Text {
        let message = if state.message.is_empty() {
            String::new()
        } else {
            format!(": {}", state.message)
        };
        println!("{what} {}: {}{message}", state.name, state.phase.as_str());
    }
}

pub async fn run(args: TestArgs) -> Result<u8> {
    let config = match (&args.config, &args.job) {
        (None, Some(_)) => common::load_config(None).ok(),
        _ => Some(common::load_config(args.config.as_deref())?),
    };
    let preview = common::preview(&args.preview, config.as_ref())?;
    let format = args.cluster.format;
    let wait = Wait {
        interval: args.wait.interval,
        timeout: args.wait.timeout,
    };
    let mut params = Vec::new();
    for text in &args.params {
        let (name, value) = parse_param(text)?;
        params.push((name, expand(&value, &preview.namespace)));
    }
    let run: TestRun = match (&args.workflow_template, &args.job) {
        (Some(name), _) => {
            let dir = config
                .as_ref()
                .map(common::templates_dir)
                .ok_or_else(|| Error::usage("--workflow-template needs ferry.toml"))?;
            let source = match find_template(&dir, name)? {
                Some(t) => TemplateSource::Repository(t),
                None => TemplateSource::Cluster(name.clone()),
            };
            let (cluster, _) = common::cluster(&args.cluster).await?;
            run_workflow(&cluster, &preview, source, &params, wait, &mut |s| {
                print_state(format, "workflow", s)
            })
            .await?
        }
        (None, Some(file)) => {
            if !params.is_empty() {
                return Err(Error::usage(
                    "--param goes with --workflow-template, not --job",
                ));
            }
            let mut docs = ferry_kustomize::documents::read_documents(file)
                .with_context(|| format!("--job {}", file.display()))
                .with_kind(ErrorKind::BadInput)?;
            if docs.len() != 1 {
                return Err(Error::bad_input(format!(
                    "--job {}: expected one Job, found {} documents",
                    file.display(),
                    docs.len()
                )));
            }
            let job = docs.remove(0);
            let (cluster, _) = common::cluster(&args.cluster).await?;
            run_job(&cluster, &preview, &job, wait, &mut |s| {
                print_state(format, "job", s)
            })
            .await?
        }
        (None, None) => return Err(Error::usage("give --workflow-template NAME or --job FILE")),
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(
            out,
            "{}",
            json!({"preview": preview.name, "namespace": preview.namespace, "kind": run.kind,
                "name": run.name, "parameters": run.parameters.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
                "phase": run.state.phase, "message": run.state.message,
                "failed_nodes": run.state.failed_nodes})
        )?,
        Format::Text => {
            for node in &run.state.failed_nodes {
                let message = if node.message.is_empty() {
                    "(no message)"
                } else {
                    node.message.as_str()
                };
                writeln!(
                    out,
                    "failed node {} ({}, {}): {message}",
                    node.name, node.node_type, node.phase
                )?;
            }
        }
    }
    common::outputs(&[
        ("workflow", run.name.clone()),
        ("phase", run.state.phase.as_str().to_string()),
    ])?;
    let mut md = format!(
        "### Tests on preview {} ({})\n\n{} `{}`: **{}**{}\n",
        preview.name,
        preview.namespace,
        run.kind,
        run.name,
        run.state.phase.as_str(),
        if run.state.message.is_empty() {
            String::new()
        } else {
            format!(": {}", run.state.message)
        }
    );
    if !run.state.failed_nodes.is_empty() {
        md.push_str("\n| Node | Type | Phase | Message |\n|---|---|---|---|\n");
        for n in &run.state.failed_nodes {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                n.name,
                n.node_type,
                n.phase,
                n.message.replace('|', "\\|")
            ));
        }
    }
    common::summary(&md)?;
    Ok(match run.state.phase {
        Phase::Succeeded => 0,
        Phase::Failed => 1,
        _ => 3,
    })
}
