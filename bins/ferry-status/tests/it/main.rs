//! The integration tests of ferry-status.

mod cli;
mod github;
