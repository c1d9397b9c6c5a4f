//! Fault injection (issue 12) of a rollback through the GitHub forge: the revert
//! (`revert_in_git`) and, only when it succeeded, the hold (`hold`), as `ferry-rollback` does
//! them, against the stateful stand-in (`ferry_test_support::github::standin`) failing at
//! seeded random calls (a 502 before or after acting, an answer lost before or after acting,
//! a slow answer) and cut off at random moments. After every run GitHub never holds a hold
//! without its revert (an open pull request whose branch sets the target's images) nor an open
//! pull request whose branch lacks the revert; a run without faults converges to one revert and
//! one hold. Each run starts from a fresh rollback (earlier reverts closed, holds removed).
//!
//! `FERRY_FAULT_SEED` replays a failing seed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ferry_github::{Credentials, GithubClient, GithubConfig, MergeMethod, RetryPolicy};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::plan::deploy_branch;
use ferry_gitops::{EnvironmentSpec, build_ledger};
use ferry_gitops::{ObjectId, Repo};
use ferry_rollback::actions::{RevertRequest, hold, revert_in_git};
use ferry_rollback::policy::{Target, image_changes};
use ferry_test_support::faults::{Rng, Tally, base_seed};
use ferry_test_support::git::{ADA, output_as};
use ferry_test_support::github::standin::{Faults, StandIn, assert_every_fault_kind};

use crate::common::{BACKEND, PROD, T0, block_on, clone, signature, world};

/// Rollbacks with faults, each followed by one without faults that must converge.
const RUNS: u64 = 50;
const FAULT_PERCENT: u64 = 12;
const READ_TIMEOUT: Duration = Duration::from_millis(250);
const LOST_AFTER: Duration = Duration::from_millis(400);
const PATIENT: Duration = Duration::from_secs(30);

fn forge(standin: &StandIn, local: &Path, read_timeout: Duration) -> GithubForge {
    let mut config = GithubConfig::new("o", "r", Credentials::token("ghp_FERRYFAULTS0123456789"))
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
    GithubForge::new(
        GithubClient::new(config).unwrap(),
        Repo::open(local).unwrap(),
        GithubForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: signature(T0 + 600),
            merge_method: MergeMethod::Squash,
            overlays: BTreeMap::from([("prod".to_owned(), PROD.to_owned())]),
            resolve: Default::default(),
        },
    )
}

/// Prod's backend tag at `rev` of GitHub's copy (`None`: no such revision).
fn backend_at(origin: &Path, rev: &str) -> Option<String> {
    let out = output_as(
        origin,
        &["show", &format!("{rev}:{PROD}/kustomization.yaml")],
        ADA,
        T0,
    );
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("- name: {BACKEND}") {
            let tag = lines.next()?.trim().trim_start_matches("newTag:").trim();
            return tag.split_whitespace().next().map(str::to_owned);
        }
    }
    None
}

/// Prod's active holds on GitHub's holds branch (raw JSON values).
fn active_holds(origin: &Path) -> Vec<serde_json::Value> {
    let out = output_as(
        origin,
        &["show", "refs/heads/ferry/holds:.ferry/holds/prod.json"],
        ADA,
        T0,
    );
    if !out.status.success() {
        return Vec::new();
    }
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("holds JSON");
    all.into_iter()
        .filter(|h| h["released"] != serde_json::Value::Bool(true))
        .collect()
}

#[test]
fn rollback_under_faults_never_holds_without_its_revert_and_a_rerun_converges() {
    let Some((dir, bare, good, bad)) = world() else {
        return;
    };
    let started = Instant::now();
    let seed = base_seed();
    eprintln!("fault seed {seed} (FERRY_FAULT_SEED={seed} replays it)");
    let local = clone(dir.path(), &bare, "runner");
    let repo = Repo::open(&local).unwrap();
    let bad_id = ObjectId::from_hex(bad.as_bytes()).unwrap();
    let spec = EnvironmentSpec {
        name: "prod".into(),
        overlay: PROD.into(),
    };
    let ledger = build_ledger(&repo, bad_id, &[spec]).unwrap();
    let deployments = &ledger.environment("prod").unwrap().deployments;
    let (failed, verified) = (&deployments[0], &deployments[1]);
    assert_eq!(verified.commit, good);
    let target = Target {
        verified_commit: good.clone(),
        verified_at: "2026-01-01T00:00:30Z".into(),
        images: verified.images.clone(),
        failed_commit: bad.clone(),
        failed_images: failed.images.clone(),
        changes: image_changes(&failed.images, &verified.images),
    };
    let held: BTreeMap<String, String> = failed
        .images
        .iter()
        .filter(|(k, v)| verified.images.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(!held.is_empty());
    let revert_branch = deploy_branch("deploy/", "prod", &target.images);
    let reverted_tag = backend_at(&bare, &good).expect("the good backend tag");

    block_on(async {
        let standin = StandIn::start(&bare).await;
        let mut rng = Rng::new(seed);
        let mut tally = Tally::default();
        let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
        for run in 0..RUNS {
            // A fresh rollback: earlier reverts closed, their branches and the holds gone.
            standin.close_all();
            for name in [
                "refs/heads/ferry/holds".to_owned(),
                format!("refs/heads/{revert_branch}"),
            ] {
                let _ = output_as(&bare, &["update-ref", "-d", &name], ADA, T0);
            }
            let auto_merge = rng.chance(50);
            let cut = rng
                .chance(20)
                .then(|| Duration::from_millis(rng.below(300)));
            let request = RevertRequest {
                env: "prod",
                overlay: PROD,
                target: &target,
                reason: "prod is unhealthy",
                failed_change: None,
                evidence_url: None,
                branch_prefix: "deploy/",
                labels: vec!["ferry".into()],
                auto_merge,
            };
            let now = jiff::Timestamp::from_second(T0 + 700).unwrap();
            standin.clear_log();
            standin.set_faults(Some(Faults::new(
                seed.wrapping_add(run),
                FAULT_PERCENT,
                LOST_AFTER,
            )));
            let faulty = forge(&standin, &local, READ_TIMEOUT);
            // The rollback's Git steps: the revert, then the hold only with its revert.
            let steps = async {
                let reverted = revert_in_git(&faulty, &request)
                    .await
                    .map_err(|e| e.to_string())?;
                hold(&faulty, "prod", &held, "rolled back", now)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(reverted)
            };
            let result = match cut {
                Some(after) => tokio::time::timeout(after, steps).await.ok(),
                None => Some(steps.await),
            };
            standin.set_faults(None);
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
                "run {run} (seed {seed}): auto-merge {auto_merge}, cut {cut:?}: {:?}\ncalls {log:#?}",
                result.as_ref().map(|r| r.as_ref().map(|o| &o.opened.id))
            );

            // No open pull request lacks the revert; no hold without its revert.
            let open = standin.open_pulls();
            for pull in &open {
                assert_eq!(pull.head, revert_branch, "{line}\n{open:#?}");
                assert_eq!(
                    backend_at(&bare, &format!("refs/heads/{}", pull.head)),
                    Some(reverted_tag.clone()),
                    "{line}\nan open pull request without the revert"
                );
            }
            if !active_holds(&bare).is_empty() {
                assert!(!open.is_empty(), "{line}\na hold without its revert");
            }
            if let Some(Ok(reverted)) = &result {
                assert!(
                    open.iter()
                        .any(|p| p.number.to_string() == reverted.opened.id),
                    "{line}\nthe reported revert is not open: {open:#?}"
                );
                assert_eq!(active_holds(&bare).len(), 1, "{line}");
            }

            // Without faults the rollback converges: one revert, one hold.
            let patient = forge(&standin, &local, PATIENT);
            let again = revert_in_git(&patient, &request)
                .await
                .unwrap_or_else(|e| panic!("{line}\nthe re-run's revert failed: {e}"));
            hold(&patient, "prod", &held, "rolled back", now)
                .await
                .unwrap_or_else(|e| panic!("{line}\nthe re-run's hold failed: {e}"));
            let open = standin.open_pulls();
            assert_eq!(open.len(), 1, "{line}\nafter the re-run: {open:#?}");
            assert_eq!(again.opened.id, open[0].number.to_string(), "{line}");
            assert_eq!(
                backend_at(&bare, &format!("refs/heads/{revert_branch}")),
                Some(reverted_tag.clone()),
                "{line}"
            );
            let holds = active_holds(&bare);
            assert_eq!(holds.len(), 1, "{line}\n{holds:#?}");
            assert_eq!(holds[0]["images"], serde_json::json!(held), "{line}");
        }
        tally.assert_faults_happened();
        assert_every_fault_kind(&kinds);
        assert!(tally.succeeded > 0, "{tally:?}");
        eprintln!(
            "{RUNS} rollbacks under faults (faults injected: {kinds:?}), each re-run converged, in {:?}",
            started.elapsed()
        );
    });
}
