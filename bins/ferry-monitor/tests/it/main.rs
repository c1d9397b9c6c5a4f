//! Integration tests of `ferry-monitor`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod cli;
mod config;
mod limits;
mod metrics;
mod output;
mod verify;
