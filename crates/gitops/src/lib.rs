//! GitOps repositories through gix, and the deployment ledger built from their history.
//!
//! - [`git`]: open a repository, read files at a commit, walk the first-parent history of a
//!   branch filtered by path, build commits from edited files without a working tree, move refs
//!   with compare-and-swap, read and write notes.
//! - [`ledger`]: for each environment, the commits of the base branch that changed what its
//!   overlay renders, with the resolved image of every workload; queries on it.
//! - [`verify`]: verification records, JSON notes under `refs/notes/ferry`; verifying what an
//!   environment ran at a commit.
//! - [`from_config`]: the repository and the ledger a `ferry.toml` describes.
//! - [`gates`]: promotion gates, pure functions over the facts the caller gathered.
//! - [`plan`]: change planning, pure: deploy branch names, reuse and supersede, overlay text,
//!   the no-downgrade guard, the bounded retry on a moved base.
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
pub mod from_config;
pub mod gates;
pub mod git;
pub mod holds;
pub mod image_ref;
pub mod ledger;
pub mod plan;
pub mod promote;
pub mod verify;

pub use from_config::{LoadError, LoadRequest, Loaded, environment_specs, load_ledger};
pub use git::{CommitInfo, CommitRequest, Entry, EntryType, FileChange, GitError, Repo, Signature};
pub use gix::ObjectId;
pub use ledger::{
    Deployment, EnvLedger, EnvironmentSpec, ImageChange, ImageStint, Ledger, LedgerError,
    LedgerOptions, VerifiedSet, build_ledger, build_ledger_with,
};
pub use verify::{
    NOTES_REF, ParsedNote, RECORD_VERSION, VerificationRecord, VerifyError, deployment_to_verify,
    read_verifications, record_verification, verify_deployment,
};
