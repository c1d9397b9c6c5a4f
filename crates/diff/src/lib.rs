//! What a GitOps change does to the cluster, without a cluster: the rendered objects of two
//! revisions of an overlay (or of two environments) compared object by object.
//!
//! - [`compare`]: two renderings of one overlay. Objects are matched by [`ObjectId`] (API
//!   group, kind, namespace, name); a generated ConfigMap or Secret whose content hash changed
//!   is paired with its successor by the name the renderer marks it with
//!   ([`Object::generated`](ferry_kustomize::render::RenderedObject::generated);
//!   [`ChangeKind::Renamed`], with the
//!   objects that refer to it); the rest are added or removed. Each change carries its image
//!   changes (container, old → new) and a unified diff of its YAML.
//! - [`drift`]: two environments, after their overlays' namespace and name prefix and suffix
//!   (and generated names' hashes) are taken out of names and references ([`Naming`]);
//!   optionally without images.
//! - Secret `data` and `stringData` values are always masked ([`mask_secrets`]): equal values
//!   look equal, a changed value visibly changes, no value is shown.
//! - A [`Report`] of several environments prints as text ([`to_text`]), JSON
//!   ([`Report::to_json`]) and markdown ([`to_markdown`] for the job summary,
//!   [`comment_bodies`] for pull request comments of at most GitHub's 65,536 characters), and
//!   [`plan_comments`] decides which comments to create, update and delete.
//!
//! The crate parses no YAML: it takes [`ferry_kustomize`]'s rendered objects (their values
//! and YAML text) and prints through its emitter. It does no I/O.
//!
//! # Example
//!
//! An image bump and a generated ConfigMap's change compared (`examples/compare.rs`; `cargo
//! run -p ferry-diff --example compare`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/compare.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod comment;
mod compare;
mod drift;
mod images;
mod markdown;
mod mask;
mod object;
mod report;
mod text;

pub use comment::{CommentAction, Existing, marker, parse_marker, plan_comments};
pub use compare::{ChangeKind, CompareOptions, Comparison, Counts, ObjectChange, compare};
pub use drift::{NAMESPACE_PLACEHOLDER, Naming, drift};
pub use images::ImageChange;
pub use markdown::{GITHUB_COMMENT_LIMIT, STEP_SUMMARY_LIMIT, comment_bodies, to_markdown};
pub use mask::mask_secrets;
pub use object::{ObjectId, group_of};
pub use report::{
    JSON_SCHEMA_VERSION, Mode, Report, Section, change_title, counts_line, image_transition,
};
pub use text::{title, to_text};

/// A rendered object: its id fields, its value and its YAML as `kubectl kustomize` prints it.
pub use ferry_kustomize::render::RenderedObject as Object;
use ferry_kustomize::render::to_yaml;
