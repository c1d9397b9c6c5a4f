//! `ferry-preview`: an environment's candidate in a namespace of its own (`up`), tests against
//! it as an Argo Workflow or a Job (`test`), smoke tests on a paused blue-green Rollout's
//! preview Service (`smoke`), and the cleanup (`down`, `gc`).
//!
//! Exit codes: 0 healthy / passed / removed, 1 a negative answer (unhealthy, tests failed, an
//! apply conflict, a namespace that is not the preview's, a Rollout not paused for promotion),
//! 2 usage errors (bad arguments, an undeclared test parameter, no usable kubeconfig), 3 the
//! API failed, a wait timed out, the verdict is inconclusive or the Workflow erred.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ferry_cli::{Format, Result, Runtime};
use ferry_config::parse_duration;

mod cleanup;
mod common;
mod smoke;
mod testing;
mod up;

/// Preview environments: deploy an environment's candidate into its own namespace, test it,
/// smoke-test a blue-green preview, and always clean up.
///
/// Objects are applied by server-side apply (field manager `ferry`, never forced); everything a
/// preview creates carries the labels `app.kubernetes.io/managed-by=ferry`,
/// `ferry.dev/preview=NAME`, `ferry.dev/environment=ENV`, `ferry.dev/commit` and
/// `ferry.dev/expires`, and `down` deletes by them.
#[derive(Debug, Parser)]
#[command(name = "ferry-preview", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render ENV's overlay into namespace ENV-NAME, apply it, wait until it is healthy.
    Up(up::UpArgs),
    /// Run a WorkflowTemplate (or a Job) against the preview and wait for its end.
    Test(testing::TestArgs),
    /// Probe the preview Service of a blue-green Rollout paused for promotion.
    Smoke(smoke::SmokeArgs),
    /// Delete everything the preview created, then its namespace (idempotent).
    Down(cleanup::DownArgs),
    /// Remove expired previews (and, with --older-than, old ones).
    Gc(cleanup::GcArgs),
}

/// How to reach the cluster.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClusterArgs {
    /// Kubeconfig context (default: the current context; in a pod, the in-cluster config).
    #[arg(long, value_name = "CTX")]
    context: Option<String>,
    /// Talk to this API server URL without credentials instead (tests, `kubectl proxy`).
    #[arg(long, value_name = "URL", conflicts_with = "context")]
    server: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// The preview: environment and name.
#[derive(Debug, Clone, Args)]
pub(crate) struct PreviewArgs {
    /// The environment whose overlay the preview renders (a name in ferry.toml).
    #[arg(long, value_name = "ENV")]
    env: String,
    /// The preview's name (`pr-123`); the namespace is ENV-NAME.
    #[arg(long, value_name = "NAME")]
    name: String,
}

/// How long and how often `test` waits.
#[derive(Debug, Clone, Args)]
pub(crate) struct WaitArgs {
    /// How long to wait for the end (exit 3 after).
    #[arg(long, value_name = "DURATION", default_value = "20m", value_parser = parse_duration)]
    timeout: Duration,
    /// Time between two looks.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    interval: Duration,
}

/// The step: `args` is the command line, the program name first (`ferry preview` runs it
/// in-process).
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    ferry_cli::main_async_from(args, "ferry-preview", Runtime::MultiThread, run)
}

async fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Up(args) => up::run(args).await,
        Command::Test(args) => testing::run(args).await,
        Command::Smoke(args) => smoke::run(args).await,
        Command::Down(args) => cleanup::down(args).await,
        Command::Gc(args) => cleanup::gc(args).await,
    }
}
