//! Integration tests of `ferry-set-image`.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

mod bounds;
mod field_trial;
mod output;
mod set_image_cli;
