//! The GitHub client Ferry's forge uses: commits through the API, pull requests, auto-merge,
//! commit statuses, deployments.
//!
//! [`GithubClient`] works on one repository. It talks REST to the API URL and GraphQL to the
//! GraphQL URL (both given, so tests and GitHub Enterprise Server work alike), authenticates with
//! a token or as a GitHub App ([`Credentials`]), and repeats requests that hit a rate limit or a
//! transient server error within the bounds of a [`RetryPolicy`].
//!
//! - Commits go through GraphQL `createCommitOnBranch` with `expectedHeadOid`: GitHub signs them
//!   (verified) and refuses them when the branch moved, which surfaces as
//!   [`GithubError::Conflict`] so the caller recomputes its edit from the new head.
//! - Pull requests: find, create, update, label, comment (list, create, update, delete), close, enable auto-merge (GraphQL
//!   `enablePullRequestAutoMerge`, which also enqueues into a merge queue), read the merge state.
//! - Commit statuses `ferry/verified/<env>` are the verification records in GitHub mode.
//!
//! Tokens, keys and JWTs never appear in `Debug` output, errors or logs.
//!
//! # Example
//!
//! A verification recorded as a commit status against a local stand-in for the GitHub API
//! (`examples/commit_status.rs`; `cargo run -p ferry-github --example commit_status`, and `cargo
//! test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/commit_status.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod auth;
mod deployments;
mod error;
mod fuzzing;
mod graphql;
mod rest;
mod retry;

use std::fmt;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;

pub use auth::{AppCredentials, Credentials, Secret};
pub use deployments::{
    Deployment, DeploymentState, DeploymentStatus, NewDeployment, NewDeploymentStatus,
};
pub use error::{AutoMergeRefusal, GithubError};
#[doc(hidden)]
pub use fuzzing::read_reply;
pub use graphql::{BranchCommit, CreatedCommit, FileAddition, MergeMethod, MergeOptions};
pub use rest::{
    BranchRef, CommentAuthor, CommitStatus, IssueComment, Label, MAX_COMMENT_PAGES, NewPullRequest,
    NewStatus, PullRequest, PullRequestUpdate, PullState, StatusState, verified_context,
};
pub use retry::RetryPolicy;

/// The public GitHub REST API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The public GitHub GraphQL endpoint.
pub const DEFAULT_GRAPHQL_URL: &str = "https://api.github.com/graphql";

/// Everything a [`GithubClient`] needs.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// REST base URL, e.g. `https://api.github.com` or `https://ghe.example/api/v3`
    /// (`GITHUB_API_URL` in Actions).
    pub api_url: String,
    /// GraphQL URL, e.g. `https://api.github.com/graphql` (`GITHUB_GRAPHQL_URL` in Actions).
    pub graphql_url: String,
    /// Owner (user or organisation) of the GitOps repository.
    pub owner: String,
    /// Name of the GitOps repository.
    pub repo: String,
    /// How to authenticate.
    pub credentials: Credentials,
    /// When to repeat failed requests.
    pub retry: RetryPolicy,
    /// Connect timeout of each request (`None`: no limit).
    pub connect_timeout: Option<Duration>,
    /// Read timeout of each request (`None`: no limit).
    pub read_timeout: Option<Duration>,
}

impl GithubConfig {
    /// A configuration for `owner/repo` on github.com with the default retry policy and
    /// timeouts of 10 s (connect) and 60 s (read).
    pub fn new(
        owner: impl Into<String>,
        repo: impl Into<String>,
        credentials: Credentials,
    ) -> Self {
        Self {
            api_url: DEFAULT_API_URL.to_owned(),
            graphql_url: DEFAULT_GRAPHQL_URL.to_owned(),
            owner: owner.into(),
            repo: repo.into(),
            credentials,
            retry: RetryPolicy::default(),
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(60)),
        }
    }

    /// The same configuration with other base URLs.
    pub fn with_urls(mut self, api_url: impl Into<String>, graphql_url: impl Into<String>) -> Self {
        self.api_url = api_url.into();
        self.graphql_url = graphql_url.into();
        self
    }
}

/// A GitHub client for one repository.
pub struct GithubClient {
    http: octocrab::Octocrab,
    api: String,
    graphql: String,
    owner: String,
    repo: String,
    auth: Auth,
    retry: RetryPolicy,
}

enum Auth {
    Token(Secret),
    App {
        app: AppCredentials,
        state: Mutex<Installation>,
    },
}

#[derive(Default)]
struct Installation {
    id: Option<u64>,
    token: Option<(Secret, Option<jiff::Timestamp>)>,
}

impl fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::Token(_) => "token",
            Auth::App { .. } => "github-app",
        };
        f.debug_struct("GithubClient")
            .field("api", &self.api)
            .field("graphql", &self.graphql)
            .field("repository", &format_args!("{}/{}", self.owner, self.repo))
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer, read whole.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl GithubClient {
    /// A client for the repository of `config`.
    ///
    /// Must be called inside a Tokio runtime (the HTTP stack spawns a worker task).
    pub fn new(config: GithubConfig) -> Result<Self, GithubError> {
        let api = base_url(&config.api_url, "API")?;
        let graphql = base_url(&config.graphql_url, "GraphQL")?;
        if config.owner.is_empty() || config.repo.is_empty() {
            return Err(GithubError::Config(
                "the repository owner and name must not be empty".into(),
            ));
        }
        let origin = origin(&api)?;
        let http = octocrab::Octocrab::builder()
            .base_uri(origin.as_str())
            .map_err(|e| GithubError::Config(format!("API URL `{api}`: {e}")))?
            .set_connect_timeout(config.connect_timeout)
            .set_read_timeout(config.read_timeout)
            .build()
            .map_err(|e| GithubError::Config(format!("cannot build the HTTP client: {e}")))?;
        let auth = match config.credentials {
            Credentials::Token(token) => {
                ferry_redact::register(token.expose());
                Auth::Token(token)
            }
            Credentials::App(app) => Auth::App {
                state: Mutex::new(Installation {
                    id: app.installation_id,
                    token: None,
                }),
                app,
            },
        };
        Ok(Self {
            http,
            api,
            graphql,
            owner: config.owner,
            repo: config.repo,
            auth,
            retry: config.retry,
        })
    }

    /// `owner/name` of the repository.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// The token requests are made with: the configured token, or for a GitHub App an
    /// installation token for this repository (fetched on first use, renewed a minute before
    /// it expires). Useful for `git` over HTTPS.
    pub async fn token(&self) -> Result<Secret, GithubError> {
        let (app, state) = match &self.auth {
            Auth::Token(token) => return Ok(token.clone()),
            Auth::App { app, state } => (app, state),
        };
        let mut state = state.lock().await;
        if let Some((token, expires)) = &state.token {
            let fresh = expires.is_none_or(|at| {
                at.duration_since(jiff::Timestamp::now()) > jiff::SignedDuration::from_secs(60)
            });
            if fresh {
                return Ok(token.clone());
            }
        }
        let jwt = app.jwt()?;
        ferry_redact::register(jwt.expose());
        let id = match state.id {
            Some(id) => id,
            None => {
                #[derive(serde::Deserialize)]
                struct Found {
                    id: u64,
                }
                let path = format!("/repos/{}/{}/installation", self.owner, self.repo);
                let reply = self.send(Method::GET, &path, None, &jwt).await?;
                let reply = ok(reply, &Method::GET, &path).map_err(|e| match e {
                    GithubError::Api {
                        method,
                        path,
                        status: 404,
                        message,
                    } => GithubError::Api {
                        message: format!(
                            "{message} (is GitHub App {} installed on {}?)",
                            app.app_id,
                            self.repository()
                        ),
                        method,
                        path,
                        status: 404,
                    },
                    other => other,
                })?;
                let found: Found = decode(reply, &path)?;
                found.id
            }
        };
        state.id = Some(id);
        #[derive(serde::Deserialize)]
        struct Minted {
            token: String,
            expires_at: Option<String>,
        }
        let path = format!("/app/installations/{id}/access_tokens");
        let body = serde_json::json!({ "repositories": [self.repo] });
        let reply = self.send(Method::POST, &path, Some(&body), &jwt).await?;
        let minted: Minted = decode(ok(reply, &Method::POST, &path)?, &path)?;
        let expires = minted.expires_at.as_deref().and_then(|t| t.parse().ok());
        ferry_redact::register(&minted.token);
        let token = Secret::new(minted.token);
        state.token = Some((token.clone(), expires));
        tracing::debug!(installation = id, "minted a GitHub App installation token");
        Ok(token)
    }

    /// A REST request to `path` (below the API URL); non-2xx answers become errors.
    pub(crate) async fn rest(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, GithubError> {
        let reply = self.rest_raw(method.clone(), path, body).await?;
        ok(reply, &method, path)
    }

    /// A REST request to `path`, whatever its final status.
    pub(crate) async fn rest_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, GithubError> {
        let url = format!("{}{}", self.api, path);
        self.authed(method, &url, path, body).await
    }

    /// A GraphQL request; its `data` and `errors` (an error status is an error).
    pub(crate) async fn graphql(
        &self,
        operation: &str,
        query: &str,
        variables: Value,
    ) -> Result<graphql::Response, GithubError> {
        let payload = serde_json::json!({ "query": query, "variables": variables });
        let reply = self
            .authed(Method::POST, &self.graphql, operation, Some(&payload))
            .await?;
        let reply = ok(reply, &Method::POST, operation)?;
        let mut response: graphql::Response = decode(reply, operation)?;
        for error in &mut response.errors {
            error.message = ferry_redact::scrub(&error.message);
        }
        Ok(response)
    }

    /// Sends a request with the client's token. A GitHub App whose installation token is
    /// refused (401, e.g. revoked early) mints a new one and sends the request once more.
    async fn authed(
        &self,
        method: Method,
        url: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, GithubError> {
        let token = self.token().await?;
        let reply = self
            .execute(method.clone(), url, path, body, &token)
            .await?;
        if reply.status != StatusCode::UNAUTHORIZED || !self.forget_token(&token).await {
            return Ok(reply);
        }
        tracing::debug!(%method, path, "installation token refused; minting a new one");
        let token = self.token().await?;
        self.execute(method, url, path, body, &token).await
    }

    /// Drops a cached installation token that GitHub refused; `false` for plain tokens.
    async fn forget_token(&self, refused: &Secret) -> bool {
        let Auth::App { state, .. } = &self.auth else {
            return false;
        };
        let mut state = state.lock().await;
        if state.token.as_ref().is_some_and(|(t, _)| t == refused) {
            state.token = None;
        }
        true
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: &Secret,
    ) -> Result<Reply, GithubError> {
        let url = format!("{}{}", self.api, path);
        self.execute(method, &url, path, body, token).await
    }

    /// Sends a request, repeating it as the retry policy allows.
    async fn execute(
        &self,
        method: Method,
        url: &str,
        path: &str,
        body: Option<&Value>,
        token: &Secret,
    ) -> Result<Reply, GithubError> {
        let path = path.split('?').next().unwrap_or(path);
        let started = tokio::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (delay, failure) = match self.send_once(&method, url, body, token).await {
                Ok(reply) => {
                    let now = jiff::Timestamp::now().as_second();
                    let verdict = retry::retry_delay(
                        &self.retry,
                        attempt,
                        reply.status,
                        &reply.headers,
                        &reply.body,
                        now,
                    );
                    match verdict {
                        None => return Ok(reply),
                        Some((delay, reason)) => (delay, Failure::Reply(reply, reason)),
                    }
                }
                Err(message) if method.is_idempotent() => {
                    (self.retry.backoff(attempt), Failure::Transport(message))
                }
                Err(message) => {
                    return Err(GithubError::Transport {
                        method: method.to_string(),
                        path: path.to_owned(),
                        message,
                    });
                }
            };
            let spent = started.elapsed();
            if attempt >= self.retry.max_attempts || spent + delay > self.retry.max_elapsed {
                return match failure {
                    Failure::Reply(reply, retry::RetryReason::RateLimit) => {
                        Err(GithubError::RateLimited {
                            method: method.to_string(),
                            path: path.to_owned(),
                            attempts: attempt,
                            retry_after: retry::asked_wait(&reply.headers).or(Some(delay)),
                        })
                    }
                    Failure::Reply(reply, retry::RetryReason::Server) => Ok(reply),
                    Failure::Transport(message) => Err(GithubError::Transport {
                        method: method.to_string(),
                        path: path.to_owned(),
                        message,
                    }),
                };
            }
            let what = match &failure {
                Failure::Reply(reply, _) => reply.status.to_string(),
                Failure::Transport(message) => message.clone(),
            };
            tracing::warn!(
                %method,
                path,
                attempt,
                wait_ms = delay.as_millis() as u64,
                "GitHub request failed ({what}); retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
        token: &Secret,
    ) -> Result<Reply, String> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| "the token contains characters not allowed in a header".to_owned())?;
        authorization.set_sensitive(true);
        let builder = http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header(ACCEPT, "application/vnd.github+json")
            .header(AUTHORIZATION, authorization);
        let request = self
            .http
            .build_request(builder, body)
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| transport_message(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self
            .http
            .body_to_string(response)
            .await
            .map_err(|e| transport_message(&e))?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

enum Failure {
    Reply(Reply, retry::RetryReason),
    Transport(String),
}

/// The message of a transport error with its causes.
fn transport_message(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    ferry_redact::scrub(&message)
}

/// Turns a non-2xx answer into [`GithubError::Api`].
pub(crate) fn ok(reply: Reply, method: &Method, path: &str) -> Result<Reply, GithubError> {
    if reply.status.is_success() {
        return Ok(reply);
    }
    Err(GithubError::Api {
        method: method.to_string(),
        path: path.split('?').next().unwrap_or(path).to_owned(),
        status: reply.status.as_u16(),
        message: error_message(&reply.body),
    })
}

/// The `message` of a GitHub error body, with the validation errors appended, scrubbed of
/// every secret ([`ferry_redact::scrub`]): a server may echo the request's `Authorization`.
pub(crate) fn error_message(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        // Scrubbed whole before it is cut, so no secret is cut into an unrecognisable part.
        let scrubbed = ferry_redact::scrub(body);
        let trimmed = scrubbed.trim();
        return if trimmed.is_empty() {
            "(empty body)".to_owned()
        } else {
            trimmed.chars().take(300).collect()
        };
    };
    ferry_redact::scrub(&json_error_message(&value))
}

/// [`error_message`] of a JSON body.
fn json_error_message(value: &Value) -> String {
    let mut message = value
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)")
        .to_owned();
    let details: Vec<String> = value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| match e {
            Value::String(s) => s.clone(),
            _ => {
                let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("");
                let text = field("message");
                if !text.is_empty() {
                    text.to_owned()
                } else {
                    [field("resource"), field("field"), field("code")]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            }
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !details.is_empty() {
        message.push_str(" (");
        message.push_str(&details.join("; "));
        message.push(')');
    }
    message
}

/// Parses a JSON body.
pub(crate) fn decode<T: DeserializeOwned>(reply: Reply, what: &str) -> Result<T, GithubError> {
    serde_json::from_str(&reply.body).map_err(|e| GithubError::Decode {
        what: what.to_owned(),
        message: ferry_redact::scrub(&e.to_string()),
    })
}

fn base_url(url: &str, what: &str) -> Result<String, GithubError> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| GithubError::Config(format!("{what} URL `{trimmed}`: {e}")))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(GithubError::Config(format!(
            "{what} URL `{trimmed}` must be absolute (http:// or https://)"
        )));
    }
    if uri.query().is_some() {
        return Err(GithubError::Config(format!(
            "{what} URL `{trimmed}` must not have a query"
        )));
    }
    Ok(trimmed.to_owned())
}

fn origin(url: &str) -> Result<String, GithubError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| GithubError::Config(format!("URL `{url}`: {e}")))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok(format!("{scheme}://{authority}")),
        _ => Err(GithubError::Config(format!("URL `{url}` must be absolute"))),
    }
}

/// Percent-encodes a query value or a path part; `/` is kept when `keep_slash`.
pub(crate) fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/');
        if plain {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
