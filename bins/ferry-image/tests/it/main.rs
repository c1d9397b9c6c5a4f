//! Integration tests of `ferry-image-cli`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod cli;
mod config;
mod output;
mod secrets;
