//! The integration tests of ferry-metrics.

mod cli;
mod revision;
