//! What the rollback test suites share: a bare origin holding the blueprint with a bad prod
//! release on top, clones of it, signatures and a runtime.
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};

use ferry_gitops::Signature;
use ferry_gitops::plan::{ImageUpdate, overlay_update};
use ferry_test_support::git::{bare_origin, copy_blueprint, git, init_commit};
use tempfile::TempDir;

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const BACKEND: &str = "registry.example.com/acme/backend";
pub const PROD: &str = "infra/k8s/overlays/prod";

pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A bare `origin.git` holding the blueprint on `main` with prod then bumped to backend 1.4.0,
/// and the seed clone. Returns (temp dir, bare path, blueprint commit, bad commit).
pub fn world() -> Option<(TempDir, PathBuf, String, String)> {
    ferry_test_support::require_tool("git")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = dir.path().join("seed");
    copy_blueprint(&seed);
    let good = init_commit(&seed, "blueprint", T0);
    let file = seed.join(PROD).join("kustomization.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let bumped = overlay_update(
        &text,
        &[ImageUpdate {
            repository: BACKEND.parse().unwrap(),
            image: format!("{BACKEND}:1.4.0").parse().unwrap(),
        }],
    )
    .unwrap();
    std::fs::write(&file, bumped.text).unwrap();
    git(
        &seed,
        &["commit", "-q", "-am", "deploy prod backend 1.4.0"],
        T0 + 60,
    );
    let bad = git(&seed, &["rev-parse", "HEAD"], T0).trim().to_string();
    let bare = dir.path().join("origin.git");
    bare_origin(&seed, &bare, T0);
    Some((dir, bare, good, bad))
}

pub fn clone(dir: &Path, bare: &Path, name: &str) -> PathBuf {
    git(dir, &["clone", "-q", bare.to_str().unwrap(), name], T0);
    dir.join(name)
}

pub fn signature(seconds: i64) -> Signature {
    Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(seconds).unwrap(),
    )
}
