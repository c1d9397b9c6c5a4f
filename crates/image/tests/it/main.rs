//! Integration tests of `ferry-image`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod metadata_action;
mod metadata_action_extra;
mod policy;
mod reference;
mod registry;
mod registry_http;
