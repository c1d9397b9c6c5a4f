//! Integration tests of `ferry-promote`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod common;
mod output;
mod promote;
mod remote;
