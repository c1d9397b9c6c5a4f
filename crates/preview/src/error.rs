//! The errors of planning (pure) and of the cluster side, with their kinds.

use std::time::Duration;

use ferry_error::{Classify, ErrorKind};
use serde::Serialize;

/// Why a preview cannot be planned: the input is wrong. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `<env>-<name>` is not a DNS label.
    #[error("preview namespace {namespace:?} is invalid: {reason}")]
    Namespace {
        /// The namespace.
        namespace: String,
        /// Why.
        reason: String,
    },
    /// The commit is not a hexadecimal commit id.
    #[error("commit {0:?} is not a hexadecimal commit id")]
    Commit(String),
    /// A rendered object lacks `apiVersion`, `kind` or `metadata.name`.
    #[error("rendered object #{index} ({what}): {reason}")]
    Object {
        /// Its position in the rendered list, from 1.
        index: usize,
        /// What is known of it.
        what: String,
        /// What is missing.
        reason: String,
    },
    /// An image override matched no container of the rendered objects.
    #[error(
        "--image {name}: no container of the rendered objects runs {name} (images: {})",
        if images.is_empty() { "none".to_string() } else { images.join(", ") }
    )]
    ImageUnused {
        /// The image name given.
        name: String,
        /// The images the objects run.
        images: Vec<String>,
    },
    /// Cluster-scoped objects were found and the caller refuses them.
    #[error(
        "the overlay renders cluster-scoped objects, which a preview cannot hold: {}",
        objects.join(", ")
    )]
    ClusterScoped {
        /// `Kind/name` of each.
        objects: Vec<String>,
    },
}

impl Classify for PlanError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            PlanError::Namespace { .. } | PlanError::Commit(_) | PlanError::ImageUnused { .. } => {
                ErrorKind::Usage
            }
            PlanError::Object { .. } | PlanError::ClusterScoped { .. } => ErrorKind::BadInput,
        }
    }
}

/// Why a test's parameters or template are refused. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    /// `--param` is not `NAME=VALUE`.
    #[error("--param {0:?}: expected NAME=VALUE")]
    Syntax(String),
    /// Parameters the WorkflowTemplate does not declare.
    #[error(
        "WorkflowTemplate {template} does not declare {} {}; it declares: {}",
        if undeclared.len() == 1 { "parameter" } else { "parameters" },
        undeclared.join(", "),
        if declared.is_empty() { "none".to_string() } else { declared.join(", ") }
    )]
    Undeclared {
        /// The template.
        template: String,
        /// The names given that it does not declare.
        undeclared: Vec<String>,
        /// The names it declares.
        declared: Vec<String>,
    },
    /// A declared parameter without a value, default or `valueFrom`, and none given.
    #[error(
        "WorkflowTemplate {template} needs a value for {}: pass --param NAME=VALUE",
        missing.join(", ")
    )]
    Missing {
        /// The template.
        template: String,
        /// The parameters without a value.
        missing: Vec<String>,
    },
    /// A value outside the parameter's `enum`.
    #[error("--param {name}={value}: WorkflowTemplate {template} allows only {}", allowed.join(", "))]
    NotInEnum {
        /// The template.
        template: String,
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// The template or Job file is not what it should be.
    #[error("{0}")]
    Invalid(String),
}

impl Classify for ParameterError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            ParameterError::Invalid(_) => ErrorKind::BadInput,
            _ => ErrorKind::Usage,
        }
    }
}

/// One field another manager owns, from a 409 apply conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldConflict {
    /// The field (`.spec.replicas`).
    pub field: String,
    /// The cause's message (`conflict with "kubectl-client-side-apply" using apps/v1`).
    pub manager: String,
}

/// Why the cluster side failed.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The test's parameters were refused.
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    /// The Kubernetes API refused or could not be reached.
    #[error("{what}: {source}")]
    Api {
        /// What was asked (`PATCH deployments/backend`).
        what: String,
        /// The error.
        #[source]
        source: kube::Error,
    },
    /// Server-side apply found fields another manager owns; nothing was forced.
    #[error(
        "server-side apply of {object} conflicts with other field managers (not forced): {}",
        conflicts.iter().map(|c| format!("{} ({})", c.field, c.manager)).collect::<Vec<_>>().join("; ")
    )]
    Conflict {
        /// `Kind/name`.
        object: String,
        /// The API server's message.
        message: String,
        /// Each conflicting field and its manager.
        conflicts: Vec<FieldConflict>,
    },
    /// The namespace exists and is not this preview's.
    #[error(
        "namespace {namespace} exists and is not Ferry's preview {preview} ({reason}); refusing to touch it"
    )]
    NotOurs {
        /// The namespace.
        namespace: String,
        /// The preview's name.
        preview: String,
        /// What its labels say.
        reason: String,
    },
    /// The namespace is being deleted.
    #[error("namespace {0} is terminating; wait until it is gone, then run `up` again")]
    Terminating(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The Rollout is not a blue-green Rollout paused for promotion.
    #[error("{0}")]
    NotReady(String),
    /// Waiting ended before the outcome was known.
    #[error("timed out after {} waiting for {what}; last: {last}", ferry_config::human_duration(*.waited))]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The last state seen.
        last: String,
    },
}

impl Classify for PreviewError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            PreviewError::Plan(e) => e.error_kind(),
            PreviewError::Parameter(e) => e.error_kind(),
            PreviewError::Api { .. } => ErrorKind::Kubernetes,
            PreviewError::Conflict { .. }
            | PreviewError::NotOurs { .. }
            | PreviewError::Terminating(_)
            | PreviewError::NotReady(_) => ErrorKind::Refused,
            PreviewError::NotFound(_) => ErrorKind::NotFound,
            PreviewError::Timeout { .. } => ErrorKind::Timeout,
        }
    }
}
