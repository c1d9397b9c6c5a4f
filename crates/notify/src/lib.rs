//! Notifications: a Slack incoming-webhook message and a GitHub deployment status for each
//! outcome (promoted, verified, rolled back, escalated).
//!
//! Every text is built from what actually happened: a rollback says "reverted in Git" only when
//! the revert is on the base branch, "revert opened" while it waits for a merge, and "revert
//! FAILED" with the error otherwise; each cluster action and the hold are listed with their own
//! result.
//!
//! The results of a rollback's steps ([`StepResult`]) come from `ferry-rollback`, which builds
//! them from its actions and the Rollouts client.
//!
//! # Example
//!
//! A rollback whose revert waits for review, told to a local Slack stand-in
//! (`examples/rolled_back.rs`; `cargo run -p ferry-notify --example rolled_back`, and `cargo test`
//! runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/rolled_back.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_github::{
    DeploymentState, GithubClient, GithubError, NewDeployment, NewDeploymentStatus,
};
use serde::Serialize;
use serde_json::{Value, json};

/// What happened to one step of a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum StepResult {
    /// Done.
    Done {
        /// What was done, e.g. `merged as 1a2b3c4d5e6f`.
        detail: String,
    },
    /// Started but not finished (a revert waiting for review or auto-merge).
    Pending {
        /// What is pending, e.g. `pull request #43 waits for review`.
        detail: String,
    },
    /// Failed.
    Failed {
        /// The error.
        error: String,
    },
    /// Not attempted (not asked for, or skipped by a dry run).
    Skipped {
        /// Why.
        why: String,
    },
}

impl StepResult {
    fn line(&self, what: &str) -> String {
        match self {
            StepResult::Done { detail } => format!("✅ {what}: {detail}"),
            StepResult::Pending { detail } => format!("⏳ {what}: {detail}"),
            StepResult::Failed { error } => format!("❌ {what} FAILED: {error}"),
            StepResult::Skipped { why } => format!("➖ {what} not done: {why}"),
        }
    }

    /// Whether the step is done.
    pub fn is_done(&self) -> bool {
        matches!(self, StepResult::Done { .. })
    }
}

/// One outcome to tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// A change was merged into the environment.
    Promoted {
        /// Environment.
        env: String,
        /// The commit on the base branch (hex).
        commit: String,
        /// The images, by `workload/container`.
        images: BTreeMap<String, String>,
        /// Link to the change.
        url: Option<String>,
    },
    /// The deployment passed the monitor and was marked verified.
    Verified {
        /// Environment.
        env: String,
        /// The deployment commit (hex).
        commit: String,
        /// The images.
        images: BTreeMap<String, String>,
        /// The monitor's reason.
        reason: String,
    },
    /// A rollback was carried out (or attempted): every step with its own result.
    RolledBack {
        /// Environment.
        env: String,
        /// The failed deployment (hex).
        failed_commit: String,
        /// The images it ran.
        failed_images: BTreeMap<String, String>,
        /// The verified images rolled back to.
        target_images: BTreeMap<String, String>,
        /// The policy's reason.
        reason: String,
        /// The Git revert.
        git: StepResult,
        /// Cluster actions, by Rollout name (abort, undo...).
        cluster: Vec<(String, StepResult)>,
        /// The hold of the failed set.
        hold: StepResult,
    },
    /// A person must decide.
    Escalated {
        /// Environment.
        env: String,
        /// The deployment concerned (hex).
        commit: String,
        /// Why.
        reason: String,
    },
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn image_list(images: &BTreeMap<String, String>) -> String {
    let mut list: Vec<&str> = images.values().map(String::as_str).collect();
    list.sort_unstable();
    list.dedup();
    list.join(", ")
}

impl Outcome {
    /// The environment.
    pub fn env(&self) -> &str {
        match self {
            Outcome::Promoted { env, .. }
            | Outcome::Verified { env, .. }
            | Outcome::RolledBack { env, .. }
            | Outcome::Escalated { env, .. } => env,
        }
    }

    /// The headline: one line that is true of what happened.
    pub fn headline(&self) -> String {
        match self {
            Outcome::Promoted { env, images, .. } => {
                format!("{env}: promoted {}", image_list(images))
            }
            Outcome::Verified { env, images, .. } => {
                format!("{env}: verified healthy: {}", image_list(images))
            }
            Outcome::RolledBack {
                env,
                git,
                cluster,
                target_images,
                ..
            } => {
                let cluster_ok = !cluster.is_empty() && cluster.iter().all(|(_, r)| r.is_done());
                let cluster_failed = cluster
                    .iter()
                    .any(|(_, r)| matches!(r, StepResult::Failed { .. }));
                let to = image_list(target_images);
                match (git, cluster_ok) {
                    (StepResult::Done { .. }, _) if !cluster_failed => {
                        format!("{env}: reverted in Git to {to}")
                    }
                    (StepResult::Done { .. }, _) => {
                        format!("{env}: reverted in Git to {to}, but a cluster action failed")
                    }
                    (StepResult::Pending { .. }, _) => {
                        format!("{env}: rollback to {to} opened in Git, not merged yet")
                    }
                    (StepResult::Failed { .. }, true) => format!(
                        "{env}: rolled back in the cluster to {to}, but the Git revert FAILED (Argo CD may re-apply the bad version)"
                    ),
                    (StepResult::Failed { .. }, false) => {
                        format!("{env}: rollback to {to} FAILED")
                    }
                    (StepResult::Skipped { .. }, true) => {
                        format!("{env}: rolled back in the cluster to {to}; Git not reverted")
                    }
                    (StepResult::Skipped { .. }, false) => {
                        format!("{env}: rollback to {to} decided; nothing carried out")
                    }
                }
            }
            Outcome::Escalated { env, .. } => format!("{env}: unhealthy, needs a person"),
        }
    }

    /// The detail lines under the headline.
    pub fn details(&self) -> Vec<String> {
        match self {
            Outcome::Promoted { commit, url, .. } => {
                let mut lines = vec![format!("commit {}", short(commit))];
                lines.extend(url.iter().map(|u| format!("change: {u}")));
                lines
            }
            Outcome::Verified { commit, reason, .. } => {
                vec![format!("commit {}", short(commit)), reason.clone()]
            }
            Outcome::RolledBack {
                failed_commit,
                failed_images,
                reason,
                git,
                cluster,
                hold,
                ..
            } => {
                let mut lines = vec![
                    reason.clone(),
                    format!(
                        "failed: {} at {}",
                        image_list(failed_images),
                        short(failed_commit)
                    ),
                    git.line("Git revert"),
                ];
                for (name, result) in cluster {
                    lines.push(result.line(&format!("Rollout {name}")));
                }
                lines.push(hold.line("hold of the failed set"));
                lines
            }
            Outcome::Escalated { commit, reason, .. } => {
                vec![format!("commit {}", short(commit)), reason.clone()]
            }
        }
    }

    /// The whole text: headline and details, one per line.
    pub fn text(&self) -> String {
        let mut text = self.headline();
        for line in self.details() {
            text.push('\n');
            text.push_str(&line);
        }
        text
    }

    /// The Slack incoming-webhook payload.
    pub fn slack_payload(&self) -> Value {
        let details = self.details().join("\n");
        json!({
            "text": self.headline(),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*", self.headline())}},
                {"type": "section", "text": {"type": "mrkdwn", "text": details}},
            ],
        })
    }

    /// The GitHub deployment and status for this outcome: (commit, task, state, description).
    /// Promoted: `in_progress`; verified: `success`; rolled back: `failure` on the failed
    /// deployment; escalated: `error`.
    pub fn deployment(&self) -> (&str, &'static str, DeploymentState, String) {
        match self {
            Outcome::Promoted { commit, .. } => (
                commit,
                "deploy",
                DeploymentState::InProgress,
                self.headline(),
            ),
            Outcome::Verified { commit, .. } => {
                (commit, "deploy", DeploymentState::Success, self.headline())
            }
            Outcome::RolledBack { failed_commit, .. } => (
                failed_commit,
                "deploy",
                DeploymentState::Failure,
                self.headline(),
            ),
            Outcome::Escalated { commit, reason, .. } => {
                (commit, "deploy", DeploymentState::Error, reason.clone())
            }
        }
    }
}

/// Why a notification could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The Slack webhook could not be reached or refused the message.
    #[error("Slack webhook: {0}")]
    Slack(String),
    /// GitHub refused.
    #[error(transparent)]
    Github(#[from] GithubError),
}

/// Slack not answering or refusing is `unavailable`; GitHub's refusal keeps its kind (exit 3).
impl ferry_error::Classify for NotifyError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            NotifyError::Slack(_) => ferry_error::ErrorKind::Unavailable,
            NotifyError::Github(e) => ferry_error::Classify::error_kind(e),
        }
    }
}

/// A Slack incoming webhook.
#[derive(Clone)]
pub struct Slack {
    url: String,
    http: reqwest::Client,
    attempts: u32,
    delay: Duration,
}

/// The longest `Retry-After` [`Slack::send`] waits for before trying again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The webhook URL is a secret.
        f.debug_struct("Slack").field("url", &"<redacted>").finish()
    }
}

impl Slack {
    /// A webhook at `url` (`https://hooks.slack.com/services/...`, or a local server in tests),
    /// with a 10 s timeout per request and 3 attempts, 1 s apart then doubling.
    pub fn new(url: impl Into<String>) -> Result<Self, NotifyError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| NotifyError::Slack(format!("cannot build the HTTP client: {e}")))?;
        Ok(Slack {
            url: url.into(),
            http,
            attempts: 3,
            delay: Duration::from_secs(1),
        })
    }

    /// Makes at most `attempts` attempts (at least one), the first retry after `delay`,
    /// doubling after that.
    pub fn with_retries(mut self, attempts: u32, delay: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.delay = delay;
        self
    }

    /// Posts `outcome`. Slack answers `200 ok`; anything else is an error carrying Slack's
    /// answer (never the URL, which is a secret). A webhook that cannot be reached, rate limits
    /// (429, waiting for its `Retry-After`, at most 30 s) or fails (5xx) is tried again; other
    /// answers are final.
    pub async fn send(&self, outcome: &Outcome) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&outcome.slack_payload())
            .map_err(|e| NotifyError::Slack(e.to_string()))?;
        let mut delay = self.delay;
        let mut attempt = 1;
        loop {
            let (error, wait) = match self.post(body.clone()).await {
                Ok(()) => return Ok(()),
                Err(Failed::Final(e)) => return Err(e),
                Err(Failed::Transient(e, retry_after)) => (e, retry_after.unwrap_or(delay)),
            };
            if attempt >= self.attempts {
                return Err(error);
            }
            tracing::warn!(attempt, "Slack webhook failed ({error}); trying again");
            tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }

    async fn post(&self, body: Vec<u8>) -> Result<(), Failed> {
        let reply = self
            .http
            .post(&self.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                let e =
                    NotifyError::Slack(format!("cannot reach the webhook: {}", e.without_url()));
                Failed::Transient(e, None)
            })?;
        let status = reply.status();
        let retry_after = reply
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = reply.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(());
        }
        let error = NotifyError::Slack(format!("{status}: {}", text.trim()));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(Failed::Transient(error, retry_after))
        } else {
            Err(Failed::Final(error))
        }
    }
}

/// How one Slack request failed.
enum Failed {
    /// Worth trying again (after the answer's `Retry-After`, when it gave one).
    Transient(NotifyError, Option<Duration>),
    /// Slack's final answer.
    Final(NotifyError),
}

/// What one channel of [`notify`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// `slack` or `github-deployment`.
    pub channel: &'static str,
    /// `sent` or `failed`.
    pub result: &'static str,
    /// What was sent (the headline, the deployment and its state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Sent {
    /// Whether the channel got the message.
    pub fn is_sent(&self) -> bool {
        self.result == "sent"
    }
}

/// Tells every configured channel about `outcome`: the Slack incoming webhook at
/// `slack_webhook` when given, a GitHub deployment and status when `github` is (`log_url`: the
/// run to link). Returns what each channel did; a failure of one does not stop the other.
pub async fn notify(
    outcome: &Outcome,
    slack_webhook: Option<&str>,
    github: Option<&GithubClient>,
    log_url: Option<&str>,
) -> Vec<Sent> {
    let mut out = Vec::new();
    if let Some(url) = slack_webhook {
        let sent = match Slack::new(url) {
            Ok(slack) => slack.send(outcome).await,
            Err(e) => Err(e),
        };
        out.push(match sent {
            Ok(()) => Sent {
                channel: "slack",
                result: "sent",
                detail: Some(outcome.headline()),
                error: None,
            },
            Err(e) => Sent {
                channel: "slack",
                result: "failed",
                detail: None,
                error: Some(e.to_string()),
            },
        });
    }
    if let Some(client) = github {
        out.push(match github_deployment(client, outcome, log_url).await {
            Ok(d) => Sent {
                channel: "github-deployment",
                result: "sent",
                detail: Some(format!("deployment {} status {}", d.deployment, d.state)),
                error: None,
            },
            Err(e) => Sent {
                channel: "github-deployment",
                result: "failed",
                detail: None,
                error: Some(e.to_string()),
            },
        });
    }
    out
}

/// What [`github_deployment`] created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubDeployment {
    /// The deployment's id.
    pub deployment: u64,
    /// The status's id.
    pub status: u64,
    /// The state set.
    pub state: String,
}

/// Creates a deployment of the outcome's commit for its environment and a status saying what
/// happened (`log_url`: a link to the run, when given).
pub async fn github_deployment(
    client: &GithubClient,
    outcome: &Outcome,
    log_url: Option<&str>,
) -> Result<GithubDeployment, NotifyError> {
    let (commit, task, state, description) = outcome.deployment();
    let mut new = NewDeployment::new(commit, outcome.env(), task, outcome.headline());
    new.payload = serde_json::to_value(outcome).unwrap_or(Value::Null);
    let deployment = client.create_deployment(&new).await?;
    let mut status = NewDeploymentStatus::new(state, description);
    status.log_url = log_url.map(str::to_owned);
    let created = client
        .create_deployment_status(deployment.id, &status)
        .await?;
    Ok(GithubDeployment {
        deployment: deployment.id,
        status: created.id,
        state: state.as_str().to_owned(),
    })
}
