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
use ferry_gitops::forge::AnyForge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::{Repo, Signature};

use crate::error::{Context as _, Error, Result};

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
    let path = Config::locate(args.config.as_deref(), &start)?;
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
        let client = self.github_client()?;
        let github = self.config.forge.github.as_ref();
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

    /// The GitHub client of the repository (see [`Setup::github_forge`] for where the
    /// repository, URLs and credentials come from); must be called inside a Tokio runtime.
    pub fn github_client(&self) -> Result<GithubClient> {
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
        Ok(GithubClient::new(
            GithubConfig::new(owner, name, credentials).with_urls(api_url, graphql_url),
        )?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ErrorKind;
    use ferry_gitops::forge::ForgeError;
    use ferry_gitops::promote::PromoteError;

    fn contended() -> ForgeError {
        ForgeError::Contended {
            what: "refs/heads/main".into(),
            attempts: 5,
        }
    }

    #[test]
    fn forge_failures_exit_3_also_inside_a_promotion() {
        let direct = Error::from(contended());
        assert_eq!(direct.kind(), ErrorKind::Contended);
        let promoted = Error::from(PromoteError::Forge(contended()));
        assert_eq!(promoted.kind(), ErrorKind::Contended);
        let context = promoted.context("promoting dev to staging");
        assert_eq!(context.failure().exit_code(), 3);
    }

    #[test]
    fn bad_input_and_unknown_changes_exit_2() {
        let bare = Error::from(PromoteError::Bare);
        assert_eq!(bare.kind(), ErrorKind::BadInput);
        let unknown = Error::from(ForgeError::UnknownChange("dev-1234".into()));
        assert_eq!(unknown.kind(), ErrorKind::UnknownChange);
        assert_eq!(Error::usage("--env is required").kind(), ErrorKind::Usage);
    }

    /// An unknown environment is a usage error whichever binary and layer finds it.
    #[test]
    fn an_unknown_environment_is_a_usage_error_everywhere() {
        let config = std::path::PathBuf::from("ferry.toml");
        let known = vec!["dev".to_owned()];
        let unknown = |place: Option<std::path::PathBuf>| ferry_config::UnknownEnvironment {
            name: "qa".into(),
            place,
            known: known.clone(),
        };
        let promote = PromoteError::UnknownEnvironment(unknown(Some(config.clone())));
        let load = ferry_gitops::LoadError::UnknownEnvironment(unknown(Some(config)));
        let ledger = ferry_gitops::LedgerError::UnknownEnvironment(unknown(None));
        let deploy = ferry_gitops::deploy::DeployError::Ledger(
            ferry_gitops::LedgerError::UnknownEnvironment(unknown(None)),
        );
        for e in [
            Error::from(promote),
            Error::from(load),
            Error::from(ledger).context("reading the ledger"),
            Error::from(deploy),
        ] {
            assert_eq!(e.kind(), ErrorKind::Usage, "{e:?}");
        }
        let same = Error::from(PromoteError::SameEnvironment("dev".into()));
        assert_eq!(same.kind(), ErrorKind::Usage);
    }

    /// The kinds the error types declare ([`ferry_error::Classify`]), context or not.
    #[test]
    fn library_errors_declare_their_kinds() {
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
        let unknown = |place: Option<&str>| ferry_config::UnknownEnvironment {
            name: "qa".into(),
            place: place.map(Into::into),
            known: vec!["dev".to_owned()],
        };
        let unknown_env = [
            Error::from(PromoteError::UnknownEnvironment(unknown(Some(
                "ferry.toml",
            )))),
            Error::from(ferry_gitops::LoadError::UnknownEnvironment(unknown(Some(
                "ferry.toml",
            )))),
            Error::from(ferry_gitops::LedgerError::UnknownEnvironment(unknown(None)))
                .context("reading the ledger"),
            Error::from(ferry_gitops::deploy::DeployError::Ledger(
                ferry_gitops::LedgerError::UnknownEnvironment(unknown(None)),
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
        assert!(
            legacy
                .chain()
                .any(|cause| cause.downcast_ref::<PromoteError>().is_some())
        );
        assert_eq!(crate::report::error_chain(legacy.as_ref()), message);
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
