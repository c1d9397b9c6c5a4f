//! Rollback: the policy that decides (pure), and the actions that carry a decision out.
//!
//! - [`policy`]: from a monitor report and the environment's facts, continue, mark healthy,
//!   roll back to the last verified image set, or escalate; every decision names its rule.
//! - [`facts`]: gathers what the policy needs from the local repository (the last verified set
//!   before the current deployment, whether the current deployment is a rollback).
//! - [`rollouts`]: Argo Rollouts promote, abort, retry, undo and status through the Kubernetes
//!   API, as `kubectl argo rollouts` does it, and Argo CD's Rollout resource actions.
//! - [`actions`]: the Git revert (a GitOps change through a [`ferry_gitops::forge::Forge`]) and
//!   holds.
//! - [`notify`]: Slack and GitHub deployment statuses built from what actually happened.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod actions;
pub mod facts;
pub mod notify;
pub mod policy;
pub mod rollouts;

pub use policy::{Decision, Facts, Rule, Settings, Target, decide};
