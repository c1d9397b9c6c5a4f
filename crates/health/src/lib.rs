//! Health of Kubernetes and Argo objects after a deploy.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod status;

pub use status::{Health, HealthStatus};
