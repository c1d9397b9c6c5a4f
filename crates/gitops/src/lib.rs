//! Ferry's GitOps changes: how an image change reaches an environment's overlay through a
//! forge, and what a promotion checks first. The repository itself is `ferry-git`; the
//! deployment ledger and verification records are `ferry-ledger` (the types this crate's API
//! speaks are re-exported here); the GitHub client is `ferry-github`.
//!
//! - [`gates`]: promotion gates, pure functions over the facts the caller gathered.
//! - [`plan`]: change planning, pure: deploy branch names, reuse and supersede, overlay text,
//!   the no-downgrade guard.
//! - [`forge`]: the [`forge::Forge`] trait and its plain-git and GitHub implementations (the
//!   GitHub client is the crate `ferry-github`).
//! - [`image_ref`]: image arguments as users type them (`backend=1.4.0`), and the rule that a
//!   typo never switches an image to another repository.
//! - [`deploy`]: what `ferry-pr open` plans: the overlay edits of one environment, checked
//!   against downgrades and holds.
//! - [`body`]: the body of a change both forges carry (marker, image table), written by the
//!   deploy planner ([`body::render_body`], re-exported from [`deploy`]).
//! - [`flow`]: the deploy flow `ferry-pr open` and `ferry-promote` share: preview on the synced
//!   base, change request, the change opened through the forge.
//! - [`holds`]: holds as a person names them (`backend:1.5.0`), partial releases, the command
//!   that lifts a hold.
//! - [`promote`]: what `ferry-promote` gathers and decides: the facts of the gates, read through
//!   a forge.
//!
//! # Example
//!
//! Opening a change through the plain-git forge against a bare repository made in a temporary
//! directory, as `ferry-pr open --forge git` does (`examples/open_change.rs`; `cargo run -p
//! ferry-gitops --example open_change`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/open_change.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod body;
pub mod deploy;
pub mod flow;
pub mod forge;
pub mod gates;
pub mod holds;
pub mod image_ref;
mod kinds;
pub mod plan;
pub mod promote;

pub use ferry_git::{
    CommitInfo, CommitRequest, Entry, EntryType, FileChange, GitError, ObjectId, Repo, Signature,
};
pub use ferry_ledger::{
    Deployment, EnvLedger, EnvironmentSpec, ImageChange, ImageStint, Ledger, LedgerError,
    LedgerOptions, LoadError, LoadRequest, Loaded, NOTES_REF, ParsedNote, RECORD_VERSION,
    VerificationRecord, VerifiedSet, VerifyError, build_ledger, build_ledger_with,
    deployment_to_verify, environment_specs, load_ledger, read_verifications, record_verification,
    resolve_options, verify_deployment,
};
