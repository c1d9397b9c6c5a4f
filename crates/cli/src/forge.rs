//! What the binaries that work through a forge share (`ferry-pr`, `ferry-promote`,
//! `ferry-rollback`, `ferry-monitor --verify`): the config, the local repository and the forge
//! (plain git or GitHub) with its credentials from the environment, and one runner that turns
//! errors into exit codes. Behind the `forge` feature, so that the other binaries do not build
//! Git and GitHub.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use ferry_config::{Config, ForgeKind};
use ferry_github::{Credentials, GithubClient, GithubConfig};
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::forge::{AnyForge, ForgeError};
use ferry_gitops::{Repo, Signature};

use crate::error::{Context as _, Error, Result};
use crate::report::{ErrorKind, Failure};

/// The identity of Ferry's commits when neither `[forge] author` nor git configures one.
const FALLBACK_AUTHOR: (&str, &str) = ("ferry", "ferry@localhost");

/// Where the forge is and how to reach it.
// The field docs are `--help` text, where `[forge]` names a table of ferry.toml, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
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
            Error::usage(format!(
                "no {} in {} or above; pass --config FILE",
                ferry_config::FILE_NAME,
                start.display()
            ))
        })?,
    };
    let mut config = Config::load(&path)?;
    if let Some(base) = &args.base {
        ferry_config::check_branch(base).map_err(|reason| {
            Error::usage(format!("--base: invalid branch name {base:?}: {reason}"))
        })?;
        config.forge.base_branch = base.clone();
    }
    if let Some(remote) = &args.remote {
        ferry_config::check_remote(remote).map_err(|reason| {
            Error::usage(format!(
                "--remote: invalid remote {:?}: {reason}; give a remote name (e.g. \"origin\") \
                 or a URL or path git can push to",
                ferry_redact::RemoteUrl::new(remote.as_str()).to_string()
            ))
        })?;
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

    /// The forge the config and flags choose.
    pub fn forge(&self) -> Result<AnyForge> {
        Ok(match self.kind {
            ForgeKind::Git => self.git_forge()?.into(),
            _ => self.github_forge()?.into(),
        })
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
        use crate::env::{self, non_empty as var};
        let github = self.config.forge.github.as_ref();
        let (owner, name) = match github {
            Some(g) => (g.owner.clone(), g.repo.clone()),
            None => {
                let full = var(env::GITHUB_REPOSITORY).ok_or_else(|| {
                    Error::usage(format!(
                        "--forge github needs [forge.github] owner and repo in {} (or \
                         GITHUB_REPOSITORY=owner/repo)",
                        self.config.path.display()
                    ))
                })?;
                let (o, r) = full.split_once('/').ok_or_else(|| {
                    Error::usage(format!("GITHUB_REPOSITORY={full} is not owner/repo"))
                })?;
                (o.to_owned(), r.to_owned())
            }
        };
        let api_url = var(env::GITHUB_API_URL)
            .or_else(|| github.map(|g| g.api_url.clone()))
            .unwrap_or_else(|| ferry_github::DEFAULT_API_URL.to_owned());
        let graphql_url = var(env::GITHUB_GRAPHQL_URL)
            .or_else(|| github.map(|g| g.graphql_url.clone()))
            .unwrap_or_else(|| ferry_github::DEFAULT_GRAPHQL_URL.to_owned());
        let key = match (
            var(env::FERRY_GITHUB_APP_PRIVATE_KEY),
            var(env::FERRY_GITHUB_APP_PRIVATE_KEY_PATH),
        ) {
            (Some(key), _) => Some(key.into_bytes()),
            (None, Some(path)) => Some(std::fs::read(&path).with_context(|| {
                format!("cannot read FERRY_GITHUB_APP_PRIVATE_KEY_PATH={path}")
            })?),
            (None, None) => None,
        };
        let credentials = match key {
            Some(key) => {
                let app_id = match var(env::FERRY_GITHUB_APP_ID) {
                    Some(id) => id.trim().parse::<u64>().map_err(|_| {
                        Error::usage(format!("FERRY_GITHUB_APP_ID={id} is not a number"))
                    })?,
                    None => github.and_then(|g| g.app_id).ok_or_else(|| {
                        Error::usage(
                            "a GitHub App private key is set but no app id: set \
                             FERRY_GITHUB_APP_ID or [forge.github] app-id",
                        )
                    })?,
                };
                Credentials::app(app_id, &key)?
            }
            None => match var(env::FERRY_GITHUB_TOKEN).or_else(|| var(env::GITHUB_TOKEN)) {
                Some(token) => Credentials::token(token),
                None => {
                    return Err(Error::usage(
                        "--forge github needs credentials: GITHUB_TOKEN (or FERRY_GITHUB_TOKEN), \
                         or a GitHub App (FERRY_GITHUB_APP_PRIVATE_KEY or \
                         FERRY_GITHUB_APP_PRIVATE_KEY_PATH, with FERRY_GITHUB_APP_ID or \
                         [forge.github] app-id)",
                    ));
                }
            },
        };
        let client = GithubClient::new(
            GithubConfig::new(owner, name, credentials).with_urls(api_url, graphql_url),
        )?;
        let repo = self.open_repo()?;
        let signature = self.signature(&repo)?;
        let overlays = self.overlays(&repo)?;
        let merge_method = github.map(|g| g.merge_method).unwrap_or_default();
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
                resolve: ferry_gitops::resolve_options(&self.config),
            },
        ))
    }

    /// Each environment's overlay directory relative to the repository top.
    fn overlays(&self, repo: &Repo) -> Result<BTreeMap<String, String>> {
        let specs = ferry_gitops::environment_specs(&self.config, repo, true)?;
        Ok(specs.into_iter().map(|e| (e.name, e.overlay)).collect())
    }
}

/// `Name <email>` → (name, email).
pub fn parse_identity(s: &str) -> Result<(String, String)> {
    let parsed = s.split_once('<').and_then(|(name, rest)| {
        let email = rest.strip_suffix('>')?;
        let (name, email) = (name.trim(), email.trim());
        (!name.is_empty() && !email.is_empty()).then(|| (name.to_owned(), email.to_owned()))
    });
    parsed.ok_or_else(|| Error::usage(format!("`{s}` is not `Name <email>`")))
}

// The binaries still on `anyhow` (ferry-pr, ferry-promote, ferry-rollback) until they move to
// `crate::main_async`: the kind of their error is looked up in a fixed list of types.

/// The [`Failure`] of an error of a forge binary, its kind from [`classify`].
pub fn failure(e: &anyhow::Error) -> Failure {
    Failure::from_error(classify(e), e.as_ref())
}

/// The kind of an error of the binaries that work through a forge (and of `ferry-ledger` and
/// `ferry-monitor`): refusals 1, bad input and usage 2, failures of the forge, git or the network
/// 3. An error of no known type is a usage error.
pub fn classify(e: &anyhow::Error) -> ErrorKind {
    use ferry_gitops::promote::PromoteError;
    for cause in e.chain() {
        // An error the binary gave a kind.
        if let Some(e) = cause.downcast_ref::<crate::Error>() {
            return e.kind();
        }
        if cause.downcast_ref::<crate::GithubOutputError>().is_some() {
            return ErrorKind::Io;
        }
        if cause.downcast_ref::<ferry_config::ConfigError>().is_some() {
            return ErrorKind::BadInput;
        }
        if let Some(d) = cause.downcast_ref::<ferry_gitops::deploy::DeployError>() {
            return deploy_kind(d);
        }
        if cause
            .downcast_ref::<ferry_gitops::gates::Refused>()
            .is_some()
        {
            return ErrorKind::Refused;
        }
        if let Some(f) = cause.downcast_ref::<ForgeError>() {
            return forge_kind(f);
        }
        // Its `Forge` variant is transparent: the chain skips the forge error inside.
        if let Some(p) = cause.downcast_ref::<PromoteError>() {
            return match p {
                PromoteError::Forge(f) => forge_kind(f),
                PromoteError::UnknownEnvironment { .. } | PromoteError::SameEnvironment(_) => {
                    ErrorKind::Usage
                }
                _ => ErrorKind::BadInput,
            };
        }
        if let Some(l) = cause.downcast_ref::<ferry_gitops::LoadError>() {
            return match l {
                ferry_gitops::LoadError::UnknownEnvironment { .. } => ErrorKind::Usage,
                _ => ErrorKind::BadInput,
            };
        }
        if let Some(ferry_gitops::LedgerError::UnknownEnvironment(_)) =
            cause.downcast_ref::<ferry_gitops::LedgerError>()
        {
            return ErrorKind::Usage;
        }
        if cause.downcast_ref::<ferry_github::GithubError>().is_some() {
            return ErrorKind::Forge;
        }
    }
    ErrorKind::Usage
}

fn forge_kind(f: &ForgeError) -> ErrorKind {
    match f {
        ForgeError::Plan(inner) => {
            match inner.downcast_ref::<ferry_gitops::deploy::DeployError>() {
                Some(d) => deploy_kind(d),
                None => ErrorKind::BadInput,
            }
        }
        ForgeError::UnknownChange(_) => ErrorKind::UnknownChange,
        ForgeError::InvalidRemote { .. } | ForgeError::NoRemote { .. } => ErrorKind::Usage,
        ForgeError::NotOpen { .. } => ErrorKind::NotOpen,
        ForgeError::HeadMoved { .. } => ErrorKind::HeadMoved,
        ForgeError::Stale { .. } => ErrorKind::Stale,
        ForgeError::Contended { .. } => ErrorKind::Contended,
        ForgeError::Git(_) => ErrorKind::Git,
        _ => ErrorKind::Forge,
    }
}

/// The kind `DeployError::kind` names; an unknown environment is a usage error.
fn deploy_kind(d: &ferry_gitops::deploy::DeployError) -> ErrorKind {
    use ferry_gitops::deploy::DeployError;
    if let DeployError::Ledger(ferry_gitops::LedgerError::UnknownEnvironment(_)) = d {
        return ErrorKind::Usage;
    }
    ErrorKind::from_name(d.kind()).unwrap_or(if d.is_refusal() {
        ErrorKind::Refused
    } else {
        ErrorKind::BadInput
    })
}

/// Ends a binary with the report of `e` ([`failure`]): quietly with 0 when stdout's reader went
/// away, else the message (and JSON with `json`) and the kind's exit code.
pub fn exit(program: &str, json: bool, e: &anyhow::Error) -> std::process::ExitCode {
    crate::report::fail(program, json, classify(e), e.as_ref())
}

/// The error of a forge binary's work as the front end reports it ([`crate::Error`]), its kind
/// from [`classify`]: the bridge for the error types on the forge path that do not implement
/// [`crate::Classify`] yet.
pub fn classified(e: anyhow::Error) -> crate::Error {
    crate::Error::new(classify(&e), e)
}

/// Runs `work` on a current-thread runtime (forge futures are not `Send`) and turns its result
/// into the exit code: its own on success, the classified [`Failure`]'s (printed) on error.
pub fn block_on(
    program: &str,
    json: bool,
    work: impl std::future::Future<Output = anyhow::Result<u8>>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Failure::new(ErrorKind::Io, format!("cannot start the runtime: {e}"))
                .report(program, json);
        }
    };
    match runtime.block_on(work) {
        Ok(code) => ExitCode::from(code),
        Err(e) => exit(program, json, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_gitops::promote::PromoteError;

    fn contended() -> ForgeError {
        ForgeError::Contended {
            what: "refs/heads/main".into(),
            attempts: 5,
        }
    }

    #[test]
    fn forge_failures_exit_3_also_inside_a_promotion() {
        let direct = anyhow::Error::from(contended());
        assert_eq!(classify(&direct), ErrorKind::Contended);
        let promoted = anyhow::Error::from(PromoteError::Forge(contended()));
        assert_eq!(classify(&promoted), ErrorKind::Contended);
        let context = promoted.context("promoting dev to staging");
        assert_eq!(failure(&context).exit_code(), 3);
    }

    #[test]
    fn bad_input_and_unknown_changes_exit_2() {
        let bare = anyhow::Error::from(PromoteError::Bare);
        assert_eq!(classify(&bare), ErrorKind::BadInput);
        let unknown = anyhow::Error::from(ForgeError::UnknownChange("dev-1234".into()));
        assert_eq!(classify(&unknown), ErrorKind::UnknownChange);
        assert_eq!(
            classify(&anyhow::anyhow!("--env is required")),
            ErrorKind::Usage
        );
    }

    /// An unknown environment is a usage error whichever binary and layer finds it.
    #[test]
    fn an_unknown_environment_is_a_usage_error_everywhere() {
        let config = std::path::PathBuf::from("ferry.toml");
        let known = vec!["dev".to_owned()];
        let promote = PromoteError::UnknownEnvironment {
            name: "qa".into(),
            config: config.clone(),
            known: known.clone(),
        };
        let load = ferry_gitops::LoadError::UnknownEnvironment {
            name: "qa".into(),
            config,
            known,
        };
        let ledger = ferry_gitops::LedgerError::UnknownEnvironment("qa".into());
        let deploy = ferry_gitops::deploy::DeployError::Ledger(
            ferry_gitops::LedgerError::UnknownEnvironment("qa".into()),
        );
        for e in [
            anyhow::Error::from(promote),
            anyhow::Error::from(load),
            anyhow::Error::from(ledger).context("reading the ledger"),
            anyhow::Error::from(deploy),
        ] {
            assert_eq!(classify(&e), ErrorKind::Usage, "{e:#}");
        }
        let same = anyhow::Error::from(PromoteError::SameEnvironment("dev".into()));
        assert_eq!(classify(&same), ErrorKind::Usage);
    }

    /// The kinds the error types declare ([`ferry_error::Classify`]) are those [`classify`]
    /// finds, context or not.
    #[test]
    fn library_errors_declare_the_kinds_classify_finds() {
        let kind = |e: Error| e.kind();
        assert_eq!(kind(contended().into()), ErrorKind::Contended);
        assert_eq!(
            kind(Error::from(PromoteError::Forge(contended())).context("promoting dev to staging")),
            ErrorKind::Contended
        );
        assert_eq!(kind(PromoteError::Bare.into()), ErrorKind::BadInput);
        assert_eq!(
            kind(ForgeError::UnknownChange("dev-1234".into()).into()),
            ErrorKind::UnknownChange
        );
        let known = vec!["dev".to_owned()];
        let unknown_env = [
            Error::from(PromoteError::UnknownEnvironment {
                name: "qa".into(),
                config: "ferry.toml".into(),
                known: known.clone(),
            }),
            Error::from(ferry_gitops::LoadError::UnknownEnvironment {
                name: "qa".into(),
                config: "ferry.toml".into(),
                known,
            }),
            Error::from(ferry_gitops::LedgerError::UnknownEnvironment("qa".into()))
                .context("reading the ledger"),
            Error::from(ferry_gitops::deploy::DeployError::Ledger(
                ferry_gitops::LedgerError::UnknownEnvironment("qa".into()),
            )),
            Error::from(PromoteError::SameEnvironment("dev".into())),
        ];
        for e in unknown_env {
            assert_eq!(e.kind(), ErrorKind::Usage, "{e:?}");
        }
    }

    /// Code still on `anyhow` finds the typed causes of an [`Error`] that became an
    /// `anyhow::Error`, and says each message once.
    #[test]
    fn an_error_passed_through_anyhow_keeps_its_typed_causes() {
        let e = Error::from(PromoteError::Forge(contended())).context("promoting dev to staging");
        let message = e.failure().message;
        let legacy = anyhow::Error::from(e);
        assert_eq!(classify(&legacy), ErrorKind::Contended);
        assert_eq!(failure(&legacy).message, message);
    }

    #[test]
    fn identities_are_name_and_email() {
        assert_eq!(
            parse_identity("Ferry Bot <ferry@example.com>").unwrap(),
            ("Ferry Bot".to_owned(), "ferry@example.com".to_owned())
        );
        assert!(parse_identity("ferry@example.com").is_err());
        assert!(parse_identity("Ferry <>").is_err());
    }
}
