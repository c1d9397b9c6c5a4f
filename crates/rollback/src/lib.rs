//! Rollback: the policy that decides (pure), and the actions that carry a decision out.
//!
//! - [`policy`]: from a monitor report and the environment's facts, continue, mark healthy,
//!   roll back to the last verified image set, or escalate; every decision names its rule.
//! - [`facts`]: gathers what the policy needs from the local repository (the last verified set
//!   before the current deployment, whether the current deployment is a rollback).
//! - [`actions`]: the Git revert (a GitOps change through a [`ferry_gitops::forge::Forge`]) and
//!   holds.
//! - [`flow`]: the whole rollback of `ferry-rollback` as plain functions: gather the facts
//!   through a forge and decide, then carry the decision out (Rollouts, revert, hold,
//!   notifications) and say what happened.
//! - [`steps`]: what each step did, as the notifications (`ferry-notify`) tell it.
//!
//! The Argo Rollouts client is `ferry-rollouts`; the notifications are `ferry-notify`.
//!
//! # Example
//!
//! Rolling back a failing deployment to the last verified image set, and escalating instead when
//! the deployment is itself a rollback or nothing was verified (`examples/decide.rs`; `cargo run -p
//! ferry-rollback --example decide`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/decide.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod actions;
pub mod facts;
pub mod flow;
pub mod policy;
pub mod steps;

pub use policy::{Decision, Facts, Rule, Settings, Target, decide};
