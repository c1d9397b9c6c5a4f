//! A real git repository in a temporary directory, driven with the git CLI: the `common`
//! module of the integration tests of ferry-git, ferry-ledger and ferry-gitops, included by
//! path (`#[path = …] mod common;`) because it edits overlays with ferry-kustomize and names
//! gix's `ObjectId`, which ferry-test-support does not depend on.
#![allow(dead_code)]

use std::cell::Cell;
use std::path::{Path, PathBuf};

use ferry_git::ObjectId;

/// Seconds of the first commit (2026-01-01T00:00:00Z).
pub const T0: i64 = 1_767_225_600;

pub struct TestRepo {
    pub dir: tempfile::TempDir,
    clock: Cell<i64>,
}

impl TestRepo {
    /// `git init -b main` in a new temporary directory.
    pub fn new() -> TestRepo {
        let repo = TestRepo {
            dir: tempfile::tempdir().unwrap(),
            clock: Cell::new(T0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository holding `fixtures/blueprint`, committed as the first commit.
    pub fn blueprint() -> (TestRepo, ObjectId) {
        let repo = TestRepo::new();
        copy_dir(
            &ferry_test_support::fixtures_dir().join("blueprint"),
            repo.path(),
        );
        let id = repo.commit_all("Initial blueprint", "Ada <ada@example.com>");
        (repo, id)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git as `author` at the repository's clock (see `ferry_test_support::git::git_as`).
    pub fn git_as(&self, args: &[&str], author: &str) -> String {
        ferry_test_support::git::git_as(self.path(), args, author, self.clock.get())
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_as(args, "Test <test@example.com>")
    }

    /// Commits every change as `author`, one minute after the previous commit.
    pub fn commit_all(&self, message: &str, author: &str) -> ObjectId {
        self.clock.set(self.clock.get() + 60);
        self.git_as(&["add", "-A"], author);
        self.git_as(&["commit", "-q", "-m", message], author);
        self.head()
    }

    /// Advances the clock by a minute (for the next git command).
    pub fn tick(&self) -> i64 {
        self.clock.set(self.clock.get() + 60);
        self.clock.get()
    }

    pub fn now(&self) -> i64 {
        self.clock.get()
    }

    pub fn head(&self) -> ObjectId {
        self.rev("HEAD")
    }

    pub fn rev(&self, rev: &str) -> ObjectId {
        ObjectId::from_hex(self.git(&["rev-parse", rev]).trim().as_bytes()).unwrap()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.file(rel), text).unwrap();
    }

    /// Sets `image`'s tag in `env`'s overlay (edited with ferry-kustomize).
    pub fn bump(&self, env: &str, image: &str, tag: &str) {
        let rel = format!("infra/k8s/overlays/{env}/kustomization.yaml");
        let text = self.read(&rel);
        let spec = ferry_kustomize::ImageSpec::parse(&format!("{image}:{tag}")).unwrap();
        let out =
            ferry_kustomize::set_images(&text, &[ferry_kustomize::ImageEdit::Set(spec)]).unwrap();
        assert!(out.changed, "{env}: {image}:{tag} changed nothing");
        self.write(&rel, &out.text);
    }
}

pub use ferry_test_support::git::copy_dir;

pub const BACKEND: &str = "registry.example.com/acme/backend";
pub const FRONTEND: &str = "registry.example.com/acme/frontend";
