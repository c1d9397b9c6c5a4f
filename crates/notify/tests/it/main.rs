//! Integration tests of `ferry-notify`.
//!
//! One test binary with a module per area: the package and its dependencies are linked once,
//! not once per test file.

mod notify;
