//! Rollback in Git through the plain-git forge on real repositories: a bare repository as the
//! remote and a clone as the runner's checkout. From a bad release to the policy's decision,
//! the revert on the base branch, the hold, and the policy refusing to roll back the rollback.

use std::path::Path;
use std::time::Duration;

use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::{EnvironmentSpec, build_ledger};
use ferry_gitops::{ObjectId, Repo, verify_deployment};
use ferry_health::monitor::{Check, Policy, Report, Verdict};
use ferry_health::probe::{Observation, Outcome};
use ferry_notify::{Outcome as NotifyOutcome, StepResult};
use ferry_rollback::actions::{RevertRequest, hold, release, revert_in_git};
use ferry_rollback::facts::{rollback_of, verified_before_current};
use ferry_rollback::policy::{Decision, Facts, Rule, Settings, decide};
use ferry_rollback::steps::StepResults as _;
use ferry_test_support::git::git;

use crate::common::{BACKEND, PROD, T0, block_on, clone, signature, world};

fn forge(path: &Path) -> GitForge {
    GitForge::new(
        Repo::open(path).unwrap(),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: signature(T0 + 600),
        },
    )
    .with_poll_interval(Duration::from_millis(50))
}

fn unhealthy() -> Report {
    let check = |n: u32| Check {
        n,
        at_ms: u64::from(n) * 30_000,
        outcome: Outcome::Fail,
        consecutive_failures: n,
        errors: 0,
        observations: vec![Observation::new(
            "http GET https://shop/",
            Outcome::Fail,
            "503",
        )],
    };
    Report {
        verdict: Verdict::Unhealthy,
        reason: "3 consecutive failed checks; last: http GET https://shop/: 503".into(),
        at_ms: 90_000,
        policy: Policy::default(),
        checks: vec![check(1), check(2), check(3)],
        signal: None,
    }
}

fn prod() -> Vec<EnvironmentSpec> {
    vec![EnvironmentSpec {
        name: "prod".into(),
        overlay: PROD.into(),
    }]
}

#[test]
fn a_bad_release_is_reverted_in_git_held_and_never_rolled_back_twice() {
    let Some((dir, bare, good, bad)) = world() else {
        return;
    };
    let runner = clone(dir.path(), &bare, "runner");
    let repo = Repo::open(&runner).unwrap();
    let good_id = ObjectId::from_hex(good.as_bytes()).unwrap();
    let bad_id = ObjectId::from_hex(bad.as_bytes()).unwrap();

    // The blueprint's prod was verified; the bad release was not.
    let ledger = build_ledger(&repo, bad_id, &prod()).unwrap();
    verify_deployment(
        &repo,
        &ledger,
        "prod",
        Some(good_id),
        serde_json::json!({"by": "test"}),
        &signature(T0 + 30),
    )
    .unwrap();
    let verified = verified_before_current(&ledger, &repo, "prod")
        .unwrap()
        .expect("a verified set before the bad release");
    assert_eq!(verified.commit, good);
    assert_eq!(rollback_of(&repo, bad_id).unwrap(), None);

    let report = unhealthy();
    let start = jiff::Timestamp::from_second(T0 + 120).unwrap();
    let mut facts = Facts::new(
        ledger.environment("prod").unwrap(),
        &report,
        &bad,
        start,
        start + jiff::SignedDuration::from_secs(100),
    );
    facts.verified = Some(&verified);
    let decision = decide(&facts, &Settings::default());
    let Decision::RollBack { to, reason, .. } = &decision else {
        panic!("expected a rollback, got {decision:?}");
    };
    assert_eq!(to.failed_commit, bad);
    assert!(
        to.images.values().any(|i| i == &format!("{BACKEND}:1.3.1")),
        "{to:?}"
    );

    // Revert in Git, merged at once, and hold the failed set.
    let forge = forge(&runner);
    let request = RevertRequest {
        env: "prod",
        overlay: PROD,
        target: to,
        reason,
        failed_change: Some("refs/ferry/changes/prod-1"),
        evidence_url: Some("https://ci.example/run/7"),
        branch_prefix: "deploy/",
        labels: vec![],
        auto_merge: true,
    };
    let result = block_on(revert_in_git(&forge, &request));
    let git_step = StepResult::from_revert(&result);
    let reverted = result.unwrap();
    let StepResult::Done { detail } = &git_step else {
        panic!("a merged revert is done: {git_step:?}");
    };
    assert_eq!(
        detail,
        &format!("merged as {}", &reverted.opened.commit[..12])
    );
    assert!(reverted.merged(), "{reverted:?}");
    // Every backend container (whatever workloads run it) goes from 1.4.0 back to 1.3.1.
    assert!(!reverted.reverted.is_empty());
    for change in &reverted.reverted {
        assert_eq!(
            change.from.as_deref(),
            Some(format!("{BACKEND}:1.4.0").as_str()),
            "{change:?}"
        );
        assert_eq!(
            change.to.as_deref(),
            Some(format!("{BACKEND}:1.3.1").as_str()),
            "{change:?}"
        );
    }
    assert!(reverted.not_reverted.is_empty());
    let main = git(&bare, &["rev-parse", "main"], T0).trim().to_string();
    let text = git(
        &bare,
        &["show", &format!("main:{PROD}/kustomization.yaml")],
        T0,
    );
    assert!(text.contains("newTag: 1.3.1"), "{text}");
    assert!(!text.contains("1.4.0"));
    let message = git(&bare, &["log", "-1", "--format=%B", "main"], T0);
    assert!(
        message.contains(&format!("Ferry-Rollback: {bad}")),
        "{message}"
    );
    assert!(message.contains("Evidence: https://ci.example/run/7"));

    // Asking again finds the base already reverted: nothing new, and said so.
    let again = StepResult::from_revert(&block_on(revert_in_git(&forge, &request)));
    assert!(
        matches!(&again, StepResult::Done { detail } if detail.starts_with("the base branch already had")),
        "{again:?}"
    );
    // A revert that cannot be planned fails, and the notification says so.
    let wrong = RevertRequest {
        overlay: "infra/k8s/overlays/nowhere",
        ..request.clone()
    };
    let failed = StepResult::from_revert(&block_on(revert_in_git(&forge, &wrong)));
    let outcome = NotifyOutcome::RolledBack {
        env: "prod".into(),
        failed_commit: bad.clone(),
        failed_images: to.failed_images.clone(),
        target_images: to.images.clone(),
        reason: reason.clone(),
        git: failed,
        cluster: vec![],
        hold: StepResult::Skipped {
            why: "not asked".into(),
        },
    };
    assert!(
        outcome.headline().contains("FAILED"),
        "{}",
        outcome.headline()
    );
    assert!(
        outcome
            .text()
            .contains("no kustomization file in infra/k8s/overlays/nowhere"),
        "{}",
        outcome.text()
    );

    let holds = block_on(hold(
        &forge,
        "prod",
        &to.failed_images,
        "rolled back: 3 consecutive failed checks",
        start,
    ))
    .unwrap();
    assert_eq!(holds.len(), 1);
    // Holding the same set again adds nothing.
    let again = block_on(hold(&forge, "prod", &to.failed_images, "again", start)).unwrap();
    assert_eq!(again.len(), 1);
    let all = block_on(forge.holds()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(
        all[0]
            .images
            .values()
            .any(|i| i == &format!("{BACKEND}:1.4.0"))
    );

    // The revert is now what prod runs; if it fails too, the policy escalates.
    let head = block_on(forge.sync()).unwrap();
    assert_eq!(head.to_string(), main);
    let ledger = build_ledger(forge.repo(), head, &prod()).unwrap();
    let env = ledger.environment("prod").unwrap();
    assert_eq!(env.current().unwrap().commit, main);
    let trailer = rollback_of(forge.repo(), head).unwrap();
    assert_eq!(trailer.as_deref(), Some(bad.as_str()));
    let mut facts = Facts::new(
        env,
        &report,
        &main,
        start,
        start + jiff::SignedDuration::from_secs(100),
    );
    facts.rollback_of = trailer;
    facts.verified = Some(&verified);
    assert_eq!(
        decide(&facts, &Settings::default()).rule(),
        Rule::RollbackOfRollback
    );

    // Released by image: that image's part of the hold stays on record, released; the other
    // images of the failed set stay held.
    let backend = format!("{BACKEND}:1.4.0");
    let released = block_on(release(&forge, "prod", &backend)).unwrap();
    assert_eq!(released.len(), 1);
    assert!(released[0].images.values().all(|i| *i == backend));
    let all = block_on(forge.holds()).unwrap();
    let others: Vec<&String> = to
        .failed_images
        .values()
        .filter(|i| **i != backend)
        .collect();
    for h in &all {
        let names_backend = h.images.values().any(|i| *i == backend);
        assert_eq!(h.released, names_backend, "{all:?}");
    }
    assert_eq!(
        all.iter().filter(|h| !h.released).count(),
        usize::from(!others.is_empty()),
        "{all:?}"
    );
    // Nothing left to release.
    let none = block_on(release(&forge, "prod", &format!("{BACKEND}:1.4.0"))).unwrap();
    assert!(none.is_empty());
}
