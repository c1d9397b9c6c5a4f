//! Kustomize overlays without the kustomize binary: edit an overlay's images, resolve what an
//! overlay deploys, validate it. The only Ferry crate that reads or writes YAML text.
//!
//! - [`set_images`] (text in, text out) and [`set_images_in_file`] (atomic writes): `kustomize
//!   edit set image` that changes only the bytes of the entries it edits.
//! - [`resolve_overlay`] / [`validate_overlay`]: bases, components, patches and `images:`
//!   transforms resolved to every workload's final images, with findings (file, line, column),
//!   reading only inside a root and never the network.
//! - [`model`], [`spec`], [`transform`], [`validate`], [`source`], [`documents`]: the typed
//!   kustomization, the SPEC syntax, kustomize's transformers, findings, the file source the
//!   resolver reads through, multi-document YAML for crates that must not parse YAML.
//! - [`located`]: one YAML document as a tree of values with line and column (`ferry-lint`'s
//!   workflows).
//!
//! # Examples
//!
//! Editing an overlay (`examples/set_image.rs`; `cargo run -p ferry-kustomize --example
//! set_image`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/set_image.rs")]
//! ```
//!
//! What an environment runs, from an overlay in a temporary directory (`examples/resolve.rs`;
//! `cargo run -p ferry-kustomize --example resolve`):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/resolve.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod dependencies;
pub mod documents;
pub mod edit;
pub mod edit_file;
pub mod images;
pub mod located;
pub mod model;
pub mod render;
pub mod resolve;
mod skim;
pub mod source;
pub mod spec;
pub mod transform;
pub mod validate;

pub use edit::{EditError, EditErrorKind, EditOutcome, ImageEdit, read_images, set_images};
pub use edit_file::{FileEditError, FileOutcome, WriteMode, set_images_in_file};
pub use images::ImageEntry;
pub use resolve::{
    LoadRestrictor, OverlayResolver, Resolution, ResolveError, ResolveOptions, Resolved, Workload,
    check_overlay_with, resolve_overlay, resolve_overlay_with, validate_overlay,
    validate_overlay_in, validate_overlay_in_with, validate_overlay_with,
};
pub use source::{FileKind, FileSource, FsSource, ParseCache};
pub use spec::{FieldEdit, ImageSpec, SpecError};
pub use validate::{Finding, Severity};
