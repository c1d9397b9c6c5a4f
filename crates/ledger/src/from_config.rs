//! The GitOps repository and the ledger a `ferry.toml` describes: the one place where
//! [`ferry_config::Config`] environments become [`EnvironmentSpec`]s.
//!
//! Overlay paths in `ferry.toml` are relative to the file's directory; the ledger wants them
//! relative to the repository top. [`load_ledger`] opens the repository holding the config file
//! (or the one the caller names), turns each overlay into a repository path, resolves the base
//! branch and builds the ledger.

use std::path::{Path, PathBuf};

use ferry_config::{Config, UnknownEnvironment};
use ferry_git::{GitError, Repo};

use crate::ledger::{EnvironmentSpec, Ledger, LedgerError, LedgerOptions, build_ledger_with};

/// What [`load_ledger`] should read.
#[derive(Debug, Clone, Default)]
pub struct LoadRequest {
    /// A directory of the GitOps repository (default: the one holding the config file). When
    /// the config file lies outside it, overlay paths are taken relative to the repository top.
    pub repo: Option<PathBuf>,
    /// The base branch or any revision (default: `[forge] base-branch` of the config;
    /// `origin/<branch>` is used when there is no local branch).
    pub base: Option<String>,
    /// Only this environment (default: every configured one).
    pub only: Option<String>,
    /// Ledger options.
    pub options: LedgerOptions,
}

/// The repository and the ledger of the requested environments.
#[derive(Debug)]
pub struct Loaded {
    /// The GitOps repository.
    pub repo: Repo,
    /// The ledger, environments in config order.
    pub ledger: Ledger,
}

/// Why the repository or the ledger a config describes cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The requested environment is not configured.
    #[error(transparent)]
    UnknownEnvironment(#[from] UnknownEnvironment),
    /// The repository has no working tree, so overlay paths cannot be placed in it.
    #[error("{} is in a bare repository; run from a clone", config.display())]
    Bare {
        /// The config file.
        config: PathBuf,
    },
    /// A directory cannot be read.
    #[error("cannot open {}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config directory is not inside the repository's working tree.
    #[error("{} is not inside the git working tree {}", dir.display(), workdir.display())]
    OutsideWorktree {
        /// The config directory.
        dir: PathBuf,
        /// The working tree.
        workdir: PathBuf,
    },
    /// The base branch does not resolve.
    #[error("cannot find the base branch `{name}`")]
    Base {
        /// The branch or revision asked for.
        name: String,
        /// Why it does not resolve.
        #[source]
        source: GitError,
    },
    /// Git failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The ledger cannot be built.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// An unknown environment is a usage error, as everywhere; anything else that keeps the
/// configuration from loading is bad input.
impl ferry_error::Classify for LoadError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            LoadError::UnknownEnvironment(_)
            | LoadError::Ledger(LedgerError::UnknownEnvironment(_)) => ErrorKind::Usage,
            _ => ErrorKind::BadInput,
        }
    }
}

/// How `config` says overlays are resolved (`[kustomize]`): every binary that resolves an
/// overlay passes these options.
pub fn resolve_options(config: &Config) -> ferry_kustomize::ResolveOptions {
    ferry_kustomize::ResolveOptions {
        load_restrictor: match config.kustomize.load_restrictor {
            ferry_config::LoadRestrictor::RootOnly => ferry_kustomize::LoadRestrictor::RootOnly,
            ferry_config::LoadRestrictor::None => ferry_kustomize::LoadRestrictor::None,
        },
    }
}

/// Opens the GitOps repository `config` describes and builds the ledger `request` asks for,
/// resolving overlays as `config` says ([`resolve_options`]).
pub fn load_ledger(config: &Config, request: &LoadRequest) -> Result<Loaded, LoadError> {
    if let Some(name) = &request.only {
        config.require_environment(name)?;
    }
    let repo = Repo::discover(request.repo.as_deref().unwrap_or(&canonical(&config.root)?))?;
    let specs: Vec<EnvironmentSpec> = environment_specs(config, &repo, request.repo.is_some())?
        .into_iter()
        .filter(|e| request.only.as_ref().is_none_or(|n| *n == e.name))
        .collect();
    let base_name = request
        .base
        .clone()
        .unwrap_or_else(|| config.forge.base_branch.clone());
    let base = repo.resolve(&base_name).map_err(|source| LoadError::Base {
        name: base_name,
        source,
    })?;
    let options = request
        .options
        .clone()
        .with_resolve(resolve_options(config));
    let ledger = build_ledger_with(&repo, base, &specs, &options)?;
    Ok(Loaded { repo, ledger })
}

/// Every environment of `config` with its overlay as a repository path of `repo` (ferry.toml's
/// paths are relative to its own directory). When the config lies outside the repository's
/// working tree, that is an error, unless `repo_given` (the caller named the repository): then
/// the paths are taken relative to the repository top.
pub fn environment_specs(
    config: &Config,
    repo: &Repo,
    repo_given: bool,
) -> Result<Vec<EnvironmentSpec>, LoadError> {
    let root = canonical(&config.root)?;
    let workdir = repo.workdir().ok_or_else(|| LoadError::Bare {
        config: config.path.clone(),
    })?;
    let workdir = canonical(workdir)?;
    let prefix = match root.strip_prefix(&workdir) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) if repo_given => String::new(),
        Err(_) => return Err(LoadError::OutsideWorktree { dir: root, workdir }),
    };
    Ok(config
        .environments()
        .iter()
        .map(|e| EnvironmentSpec {
            name: e.name.clone(),
            overlay: join_repo_path(&prefix, &e.overlay.to_string_lossy()),
        })
        .collect())
}

fn canonical(path: &Path) -> Result<PathBuf, LoadError> {
    path.canonicalize().map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn join_repo_path(prefix: &str, rel: &str) -> String {
    let rel = rel.replace('\\', "/");
    if prefix.is_empty() {
        rel
    } else {
        format!("{prefix}/{rel}")
    }
}
