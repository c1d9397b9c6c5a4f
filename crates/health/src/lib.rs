//! Health of Kubernetes and Argo objects after a deploy.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod monitor;
pub mod probe;
pub mod rules;
mod status;

pub use rules::assess;
pub use status::{Health, HealthStatus};
