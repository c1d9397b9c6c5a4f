//! GitHub deployments and deployment statuses: how an environment's deploy, verification,
//! rollback or escalation shows on the repository's "Environments" page.
//!
//! Ferry creates a deployment of the GitOps commit for the environment (no auto-merge, no
//! required contexts: the commit is already on the base branch and Ferry's own gates decided),
//! then one status per outcome.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{GithubClient, GithubError, decode, encode};

/// A deployment to create (REST `POST /repos/{owner}/{repo}/deployments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeployment {
    /// The ref to deploy: a commit SHA, branch or tag.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The task, e.g. `deploy` or `rollback`.
    pub task: String,
    /// The environment name, e.g. `prod`.
    pub environment: String,
    /// A short description.
    pub description: String,
    /// Whether GitHub should merge the default branch into `reference` first; Ferry sends
    /// `false` (the commit is on the base branch already).
    pub auto_merge: bool,
    /// Status contexts GitHub must see succeed first; Ferry sends none (its gates decided).
    pub required_contexts: Vec<String>,
    /// Extra data kept with the deployment (images, the failed change...).
    pub payload: serde_json::Value,
    /// Whether the environment is what end users reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_environment: Option<bool>,
}

impl NewDeployment {
    /// A deployment of `reference` to `environment` with task `task`, no auto-merge, no
    /// required contexts and an empty payload.
    pub fn new(
        reference: impl Into<String>,
        environment: impl Into<String>,
        task: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        NewDeployment {
            reference: reference.into(),
            task: task.into(),
            environment: environment.into(),
            description: description.into(),
            auto_merge: false,
            required_contexts: Vec::new(),
            payload: serde_json::Value::Object(Default::default()),
            production_environment: None,
        }
    }
}

/// A deployment as GitHub reports it (the fields Ferry reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Its id.
    pub id: u64,
    /// Its API URL.
    pub url: String,
    /// The commit deployed.
    pub sha: String,
    /// The ref as given.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The task.
    pub task: String,
    /// The environment.
    pub environment: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// The state of a deployment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    /// The deployment could not be carried out.
    Error,
    /// The deployment failed (unhealthy, rolled back).
    Failure,
    /// Replaced by a later deployment.
    Inactive,
    /// Under way.
    InProgress,
    /// Waiting to start.
    Queued,
    /// Not started.
    Pending,
    /// Succeeded.
    Success,
}

impl DeploymentState {
    /// The state as GitHub's API names it (`in_progress`, `success`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Error => "error",
            DeploymentState::Failure => "failure",
            DeploymentState::Inactive => "inactive",
            DeploymentState::InProgress => "in_progress",
            DeploymentState::Queued => "queued",
            DeploymentState::Pending => "pending",
            DeploymentState::Success => "success",
        }
    }
}

/// A deployment status to create (REST `POST .../deployments/{id}/statuses`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeploymentStatus {
    /// Its state.
    pub state: DeploymentState,
    /// What happened; GitHub keeps at most 140 characters, so longer text is cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A link to the run's output (monitor report, CI run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_url: Option<String>,
    /// The URL of the deployed environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
    /// Whether GitHub marks the environment's earlier successful deployments inactive
    /// (GitHub's default is `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_inactive: Option<bool>,
}

impl NewDeploymentStatus {
    /// A status with `state` and `description`, nothing else.
    pub fn new(state: DeploymentState, description: impl Into<String>) -> Self {
        NewDeploymentStatus {
            state,
            description: Some(description.into()),
            log_url: None,
            environment_url: None,
            auto_inactive: None,
        }
    }
}

/// A deployment status as GitHub reports it (the fields Ferry reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    /// Its id.
    pub id: u64,
    /// Its state.
    pub state: DeploymentState,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// The log link.
    #[serde(default)]
    pub log_url: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// GitHub keeps at most this many characters of a deployment status description.
const DESCRIPTION_LIMIT: usize = 140;

impl GithubClient {
    fn deployments_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}/deployments{rest}",
            encode(&self.owner, false),
            encode(&self.repo, false)
        )
    }

    /// Creates a deployment. GitHub answers 202 instead of creating one when it merged the
    /// default branch into the ref first (only with `auto_merge`); that answer is an error
    /// here, since no deployment exists to attach statuses to.
    pub async fn create_deployment(
        &self,
        deployment: &NewDeployment,
    ) -> Result<Deployment, GithubError> {
        let path = self.deployments_path("");
        let body = serde_json::to_value(deployment).map_err(|e| GithubError::Decode {
            what: path.clone(),
            message: e.to_string(),
        })?;
        let reply = self.rest(Method::POST, &path, Some(&body)).await?;
        if reply.status.as_u16() == 202 {
            return Err(GithubError::Decode {
                what: format!("POST {path}"),
                message: format!(
                    "GitHub merged the default branch instead of creating a deployment: {}",
                    super::error_message(&reply.body)
                ),
            });
        }
        decode(reply, &path)
    }

    /// Adds a status to deployment `id`; a description longer than GitHub keeps is cut.
    pub async fn create_deployment_status(
        &self,
        id: u64,
        status: &NewDeploymentStatus,
    ) -> Result<DeploymentStatus, GithubError> {
        let mut status = status.clone();
        if let Some(description) = &mut status.description
            && description.chars().count() > DESCRIPTION_LIMIT
        {
            *description = description
                .chars()
                .take(DESCRIPTION_LIMIT - 1)
                .collect::<String>()
                + "…";
        }
        let path = self.deployments_path(&format!("/{id}/statuses"));
        let body = serde_json::to_value(&status).map_err(|e| GithubError::Decode {
            what: path.clone(),
            message: e.to_string(),
        })?;
        let reply = self.rest(Method::POST, &path, Some(&body)).await?;
        decode(reply, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::DeploymentState;

    #[test]
    fn state_names_are_the_ones_serde_sends() {
        use DeploymentState::*;
        for state in [
            Error, Failure, Inactive, InProgress, Queued, Pending, Success,
        ] {
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::Value::String(state.as_str().to_owned())
            );
        }
    }
}
