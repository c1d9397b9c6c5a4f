//! The registry client of `ferry-image`, `ferry-promote` and `ferry-build`: command-line
//! flags, `ferry.toml`'s `[registries."HOST"]` and the environment, in one place.
//!
//! Plain HTTP: the hosts given with `--plain-http`, those configured with `plain-http = true`,
//! and loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) unless configured with
//! `plain-http = false`. Credentials, per registry: the configured source (environment
//! variables named in `ferry.toml`, a docker `config.json`, a credential helper), else the
//! explicit flags, else docker's `config.json` (`--docker-config`, `$DOCKER_CONFIG/config.json`,
//! `~/.docker/config.json`).

use std::path::PathBuf;

use ferry_config::{Config, RegistryCredentials};
use ferry_image::registry::{
    ClientOptions, CredentialError, CredentialSource, Credentials, DockerConfig, RegistryClient,
    RetryPolicy,
};

/// What a binary's flags say about registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryFlags {
    /// `--plain-http` hosts.
    pub plain_http: Vec<String>,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// `--docker-config`.
    pub docker_config: Option<PathBuf>,
    /// Credentials for every registry without configured ones (`--token`, `--username`).
    pub explicit: Option<Credentials>,
    /// Retries; `None` keeps the client's default.
    pub retry: Option<RetryPolicy>,
}

/// Why the registry client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RegistrySetupError {
    /// An environment variable named in `ferry.toml` is not set.
    #[error(
        "{file}:{line}: registries.{registry:?}: the environment variable {var} is not set (it holds the registry's {what})"
    )]
    MissingVariable {
        /// The configuration file.
        file: String,
        /// The line of the registry's table.
        line: usize,
        /// The registry host.
        registry: String,
        /// The variable.
        var: String,
        /// `username`, `password` or `token`.
        what: &'static str,
    },
    /// A docker configuration could not be read.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// A configured docker configuration file does not exist.
    #[error("{file}:{line}: registries.{registry:?}: docker-config {} does not exist", path.display())]
    MissingDockerConfig {
        /// The configuration file.
        file: String,
        /// The line of the registry's table.
        line: usize,
        /// The registry host.
        registry: String,
        /// The path.
        path: PathBuf,
    },
}

/// Registry credentials that cannot be set up (exit 3).
impl ferry_error::Classify for RegistrySetupError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Credentials
    }
}

/// The credential flags of `ferry-image` (`--token`, `--username` with `--password-stdin` or
/// `FERRY_REGISTRY_PASSWORD`): credentials for every registry without configured ones.
#[derive(Debug, Clone, Default)]
pub struct CredentialFlags {
    /// A bearer token.
    pub token: Option<String>,
    /// A user name.
    pub username: Option<String>,
    /// The password of `username`.
    pub password: Option<String>,
    /// Read the password from stdin.
    pub password_stdin: bool,
}

impl CredentialFlags {
    /// The credentials the flags give, if any; flags that do not go together are a usage error.
    pub fn credentials(&self) -> crate::Result<Option<Credentials>> {
        use crate::Error;
        if self.token.is_some() && self.username.is_some() {
            return Err(Error::usage("--token and --username exclude each other"));
        }
        if let Some(token) = &self.token {
            return Ok(Some(Credentials::token(token.clone())));
        }
        if let Some(username) = &self.username {
            let password = if self.password_stdin {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    Error::usage(format!("cannot read the password from stdin: {e}"))
                })?;
                text.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                self.password.clone().ok_or_else(|| {
                    Error::usage("--username needs --password-stdin or FERRY_REGISTRY_PASSWORD")
                })?
            };
            return Ok(Some(Credentials::basic(username.clone(), password)));
        }
        if self.password_stdin || self.password.is_some() {
            return Err(Error::usage("a password needs --username"));
        }
        Ok(None)
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn default_docker_config() -> Option<PathBuf> {
    if let Some(dir) = crate::env::var_os(crate::env::DOCKER_CONFIG).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    crate::env::var_os(crate::env::HOME)
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// Credentials for every registry from the environment: `FERRY_REGISTRY_TOKEN`, else
/// `FERRY_REGISTRY_USERNAME` with `FERRY_REGISTRY_PASSWORD` (a username without a password is a
/// usage error); `None` when neither is set.
pub fn env_credentials() -> crate::Result<Option<Credentials>> {
    use crate::env::{FERRY_REGISTRY_PASSWORD, FERRY_REGISTRY_TOKEN, FERRY_REGISTRY_USERNAME};
    let var = |name: &str| crate::env::var(name).filter(|v| !v.is_empty());
    if let Some(token) = var(FERRY_REGISTRY_TOKEN) {
        return Ok(Some(Credentials::token(token)));
    }
    let Some(user) = var(FERRY_REGISTRY_USERNAME) else {
        return Ok(None);
    };
    let password = var(FERRY_REGISTRY_PASSWORD).ok_or_else(|| {
        crate::Error::usage("FERRY_REGISTRY_USERNAME needs FERRY_REGISTRY_PASSWORD")
    })?;
    Ok(Some(Credentials::basic(user, password)))
}

/// The configuration whose `[registries]` settings apply: `--config` when given, else the
/// nearest `ferry.toml` in the current directory or above, if any. A file that does not load is
/// bad usage (exit 2).
pub fn registry_config(explicit: Option<&std::path::Path>) -> crate::Result<Option<Config>> {
    let path = explicit.map(std::path::Path::to_path_buf).or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| Config::discover(&cwd))
    });
    path.map(|p| Config::load(&p))
        .transpose()
        .map_err(|e| crate::Error::usage(e.to_string()))
}

/// The registry client for these flags and, when there is one, this configuration.
pub fn client(
    flags: &RegistryFlags,
    config: Option<&Config>,
) -> Result<RegistryClient, RegistrySetupError> {
    let mut options = ClientOptions {
        plain_http: flags
            .plain_http
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        accept_invalid_certificates: flags.insecure,
        ..ClientOptions::default()
    };
    if let Some(retry) = &flags.retry {
        options.retry = retry.clone();
    }
    let mut credentials = match &flags.explicit {
        Some(c) => CredentialSource::anonymous().with_explicit(c.clone()),
        None => {
            let path = flags.docker_config.clone().or_else(default_docker_config);
            match path {
                Some(p) if p.is_file() || flags.docker_config.is_some() => {
                    CredentialSource::anonymous().with_docker_config(DockerConfig::load(&p)?)
                }
                _ => CredentialSource::anonymous(),
            }
        }
    };
    for registry in config.map(|c| c.registries.as_slice()).unwrap_or_default() {
        let host = registry.host.as_str();
        match registry.plain_http {
            Some(true) => options.plain_http.push(host.to_owned()),
            Some(false) => options.https.push(host.to_owned()),
            None => {}
        }
        let file = config
            .map(|c| c.path.display().to_string())
            .unwrap_or_default();
        let var = |var: &str, what: &'static str| {
            crate::env::var(var)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| RegistrySetupError::MissingVariable {
                    file: file.clone(),
                    line: registry.line,
                    registry: host.to_owned(),
                    var: var.to_owned(),
                    what,
                })
        };
        credentials = match &registry.credentials {
            RegistryCredentials::Env { username, password } => credentials.with_registry(
                host,
                Credentials::basic(var(username, "username")?, var(password, "password")?),
            ),
            RegistryCredentials::TokenEnv(name) => {
                credentials.with_registry(host, Credentials::token(var(name, "token")?))
            }
            RegistryCredentials::DockerConfig(path) => {
                if !path.is_file() {
                    return Err(RegistrySetupError::MissingDockerConfig {
                        file,
                        line: registry.line,
                        registry: host.to_owned(),
                        path: path.clone(),
                    });
                }
                credentials.with_registry_docker_config(host, DockerConfig::load(path)?)
            }
            RegistryCredentials::Helper(helper) => {
                credentials.with_registry_docker_config(host, DockerConfig::helper(host, helper))
            }
            _ => credentials,
        };
    }
    Ok(RegistryClient::new(options, credentials))
}
