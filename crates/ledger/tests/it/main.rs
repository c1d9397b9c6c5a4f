//! Integration tests of `ferry-ledger`, on real repositories made with the git CLI.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod cache;
#[path = "../../../test-support/include/test_repo.rs"]
mod common;
mod ledger;
mod verify_deployment;
