//! Health of Kubernetes and Argo objects after a deploy: is what was just deployed running?
//!
//! - [`assess`]: Argo CD's health rules, pure: a Kubernetes object as JSON in, a [`Health`]
//!   out, `None` for a kind without a built-in check (never read as healthy).
//! - [`probe`]: the [`probe::Probe`] trait and its HTTP, Kubernetes and Argo CD probes.
//! - [`monitor`]: the monitor loop over probes, its [`monitor::Policy`] (warm-up, interval,
//!   failures, error budget, timeout) and the final [`monitor::Report`].
//! - [`analysis`]: metric analysis with Argo Rollouts' semantics: Prometheus and web providers,
//!   `successCondition`/`failureCondition`, measurement limits, AnalysisTemplates.
//! - [`output`]: the monitor's events as lines of text or JSON.
//! - [`assessment`]: objects read from files, assessed offline, with the exit code they imply.
//!
//! # Example
//!
//! Assessing a Deployment halfway through a rollout, rolled out, and stuck (`examples/assess.rs`;
//! `cargo run -p ferry-health --example assess`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/assess.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod analysis;
pub mod assessment;
pub mod kube_api;
pub mod monitor;
pub mod output;
pub mod probe;
pub mod rules;
mod status;

pub use rules::assess;
pub use status::{Health, HealthStatus};
