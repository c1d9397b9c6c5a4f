//! Integration tests of `ferry-pr`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod common;
mod faults;
mod open;
mod output;
mod remote;
mod review;
mod secrets;
