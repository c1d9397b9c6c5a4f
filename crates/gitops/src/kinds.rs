//! The error kinds (exit codes) that need more than one module: a forge's planning error
//! ([`ForgeError::Plan`]) has the kind of the planner's error, and the deploy planner's is a
//! [`DeployError`]. Here, beside both, so that the forge never imports the deploy planner (which
//! imports the forge).

use crate::deploy::DeployError;
use crate::forge::ForgeError;

/// Refusals of the change's state exit 1, bad remotes and unknown changes 2, failures of git and
/// the forge 3; a planning error says its own kind ([`DeployError`]), else it is bad input.
impl ferry_error::Classify for ForgeError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            ForgeError::Plan(inner) => inner
                .downcast_ref::<DeployError>()
                .map_or(ErrorKind::BadInput, |d| d.error_kind()),
            ForgeError::UnknownChange(_) => ErrorKind::UnknownChange,
            ForgeError::InvalidRemote { .. } | ForgeError::NoRemote { .. } => ErrorKind::Usage,
            ForgeError::NotOpen { .. } => ErrorKind::NotOpen,
            ForgeError::HeadMoved { .. } => ErrorKind::HeadMoved,
            ForgeError::Stale { .. } => ErrorKind::Stale,
            ForgeError::Contended { .. } => ErrorKind::Contended,
            ForgeError::Git(_) => ErrorKind::Git,
            _ => ErrorKind::Forge,
        }
    }
}
