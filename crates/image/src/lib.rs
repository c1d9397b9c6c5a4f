//! Container image references, tags and registries.
//!
//! - [`reference`](mod@reference): the strict distribution/reference grammar, Docker Hub normalisation and
//!   digests; every image name Ferry checks goes through it.
//! - [`meta`]: docker/metadata-action compatible tags, labels and annotations, computed from
//!   values the caller passes in.
//! - [`policy`]: the newest tag by semver range, numerical or alphabetical order, with filters.
//! - [`registry`]: an OCI registry client (exists, digest, tags, copy by digest) with
//!   credentials from the caller, docker `config.json` or credential helpers.
//!
//! # Example
//!
//! Computing the tags of a release push and parsing a reference (`examples/tags.rs`; `cargo run -p
//! ferry-image --example tags`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/tags.rs")]
//! ```

pub mod meta;
pub mod policy;
pub mod reference;
pub mod registry;
