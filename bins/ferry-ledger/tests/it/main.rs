//! Integration tests of the `ferry-ledger` binary (package `ferry-ledger-cli`), run on real
//! repositories.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod cli;
mod output;
mod remote;
