//! Integration tests of `ferry-health`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod analysis;
mod cluster;
mod conformance;
mod http_probe;
mod kubernetes_probe;
mod monitor;
mod prometheus_real;
