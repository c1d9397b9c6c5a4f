//! Integration tests of `ferry-kustomize`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod images_conformance;
mod images_proptest;
mod kubectl;
mod realworld_kubectl;
mod render_generated;
mod render_kubectl;
mod render_shared;
mod resolve_kubectl;
mod set_image_bad_input;
mod set_image_conformance;
mod set_image_golden;
mod set_image_proptest;
mod validate;
