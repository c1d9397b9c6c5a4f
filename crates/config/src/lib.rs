//! The `ferry.toml` model shared by Ferry's binaries.
//!
//! A `ferry.toml` sits at the root of a GitOps repository and names its environments (each with
//! a Kustomize overlay and the environment it is promoted from), the images Ferry moves, the
//! forge that carries changes, and monitor defaults. [`Config::load`] reads and checks one;
//! every problem is a [`ConfigError`] naming file, line, column and key. The format is described
//! in `docs/config.md`.
//!
//! ```
//! let text = r#"
//! [images]
//! backend = "registry.example.com/acme/backend"
//!
//! [[environment]]
//! name = "dev"
//! overlay = "infra/k8s/overlays/dev"
//!
//! [[environment]]
//! name = "prod"
//! overlay = "infra/k8s/overlays/prod"
//! upstream = "dev"
//! soak = "1h"
//! "#;
//! let config = ferry_config::Config::from_str(text, "/repo/ferry.toml").unwrap();
//! let names: Vec<_> = config.environments().iter().map(|e| e.name.as_str()).collect();
//! assert_eq!(names, ["dev", "prod"]);
//! let prod = config.environment("prod").unwrap();
//! assert_eq!(config.overlay_dir(prod), std::path::Path::new("/repo/infra/k8s/overlays/prod"));
//! assert_eq!(prod.soak, std::time::Duration::from_secs(3600));
//! ```
//!
//! # Example
//!
//! Loading a file, and the error a mistake in it gives (`examples/load.rs`; `cargo run -p
//! ferry-config --example load`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/load.rs")]
//! ```

mod duration;
mod error;
mod limits;
mod locate;
mod names;
mod probes;
mod raw;
mod readable;
mod registries;
mod unknown;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use duration::{DurationError, HumanDuration, format_duration, parse_duration};
pub use error::{ConfigError, Diagnostic};
pub use limits::MAX_FILE_SIZE;
pub use locate::NoConfigFile;
pub use names::{check_branch, check_remote};
pub use readable::{human_duration, human_seconds, human_time};
pub use registries::{Registry, RegistryCredentials};
pub use unknown::UnknownEnvironment;

/// The conventional file name, looked for by [`Config::discover`].
pub const FILE_NAME: &str = "ferry.toml";

/// A checked `ferry.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The file it was read from (as given).
    pub path: PathBuf,
    /// The directory overlay paths are relative to: the file's directory (`.` for a bare file
    /// name such as `ferry.toml`).
    pub root: PathBuf,
    /// Environments in promotion order (see [`Config::environments`]).
    pub environments: Vec<Environment>,
    /// Images by logical name, in file order.
    pub images: Vec<Image>,
    /// How changes reach the GitOps repository.
    pub forge: Forge,
    /// Monitor defaults from `[monitor]` (each environment has its effective settings).
    pub monitor: Monitor,
    /// Registry settings from `[registries."HOST"]`, in file order.
    pub registries: Vec<Registry>,
    /// How overlays are resolved (`[kustomize]`).
    pub kustomize: Kustomize,
}

/// `[kustomize]`: how every binary resolves overlays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Kustomize {
    /// Which files a kustomization may read (`load-restrictor`).
    pub load_restrictor: LoadRestrictor,
}

/// `load-restrictor`: kustomize's `--load-restrictor`, as Argo CD runs kustomize.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// `root-only` (the default; kustomize's `LoadRestrictionsRootOnly`): a kustomization reads
    /// files only in or below its own directory.
    #[default]
    RootOnly,
    /// `none` (`LoadRestrictionsNone`): files anywhere inside the repository.
    None,
}

/// One environment (`[[environment]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// Unique name, e.g. `dev`.
    pub name: String,
    /// The Kustomize overlay directory, relative to [`Config::root`], normalized (no `.`
    /// components, `/`-separated). Use [`Config::overlay_dir`] for the full path.
    pub overlay: PathBuf,
    /// The environment this one is promoted from; `None` for a first environment.
    pub upstream: Option<String>,
    /// Whether Ferry merges this environment's changes without review.
    pub auto_merge: bool,
    /// How long images must have run in [`Environment::upstream`] before promotion here.
    pub soak: Duration,
    /// The Argo CD Application that deploys this environment, if any.
    pub argocd_app: Option<String>,
    /// Effective monitor settings: built-in defaults, then `[monitor]`, then this
    /// environment's `[environment.monitor]`.
    pub monitor: Monitor,
    /// 1-based line of the environment's `name` key, for messages that point back at the file.
    pub line: usize,
}

/// A logical image name and its repository (`[images]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Image {
    /// Logical name, e.g. `backend` (as in `ferry-pr --image backend=REF`).
    pub name: String,
    /// Repository without tag or digest, e.g. `registry.example.com/acme/backend`.
    pub repository: String,
    /// The web address of the source repository it is built from (`[sources]`), e.g.
    /// `https://github.com/acme/backend`: pull request bodies link `…/compare/OLD...NEW`.
    pub source: Option<String>,
}

/// Forge settings (`[forge]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forge {
    /// Which forge carries changes.
    pub kind: ForgeKind,
    /// The branch environments are deployed from. Default `main`.
    pub base_branch: String,
    /// Prefix of change branches (`<prefix><env>-<id>`). Default `deploy/`.
    pub branch_prefix: String,
    /// Labels put on pull requests.
    pub labels: Vec<String>,
    /// Commit author as `Name <email>`; `None` leaves it to git or the forge.
    pub author: Option<String>,
    /// The checks (job names) branch protection requires on the base branch
    /// (`required-checks`), in file order; `ferry-lint` checks that overlay-only changes get
    /// them too.
    pub required_checks: Vec<RequiredCheck>,
    /// Plain-git settings (always present, defaults apply).
    pub git: GitForge,
    /// GitHub settings; present when `[forge.github]` is, and always when `kind` is `github`.
    pub github: Option<GitHubForge>,
}

/// Which forge carries changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForgeKind {
    /// Any remote git can push to; changes are branches and refs under `refs/ferry/changes/`.
    #[default]
    Git,
    /// GitHub pull requests through the API.
    GitHub,
}

impl ForgeKind {
    /// The spelling used in `ferry.toml` and on command lines.
    pub fn as_str(self) -> &'static str {
        match self {
            ForgeKind::Git => "git",
            ForgeKind::GitHub => "github",
        }
    }
}

impl std::fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ForgeKind {
    type Err = String;

    /// Reads `git` or `github` (as `--forge` takes them).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "git" => Ok(ForgeKind::Git),
            "github" => Ok(ForgeKind::GitHub),
            other => Err(format!(
                "unknown forge {other:?}; expected \"git\" or \"github\""
            )),
        }
    }
}

/// A check the base branch requires (`[forge] required-checks`), with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequiredCheck {
    /// The check's name as GitHub shows it: a job's `name:` (or its id when it has none).
    pub name: String,
    /// 1-based line of the entry in `ferry.toml`.
    pub line: usize,
    /// 1-based column of the entry.
    pub column: usize,
}

/// `[forge.git]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GitForge {
    /// A remote name or URL (path, ssh, https). Default `origin`.
    pub remote: String,
}

/// `[forge.github]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GitHubForge {
    /// Repository owner (user or organization).
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// REST API base URL, without a trailing `/`. Default `https://api.github.com`.
    pub api_url: String,
    /// GraphQL endpoint. Default: derived from `api_url` (`https://api.github.com/graphql`;
    /// `https://HOST/api/graphql` for `https://HOST/api/v3`).
    pub graphql_url: String,
    /// GitHub App id, when changes are made as an App (its key never lives in `ferry.toml`).
    pub app_id: Option<u64>,
    /// How pull requests are merged.
    pub merge_method: MergeMethod,
}

/// How GitHub merges a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeMethod {
    /// Squash into one commit (default).
    #[default]
    Squash,
    /// A merge commit.
    Merge,
    /// Rebase the commits onto the base.
    Rebase,
}

impl MergeMethod {
    /// The spelling used in `ferry.toml` (and, upper-cased, by GitHub's GraphQL API).
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Squash => "squash",
            MergeMethod::Merge => "merge",
            MergeMethod::Rebase => "rebase",
        }
    }
}

impl std::fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MergeMethod {
    type Err = String;

    /// Reads `squash`, `merge` or `rebase`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "squash" => Ok(MergeMethod::Squash),
            "merge" => Ok(MergeMethod::Merge),
            "rebase" => Ok(MergeMethod::Rebase),
            other => Err(format!(
                "unknown merge method {other:?}; expected \"squash\", \"merge\" or \"rebase\""
            )),
        }
    }
}

/// Health-monitor settings after a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Monitor {
    /// Wait before the first check. Default 60s.
    pub warmup: Duration,
    /// Time between checks. Default 30s.
    pub interval: Duration,
    /// Number of checks. Default 10.
    pub checks: u32,
    /// Consecutive failures that make the verdict unhealthy. Default 3.
    pub failures: u32,
    /// Probe errors tolerated (timeouts, refused connections, API errors). Default 5.
    pub error_budget: u32,
    /// Overall time limit. Default 15m.
    pub timeout: Duration,
    /// HTTP probes (only per environment; empty in [`Config::monitor`]).
    pub http: Vec<HttpProbe>,
    /// Workloads to follow, `KIND/NAME` (only per environment).
    pub workloads: Vec<String>,
    /// Namespace of the workloads (only per environment); `None`: the kubeconfig's.
    pub namespace: Option<String>,
    /// `[monitor.prometheus]`: the Prometheus the metrics query.
    pub prometheus: Option<Prometheus>,
    /// `[[environment.monitor.metrics]]`: Prometheus metrics judged as Argo Rollouts judges
    /// them (only per environment).
    pub metrics: Vec<Metric>,
}

/// The Prometheus of `[monitor.prometheus]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Prometheus {
    /// Base URL of the HTTP API (`http://prometheus.monitoring:9090`).
    pub url: String,
    /// Time limit of one query. Default 30s.
    pub timeout: Duration,
}

/// One metric of `[[environment.monitor.metrics]]`: a PromQL query and Argo Rollouts'
/// conditions over its `result`. Count, interval and warm-up are the monitor's `checks`,
/// `interval` and `warmup`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metric {
    /// Its name.
    pub name: String,
    /// The PromQL query; may use `{{env}}`, `{{namespace}}`, `{{image}}`, `{{version}}`.
    pub query: String,
    /// `successCondition` (`""`: not set).
    pub success: String,
    /// `failureCondition` (`""`: not set).
    pub failure: String,
    /// `failureLimit` (Rollouts' default 0).
    pub failure_limit: Option<i64>,
    /// `inconclusiveLimit` (default 0).
    pub inconclusive_limit: Option<i64>,
    /// `consecutiveErrorLimit` (default 4).
    pub consecutive_error_limit: Option<i64>,
    /// Where `success` is written, `FILE:LINE:COLUMN: FIELD`, for errors found later (the
    /// condition language belongs to `ferry-health`).
    pub success_at: String,
    /// Where `failure` is written.
    pub failure_at: String,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor {
            warmup: Duration::from_secs(60),
            interval: Duration::from_secs(30),
            checks: 10,
            failures: 3,
            error_budget: 5,
            timeout: Duration::from_secs(15 * 60),
            http: Vec::new(),
            workloads: Vec::new(),
            namespace: None,
            prometheus: None,
            metrics: Vec::new(),
        }
    }
}

/// One HTTP health probe.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpProbe {
    /// `http://` or `https://` URL.
    pub url: String,
    /// Expected status. Default 200.
    pub status: u16,
    /// Regular expression the body must match, if any (checked by the monitor).
    pub body: Option<String>,
}

impl Config {
    /// Reads and checks a `ferry.toml`. Overlay paths resolve against the file's directory.
    ///
    /// Only a regular file of at most [`MAX_FILE_SIZE`] bytes is read (the limit holds while
    /// reading); anything else is [`ConfigError::Refused`].
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = limits::read(path)?;
        Config::from_str(&text, path)
    }

    /// The settings of the registry `host` (`host[:port]`, case-insensitive).
    pub fn registry(&self, host: &str) -> Option<&Registry> {
        self.registries
            .iter()
            .find(|r| r.host.eq_ignore_ascii_case(host))
    }

    /// Checks the text of a `ferry.toml`; `path` is used in errors and its parent directory
    /// becomes [`Config::root`]. Nothing is read from disk.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        validate::build(text, path.as_ref()).map_err(ConfigError::Invalid)
    }

    /// The nearest `ferry.toml` in `start` or one of its ancestors.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Environments in promotion order: an environment comes after its upstream; otherwise file
    /// order is kept.
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|env| env.name == name)
    }

    /// The environment called `name`, or the error naming the known ones.
    pub fn require_environment(&self, name: &str) -> Result<&Environment, UnknownEnvironment> {
        self.environment(name)
            .ok_or_else(|| UnknownEnvironment::in_config(self, name))
    }

    /// The environments promoted from `name` (its direct downstreams), in promotion order.
    pub fn downstream(&self, name: &str) -> impl Iterator<Item = &Environment> {
        self.environments
            .iter()
            .filter(move |env| env.upstream.as_deref() == Some(name))
    }

    /// The overlay directory of `env`: [`Config::root`] joined with [`Environment::overlay`].
    pub fn overlay_dir(&self, env: &Environment) -> PathBuf {
        self.root.join(&env.overlay)
    }

    /// The image with logical name `name`.
    pub fn image(&self, name: &str) -> Option<&Image> {
        self.images.iter().find(|image| image.name == name)
    }

    /// The image whose repository is `repository`.
    pub fn image_by_repository(&self, repository: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|image| image.repository == repository)
    }
}
