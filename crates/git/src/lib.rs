//! Git for Ferry: the GitOps repository read and written through gix, without a working tree.
//!
//! - [`repo`]: [`Repo`], one repository: files at a commit, the first-parent history of a
//!   branch filtered by path, commits built from edited files, refs moved by compare-and-swap,
//!   notes, revisions as `git rev-parse` spells them.
//! - [`cli`]: the git command line against one remote, for what gix does not do here (fetch,
//!   atomic pushes with a lease per ref, ancestry): no prompts, a remote that would reach git
//!   as an option refused, credentials in no message. Remotes are shown as [`RemoteUrl`],
//!   whose `Display` and `Debug` hide credentials.
//!
//! # Example
//!
//! A commit built without a working tree and a branch moved by compare-and-swap, in a bare
//! repository made in a temporary directory (`examples/commits.rs`; `cargo run -p ferry-git
//! --example commits`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/commits.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod repo;

pub use cli::{CliError, Git};
pub use ferry_redact::RemoteUrl;

pub use gix::ObjectId;
pub use repo::{
    BoxError, CommitInfo, CommitRequest, Entry, EntryType, FileChange, GitError, Repo, Signature,
    Tree,
};
