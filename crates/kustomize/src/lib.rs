//! Kustomize overlays without the kustomize binary.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod images;

pub use images::ImageEntry;
