//! `ferry-rollback holds` and `ferry-rollback release` on a real bare origin: holds named the way
//! people type them, one image of a hold released while the others stay held, and the active
//! holds listed when a release matches nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::gates::Hold;
use ferry_gitops::{Repo, Signature};
use ferry_test_support::git::{bare_origin, copy_blueprint, git, init_commit, use_git_forge};
use serde_json::Value;

use crate::common::{T0, run as rollback};

const BACKEND: &str = "registry.example.com/acme/backend:1.5.0";
const FRONTEND: &str = "registry.example.com/acme/frontend:2.0.0";

fn forge(clone: &Path) -> GitForge {
    GitForge::new(
        Repo::open(clone).unwrap(),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: Signature::new("t", "t@example.com", jiff::Timestamp::now()),
        },
    )
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A bare origin holding the blueprint, prod held for a backend and a frontend image, and a
/// clone to run in.
fn world(dir: &Path) -> (PathBuf, PathBuf) {
    let seed = dir.join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    init_commit(&seed, "blueprint", T0);
    let origin = dir.join("origin.git");
    bare_origin(&seed, &origin, T0);
    git(
        dir,
        &["clone", "-q", origin.to_str().unwrap(), "runner"],
        T0,
    );
    let runner = dir.join("runner");
    let images = BTreeMap::from([
        ("backend/backend".to_owned(), BACKEND.to_owned()),
        ("frontend/frontend".to_owned(), FRONTEND.to_owned()),
    ]);
    let hold = Hold::new(
        "prod",
        images,
        "rolled back: 5xx",
        jiff::Timestamp::UNIX_EPOCH,
    );
    block_on(forge(&runner).update_holds("prod", &mut |h| h.push(hold.clone()), "hold")).unwrap();
    (origin, runner)
}

fn active(runner: &Path) -> Vec<Hold> {
    block_on(forge(runner).holds())
        .unwrap()
        .into_iter()
        .filter(|h| !h.released)
        .collect()
}

#[test]
fn holds_are_listed_and_released_one_image_at_a_time_by_the_logical_name() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, runner) = world(tmp.path());

    let (code, stdout, stderr) = rollback(&runner, &["holds"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(BACKEND) && stdout.contains(FRONTEND),
        "{stdout}"
    );
    assert!(stdout.contains("rolled back: 5xx"), "{stdout}");
    assert!(
        stdout.contains("lift it with `ferry rollback release --env prod --image"),
        "{stdout}"
    );
    let (code, stdout, _) = rollback(&runner, &["holds", "--env", "dev"]);
    assert_eq!((code, stdout.trim()), (0, "no active hold for dev"));

    // A tag nothing holds: nothing released, the active holds listed.
    let (code, stdout, stderr) = rollback(
        &runner,
        &["release", "--env", "prod", "--image", "backend:1.4.0"],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("no active hold of prod names backend:1.4.0"),
        "{stderr}"
    );
    assert!(
        stderr.contains(BACKEND),
        "the active holds are listed: {stderr}"
    );
    assert_eq!(active(&runner).len(), 1);

    // The logical name and tag, as a person types them: only the backend is released.
    let (code, stdout, stderr) = rollback(
        &runner,
        &[
            "release",
            "--env",
            "prod",
            "--image",
            "backend:1.5.0",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(out["released"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["released"][0]["images"]["backend/backend"], BACKEND);
    let still = active(&runner);
    assert_eq!(still.len(), 1, "{still:?}");
    assert_eq!(
        still[0].images,
        BTreeMap::from([("frontend/frontend".to_owned(), FRONTEND.to_owned())]),
        "the frontend stays held"
    );

    // The full reference works as well.
    let (code, stdout, stderr) = rollback(&runner, &["release", "--env", "prod", FRONTEND]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(active(&runner).is_empty());
    let (code, stdout, _) = rollback(&runner, &["holds", "--all", "--format", "json"]);
    assert_eq!(code, 0);
    let all: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        all["holds"].as_array().unwrap().len(),
        2,
        "kept on record: {all}"
    );

    // Nothing active left: saying so.
    let (code, _, stderr) = rollback(&runner, &["release", "--env", "prod", "--all"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("prod has no active hold"), "{stderr}");
}

#[test]
fn name_equals_ref_follows_the_rule_of_every_image_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, runner) = world(tmp.path());

    // REF naming another repository: refused with the configured one; nothing released.
    let (code, stdout, stderr) = rollback(
        &runner,
        &[
            "release",
            "--env",
            "prod",
            "--image",
            "backend=ghcr.io/acme/backend:1.5.0",
        ],
    );
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("names the repository ghcr.io/acme/backend, but backend is registry.example.com/acme/backend"),
        "{stderr}"
    );
    assert_eq!(active(&runner).len(), 1);

    // A full reference of backend's own repository after `backend=`, as `ferry-pr open
    // --image` takes it: released.
    let given = format!("backend={BACKEND}");
    let (code, stdout, stderr) =
        rollback(&runner, &["release", "--env", "prod", "--image", &given]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let still = active(&runner);
    assert_eq!(
        still[0].images,
        BTreeMap::from([("frontend/frontend".to_owned(), FRONTEND.to_owned())]),
        "only the backend is released"
    );
}
