//! Monitor scenarios on a paused clock, with scripted probes.

use std::collections::VecDeque;
use std::time::Duration;

use ferry_health::monitor::{self, Event, Policy, Span, Verdict};
use ferry_health::probe::{CheckFuture, Observation, Outcome, Probe};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A probe that answers from a script, one outcome per check, and records when it was asked.
struct Scripted {
    name: &'static str,
    script: VecDeque<Outcome>,
    asked: std::sync::Arc<std::sync::Mutex<Vec<Instant>>>,
}

impl Scripted {
    fn boxed(name: &'static str, script: &[Outcome]) -> Box<dyn Probe> {
        Box::new(Self {
            name,
            script: script.iter().copied().collect(),
            asked: Default::default(),
        })
    }
}

impl Probe for Scripted {
    fn name(&self) -> String {
        self.name.into()
    }

    fn check(&mut self) -> CheckFuture<'_> {
        self.asked.lock().unwrap().push(Instant::now());
        let outcome = self.script.pop_front().expect("script too short");
        Box::pin(async move { Observation::new(self.name, outcome, format!("scripted {outcome}")) })
    }
}

fn policy() -> Policy {
    Policy::default()
}

async fn run(
    policy: &Policy,
    probes: &mut [Box<dyn Probe>],
    signals: Option<mpsc::Receiver<Observation>>,
) -> (monitor::Report, Vec<Event>, Duration) {
    let start = Instant::now();
    let mut events = Vec::new();
    let report = monitor::run(policy, probes, signals, &mut |e: &Event| {
        events.push(e.clone())
    })
    .await;
    (report, events, start.elapsed())
}

use Outcome::{Error, Fail, NoData, Pass, Waiting};

#[tokio::test(start_paused = true)]
async fn a_healthy_run_checks_ten_times_and_is_healthy_after_the_last() {
    let mut probes = [Scripted::boxed("http", &[Pass; 10])];
    let (report, events, elapsed) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Healthy, "{}", report.reason);
    assert_eq!(report.checks.len(), 10);
    let times: Vec<u64> = report.checks.iter().map(|c| c.at_ms).collect();
    let expected: Vec<u64> = (0..10).map(|k| 60_000 + k * 30_000).collect();
    assert_eq!(times, expected);
    assert_eq!(elapsed, Duration::from_secs(60 + 9 * 30));
    assert_eq!(report.at_ms, 330_000);
    assert!(matches!(events.first(), Some(Event::Started { probes, .. }) if probes == &["http"]));
    assert!(matches!(events.last(), Some(Event::Verdict(r)) if r.verdict == Verdict::Healthy));
    assert_eq!(events.len(), 12);
}

#[tokio::test(start_paused = true)]
async fn three_consecutive_failures_are_unhealthy_at_warmup_plus_two_intervals() {
    let mut probes = [Scripted::boxed("http", &[Fail; 10])];
    let (report, _, elapsed) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert_eq!(report.checks.len(), 3);
    assert_eq!(report.at_ms, 120_000);
    assert_eq!(elapsed, Duration::from_secs(120));
    assert_eq!(report.checks[2].consecutive_failures, 3);
    assert!(
        report.reason.starts_with("3 consecutive failed checks"),
        "{}",
        report.reason
    );
}

#[tokio::test(start_paused = true)]
async fn failures_after_a_pass_count_from_zero() {
    let script = [Pass, Fail, Fail, Pass, Fail, Fail, Pass, Fail, Fail, Pass];
    let mut probes = [Scripted::boxed("http", &script)];
    let (report, _, _) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Healthy, "{}", report.reason);
    let counts: Vec<u32> = report
        .checks
        .iter()
        .map(|c| c.consecutive_failures)
        .collect();
    assert_eq!(counts, [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
}

#[tokio::test(start_paused = true)]
async fn errors_between_failures_neither_count_nor_reset() {
    let script = [
        Pass, Fail, Error, Fail, NoData, Fail, Pass, Pass, Pass, Pass,
    ];
    let mut probes = [Scripted::boxed("api", &script)];
    let (report, _, _) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert_eq!(report.at_ms, 60_000 + 5 * 30_000);
}

#[tokio::test(start_paused = true)]
async fn api_errors_alone_are_inconclusive_never_unhealthy() {
    let mut probes = [Scripted::boxed("api", &[Error; 10])];
    let (report, _, _) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(
        report.checks.len(),
        6,
        "the sixth error is over the budget of 5"
    );
    assert!(report.checks.iter().all(|c| c.consecutive_failures == 0));

    let generous = Policy {
        error_budget: 100,
        ..policy()
    };
    let mut probes = [Scripted::boxed("api", &[Error; 10])];
    let (report, _, _) = run(&generous, &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(report.checks.len(), 10);
    assert!(
        report.reason.starts_with("no conclusive check"),
        "{}",
        report.reason
    );
}

#[tokio::test(start_paused = true)]
async fn a_round_fails_when_one_probe_fails_and_errs_when_one_errs() {
    let mut probes = [
        Scripted::boxed("http", &[Pass, Fail, Pass, Pass]),
        Scripted::boxed("k8s", &[Error, Pass, Waiting, Pass]),
    ];
    let short = Policy {
        span: Span::Checks(4),
        ..policy()
    };
    let (report, _, _) = run(&short, &mut probes, None).await;
    let rounds: Vec<Outcome> = report.checks.iter().map(|c| c.outcome).collect();
    assert_eq!(rounds, [Error, Fail, Waiting, Pass]);
    assert_eq!(report.verdict, Verdict::Healthy);
    assert!(report.checks.iter().all(|c| c.observations.len() == 2));
}

#[tokio::test(start_paused = true)]
async fn still_waiting_at_the_end_is_inconclusive() {
    let mut probes = [Scripted::boxed("k8s", &[Waiting; 10])];
    let (report, _, _) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert!(
        report.reason.starts_with("still waiting"),
        "{}",
        report.reason
    );
}

#[tokio::test(start_paused = true)]
async fn a_fast_fail_signal_ends_the_run_when_it_arrives() {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(75_250)).await;
        tx.send(Observation::fast_fail(
            "Deployment/web",
            "pod web-1 container app: CrashLoopBackOff",
        ))
        .await
        .unwrap();
    });
    let mut probes = [Scripted::boxed("http", &[Pass; 10])];
    let (report, events, elapsed) = run(&policy(), &mut probes, Some(rx)).await;
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert_eq!(report.at_ms, 75_250);
    assert_eq!(elapsed, Duration::from_millis(75_250));
    assert_eq!(
        report.checks.len(),
        1,
        "one check at 60 s, the signal at 75.25 s"
    );
    assert!(report.reason.contains("CrashLoopBackOff"));
    assert!(events.iter().any(|e| matches!(e, Event::Signal(_))));
}

#[tokio::test(start_paused = true)]
async fn a_fast_fail_observation_from_a_check_ends_the_run_at_that_check() {
    struct CrashOnSecond(u32);
    impl Probe for CrashOnSecond {
        fn name(&self) -> String {
            "Deployment/web".into()
        }
        fn check(&mut self) -> CheckFuture<'_> {
            self.0 += 1;
            let n = self.0;
            Box::pin(async move {
                if n == 2 {
                    Observation::fast_fail(
                        "Deployment/web",
                        "pod web-1 container app: ErrImagePull",
                    )
                } else {
                    Observation::new("Deployment/web", Outcome::Pass, "Healthy")
                }
            })
        }
    }
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(CrashOnSecond(0))];
    let (report, _, _) = run(&policy(), &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Unhealthy);
    assert_eq!(report.at_ms, 90_000);
}

#[tokio::test(start_paused = true)]
async fn the_overall_timeout_is_inconclusive() {
    struct Slow;
    impl Probe for Slow {
        fn name(&self) -> String {
            "slow".into()
        }
        fn check(&mut self) -> CheckFuture<'_> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Observation::new("slow", Outcome::Pass, "late")
            })
        }
    }
    let p = Policy {
        timeout: Duration::from_secs(300),
        ..policy()
    };
    let mut probes: [Box<dyn Probe>; 1] = [Box::new(Slow)];
    let (report, _, elapsed) = run(&p, &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(elapsed, Duration::from_secs(300));
    assert!(report.reason.starts_with("timed out"), "{}", report.reason);
}

#[tokio::test(start_paused = true)]
async fn a_duration_span_checks_until_it_ends() {
    let p = Policy {
        span: Span::For(Duration::from_secs(120)),
        ..policy()
    };
    assert_eq!(p.checks(), 5);
    let mut probes = [Scripted::boxed("http", &[Pass; 5])];
    let (report, _, _) = run(&p, &mut probes, None).await;
    assert_eq!(report.verdict, Verdict::Healthy);
    assert_eq!(report.at_ms, 180_000);
}

#[test]
fn events_serialize_as_tagged_json_lines() {
    let report = monitor::Report {
        verdict: Verdict::Healthy,
        reason: "ok".into(),
        at_ms: 1,
        policy: policy(),
        checks: vec![],
        signal: None,
    };
    let line = serde_json::to_string(&Event::Verdict(report)).unwrap();
    assert!(
        line.starts_with(r#"{"event":"verdict","verdict":"healthy""#),
        "{line}"
    );
    assert!(line.contains(r#""warmup_ms":60000"#), "{line}");
    assert!(line.contains(r#""span":{"checks":10}"#), "{line}");
}

#[tokio::test(start_paused = true)]
async fn alternating_answers_below_the_threshold_are_healthy_whatever_came_last() {
    // 200, 500, 200, 500…: the failures never reach 3 in a row.
    for checks in [7u32, 8] {
        let script: Vec<Outcome> = (0..checks)
            .map(|k| if k % 2 == 0 { Pass } else { Fail })
            .collect();
        let mut probes = [Scripted::boxed("http", &script)];
        let short = Policy {
            span: Span::Checks(checks),
            ..policy()
        };
        let (report, _, _) = run(&short, &mut probes, None).await;
        assert_eq!(
            report.verdict,
            Verdict::Healthy,
            "{checks} checks: {}",
            report.reason
        );
    }
}

/// Runs a script of pass/fail rounds to its verdict on a paused clock.
fn verdict_of(script: &[Outcome], failures: u32) -> Verdict {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let checks = u32::try_from(script.len()).expect("short script");
    let policy = Policy {
        span: Span::Checks(checks),
        failures,
        // Long enough for every check: a proptest run of 29 checks once met the default
        // 15-minute timeout and ended inconclusive (now refused by `Policy::validate`).
        timeout: Duration::from_secs(3600),
        ..policy()
    };
    runtime.block_on(async {
        let mut probes = [Scripted::boxed("http", script)];
        run(&policy, &mut probes, None).await.0.verdict
    })
}

proptest::proptest! {
    /// Passes and failures never `failures` in a row: healthy, whichever check came last.
    #[test]
    fn the_verdict_does_not_depend_on_which_check_came_last(
        runs in proptest::collection::vec((1u32..4, 0u32..3), 1..8),
        failures in 3u32..4,
        end_with_failure in proptest::bool::ANY,
    ) {
        let mut script = Vec::new();
        for (passes, fails) in runs {
            script.extend(std::iter::repeat_n(Pass, passes as usize));
            script.extend(std::iter::repeat_n(Fail, fails as usize));
        }
        if end_with_failure && script.last() == Some(&Pass) {
            script.push(Fail);
        }
        let longest_failure_run = script
            .split(|o| *o == Pass)
            .map(<[Outcome]>::len)
            .max()
            .unwrap_or(0);
        proptest::prop_assume!(longest_failure_run < failures as usize);
        let verdict = verdict_of(&script, failures);
        proptest::prop_assert_eq!(verdict, Verdict::Healthy, "{:?}", script);
        // The same rounds with the last one moved to the front: the same verdict.
        let mut rotated = script.clone();
        rotated.rotate_right(1);
        let longest = rotated.split(|o| *o == Pass).map(<[Outcome]>::len).max().unwrap_or(0);
        if longest < failures as usize {
            proptest::prop_assert_eq!(verdict_of(&rotated, failures), verdict);
        }
    }
}

#[test]
fn more_failures_than_checks_is_refused() {
    let refused = Policy {
        span: Span::Checks(2),
        failures: 3,
        ..policy()
    }
    .validate()
    .expect_err("3 failures in 2 checks can never happen");
    assert!(
        refused.contains("could never be found unhealthy"),
        "{refused}"
    );
    let over = Policy {
        span: Span::For(Duration::from_secs(30)),
        interval: Duration::from_secs(30),
        failures: 3,
        ..policy()
    };
    assert!(
        over.validate().is_err(),
        "a 30 s span at 30 s gives 2 checks"
    );
}

#[test]
fn a_span_that_outlasts_the_timeout_is_refused() {
    let refused = Policy {
        span: Span::Checks(29),
        ..policy()
    }
    .validate()
    .expect_err("60 s + 28 × 30 s reaches the 15-minute timeout");
    assert!(
        refused.contains("every run would end inconclusive"),
        "{refused}"
    );
    assert!(
        Policy {
            span: Span::Checks(28),
            ..policy()
        }
        .validate()
        .is_ok()
    );
}

#[test]
fn invalid_policies_are_refused() {
    assert!(
        Policy {
            failures: 0,
            ..policy()
        }
        .validate()
        .is_err()
    );
    assert!(
        Policy {
            interval: Duration::ZERO,
            ..policy()
        }
        .validate()
        .is_err()
    );
    assert!(
        Policy {
            span: Span::Checks(0),
            ..policy()
        }
        .validate()
        .is_err()
    );
    assert!(policy().validate().is_ok());
}

#[test]
fn verdicts_exit_0_healthy_1_unhealthy_3_inconclusive() {
    let codes: Vec<(Verdict, u8)> = [Verdict::Healthy, Verdict::Unhealthy, Verdict::Inconclusive]
        .into_iter()
        .map(|v| (v, v.exit_code()))
        .collect();
    assert_eq!(
        codes,
        [
            (Verdict::Healthy, 0),
            (Verdict::Unhealthy, 1),
            (Verdict::Inconclusive, 3)
        ]
    );
}

#[test]
fn a_configured_policy_takes_the_flags_over_the_file() {
    let mut file = ferry_config::Monitor::default();
    file.checks = 2;
    file.failures = 3;
    // A failure count from the file is lowered to the number of checks…
    let policy = Policy::configured(&file, &monitor::PolicyFlags::default()).expect("policy");
    assert_eq!((policy.span, policy.failures), (Span::Checks(2), 2));
    // …a flag's is refused.
    let flags = monitor::PolicyFlags {
        failures: Some(3),
        ..Default::default()
    };
    let e = Policy::configured(&file, &flags).expect_err("3 failures in 2 checks");
    assert!(e.contains("could never be found unhealthy"), "{e}");
    let flags = monitor::PolicyFlags {
        interval: Some(Duration::from_secs(1)),
        span: Some(Span::For(Duration::from_secs(4))),
        ..Default::default()
    };
    let policy = Policy::configured(&file, &flags).expect("policy");
    assert_eq!(
        (policy.interval, policy.checks(), policy.warmup),
        (Duration::from_secs(1), 5, file.warmup)
    );
}
