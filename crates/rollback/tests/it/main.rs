//! Integration tests of `ferry-rollback`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod actions;
mod common;
mod github;
mod steps;
