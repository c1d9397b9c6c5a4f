//! `ferry-lint`: checks a GitOps repository's GitHub Actions workflows and `ferry.toml` against
//! the rules that break Ferry pipelines (see `docs/ferry-lint.md`):
//!
//! - [`Rule::RequiredCheckParity`]: every check the base branch requires (`[forge]
//!   required-checks`, else the job names of the pull-request validation workflows) is produced
//!   for a pull request that changes only an overlay;
//! - [`Rule::PathFilters`]: an overlay-only change starts no image build, a code change does
//!   not skip the tests;
//! - [`Rule::AppToken`]: pull requests that must trigger checks are opened with an App token;
//! - [`Rule::Permissions`]: each job's `permissions:` cover what its `ferry` steps do and no
//!   more;
//! - [`Rule::DeployConcurrency`]: deploying jobs have a concurrency group and do not cancel in
//!   progress;
//! - [`Rule::KnownNames`]: environments and images of `ferry` steps exist in `ferry.toml`.
//!
//! Workflows are read through [`ferry_kustomize::located`] (this crate parses no YAML itself).
//!
//! # Example
//!
//! A repository whose deploy job has no concurrency group (`examples/lint_repository.rs`;
//! `cargo run -p ferry-lint --example lint_repository`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/lint_repository.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod calls;
pub mod filters;
mod finding;
mod pos;
mod repository;
mod rules;
pub mod workflow;

pub use finding::{Finding, Rule};
pub use pos::Pos;
pub use repository::{LintError, Repository, WORKFLOWS_DIR};

/// Checks every rule on `repo`; the findings sorted by file, line and column.
pub fn lint(repo: &Repository) -> Vec<Finding> {
    let mut findings = rules::check(repo);
    findings.sort();
    findings.dedup();
    findings
}
