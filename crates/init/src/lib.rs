//! `ferry init`: the files of a GitOps repository that Ferry runs, generated from a few options,
//! and a plan that compares them with what exists.
//!
//! [`generate`] is pure: [`Options`] in, a list of [`File`]s (relative path, contents) out, in a
//! fixed order — `ferry.toml`, the Kustomize base and one overlay per environment (Argo Rollouts
//! blue-green where asked), the Argo CD project and applications, and with the GitHub forge the
//! GitHub Actions workflows and `docs/github-branch-protection.md`. [`plan()`] reads what exists
//! under a directory and says, file by file, whether it is missing, the same or different;
//! [`Plan::apply`] writes the missing files and overwrites a different one only when forced.
//!
//! # Example
//!
//! The files of a two-environment repository on the plain-git forge, planned against an empty
//! directory and written (`examples/generate.rs`; `cargo run -p ferry-init --example generate`,
//! and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/generate.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod argo_workflows;
mod argocd;
mod config;
mod k8s;
mod options;
mod plan;
mod protection;
mod workflows;

use std::path::PathBuf;

use ferry_error::{Classify, ErrorKind};

pub use options::{DEFAULT_ENVIRONMENTS, Forge, Image, Options, RawOptions};
pub use plan::{Applied, Plan, Planned, State, plan};
pub use workflows::{ACTIONS, FERRY_PACKAGES, REQUIRED_CHECKS};

/// One generated file: its path relative to the repository root (with `/`) and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path, relative, `/`-separated.
    pub path: String,
    /// The contents.
    pub contents: String,
}

impl File {
    fn new(path: impl Into<String>, contents: impl Into<String>) -> File {
        File {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

/// Every file of the repository `options` describe, in a fixed order.
pub fn generate(options: &Options) -> Vec<File> {
    let mut files = vec![File::new("ferry.toml", config::ferry_toml(options))];
    files.extend(k8s::files(options));
    files.extend(argocd::files(options));
    files.extend(argo_workflows::files(options));
    if matches!(options.forge, Forge::Github { .. }) {
        files.extend(workflows::files(options));
        files.push(File::new(
            "docs/github-branch-protection.md",
            protection::markdown(options),
        ));
    }
    files
}

/// Why `ferry init` could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// An option is invalid.
    #[error("{option} {value:?}: {reason}")]
    Option {
        /// The option (`--image`).
        option: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A path the plan would write is not a regular file (a directory, a symbolic link).
    #[error("{}: not a regular file; ferry init writes only regular files", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl Classify for InitError {
    fn error_kind(&self) -> ErrorKind {
        match self {
            InitError::Option { .. } => ErrorKind::Usage,
            InitError::NotAFile { .. } => ErrorKind::BadInput,
            InitError::Io { .. } => ErrorKind::Io,
        }
    }
}
