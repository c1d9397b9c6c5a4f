//! Integration tests of `ferry-rollout`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod canary;
mod cli;
mod output;
