//! Integration tests of `ferry-config`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod config;
mod documented_keys;
mod limits;
mod props;
