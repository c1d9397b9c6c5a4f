//! Integration tests of `ferry-github`, one test binary (`logs.rs` is its own: see there).

mod client;
mod comments;
