use std::collections::BTreeMap;
use std::time::Duration;

use ferry_gitops::VerificationRecord;
use ferry_gitops::gates::Hold;
use ferry_health::monitor::{Check, Policy, Report, Signal, Span, Verdict};
use ferry_health::probe::{Observation, Outcome};
use ferry_ledger::verify::VerifiedSet;
use jiff::Timestamp;

use super::*;

const FAILED: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const GOOD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn images(tag: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "backend/backend".to_string(),
            format!("registry.example.com/acme/backend:{tag}"),
        ),
        ("postgres/postgres".to_string(), "postgres:16".to_string()),
    ])
}

fn start() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn policy() -> Policy {
    Policy {
        warmup: Duration::from_secs(10),
        interval: Duration::from_secs(30),
        span: Span::Checks(10),
        failures: 3,
        error_budget: 5,
        timeout: Duration::from_secs(900),
    }
}

fn check(n: u32, at_ms: u64, outcome: Outcome) -> Check {
    Check {
        n,
        at_ms,
        outcome,
        consecutive_failures: 0,
        errors: 0,
        observations: vec![Observation::new(
            "http GET https://shop/healthz",
            outcome,
            format!("{outcome} at {at_ms}"),
        )],
    }
}

fn report(verdict: Verdict, checks: Vec<Check>) -> Report {
    Report {
        verdict,
        reason: format!("{verdict} for the test"),
        at_ms: checks.last().map_or(0, |c| c.at_ms),
        policy: policy(),
        checks,
        signal: None,
    }
}

/// Three consecutive failures, 10, 40 and 70 s after the start.
fn unhealthy() -> Report {
    report(
        Verdict::Unhealthy,
        vec![
            check(1, 10_000, Outcome::Fail),
            check(2, 40_000, Outcome::Fail),
            check(3, 70_000, Outcome::Fail),
        ],
    )
}

fn verified(tag: &str, matches_ledger: bool) -> VerifiedSet {
    VerifiedSet {
        commit: GOOD.into(),
        record: VerificationRecord::new(
            "prod",
            "2026-11-24T09:00:00Z".parse().unwrap(),
            images(tag),
            serde_json::json!({"by": "test"}),
        ),
        matches_ledger,
    }
}

/// Facts for a failing 1.4.0 in prod, a minute after the last check, with 1.3.1 verified.
fn facts<'a>(report: &'a Report, verified: Option<&'a VerifiedSet>) -> Facts<'a> {
    Facts {
        env: "prod",
        report,
        monitored: FAILED,
        started_at: start(),
        now: start() + jiff::SignedDuration::from_secs(130),
        current: Some(Deployed {
            commit: FAILED.into(),
            images: images("1.4.0"),
        }),
        verified,
        holds: &[],
        in_flight: None,
        rollback_of: None,
    }
}

fn settings() -> Settings {
    Settings::default()
}

#[test]
fn rolls_back_to_the_last_verified_set_on_failures() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let decision = decide(&facts(&report, Some(&target)), &settings());
    let Decision::RollBack {
        to,
        reason,
        auto_merge,
    } = decision
    else {
        panic!("expected a rollback, got {decision:?}");
    };
    assert!(auto_merge);
    assert_eq!(to.images, images("1.3.1"));
    assert_eq!(to.failed_images, images("1.4.0"));
    assert_eq!(to.failed_commit, FAILED);
    assert_eq!(to.verified_commit, GOOD);
    assert_eq!(
        to.changes,
        vec![ImageChange {
            container: "backend/backend".into(),
            from: Some("registry.example.com/acme/backend:1.4.0".into()),
            to: Some("registry.example.com/acme/backend:1.3.1".into()),
        }]
    );
    assert!(reason.contains("backend/backend: registry.example.com/acme/backend:1.4.0 → registry.example.com/acme/backend:1.3.1"), "{reason}");
}

#[test]
fn a_healthy_verdict_marks_the_current_deployment_verified() {
    let report = report(Verdict::Healthy, vec![check(1, 10_000, Outcome::Pass)]);
    let decision = decide(&facts(&report, None), &settings());
    assert_eq!(
        decision,
        Decision::Healthy {
            commit: FAILED.into(),
            images: images("1.4.0"),
            reason: "healthy for the test".into(),
        }
    );
}

#[test]
fn probe_errors_never_roll_back() {
    // An inconclusive verdict: the error budget ran out.
    let errors: Vec<Check> = (1..=6)
        .map(|n| check(n, u64::from(n) * 10_000, Outcome::Error))
        .collect();
    let inconclusive = report(Verdict::Inconclusive, errors.clone());
    let target = verified("1.3.1", true);
    let decision = decide(&facts(&inconclusive, Some(&target)), &settings());
    assert_eq!(decision.rule(), Rule::Inconclusive, "{decision:?}");
    assert!(matches!(decision, Decision::Continue { .. }));

    // Even a report that says unhealthy rolls nothing back when no check failed.
    let mislabelled = report(Verdict::Unhealthy, errors);
    let decision = decide(&facts(&mislabelled, Some(&target)), &settings());
    assert_eq!(decision.rule(), Rule::ProbeErrorsOnly, "{decision:?}");
    assert!(matches!(decision, Decision::Continue { .. }));
}

#[test]
fn failures_older_than_the_window_are_ignored() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let mut late = facts(&report, Some(&target));
    // Two hours after the last failure, with a one-hour window.
    late.now = start() + jiff::SignedDuration::from_secs(2 * 3600);
    let settings = Settings {
        window: Duration::from_secs(3600),
        ..Settings::default()
    };
    let decision = decide(&late, &settings);
    assert_eq!(decision.rule(), Rule::Window, "{decision:?}");
    assert!(
        decision.reason().contains("0 of 3 failed checks"),
        "{decision:?}"
    );

    // When only the first failure is outside the window, two fresh ones are below the
    // threshold of three.
    late.now = start() + jiff::SignedDuration::from_secs(3600 + 20);
    assert_eq!(decide(&late, &settings).rule(), Rule::Window);

    // Within the window, the same report rolls back.
    late.now = start() + jiff::SignedDuration::from_secs(3600 + 5);
    assert_eq!(decide(&late, &settings).rule(), Rule::RollBack);
}

#[test]
fn a_fresh_fast_fail_signal_is_enough() {
    let mut report = report(Verdict::Unhealthy, vec![check(1, 10_000, Outcome::Pass)]);
    report.signal = Some(Signal {
        at_ms: 12_000,
        observation: Observation::fast_fail("Rollout/backend", "CrashLoopBackOff"),
    });
    let target = verified("1.3.1", true);
    let decision = decide(&facts(&report, Some(&target)), &settings());
    assert_eq!(decision.rule(), Rule::RollBack, "{decision:?}");
}

#[test]
fn never_rolls_back_a_rollback() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let mut facts = facts(&report, Some(&target));
    facts.rollback_of = Some("cccccccccccccccccccccccccccccccccccccccc".into());
    let decision = decide(&facts, &settings());
    assert_eq!(decision.rule(), Rule::RollbackOfRollback);
    assert!(matches!(decision, Decision::Escalate { .. }));
    assert!(
        decision
            .reason()
            .contains("itself a rollback of cccccccccccc")
    );
}

#[test]
fn not_while_a_newer_change_is_in_flight() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let mut facts = facts(&report, Some(&target));
    facts.in_flight = Some(InFlight {
        id: "#42".into(),
        url: None,
    });
    let decision = decide(&facts, &settings());
    assert_eq!(decision.rule(), Rule::InFlight);
    assert!(matches!(decision, Decision::Escalate { .. }));
    assert!(decision.reason().contains("#42"));
}

#[test]
fn no_verified_target_escalates() {
    let report = unhealthy();
    let decision = decide(&facts(&report, None), &settings());
    assert_eq!(decision.rule(), Rule::NoVerifiedTarget);
    assert!(matches!(decision, Decision::Escalate { .. }));

    // A record that disagrees with the ledger is evidence of a mistake, not a target.
    let wrong = verified("1.3.1", false);
    let decision = decide(&facts(&report, Some(&wrong)), &settings());
    assert_eq!(decision.rule(), Rule::NoVerifiedTarget);

    // The last verified set is what runs now: nothing to roll back to.
    let same = verified("1.4.0", true);
    let decision = decide(&facts(&report, Some(&same)), &settings());
    assert_eq!(decision.rule(), Rule::NoVerifiedTarget);
    assert!(decision.reason().contains("is what it runs now"));
}

#[test]
fn a_held_target_escalates_and_a_released_hold_does_not() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let mut hold = Hold::new(
        "prod",
        BTreeMap::from([(
            "backend/backend".to_string(),
            "registry.example.com/acme/backend:1.3.1".to_string(),
        )]),
        "CVE-2026-0001",
        start(),
    );
    let holds = [hold.clone()];
    let mut held = facts(&report, Some(&target));
    held.holds = &holds;
    let decision = decide(&held, &settings());
    assert_eq!(decision.rule(), Rule::TargetHeld);
    assert!(decision.reason().contains("CVE-2026-0001"));

    hold.released = true;
    let released = [hold];
    held.holds = &released;
    assert_eq!(decide(&held, &settings()).rule(), Rule::RollBack);

    // A hold of another environment does not matter either.
    let other = [Hold::new("staging", BTreeMap::new(), "freeze", start())];
    held.holds = &other;
    assert_eq!(decide(&held, &settings()).rule(), Rule::RollBack);
}

#[test]
fn a_report_about_another_deployment_decides_nothing() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let mut facts = facts(&report, Some(&target));
    facts.monitored = GOOD;
    let decision = decide(&facts, &settings());
    assert_eq!(decision.rule(), Rule::Stale);
    assert!(matches!(decision, Decision::Continue { .. }));
}

#[test]
fn auto_merge_follows_the_settings() {
    let report = unhealthy();
    let target = verified("1.3.1", true);
    let settings = Settings {
        auto_merge: false,
        ..Settings::default()
    };
    let decision = decide(&facts(&report, Some(&target)), &settings);
    assert!(matches!(
        decision,
        Decision::RollBack {
            auto_merge: false,
            ..
        }
    ));
}

#[test]
fn reads_the_rollback_trailer() {
    let message = format!(
        "ferry: roll back prod to 1.3.1\n\nprod failed its checks.\n\n{}\nSigned-off-by: Ferry <ferry@example.com>\n",
        trailer_line(FAILED)
    );
    assert_eq!(rollback_trailer(&message), Some(FAILED));
    assert_eq!(
        rollback_trailer("ferry: x\n\nbody\n\nferry-rollback:  abc  \n"),
        Some("abc")
    );
    // Only the last paragraph holds trailers; the subject never does.
    assert_eq!(rollback_trailer("Ferry-Rollback: abc\n\nbody text"), None);
    assert_eq!(
        rollback_trailer("ferry: x\n\nFerry-Rollback: abc\n\nlast words"),
        None
    );
    assert_eq!(rollback_trailer("Ferry-Rollback: abc"), None);
}

#[test]
fn image_changes_list_added_removed_and_changed_containers() {
    let from = BTreeMap::from([
        ("a/a".to_string(), "x:1".to_string()),
        ("b/b".to_string(), "y:1".to_string()),
    ]);
    let to = BTreeMap::from([
        ("a/a".to_string(), "x:0".to_string()),
        ("c/c".to_string(), "z:1".to_string()),
    ]);
    let changes = image_changes(&from, &to);
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[0].to.as_deref(), Some("x:0"));
    assert_eq!(changes[1].to, None);
    assert_eq!(changes[2].from, None);
}
