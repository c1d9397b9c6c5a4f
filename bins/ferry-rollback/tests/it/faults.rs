//! Fault injection (issue 12): `ferry-rollback` with a git that fails or stalls at seeded random
//! points of fetch and push, and SIGKILL at random moments. After every run the remote holds no
//! half change and no hold without its revert; a run without faults converges (the revert on
//! main, the failed image held).

use std::path::Path;
use std::time::Duration;

use ferry_gitops::{LoadRequest, ObjectId, Signature, load_ledger, verify_deployment};
use ferry_test_support::faults::{
    GitFaults, Rng, Tally, base_seed, clear_stale_locks, faulty_run, half_changes,
};
use ferry_test_support::git::{blueprint_origin, clone, git};

use crate::common::{DEV, T0, dev_backend, ferry_rollback};

/// Runs with faults (each followed by a clean run that must converge).
const RUNS: u64 = 40;

/// dev's holds on the remote, as text (empty without any).
fn holds(origin: &Path) -> String {
    let out = ferry_test_support::git::output_as(
        origin,
        &["show", "refs/ferry/holds:dev.json"],
        ferry_test_support::git::ADA,
        T0,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pushes a commit setting dev's backend to `tag` onto the remote's main, from `pusher`.
fn push_bad(pusher: &Path, tag: &str, at: i64) {
    git(pusher, &["fetch", "-q", "origin", "main"], at);
    git(pusher, &["reset", "-q", "--hard", "origin/main"], at);
    let file = pusher.join(DEV);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let entry = lines
        .iter()
        .position(|l| l.trim() == "- name: registry.example.com/acme/backend")
        .expect("the backend entry");
    let indent = &lines[entry + 1][..lines[entry + 1].len() - lines[entry + 1].trim_start().len()];
    lines[entry + 1] = format!("{indent}newTag: {tag}");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    git(
        pusher,
        &["commit", "-q", "-am", &format!("dev: backend {tag}")],
        at,
    );
    git(pusher, &["push", "-q", "origin", "HEAD:main"], at);
}

/// A bare origin with the blueprint (plain-git forge) whose dev deployment is verified (the
/// note pushed); the temporary directory, the origin and the verified commit.
fn verified_world() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (origin, good) = blueprint_origin(tmp.path(), true, T0);

    // dev's blueprint deployment is verified (the note pushed).
    let verifier = clone(&origin, &tmp.path().join("verifier"), T0);
    let config = ferry_config::Config::load(verifier.join("ferry.toml")).unwrap();
    let loaded = load_ledger(&config, &LoadRequest::default()).unwrap();
    verify_deployment(
        &loaded.repo,
        &loaded.ledger,
        "dev",
        Some(ObjectId::from_hex(good.as_bytes()).unwrap()),
        serde_json::json!({"by": "test"}),
        &Signature::new(
            "t",
            "t@example.com",
            jiff::Timestamp::from_second(T0 + 30).unwrap(),
        ),
    )
    .unwrap();
    git(&verifier, &["push", "-q", "origin", "refs/notes/ferry"], T0);

    (tmp, origin, good)
}

#[test]
fn a_rollback_reverted_without_its_hold_is_finished_by_the_next_run() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let (tmp, origin, good) = verified_world();
    let pusher = clone(&origin, &tmp.path().join("pusher"), T0);
    let runner = clone(&origin, &tmp.path().join("runner"), T0);
    push_bad(&pusher, "9.9.9", T0 + 100);
    // The state a run killed between its two pushes leaves: the revert, no hold.
    let first = ferry_rollback(&runner, &["--env", "dev", "--to", &good, "--no-hold"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(dev_backend(&origin), "1.3.3");
    assert!(!holds(&origin).contains(":9.9.9\""));
    // Running the rollback again (no --force) finishes it: the hold, nothing reverted twice.
    let main = git(&origin, &["rev-parse", "main"], T0);
    let again = ferry_rollback(&runner, &["--env", "dev", "--to", &good])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(holds(&origin).contains(":9.9.9\""), "{}", holds(&origin));
    assert_eq!(git(&origin, &["rev-parse", "main"], T0), main);
    // And a third run refuses to roll back the rollback, as before.
    let third = ferry_rollback(&runner, &["--env", "dev", "--to", &good])
        .output()
        .unwrap();
    assert_eq!(
        third.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&third.stdout)
    );
}

#[test]
fn faults_and_kills_never_leave_a_hold_without_its_revert_and_a_rerun_converges() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let (tmp, origin, good) = verified_world();
    let pusher = clone(&origin, &tmp.path().join("pusher"), T0);
    let runner = clone(&origin, &tmp.path().join("runner"), T0);
    let faults = GitFaults::install(&tmp.path().join("faults"));
    let args = [
        "--env",
        "dev",
        "--to",
        good.as_str(),
        "--force",
        "--reason",
        "faults",
    ];

    let mut tally = Tally::default();
    for run in 0..RUNS {
        let seed = base_seed() + 1000 + run;
        let mut rng = Rng::new(seed);
        let bad = format!("9.9.{run}");
        push_bad(&pusher, &bad, T0 + 100 + run as i64);
        let (code, line) = faulty_run(
            &faults,
            &mut rng,
            &mut ferry_rollback(&runner, &args),
            5,
            Duration::from_millis(700),
        );
        tally.add(code);
        let mut locks = clear_stale_locks(&origin);
        locks.extend(clear_stale_locks(&runner.join(".git")));
        let context = format!("seed {seed} (run {run}): {line}, stale locks {locks:?}");
        let half = half_changes(&origin, "deploy/");
        assert!(half.is_empty(), "{context}: {half:?}");
        if holds(&origin).contains(&format!(":{bad}\"")) {
            assert_eq!(
                dev_backend(&origin),
                "1.3.3",
                "{context}: a hold without its revert"
            );
        }

        let out = ferry_rollback(&runner, &[&args[..], &["--format", "json"]].concat())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{context}: the clean re-run: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(half_changes(&origin, "deploy/").is_empty(), "{context}");
        assert_eq!(dev_backend(&origin), "1.3.3", "{context}: reverted");
        assert!(
            holds(&origin).contains(&format!(":{bad}\"")),
            "{context}: {bad} held: {}",
            holds(&origin)
        );
    }
    tally.assert_faults_happened();
}
