//! Integration tests of `ferry-gitops`: the forges on real repositories (a bare remote and
//! clones; the GitHub stand-in), planning, gates and verification records through a forge.
//!
//! One test binary with a module per area: the crate and its dependencies are linked once,
//! not once per test file.

#[path = "../../../test-support/include/test_repo.rs"]
mod common;
mod forge_git;
mod forge_github;
mod forge_github_review;
mod forge_remote;
mod gates;
mod plan;
mod verification_records;
