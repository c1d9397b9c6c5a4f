//! `ferry-diff`'s integration tests: one test binary (see docs/architecture.md).

mod split;
