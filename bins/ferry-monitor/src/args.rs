//! The arguments of `ferry-monitor`'s subcommands.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use ferry_cli::Format;
use ferry_config::parse_duration;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Namespace of the workloads (default: the kubeconfig context's namespace, else `default`).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Kubeconfig context (default: the current context; in a pod, the in-cluster config).
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// Namespace of Argo CD Applications.
    #[arg(long, value_name = "NS", default_value = "argocd")]
    pub argocd_namespace: String,
}

#[derive(Debug, Args)]
#[command(after_help = DEFAULTS)]
pub struct WatchArgs {
    /// Watch what ferry.toml configures for ENV: [environment.monitor] http probes, workloads,
    /// namespace and policy, and the environment's argocd-app (`--verify ENV` implies it). Flags
    /// override the file.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// HTTP probe: URL[,status=200|204][,body=REGEX][,json=/POINTER=VALUE][,header=NAME:VALUE][,timeout=10s].
    #[arg(long = "http", value_name = "SPEC")]
    pub http: Vec<String>,
    /// Kubernetes workload to follow: KIND/NAME (deployment, statefulset, daemonset, rollout).
    #[arg(long = "workload", value_name = "KIND/NAME")]
    pub workloads: Vec<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Argo CD Application that must be synced to --revision and healthy.
    #[arg(long, value_name = "NAME")]
    pub argocd_app: Option<String>,
    /// The Git revision the Application must be synced to: a full commit id, or any form git
    /// rev-parse takes, resolved in the GitOps repository (default with --env: the tip of the
    /// base branch).
    #[arg(long, value_name = "SHA")]
    pub revision: Option<String>,
    /// Wait before the first check [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Time between checks [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// Number of checks (for --query: measurements, Rollouts' `count`) [default: 10].
    #[arg(
        long,
        visible_alias = "count",
        value_name = "N",
        conflicts_with = "duration"
    )]
    pub checks: Option<u32>,
    /// Check for this long after the warm-up instead of a number of checks.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Consecutive failed checks that make the verdict unhealthy (a passed check resets it); at
    /// most the number of checks [default: 3, or the number of checks when fewer].
    #[arg(long, value_name = "N")]
    pub failures: Option<u32>,
    /// Inconclusive checks (probe errors, no data) tolerated before the verdict is inconclusive
    /// [default: 5].
    #[arg(long, value_name = "N")]
    pub error_budget: Option<u32>,
    /// Give up, inconclusive, after this long [default: 15m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub metric: MetricArgs,
    /// Output: one line per check, or JSON Lines events.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// A Prometheus metric judged as an Argo Rollouts analysis metric (`watch --query`).
#[derive(Debug, Args)]
pub struct MetricArgs {
    /// Base URL of the Prometheus HTTP API for --query (credentials: FERRY_PROMETHEUS_TOKEN, or
    /// FERRY_PROMETHEUS_USER and FERRY_PROMETHEUS_PASSWORD).
    #[arg(long, value_name = "URL", requires = "query")]
    pub prometheus: Option<String>,
    /// PromQL instant query, evaluated at each measurement's time; may use {{env}},
    /// {{namespace}}, {{image}}, {{version}}. Measured at --warmup, then every --interval,
    /// --checks times.
    #[arg(long, value_name = "PROMQL", requires = "prometheus")]
    pub query: Option<String>,
    /// Rollouts' successCondition over `result` (a vector is an array): 'result[0] >= 0.95'.
    #[arg(long, value_name = "EXPR", requires = "query")]
    pub success: Option<String>,
    /// Rollouts' failureCondition: 'result[0] < 0.9'.
    #[arg(long, value_name = "EXPR", requires = "query")]
    pub failure: Option<String>,
    /// Failed measurements tolerated; one more is unhealthy (-1: off) [default: 0]. Also
    /// overrides the metrics of ferry.toml, as the two limits below.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub failure_limit: Option<i64>,
    /// Inconclusive measurements tolerated (an empty result is one) [default: 0].
    #[arg(long, value_name = "N")]
    pub inconclusive_limit: Option<i64>,
    /// Errored measurements in a row tolerated; one more ends inconclusive [default: 4].
    #[arg(long, value_name = "N")]
    pub consecutive_error_limit: Option<i64>,
    /// Timeout of one query [default: 30s, or [monitor.prometheus] timeout].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub query_timeout: Option<Duration>,
    /// The released image, for {{image}} and {{version}} (its tag) in queries.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// An Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate (YAML or JSON; one template
    /// in the file).
    #[arg(long, value_name = "FILE")]
    pub template: PathBuf,
    /// A template argument, NAME=VALUE (repeatable); overrides the template's value.
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub args: Vec<String>,
    /// Query this Prometheus instead of each prometheus metric's `address`.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Terminate the run after this long, as the Rollouts controller terminates a background
    /// analysis when the rollout ends (metrics still running then end Successful).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output: one line per measurement, or JSON Lines events.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// YAML or JSON files (several documents each, `kind: List` expanded).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The Argo CD Application.
    #[arg(long, value_name = "NAME")]
    pub argocd_app: String,
    /// The Git revision it must be synced to: a full commit id, or any form git rev-parse
    /// takes, resolved in the repository around the current directory.
    #[arg(long, value_name = "SHA")]
    pub revision: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Time between checks.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Give up after this long (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The `--verify` options of `watch`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// After a healthy verdict, record that ENV was verified, through the config's forge: a
    /// JSON note under refs/notes/ferry on the GitOps commit pushed to the remote (plain git),
    /// or the commit status ferry/verified/ENV (GitHub), holding ENV's images and a summary of
    /// this watch. Nothing is written on any other verdict.
    #[arg(long, value_name = "ENV")]
    pub verify: Option<String>,
    /// The base-branch commit to verify (default: the commit that deployed what ENV runs when
    /// the watch starts).
    #[arg(long, value_name = "REV", requires = "verify")]
    pub commit: Option<String>,
    /// The Ferry config file naming ENV's overlay and monitor settings (default: the nearest
    /// ferry.toml in the current directory or above); read with --env or --verify.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The GitOps repository (default: the one holding the config file).
    #[arg(long, value_name = "DIR", requires = "verify")]
    pub repo: Option<PathBuf>,
    /// Write the record in the local repository only (refs/notes/ferry), without the forge:
    /// push it yourself.
    #[arg(long, requires = "verify")]
    pub no_push: bool,
    /// Slack incoming webhook told about the verification. In GitHub mode a GitHub deployment
    /// of the commit gets the status `success` as well.
    #[arg(
        long,
        value_name = "URL",
        env = ferry_cli::env::FERRY_SLACK_WEBHOOK,
        hide_env_values = true,
        requires = "verify"
    )]
    pub slack_webhook: Option<String>,
}

/// The default of a policy flag, for `--help`.
pub const DEFAULTS: &str = "Defaults come from ferry.toml with --env (or --verify): [monitor], then \
[environment.monitor]; without them warm-up 60s, interval 30s, 10 checks, 3 failures, error budget 5, \
timeout 15m.";
