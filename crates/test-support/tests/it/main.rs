//! Integration tests of `ferry-test-support`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod invariants;
mod repository;
mod skip_notice;
