//! Building images on the Docker Engine API and pushing them: `ferry build`.
//!
//! - [`ignore`]: `.dockerignore` with Docker's pattern rules (exceptions with `!`).
//! - [`context`]: the build context as the tar archive the engine receives.
//! - [`engine`]: the Docker Engine (bollard stays inside this crate): connect, build, tag,
//!   inspect, push.
//! - [`labels`]: the OCI labels of `ferry tag`, computed through `ferry-image`'s metadata code.
//! - [`git`]: the build's context (commit, ref, repository URL) from a local repository.
//! - [`flow`]: the whole build and push, with the digest the registry stored.
//! - [`event`] and [`progress`]: what happens as it goes, and its text for a terminal or CI.
//!
//! Nothing here prints or reads environment variables: the engine's address, the credentials
//! (through a `ferry_image::registry::RegistryClient`) and the clock come from the caller.
//!
//! # Example
//!
//! A context with a `.dockerignore` and the archive the engine would receive
//! (`examples/context.rs`; `cargo run -p ferry-build --example context`, and `cargo test` runs
//! it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/context.rs")]
//! ```

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod context;
pub mod engine;
pub mod error;
pub mod event;
pub mod flow;
pub mod git;
pub mod ignore;
pub mod labels;
pub mod progress;

pub use context::{ContextArchive, ContextError, archive};
pub use engine::{BuildArg, BuildOptions, DEFAULT_HOST, Engine, ImageInfo};
pub use error::BuildError;
pub use event::{Event, Step};
pub use flow::{Outcome, Request, build_and_push};
pub use ignore::DockerIgnore;
pub use labels::{LabelInputs, oci_labels};
pub use progress::Progress;
