//! `[registries."HOST"]`: how Ferry reaches each container registry (plain HTTP, credentials).

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Diagnostic, Source};

/// One registry's settings (`[registries."HOST"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registry {
    /// The registry host with its port, lowercased, as in image references
    /// (`registry.example.com`, `localhost:5000`).
    pub host: String,
    /// `Some(true)`: plain HTTP; `Some(false)`: HTTPS; `None`: the default (plain HTTP for
    /// loopback hosts, as Docker does, HTTPS for every other).
    pub plain_http: Option<bool>,
    /// Where the credentials come from.
    pub credentials: RegistryCredentials,
    /// 1-based line of the table, for messages.
    pub line: usize,
}

/// Where a registry's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RegistryCredentials {
    /// The default: explicit credentials given to the binary, else docker's `config.json`.
    #[default]
    Default,
    /// A username and password read from these environment variables.
    Env {
        /// The variable holding the username.
        username: String,
        /// The variable holding the password.
        password: String,
    },
    /// A bearer token read from this environment variable.
    TokenEnv(String),
    /// This docker `config.json` (resolved against the directory of `ferry.toml`).
    DockerConfig(PathBuf),
    /// The docker credential helper `docker-credential-<NAME>`.
    Helper(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawRegistry {
    pub plain_http: Option<bool>,
    pub username_env: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub docker_config: Option<Spanned<String>>,
    pub credential_helper: Option<Spanned<String>>,
}

/// Checks the `[registries]` entries; `root` is the directory of `ferry.toml`.
pub(crate) fn check(
    src: &Source<'_>,
    root: &std::path::Path,
    entries: Vec<(Spanned<String>, Spanned<RawRegistry>)>,
) -> Result<Vec<Registry>, Diagnostic> {
    let mut out: Vec<Registry> = Vec::new();
    for (key, raw) in entries {
        let field = format!("registries.{:?}", key.get_ref());
        let at = key.span().start;
        let host = key.get_ref().to_ascii_lowercase();
        if !is_host(&host) {
            return Err(src.at(
                at,
                Some(field),
                format!(
                    "invalid registry {:?}: give the host with an optional port, as in image references (e.g. \"registry.example.com\", \"localhost:5000\")",
                    key.get_ref()
                ),
            ));
        }
        if out.iter().any(|r| r.host == host) {
            return Err(src.at(
                at,
                Some(field),
                format!("registry {host:?} is configured twice"),
            ));
        }
        let line = src.at(raw.span().start, None, "").line;
        let raw = raw.into_inner();
        let env_name = |v: &Spanned<String>, key: &str| -> Result<String, Diagnostic> {
            if is_env_name(v.get_ref()) {
                Ok(v.get_ref().clone())
            } else {
                Err(src.at(
                    v.span().start,
                    Some(format!("{field}.{key}")),
                    format!(
                        "invalid environment variable name {:?}: letters, digits and `_`, not starting with a digit (the name, never the secret itself)",
                        v.get_ref()
                    ),
                ))
            }
        };
        let mut sources = Vec::new();
        if let Some(v) = &raw.username_env {
            let Some(p) = &raw.password_env else {
                return Err(src.at(
                    v.span().start,
                    Some(format!("{field}.username-env")),
                    "username-env needs password-env",
                ));
            };
            sources.push((
                v.span().start,
                RegistryCredentials::Env {
                    username: env_name(v, "username-env")?,
                    password: env_name(p, "password-env")?,
                },
            ));
        } else if let Some(p) = &raw.password_env {
            return Err(src.at(
                p.span().start,
                Some(format!("{field}.password-env")),
                "password-env needs username-env",
            ));
        }
        if let Some(v) = &raw.token_env {
            sources.push((
                v.span().start,
                RegistryCredentials::TokenEnv(env_name(v, "token-env")?),
            ));
        }
        if let Some(v) = &raw.docker_config {
            if v.get_ref().trim().is_empty() {
                return Err(src.at(
                    v.span().start,
                    Some(format!("{field}.docker-config")),
                    "the docker config path is empty",
                ));
            }
            sources.push((
                v.span().start,
                RegistryCredentials::DockerConfig(root.join(v.get_ref())),
            ));
        }
        if let Some(v) = &raw.credential_helper {
            let name = v.get_ref();
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(src.at(
                    v.span().start,
                    Some(format!("{field}.credential-helper")),
                    format!(
                        "invalid credential helper {name:?}: give NAME of the program docker-credential-NAME (e.g. \"ecr-login\")"
                    ),
                ));
            }
            sources.push((v.span().start, RegistryCredentials::Helper(name.clone())));
        }
        if sources.len() > 1 {
            return Err(src.at(
                sources[1].0,
                Some(field),
                "give one source of credentials: username-env with password-env, token-env, docker-config or credential-helper",
            ));
        }
        out.push(Registry {
            host,
            plain_http: raw.plain_http,
            credentials: sources.pop().map(|(_, c)| c).unwrap_or_default(),
            line,
        });
    }
    Ok(out)
}

/// `host[:port]` as image references spell a registry (`[::1]:5000` included).
fn is_host(s: &str) -> bool {
    let (host, port) = match s.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, port)) => (
                ip,
                port.strip_prefix(':').or((port.is_empty()).then_some("")),
            ),
            None => return false,
        },
        None => match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, Some("")),
        },
    };
    let Some(port) = port else { return false };
    let port_ok = port.is_empty() || (port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit()));
    let host_ok = if s.starts_with('[') {
        !host.is_empty() && host.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
    } else {
        !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    host_ok && port_ok
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "localhost:5000",
            "registry.example.com",
            "[::1]:5000",
            "127.0.0.1:5055",
            "[::1]",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in ["", "http://x", "a/b", "x:port", "-a.b", "[::1", "a b"] {
            assert!(!is_host(bad), "{bad}");
        }
        assert!(is_env_name("FERRY_TOKEN") && !is_env_name("1X") && !is_env_name("A-B"));
    }
}
