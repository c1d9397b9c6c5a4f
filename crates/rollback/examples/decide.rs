//! Deciding a rollback: the policy is a pure function of the monitor's report and the facts the
//! caller gathered (what runs now, the last verified image set, holds, changes in flight).
//!
//! Run with `cargo run -p ferry-rollback --example decide`.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_gitops::VerificationRecord;
use ferry_gitops::VerifiedSet;
use ferry_health::monitor::{Check, Policy, Report, Span, Verdict};
use ferry_health::probe::{Observation, Outcome};
use ferry_rollback::policy::{Deployed, trailer_line};
use ferry_rollback::{Decision, Facts, Rule, Settings, decide};
use jiff::{SignedDuration, Timestamp};

const FAILED: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const GOOD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// The images of prod's one workload, by `workload/container`.
fn images(tag: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "backend/backend".to_string(),
        format!("registry.example.com/acme/backend:{tag}"),
    )])
}

/// What `ferry-monitor watch` reports: three failed checks in a row, 10, 40 and 70 s in.
fn unhealthy_report() -> Report {
    let check = |n: u32, at_ms: u64| Check {
        n,
        at_ms,
        outcome: Outcome::Fail,
        consecutive_failures: n,
        errors: 0,
        observations: vec![Observation::new(
            "http GET https://shop.example.com/healthz",
            Outcome::Fail,
            "status 503",
        )],
    };
    Report {
        verdict: Verdict::Unhealthy,
        reason: "3 consecutive failed checks".into(),
        at_ms: 70_000,
        policy: Policy {
            warmup: Duration::from_secs(10),
            interval: Duration::from_secs(30),
            span: Span::Checks(10),
            failures: 3,
            error_budget: 5,
            timeout: Duration::from_secs(900),
        },
        checks: vec![check(1, 10_000), check(2, 40_000), check(3, 70_000)],
        signal: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started: Timestamp = "2026-11-25T10:00:00Z".parse()?;
    let report = unhealthy_report();
    // The last verification of prod before the failing deployment: 1.3.1, a day earlier.
    let verified = VerifiedSet {
        commit: GOOD.into(),
        record: VerificationRecord::new(
            "prod",
            "2026-11-24T09:00:00Z".parse()?,
            images("1.3.1"),
            serde_json::json!({ "by": "ferry-monitor" }),
        ),
        matches_ledger: true,
    };
    let mut facts = Facts {
        env: "prod",
        report: &report,
        monitored: FAILED,
        started_at: started,
        now: started + SignedDuration::from_secs(130),
        current: Some(Deployed {
            commit: FAILED.into(),
            images: images("1.4.0"),
        }),
        verified: Some(&verified),
        holds: &[],
        in_flight: None,
        rollback_of: None,
    };

    let decision = decide(&facts, &Settings::default());
    println!("{}: {}", decision.rule(), decision.reason());
    let Decision::RollBack { to, .. } = &decision else {
        return Err(format!("expected a rollback, got {decision:?}").into());
    };
    assert_eq!(to.images, images("1.3.1"));
    assert_eq!(to.verified_commit, GOOD);
    println!("revert commit trailer: {}", trailer_line(&to.failed_commit));

    // The same failure on a deployment that is itself a rollback: never roll back a rollback.
    facts.rollback_of = Some("cccccccccccccccccccccccccccccccccccccccc".into());
    let decision = decide(&facts, &Settings::default());
    println!("{}: {}", decision.rule(), decision.reason());
    assert_eq!(decision.rule(), Rule::RollbackOfRollback);
    assert!(matches!(decision, Decision::Escalate { .. }));

    // No verified set to go back to: escalate to a person.
    facts.rollback_of = None;
    facts.verified = None;
    let decision = decide(&facts, &Settings::default());
    println!("{}: {}", decision.rule(), decision.reason());
    assert_eq!(decision.rule(), Rule::NoVerifiedTarget);
    Ok(())
}
