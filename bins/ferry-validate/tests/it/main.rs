//! Integration tests of `ferry-validate`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod bounds;
mod cli;
mod messages;
mod output;
