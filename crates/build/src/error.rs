//! The errors of a build and a push, each with its kind (and so its exit code).

use ferry_error::{Classify, ErrorKind};

use crate::context::ContextError;
use crate::event::Step;

/// Why a build or a push failed. Messages never carry a secret: a registry password or token,
/// a secret build argument (what the engine answers is scrubbed where the error is built).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The engine cannot be reached (no socket, connection refused, no answer).
    #[error("the Docker Engine at {host} cannot be reached: {message}")]
    Unreachable {
        /// The engine's address (`unix:///var/run/docker.sock`, `tcp://…`).
        host: String,
        /// What failed.
        message: String,
    },
    /// No tag was given.
    #[error("no tag to build: give at least one --tag")]
    NoTag,
    /// The engine address is not one Ferry can use.
    #[error(
        "unsupported Docker host {host:?} (use unix://PATH, tcp://HOST:PORT or http://HOST:PORT)"
    )]
    UnsupportedHost {
        /// The address given.
        host: String,
    },
    /// The context could not be archived.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A Dockerfile step failed: the step, the engine's message and what the step printed.
    #[error("{}", step_failed(step.as_ref(), message))]
    StepFailed {
        /// The failing step, when one had started.
        step: Option<Step>,
        /// The engine's message.
        message: String,
        /// The lines the step printed before it failed.
        output: Vec<String>,
    },
    /// The engine refused the build before any step (a Dockerfile that does not parse, an
    /// unknown target stage, a platform it cannot build).
    #[error("the engine refused the build: {message}")]
    Refused {
        /// The engine's message.
        message: String,
    },
    /// The engine failed otherwise (an internal error, an answer Ferry cannot read).
    #[error("the Docker Engine failed to {action}: {message}")]
    Engine {
        /// What was asked (`build the image`, `tag …`, `inspect …`).
        action: String,
        /// The engine's message.
        message: String,
    },
    /// The build ended without naming the image it built.
    #[error("the build ended without an image id")]
    NoImage,
    /// The registry refused the push's credentials.
    #[error("{tag}: the registry refused the credentials: {message}")]
    Unauthorized {
        /// The tag being pushed.
        tag: String,
        /// The engine's message.
        message: String,
    },
    /// Pushing a tag failed (the registry cannot be reached, or refused it otherwise).
    #[error("{tag}: push failed: {message}")]
    Push {
        /// The tag being pushed.
        tag: String,
        /// The engine's message.
        message: String,
    },
    /// The registry stores another digest than the engine reported pushing.
    #[error("{tag}: the engine pushed {pushed} but the registry stores {stored}")]
    DigestMismatch {
        /// The tag.
        tag: String,
        /// What the engine reported.
        pushed: String,
        /// What the registry answers.
        stored: String,
    },
    /// The registry credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] ferry_image::registry::CredentialError),
    /// Asking the registry for the stored digest failed.
    #[error(transparent)]
    Registry(#[from] ferry_image::registry::RegistryError),
}

fn step_failed(step: Option<&Step>, message: &str) -> String {
    match step {
        Some(step) => format!(
            "step {}/{} `{}` failed: {message}",
            step.number, step.total, step.instruction
        ),
        None => format!("the build failed: {message}"),
    }
}

/// A failed step or a refused Dockerfile is a failed build (exit 1); an engine or registry
/// that cannot be reached or fails is an external failure (exit 3); a bad context or host is
/// bad input (exit 2).
impl Classify for BuildError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            BuildError::StepFailed { .. } | BuildError::Refused { .. } => ErrorKind::Build,
            BuildError::Unreachable { .. } => ErrorKind::Unavailable,
            BuildError::UnsupportedHost { .. } | BuildError::NoTag => ErrorKind::Usage,
            BuildError::Context(e) => e.error_kind(),
            BuildError::Engine { .. } | BuildError::NoImage => ErrorKind::Unavailable,
            BuildError::Unauthorized { .. } => ErrorKind::Authentication,
            BuildError::Push { .. } | BuildError::DigestMismatch { .. } => ErrorKind::Registry,
            BuildError::Credentials(e) => e.error_kind(),
            BuildError::Registry(e) => e.error_kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let failed = BuildError::StepFailed {
            step: Some(Step {
                number: 2,
                total: 3,
                instruction: "COPY missing /".into(),
            }),
            message: "COPY failed: file not found".into(),
            output: vec![],
        };
        assert_eq!(
            failed.to_string(),
            "step 2/3 `COPY missing /` failed: COPY failed: file not found"
        );
        assert_eq!(failed.exit_code(), 1);
        let unreachable = BuildError::Unreachable {
            host: "unix:///nowhere.sock".into(),
            message: "no such file".into(),
        };
        assert_eq!(unreachable.exit_code(), 3);
        let push = BuildError::Push {
            tag: "127.0.0.1:1/app:1".into(),
            message: "connection refused".into(),
        };
        assert_eq!(push.exit_code(), 3);
        assert_eq!(
            BuildError::UnsupportedHost {
                host: "ftp://x".into()
            }
            .exit_code(),
            2
        );
    }
}
