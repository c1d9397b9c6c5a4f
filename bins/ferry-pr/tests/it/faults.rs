//! Fault injection (issue 12): `ferry-pr open` with a git that fails or stalls at seeded random
//! points of fetch and push, and SIGKILL at random moments. After every run the remote holds no
//! half change (a deploy branch without its record, a record without its branch), and a run
//! without faults converges: one open change with the newest image, or the image merged.

use std::path::Path;
use std::time::Duration;

use ferry_test_support::faults::{
    GitFaults, Rng, Tally, base_seed, clear_stale_locks, faulty_run, half_changes,
};
use ferry_test_support::git::{blueprint_origin, clone, git};

use crate::common::{DEV, ferry_pr};

const T0: i64 = 1_767_225_600;
/// Runs with faults (each followed by a clean run that must converge).
const RUNS: u64 = 60;

/// The backend tag of dev in `text`.
fn backend_tag(text: &str) -> String {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "- name: registry.example.com/acme/backend" {
            let tag = lines.next().expect("a newTag line").trim();
            let tag = tag.strip_prefix("newTag:").expect("newTag").trim();
            return tag.split_whitespace().next().expect("a tag").to_owned();
        }
    }
    panic!("no backend entry in:\n{text}");
}

fn refs(origin: &Path, prefix: &str) -> Vec<String> {
    git(origin, &["for-each-ref", "--format=%(refname)", prefix], T0)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn faults_and_kills_never_leave_half_a_change_and_a_rerun_converges() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (origin, _) = blueprint_origin(tmp.path(), true, T0);
    let dir = clone(&origin, &tmp.path().join("runner"), T0);
    let faults = GitFaults::install(&tmp.path().join("faults"));
    let mut tally = Tally::default();
    for run in 0..RUNS {
        let seed = base_seed() + run;
        let mut rng = Rng::new(seed);
        let tag = format!("2.0.{run}");
        let image = format!("backend={tag}");
        let auto = rng.chance(50);
        let mut args = vec!["open", "--env", "dev", "--image", image.as_str()];
        args.push(if auto {
            "--auto-merge"
        } else {
            "--no-auto-merge"
        });
        let (code, line) = faulty_run(
            &faults,
            &mut rng,
            &mut ferry_pr(&dir, &args),
            4,
            Duration::from_millis(600),
        );
        tally.add(code);
        let mut locks = clear_stale_locks(&origin);
        locks.extend(clear_stale_locks(&dir.join(".git")));
        let context = format!("seed {seed} (run {run}): {line}, stale locks {locks:?}");
        let half = half_changes(&origin, "deploy/");
        assert!(half.is_empty(), "{context}: {half:?}");

        // A run without faults converges.
        let out = ferry_pr(&dir, &[&args[..], &["--format", "json"]].concat())
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
        let records = refs(&origin, "refs/ferry/changes/");
        let branches = refs(&origin, "refs/heads/deploy/");
        if auto {
            assert_eq!(
                backend_tag(&git(&origin, &["show", &format!("main:{DEV}")], T0)),
                tag,
                "{context}"
            );
            assert!(
                records.is_empty() && branches.is_empty(),
                "{context}: {records:?} {branches:?}"
            );
        } else {
            assert_eq!(records.len(), 1, "{context}: one open change: {records:?}");
            assert_eq!(branches.len(), 1, "{context}: {branches:?}");
            let branch = branches[0].as_str();
            assert_eq!(
                backend_tag(&git(&origin, &["show", &format!("{branch}:{DEV}")], T0)),
                tag,
                "{context}"
            );
        }
    }
    tally.assert_faults_happened();
}
