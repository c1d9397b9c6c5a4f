//! `ferry-rollout`: Argo Rollouts control through the Kubernetes API, as
//! `kubectl argo rollouts` does it, with `--wait` and `--format json`.
//!
//! Exit codes: 0 done (or, for `status`, not degraded), 1 a negative answer (the Rollout is
//! degraded, does not exist, or has no such revision), 2 usage errors (bad arguments, no usable
//! kubeconfig), 3 the API failed or `--wait` timed out.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ferry_cli::{Format, Result, Runtime};
use ferry_config::parse_duration;
use ferry_rollouts::{Command as RolloutCommand, Outcome, RolloutClient, RolloutStatus, Settled};

/// Control Argo Rollouts: status, promote, abort, retry, undo.
///
/// Patches are those of the kubectl plugin: status changes go to the status subresource
/// (falling back to the object for Rollouts v0.9), `undo` replaces spec.template with an earlier
/// revision's pod template.
#[derive(Debug, Parser)]
#[command(name = "ferry-rollout", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show phase, pause, abort, stable and current pod hashes and the active selector.
    Status(Common),
    /// Promote a paused Rollout (clear pause conditions, unpause); --full skips every step.
    Promote {
        #[command(flatten)]
        common: Common,
        /// Skip analysis, pauses and steps: promote fully.
        #[arg(long)]
        full: bool,
    },
    /// Abort the update: the stable version serves again (spec.template is left as it is).
    Abort(Common),
    /// Retry an aborted Rollout.
    Retry(Common),
    /// Put spec.template back to an earlier revision's pod template.
    Undo {
        #[command(flatten)]
        common: Common,
        /// The revision to restore (default: the previous one).
        #[arg(long, value_name = "N", default_value_t = 0)]
        to_revision: i64,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// The Rollout's name.
    name: String,
    /// Namespace (default: the kubeconfig context's namespace, else `default`).
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    /// Kubeconfig context (default: the current context; in a pod, the in-cluster config).
    #[arg(long, value_name = "CTX")]
    context: Option<String>,
    /// Talk to this API server URL without credentials instead (tests, `kubectl proxy`).
    #[arg(long, value_name = "URL", conflicts_with = "context")]
    server: Option<String>,
    /// Wait until the Rollout settles (healthy, paused, aborted or degraded).
    #[arg(long)]
    wait: bool,
    /// How long --wait waits (exit 3 after).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
    /// Time between two looks while waiting.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    interval: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `ferry-rollout` with this command line (the program name first): the binary's `main`,
/// and `ferry rollout` in the multi-call `ferry` binary.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-rollout", Runtime::CurrentThread, |cli: Cli| {
        run(cli.command)
    })
}

async fn client(common: &Common) -> Result<RolloutClient> {
    let (client, namespace) = ferry_cli::kube::client(
        common.server.as_deref(),
        common.context.as_deref(),
        common.namespace.as_deref(),
    )
    .await?;
    Ok(RolloutClient::new(client, namespace))
}

async fn run(command: Command) -> Result<u8> {
    let (common, action) = match &command {
        Command::Status(c) => (c, RolloutCommand::Status),
        Command::Promote { common, .. } => (common, RolloutCommand::Promote),
        Command::Abort(c) => (c, RolloutCommand::Abort),
        Command::Retry(c) => (c, RolloutCommand::Retry),
        Command::Undo { common, .. } => (common, RolloutCommand::Undo),
    };
    let rollouts = client(common).await?;
    let name = common.name.as_str();
    if action == RolloutCommand::Status && !common.wait {
        let status = rollouts.status(name).await?;
        print_status(common.format, &status)?;
        return Ok(if status.health == "Degraded" { 1 } else { 0 });
    }
    let (mut outcome, before) = match &command {
        Command::Status(_) => {
            let obj = rollouts.get(name).await?;
            let status = ferry_rollouts::status(&obj);
            (
                Outcome {
                    command: RolloutCommand::Status,
                    name: name.to_string(),
                    namespace: status.namespace.clone(),
                    requests: Vec::new(),
                    skipped: None,
                    status,
                    settled: None,
                },
                obj,
            )
        }
        Command::Promote { full, .. } => rollouts.promote(name, *full).await?,
        Command::Abort(_) => rollouts.abort(name).await?,
        Command::Retry(_) => rollouts.retry(name).await?,
        Command::Undo { to_revision, .. } => rollouts.undo(name, *to_revision).await?,
    };
    if common.wait {
        let sent = rollouts.get(name).await?;
        let (settled, status) = rollouts
            .wait(
                action,
                name,
                &before,
                &sent,
                common.interval,
                common.timeout,
            )
            .await?;
        outcome.settled = Some(settled);
        outcome.status = status;
    }
    print_outcome(common.format, &outcome)?;
    Ok(match outcome.settled {
        Some(Settled::Degraded) => 1,
        _ => 0,
    })
}

fn print_status(format: Format, status: &RolloutStatus) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", json(status))?,
        Format::Text => {
            for line in status_lines(status) {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

fn status_lines(s: &RolloutStatus) -> Vec<String> {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut lines = vec![
        format!("rollout   {}/{} ({})", s.namespace, s.name, s.strategy),
        if s.message.is_empty() {
            format!("phase     {}", s.phase)
        } else {
            format!("phase     {} - {}", s.phase, s.message)
        },
    ];
    if s.paused {
        lines.push(format!(
            "paused    yes{}",
            if s.pause_reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.pause_reasons.join(", "))
            }
        ));
    }
    if s.aborted {
        lines.push("aborted   yes".into());
    }
    lines.push(format!("current   {}", or_dash(&s.current_hash)));
    lines.push(format!("stable    {}", or_dash(&s.stable_hash)));
    if s.strategy == "blueGreen" {
        lines.push(format!("active    {}", or_dash(&s.active_selector)));
        lines.push(format!("preview   {}", or_dash(&s.preview_selector)));
    }
    if let Some((step, total)) = s.step {
        lines.push(format!("step      {step}/{total}"));
    }
    if let Some(weight) = s.weight {
        lines.push(format!("weight    {weight}"));
    }
    if let Some(pause) = &s.pause {
        lines.push(format!("pause     {pause} (a pause step)"));
    }
    for image in &s.images {
        lines.push(format!("image     {image}"));
    }
    lines
}

fn print_outcome(format: Format, outcome: &Outcome) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        writeln!(out, "{}", json(outcome))?;
        return Ok(());
    }
    let verb = match outcome.command {
        RolloutCommand::Status => "status of",
        RolloutCommand::Promote => "promoted",
        RolloutCommand::Abort => "aborted",
        RolloutCommand::Retry => "retried",
        RolloutCommand::Undo => "rolled back",
    };
    match &outcome.skipped {
        Some(why) => writeln!(out, "rollout '{}': nothing to do: {why}", outcome.name)?,
        None if outcome.command != RolloutCommand::Status => {
            writeln!(out, "rollout '{}' {verb}", outcome.name)?
        }
        None => {}
    }
    if let Some(settled) = outcome.settled {
        let word = match settled {
            Settled::Healthy => "healthy",
            Settled::Paused => "paused",
            Settled::Aborted => "aborted, stable version serving",
            Settled::Degraded => "degraded",
        };
        writeln!(out, "settled: {word}")?;
    }
    for line in status_lines(&outcome.status) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The JSON line of a result.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("a status serializes")
}
