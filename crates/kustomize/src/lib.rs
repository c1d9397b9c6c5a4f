//! Kustomize overlays without the kustomize binary.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod documents;
pub mod edit;
pub mod edit_file;
pub mod images;
pub mod model;
pub mod resolve;
pub mod source;
pub mod spec;
pub mod transform;
pub mod validate;

pub use edit::{EditError, EditErrorKind, EditOutcome, ImageEdit, read_images, set_images};
pub use edit_file::{FileEditError, FileOutcome, WriteMode, set_images_in_file};
pub use images::ImageEntry;
pub use resolve::{
    LoadRestrictor, OverlayResolver, Resolution, ResolveError, ResolveOptions, Resolved, Workload,
    resolve_overlay, resolve_overlay_with, validate_overlay, validate_overlay_in,
    validate_overlay_in_with, validate_overlay_with,
};
pub use source::{FileKind, FileSource, FsSource, ParseCache};
pub use spec::{FieldEdit, ImageSpec, SpecError};
pub use validate::{Finding, Severity};
