//! The deployment ledger of a GitOps repository and its verification records.
//!
//! What each environment ran, and when, read from Git alone: the ledger follows the
//! first-parent history of the base branch and keeps, per environment, the commits after
//! which its overlay renders differently, with the resolved image of every workload. A
//! verification record says that an environment ran a set of images and was found healthy;
//! records are git notes, append-only. Promotion gates, rollbacks and `ferry-ledger` read both.
//!
//! - [`ledger`]: [`build_ledger`] and [`Ledger`]'s queries (what runs now, when an image
//!   entered, what was deployed at a commit).
//! - [`verify`]: verification records under [`NOTES_REF`], [`VerifiedSet`] and
//!   [`Ledger::last_verified_before`], [`verify_deployment`] (the one way to verify an
//!   environment).
//! - [`from_config`]: the repository and the ledger a `ferry.toml` describes ([`load_ledger`]).
//! - [`trailer`]: the `Ferry-Rollback:` trailer of a rollback commit.
//!
//! Git access is `ferry-git`; overlays are resolved by `ferry-kustomize`, whose
//! [`ferry_kustomize::dependencies`] names the files an overlay may depend on.
//!
//! # Example
//!
//! A ledger of a repository made in a temporary directory, and a verification recorded on it
//! (`examples/history.rs`; `cargo run -p ferry-ledger --example history`, and `cargo test`
//! runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/history.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod from_config;
pub mod ledger;
pub mod render_at;
pub mod trailer;
pub mod verify;

pub use from_config::{
    LoadError, LoadRequest, Loaded, environment_specs, load_ledger, resolve_options,
};
pub use ledger::{
    Deployment, EnvLedger, EnvironmentSpec, ImageChange, ImageStint, Ledger, LedgerError,
    LedgerOptions, build_ledger, build_ledger_with,
};
pub use render_at::{RenderAtError, render_at};
pub use verify::{
    NOTES_REF, ParsedNote, RECORD_VERSION, VerificationRecord, VerifiedSet, VerifyError,
    deployment_to_verify, read_verifications, record_verification, verify_deployment,
};
