//! Integration tests of `ferry-rollback-cli`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod cli;
mod common;
mod faults;
mod holds;
mod output;
mod remote;
