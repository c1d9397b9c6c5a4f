//! Preview environments: the candidate of an environment in a namespace of its own, tested
//! there, and always removed.
//!
//! - [`identity`]: the preview (`<env>-<name>`, a DNS label) and the labels that mark what it
//!   creates (name, environment, commit, expiry).
//! - [`plan`](mod@plan): pure: rendered objects (`serde_json::Value`s, however they were rendered) in,
//!   the namespace and the objects to apply out: namespace override, labels, image overrides
//!   through kustomize's images transformer, cluster-scoped objects skipped with a warning.
//! - [`resource`]: REST paths and which kinds are cluster-scoped (no discovery request).
//! - [`workflow`]: pure: a WorkflowTemplate's declared parameters and the check of the ones
//!   given (an undeclared one is refused before any request), the Workflow body, phases and
//!   failed nodes. [`job`]: the same for a Kubernetes Job.
//! - [`cluster`]: kube's dynamic API: server-side apply (field manager `ferry`, never forced;
//!   a 409 names the fields and their managers), `down` by label selector then the namespace
//!   (idempotent), the preview namespaces `gc` looks at, waiting.
//! - [`run`]: tests as a Workflow or a Job, the health wait of `up` (ferry-health's rules and
//!   the monitor's policy), the preview Service of a paused blue-green Rollout for `smoke`.
//!
//! # Example
//!
//! Planning a preview of a Deployment and its Service, with an image override, and checking a
//! test's parameters against a WorkflowTemplate (`examples/plan.rs`; `cargo run -p
//! ferry-preview --example plan`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/plan.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cluster;
pub mod error;
pub mod identity;
pub mod job;
pub mod plan;
pub mod resource;
pub mod run;
pub mod workflow;

pub use cluster::{Applied, Cluster, Down, FIELD_MANAGER};
pub use error::{FieldConflict, ParameterError, PlanError, PreviewError};
pub use identity::{Preview, Stamp};
pub use plan::{ImageOverride, Plan, Scope, plan};
pub use run::{TemplateSource, TestRun, Wait};
pub use workflow::{Phase, WorkflowState};
