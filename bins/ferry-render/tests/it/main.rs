//! Integration tests of `ferry-render`: the binary as users run it.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod cli;
