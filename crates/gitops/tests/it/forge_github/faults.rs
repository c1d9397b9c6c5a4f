//! Fault injection (issue 12) of the GitHub forge: the calls of `ferry-pr open` (snapshot,
//! branch, verified commit, pull request, slot, labels, auto-merge, superseding, a rebuild on a
//! moved base) against the stateful stand-in failing at seeded random calls — a 502 before or
//! after acting, an answer lost before or after acting (beyond the client's read timeout), a
//! slow answer — and runs cut off at a random moment (the future dropped: nothing of the run
//! goes on, as after `kill -9`). After every run GitHub holds no half change (an open pull
//! request whose branch is gone or lacks its edit; after a reported success, the run's branch
//! without its open pull request), and a run without faults converges to exactly one open
//! change, the run's, holding the environment's slot.
//!
//! `FERRY_FAULT_SEED` replays a failing seed.

use std::path::Path;
use std::time::{Duration, Instant};

use ferry_github::{Credentials, GithubClient, GithubConfig, RetryPolicy};
use ferry_gitops::Repo;
use ferry_gitops::forge::Forge;
use ferry_gitops::forge::github::GithubForge;
use ferry_test_support::faults::{Rng, Tally, base_seed};
use ferry_test_support::git::{ADA, clone, git, output_as};
use ferry_test_support::github::standin::{Faults, StandIn, assert_every_fault_kind};

use super::slots::github;
use super::{TOKEN, branch, common, dev_files, options, request};

/// Runs with faults, each followed by a run without faults that must converge.
const RUNS: u64 = 100;
/// Percent of the calls that fail.
const FAULT_PERCENT: u64 = 20;
/// The client's read timeout, and how late a lost answer comes.
const READ_TIMEOUT: Duration = Duration::from_millis(250);
const LOST_AFTER: Duration = Duration::from_millis(400);
/// The read timeout of the runs without faults.
const PATIENT: Duration = Duration::from_secs(30);
const TAGS: [&str; 4] = ["2.0.1", "2.0.2", "2.0.3", "2.0.4"];

/// A forge over `local` whose client gives up fast (the stand-in is local) and waits
/// `read_timeout` for an answer: [`READ_TIMEOUT`] under faults, longer without (a loaded
/// machine must not fail a run that converges).
fn fast_forge(standin: &StandIn, local: &Path, read_timeout: Duration) -> GithubForge {
    let mut config = GithubConfig::new("o", "r", Credentials::token(TOKEN))
        .with_urls(standin.api_url(), standin.graphql_url());
    config.connect_timeout = Some(Duration::from_secs(2));
    config.read_timeout = Some(read_timeout);
    config.retry = RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(5),
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        rate_limit_wait: Duration::from_millis(20),
    };
    let client = GithubClient::new(config).unwrap();
    GithubForge::new(client, Repo::open(local).unwrap(), options())
}

/// The backend tag of dev's overlay at `rev` of GitHub's copy (`None`: no such revision).
fn tag_at(origin: &Path, rev: &str) -> Option<String> {
    let out = output_as(
        origin,
        &["show", &format!("{rev}:{}", super::DEV)],
        ADA,
        common::T0,
    );
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("- name: {}", common::BACKEND) {
            let tag = lines.next()?.trim().trim_start_matches("newTag:").trim();
            return tag.split_whitespace().next().map(str::to_owned);
        }
    }
    None
}

/// Open pull requests that are half a change: the branch is gone, or its head does not set
/// the tag the branch stands for.
fn half_changes(standin: &StandIn, origin: &Path) -> Vec<String> {
    let mut half = Vec::new();
    for pull in standin.open_pulls() {
        let Some(tag) = TAGS.iter().find(|t| branch(t) == pull.head) else {
            half.push(format!(
                "#{} from an unknown branch {}",
                pull.number, pull.head
            ));
            continue;
        };
        match tag_at(origin, &format!("refs/heads/{}", pull.head)) {
            None => half.push(format!("#{}: branch {} is gone", pull.number, pull.head)),
            Some(t) if t != *tag => half.push(format!(
                "#{}: branch {} sets {t}, not {tag}",
                pull.number, pull.head
            )),
            Some(_) => {}
        }
    }
    half
}

/// Moves GitHub's `main` (staging's backend), as merges of other changes do.
fn move_base(pusher: &Path, n: u64) {
    git(pusher, &["fetch", "-q", "origin", "main"], common::T0);
    git(
        pusher,
        &["reset", "-q", "--hard", "origin/main"],
        common::T0,
    );
    std::fs::write(pusher.join("CHANGELOG-ferry-test"), format!("{n}\n")).unwrap();
    git(pusher, &["add", "-A"], common::T0);
    git(
        pusher,
        &["commit", "-q", "-m", &format!("move {n}")],
        common::T0,
    );
    git(pusher, &["push", "-q", "origin", "HEAD:main"], common::T0);
}

#[tokio::test(flavor = "current_thread")]
async fn open_under_faults_never_leaves_half_a_change_and_a_rerun_converges() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let started = Instant::now();
    let seed = base_seed();
    eprintln!("fault seed {seed} (FERRY_FAULT_SEED={seed} replays it)");
    let tmp = tempfile::tempdir().unwrap();
    let (origin, standin) = github(tmp.path()).await;
    let local = clone(&origin, &tmp.path().join("runner"), common::T0);
    let pusher = clone(&origin, &tmp.path().join("pusher"), common::T0);
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for run in 0..RUNS {
        if rng.chance(15) {
            move_base(&pusher, run);
        }
        let tag = TAGS[rng.below(TAGS.len() as u64) as usize];
        let auto_merge = rng.chance(30);
        let cut = rng
            .chance(20)
            .then(|| Duration::from_millis(rng.below(300)));
        let req = request(tag, auto_merge);
        standin.clear_log();
        standin.set_faults(Some(Faults::new(
            seed.wrapping_add(run),
            FAULT_PERCENT,
            LOST_AFTER,
        )));
        let forge = fast_forge(&standin, &local, READ_TIMEOUT);
        let mut planner = move |base: &ferry_gitops::forge::Base<'_>| dev_files(base, tag);
        let result = match cut {
            Some(after) => tokio::time::timeout(after, forge.open_change(&req, &mut planner))
                .await
                .ok(),
            None => Some(forge.open_change(&req, &mut planner).await),
        };
        standin.set_faults(None);
        // A request a cut-off run had sent lands before GitHub is read.
        tokio::time::sleep(Duration::from_millis(if cut.is_some() { 30 } else { 0 })).await;
        let log = standin.log();
        for (kind, n) in standin.fault_counts() {
            *kinds.entry(kind).or_insert(0) += n;
        }
        tally.add(match &result {
            None => None,
            Some(Ok(_)) => Some(0),
            Some(Err(_)) => Some(3),
        });
        let line = format!(
            "run {run} (seed {seed}): backend {tag}, auto-merge {auto_merge}, cut {cut:?}: {:?}\ncalls {log:#?}",
            result.as_ref().map(|r| r
                .as_ref()
                .map(|o| (&o.id, &o.warnings))
                .map_err(|e| e.to_string()))
        );

        let half = half_changes(&standin, &origin);
        assert!(half.is_empty(), "{line}\nhalf changes: {half:#?}");
        if let Some(Ok(opened)) = &result {
            let open = standin.open_pulls();
            let own = open.iter().find(|p| p.number.to_string() == opened.id);
            assert!(
                own.is_some_and(|p| p.head == req.branch),
                "{line}\nthe reported change is not open: {open:#?}"
            );
            if opened.warnings.is_empty() {
                assert_eq!(open.len(), 1, "{line}\n{open:#?}");
            }
        }

        // A run without faults converges: one open change, this run's, holding the slot.
        let again = fast_forge(&standin, &local, PATIENT)
            .open_change(&req, &mut move |base: &ferry_gitops::forge::Base<'_>| {
                dev_files(base, tag)
            })
            .await
            .unwrap_or_else(|e| panic!("{line}\nthe re-run failed: {e}"));
        let open = standin.open_pulls();
        assert_eq!(open.len(), 1, "{line}\nafter the re-run: {open:#?}");
        assert_eq!(open[0].head, req.branch, "{line}");
        assert_eq!(again.id, open[0].number.to_string(), "{line}");
        assert_eq!(
            tag_at(&origin, &format!("refs/heads/{}", open[0].head)).as_deref(),
            Some(tag),
            "{line}"
        );
        let slot = git(
            &origin,
            &["log", "-1", "--format=%B", "refs/ferry/slots/dev"],
            common::T0,
        );
        assert!(
            slot.contains(&format!("Ferry-Change: {}", open[0].number)),
            "{line}\nslot: {slot}"
        );
    }
    // Cleanup without faults leaves no deploy or scratch branch without its open change.
    fast_forge(&standin, &local, PATIENT)
        .cleanup()
        .await
        .unwrap();
    let open = standin.open_pulls();
    let branches = git(
        &origin,
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/deploy/",
            "refs/heads/ferry/tmp/",
        ],
        common::T0,
    );
    let left: Vec<&str> = branches
        .lines()
        .filter(|b| !open.iter().any(|p| p.head == *b))
        .collect();
    assert!(left.is_empty(), "branches left after cleanup: {left:?}");
    tally.assert_faults_happened();
    assert_every_fault_kind(&kinds);
    assert!(tally.succeeded > 0, "{tally:?}");
    eprintln!(
        "{RUNS} runs under faults (faults injected: {kinds:?}), each re-run converged, in {:?}",
        started.elapsed()
    );
}
