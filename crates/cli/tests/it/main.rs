//! Integration tests of `ferry-cli`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod environment;
mod front_end;
