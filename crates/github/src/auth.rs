//! Credentials: a token, or a GitHub App exchanged for an installation token.

use std::fmt;
use std::sync::Arc;

use octocrab::EncodingKey;

use super::GithubError;

/// A secret string (a token) that never shows in `Debug` output and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Arc::from(secret.into()))
    }

    /// The secret itself; only for putting it into a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Credentials {
    /// A token used as is: `GITHUB_TOKEN`, a personal access token, an installation token.
    ///
    /// Pull requests opened with the `GITHUB_TOKEN` of a workflow trigger no workflows, so their
    /// required checks never run; prefer [`Credentials::App`] for changes that must be checked.
    Token(Secret),
    /// A GitHub App: a JWT signed with the App's private key is exchanged for an installation
    /// token scoped to the repository. Pull requests by an App trigger workflows like a user's.
    App(AppCredentials),
}

impl Credentials {
    /// Token credentials.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token(Secret::new(token))
    }

    /// GitHub App credentials from the App id and its RSA private key in PEM form.
    ///
    /// The installation is looked up for the client's repository unless
    /// [`AppCredentials::installation_id`] is set.
    pub fn app(app_id: u64, private_key_pem: &[u8]) -> Result<Self, GithubError> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(|e| {
            GithubError::Config(format!(
                "the GitHub App private key is not an RSA key in PEM form ({:?})",
                e.kind()
            ))
        })?;
        Ok(Self::App(AppCredentials {
            app_id,
            key,
            installation_id: None,
        }))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(***)"),
            Self::App(app) => app.fmt(f),
        }
    }
}

/// A GitHub App's id, private key and (optionally) installation.
#[derive(Clone)]
pub struct AppCredentials {
    /// The App id (a number, not the client id).
    pub app_id: u64,
    key: EncodingKey,
    /// The installation to use; `None` looks it up for the repository.
    pub installation_id: Option<u64>,
}

impl AppCredentials {
    /// A JWT for the App, valid for a few minutes.
    pub(crate) fn jwt(&self) -> Result<Secret, GithubError> {
        octocrab::auth::create_jwt(octocrab::models::AppId(self.app_id), &self.key)
            .map(Secret::new)
            .map_err(|e| {
                GithubError::Config(format!("cannot sign the GitHub App JWT ({:?})", e.kind()))
            })
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("key", &"***")
            .field("installation_id", &self.installation_id)
            .finish()
    }
}
