//! What `ferry-pr` and `ferry-promote` share: the config, the local repository and the forge
//! (plain git or GitHub) with its credentials from the environment, and exit codes for
//! forge errors.
//!
//! `ferry-promote` includes this file (`#[path]`); it belongs in `ferry-cli` once that crate
//! may depend on `ferry-gitops`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use ferry_config::{Config, ForgeKind};
use ferry_gitops::forge::ForgeError;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::github::{Credentials, GithubClient, GithubConfig, MergeMethod};
use ferry_gitops::{Repo, Signature};

/// The identity of Ferry's commits when neither `[forge] author` nor git configures one.
const FALLBACK_AUTHOR: (&str, &str) = ("ferry", "ferry@localhost");

/// Where the forge is and how to reach it.
#[derive(Debug, Args)]
pub struct ForgeArgs {
    /// The Ferry config file (default: the nearest ferry.toml in --repo or the current
    /// directory, or above).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The local clone of the GitOps repository (default: the one holding the config file).
    #[arg(long, value_name = "DIR", global = true)]
    pub repo: Option<PathBuf>,
    /// The forge (default: [forge] kind of the config).
    #[arg(long, value_name = "git|github", global = true)]
    pub forge: Option<ForgeKind>,
    /// The remote: a remote name of the clone, or a URL or path git can push to (default:
    /// [forge.git] remote, `origin`).
    #[arg(long, value_name = "URL", global = true)]
    pub remote: Option<String>,
    /// The base branch (default: [forge] base-branch, `main`).
    #[arg(long, value_name = "BRANCH", global = true)]
    pub base: Option<String>,
}

/// The loaded config and the settings flags override.
pub struct Setup {
    /// The config.
    pub config: Config,
    /// The local repository directory.
    pub repo_dir: PathBuf,
    /// The forge kind.
    pub kind: ForgeKind,
    /// The remote.
    pub remote: String,
}

/// Loads the config and applies the flags (`--base` replaces `[forge] base-branch`).
pub fn setup(args: &ForgeArgs) -> Result<Setup> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let start = args.repo.clone().unwrap_or(cwd);
    let path = match &args.config {
        Some(p) => p.clone(),
        None => Config::discover(&start).ok_or_else(|| {
            anyhow!(
                "no {} in {} or above; pass --config FILE",
                ferry_config::FILE_NAME,
                start.display()
            )
        })?,
    };
    let mut config = Config::load(&path).map_err(|e| anyhow!("{e}"))?;
    if let Some(base) = &args.base {
        config.forge.base_branch = base.clone();
    }
    let repo_dir = args.repo.clone().unwrap_or_else(|| config.root.clone());
    Ok(Setup {
        kind: args.forge.unwrap_or(config.forge.kind),
        remote: args
            .remote
            .clone()
            .unwrap_or_else(|| config.forge.git.remote.clone()),
        config,
        repo_dir,
    })
}

impl Setup {
    /// The local repository.
    pub fn open_repo(&self) -> Result<Repo> {
        Repo::discover(&self.repo_dir)
            .with_context(|| format!("cannot open the git repository {}", self.repo_dir.display()))
    }

    /// Author and committer of Ferry's commits: `[forge] author`, else git's configured
    /// identity, else `ferry <ferry@localhost>`.
    pub fn signature(&self, repo: &Repo) -> Result<Signature> {
        let (name, email) = match &self.config.forge.author {
            Some(author) => parse_identity(author)?,
            None => repo
                .configured_committer()
                .unwrap_or_else(|| (FALLBACK_AUTHOR.0.to_owned(), FALLBACK_AUTHOR.1.to_owned())),
        };
        Ok(Signature::new(name, email, jiff::Timestamp::now()))
    }

    /// The plain-git forge.
    pub fn git_forge(&self) -> Result<GitForge> {
        let repo = self.open_repo()?;
        let signature = self.signature(&repo)?;
        Ok(GitForge::new(
            repo,
            GitForgeOptions {
                remote: self.remote.clone(),
                base_branch: self.config.forge.base_branch.clone(),
                branch_prefix: self.config.forge.branch_prefix.clone(),
                signature,
            },
        ))
    }

    /// The GitHub forge; must be called inside a Tokio runtime.
    ///
    /// The repository is `[forge.github]` owner/repo, else `GITHUB_REPOSITORY`; the URLs are
    /// `GITHUB_API_URL` / `GITHUB_GRAPHQL_URL`, else the config's. Credentials: a GitHub App
    /// when a private key is given (`FERRY_GITHUB_APP_PRIVATE_KEY`, or a file named by
    /// `FERRY_GITHUB_APP_PRIVATE_KEY_PATH`; app id from `FERRY_GITHUB_APP_ID`, else
    /// `[forge.github] app-id`), else `FERRY_GITHUB_TOKEN`, else `GITHUB_TOKEN`.
    pub fn github_forge(&self) -> Result<GithubForge> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let github = self.config.forge.github.as_ref();
        let (owner, name) = match github {
            Some(g) => (g.owner.clone(), g.repo.clone()),
            None => {
                let full = var("GITHUB_REPOSITORY").ok_or_else(|| {
                    anyhow!(
                        "--forge github needs [forge.github] owner and repo in {} (or \
                         GITHUB_REPOSITORY=owner/repo)",
                        self.config.path.display()
                    )
                })?;
                let (o, r) = full
                    .split_once('/')
                    .ok_or_else(|| anyhow!("GITHUB_REPOSITORY={full} is not owner/repo"))?;
                (o.to_owned(), r.to_owned())
            }
        };
        let api_url = var("GITHUB_API_URL")
            .or_else(|| github.map(|g| g.api_url.clone()))
            .unwrap_or_else(|| ferry_gitops::github::DEFAULT_API_URL.to_owned());
        let graphql_url = var("GITHUB_GRAPHQL_URL")
            .or_else(|| github.map(|g| g.graphql_url.clone()))
            .unwrap_or_else(|| ferry_gitops::github::DEFAULT_GRAPHQL_URL.to_owned());
        let key = match (
            var("FERRY_GITHUB_APP_PRIVATE_KEY"),
            var("FERRY_GITHUB_APP_PRIVATE_KEY_PATH"),
        ) {
            (Some(key), _) => Some(key.into_bytes()),
            (None, Some(path)) => Some(std::fs::read(&path).with_context(|| {
                format!("cannot read FERRY_GITHUB_APP_PRIVATE_KEY_PATH={path}")
            })?),
            (None, None) => None,
        };
        let credentials = match key {
            Some(key) => {
                let app_id = match var("FERRY_GITHUB_APP_ID") {
                    Some(id) => id
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| anyhow!("FERRY_GITHUB_APP_ID={id} is not a number"))?,
                    None => github.and_then(|g| g.app_id).ok_or_else(|| {
                        anyhow!(
                            "a GitHub App private key is set but no app id: set \
                             FERRY_GITHUB_APP_ID or [forge.github] app-id"
                        )
                    })?,
                };
                Credentials::app(app_id, &key)?
            }
            None => match var("FERRY_GITHUB_TOKEN").or_else(|| var("GITHUB_TOKEN")) {
                Some(token) => Credentials::token(token),
                None => bail!(
                    "--forge github needs credentials: GITHUB_TOKEN (or FERRY_GITHUB_TOKEN), or \
                     a GitHub App (FERRY_GITHUB_APP_PRIVATE_KEY or \
                     FERRY_GITHUB_APP_PRIVATE_KEY_PATH, with FERRY_GITHUB_APP_ID or \
                     [forge.github] app-id)"
                ),
            },
        };
        let client = GithubClient::new(
            GithubConfig::new(owner, name, credentials).with_urls(api_url, graphql_url),
        )?;
        let repo = self.open_repo()?;
        let signature = self.signature(&repo)?;
        let overlays = self.overlays(&repo)?;
        let merge_method = match github.map(|g| g.merge_method) {
            Some(ferry_config::MergeMethod::Merge) => MergeMethod::Merge,
            Some(ferry_config::MergeMethod::Rebase) => MergeMethod::Rebase,
            _ => MergeMethod::Squash,
        };
        Ok(GithubForge::new(
            client,
            repo,
            GithubForgeOptions {
                remote: self.remote.clone(),
                base_branch: self.config.forge.base_branch.clone(),
                branch_prefix: self.config.forge.branch_prefix.clone(),
                signature,
                merge_method,
                overlays,
            },
        ))
    }

    /// Each environment's overlay directory relative to the repository top (ferry.toml's
    /// paths are relative to its own directory).
    fn overlays(&self, repo: &Repo) -> Result<BTreeMap<String, String>> {
        let workdir = repo.workdir().ok_or_else(|| {
            anyhow!(
                "{} is a bare repository; run from a clone",
                self.repo_dir.display()
            )
        })?;
        let canonical = |p: &std::path::Path| {
            p.canonicalize()
                .with_context(|| format!("cannot open {}", p.display()))
        };
        let root = canonical(&self.config.root)?;
        let prefix: Vec<String> = root
            .strip_prefix(canonical(workdir)?)
            .map(|rel| {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        Ok(self
            .config
            .environments()
            .iter()
            .map(|e| {
                let mut parts = prefix.clone();
                parts.push(e.overlay.to_string_lossy().replace('\\', "/"));
                (e.name.clone(), parts.join("/"))
            })
            .collect())
    }
}

/// `Name <email>` → (name, email).
pub fn parse_identity(s: &str) -> Result<(String, String)> {
    let parsed = s.split_once('<').and_then(|(name, rest)| {
        let email = rest.strip_suffix('>')?;
        let (name, email) = (name.trim(), email.trim());
        (!name.is_empty() && !email.is_empty()).then(|| (name.to_owned(), email.to_owned()))
    });
    parsed.ok_or_else(|| anyhow!("`{s}` is not `Name <email>`"))
}

/// How a run failed: exit code, a kind for JSON, the message.
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// A stable name (`downgrade`, `held`, `refused`, `bad-input`, `usage`, `forge`, …).
    pub kind: &'static str,
    /// The message (the error chain).
    pub message: String,
}

impl Failure {
    /// Classifies an error: refusals 1, bad input 2, failures of the forge or network 3.
    pub fn from_error(e: &anyhow::Error) -> Failure {
        let message = format!("{e:#}");
        let (code, kind) = classify(e);
        Failure {
            code,
            kind,
            message,
        }
    }

    /// Prints the failure: the message on stderr; with JSON, `{"error": {kind, message}}` on
    /// stdout as well.
    pub fn print(&self, program: &str, json: bool) {
        eprintln!("{program}: {}", self.message);
        if json {
            let v = serde_json::json!({
                "error": { "kind": self.kind, "exit_code": self.code, "message": self.message }
            });
            println!("{v}");
        }
    }
}

fn classify(e: &anyhow::Error) -> (u8, &'static str) {
    for cause in e.chain() {
        if let Some(d) = cause.downcast_ref::<ferry_gitops::deploy::DeployError>() {
            return deploy_code(d);
        }
        if cause
            .downcast_ref::<ferry_gitops::gates::Refused>()
            .is_some()
        {
            return (1, "refused");
        }
        if let Some(f) = cause.downcast_ref::<ForgeError>() {
            return match f {
                ForgeError::Plan(inner) => {
                    match inner.downcast_ref::<ferry_gitops::deploy::DeployError>() {
                        Some(d) => deploy_code(d),
                        None => (2, "bad-input"),
                    }
                }
                ForgeError::UnknownChange(_) => (2, "unknown-change"),
                ForgeError::Contended { .. } => (3, "contended"),
                ForgeError::Git(_) => (3, "git"),
                _ => (3, "forge"),
            };
        }
        if cause
            .downcast_ref::<ferry_gitops::github::GithubError>()
            .is_some()
        {
            return (3, "forge");
        }
    }
    (2, "usage")
}

fn deploy_code(d: &ferry_gitops::deploy::DeployError) -> (u8, &'static str) {
    let kind = d.kind();
    if d.is_refusal() { (1, kind) } else { (2, kind) }
}

/// Runs `work` on a current-thread runtime (forge futures are not `Send`) and turns its result
/// into the exit code: its own on success, the classified [`Failure`]'s (printed) on error.
pub fn block_on(
    program: &str,
    json: bool,
    work: impl std::future::Future<Output = Result<u8>>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{program}: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(work) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let failure = Failure::from_error(&e);
            failure.print(program, json);
            ExitCode::from(failure.code)
        }
    }
}
