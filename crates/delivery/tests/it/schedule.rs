//! A generated repository with a known schedule of deployments, failures and restores. Every
//! number `ferry metrics` reports is derived a second time, here, from the schedule alone.

use std::collections::BTreeMap;

use ferry_delivery::metrics::{MetricsRequest, metrics};
use ferry_test_support::history::History as GitHistory;

use crate::support::{HOUR, MIN, T0, at, load};

const DAY: i64 = 24 * HOUR;
const RELEASES: i64 = 12;
const ENVS: [&str; 3] = ["dev", "staging", "prod"];

/// How a release ends in an environment.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Verified after the given minutes.
    Verified(i64),
    /// Rolled back to the previous (verified) release after the given minutes, and held.
    RolledBack(i64),
    /// Held by hand after the given minutes, left running until the next release.
    Held(i64),
}

/// One deployment the schedule makes.
#[derive(Debug, Clone)]
struct Planned {
    env: &'static str,
    tag: String,
    time: i64,
    rollback: bool,
    failed: bool,
    verified_at: Option<i64>,
    restored_at: Option<i64>,
}

/// A pseudo-random but fixed schedule (a linear congruential generator, seed 7).
fn schedule() -> Vec<(i64, [Outcome; 3], [i64; 3])> {
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    (1..=RELEASES)
        .map(|i| {
            // dev always passes; staging and prod fail now and then (never releases 1 and 2, so
            // every rollback has a verified release to go back to).
            let mut outcomes = [Outcome::Verified(10 + next(20) as i64); 3];
            for o in outcomes.iter_mut().skip(1) {
                let roll = next(10);
                let minutes = 5 + next(50) as i64;
                *o = match roll {
                    0 | 1 if i > 2 => Outcome::RolledBack(minutes),
                    2 if i > 2 => Outcome::Held(minutes),
                    _ => Outcome::Verified(minutes),
                };
            }
            // Hours after the release's start each environment is deployed.
            let offsets = [0, 2 + next(3) as i64, 6 + next(4) as i64];
            (T0 + i * DAY, outcomes, offsets)
        })
        .collect()
}

fn tag(i: i64) -> String {
    format!("2.0.{i}")
}

/// Writes the schedule into `h` and returns every deployment with the facts it implies.
fn write(h: &GitHistory) -> Vec<Planned> {
    let mut planned: Vec<Planned> = ENVS
        .iter()
        .map(|env| Planned {
            env,
            tag: h.tag(env),
            time: T0,
            rollback: false,
            failed: false,
            verified_at: None,
            restored_at: None,
        })
        .collect();
    // The last verified tag per environment.
    let mut good: BTreeMap<&str, String> = BTreeMap::new();
    for (n, (start, outcomes, offsets)) in schedule().into_iter().enumerate() {
        let release = n as i64 + 1;
        for (e, env) in ENVS.iter().enumerate() {
            // Promoted only when the previous environment verified it.
            if e > 0 && !matches!(outcomes[e - 1], Outcome::Verified(_)) {
                break;
            }
            let time = start + offsets[e] * HOUR;
            let commit = h.deploy(env, &tag(release), time);
            let mut p = Planned {
                env,
                tag: tag(release),
                time,
                rollback: false,
                failed: false,
                verified_at: None,
                restored_at: None,
            };
            match outcomes[e] {
                Outcome::Verified(m) => {
                    h.verify(env, &tag(release), &commit, time + m * MIN);
                    p.verified_at = Some(time + m * MIN);
                    good.insert(env, tag(release));
                    planned.push(p);
                }
                Outcome::RolledBack(m) => {
                    let back = good
                        .get(env)
                        .expect("a verified release to go back to")
                        .clone();
                    let at = time + m * MIN;
                    h.rollback(env, &back, &commit, at);
                    h.hold(env, Some(&tag(release)), "rolled back", at);
                    p.failed = true;
                    p.restored_at = Some(at);
                    planned.push(p);
                    planned.push(Planned {
                        env,
                        tag: back,
                        time: at,
                        rollback: true,
                        failed: false,
                        verified_at: None,
                        restored_at: None,
                    });
                }
                Outcome::Held(m) => {
                    h.hold(env, Some(&tag(release)), "held by hand", time + m * MIN);
                    p.failed = true;
                    planned.push(p);
                }
            }
        }
    }
    // A held deployment is restored by the environment's next deployment that is verified
    // (when it is verified) or rolls back to a verified release (at once).
    for i in 0..planned.len() {
        if planned[i].failed && planned[i].restored_at.is_none() {
            planned[i].restored_at = planned[i + 1..]
                .iter()
                .filter(|q| q.env == planned[i].env)
                .find_map(|q| {
                    if q.rollback {
                        Some(q.time)
                    } else {
                        q.verified_at
                    }
                });
        }
    }
    planned
}

/// The nearest-rank percentile, written again.
fn rank(values: &[i64], p: usize) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    let k = (p * v.len()).div_ceil(100).max(1);
    v[k - 1] as f64
}

#[test]
fn every_number_follows_from_the_schedule() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let h = GitHistory::new(tmp.path(), T0);
    let planned = write(&h);
    let since = T0 - DAY;
    let now = T0 + (RELEASES + 2) * DAY;
    let history = load(&h);
    let m = metrics(
        &history,
        &MetricsRequest {
            since: at(since),
            now: at(now),
            only: None,
            revisions: None,
        },
    );
    let days = (now - since) as f64 / DAY as f64;
    let dev_entry: BTreeMap<&str, i64> = planned
        .iter()
        .filter(|p| p.env == "dev")
        .map(|p| (p.tag.as_str(), p.time))
        .collect();
    let mut failures_seen = 0;
    for env in &m.environments {
        let mine: Vec<&Planned> = planned.iter().filter(|p| p.env == env.env).collect();
        // Frequency: every deployment, rollbacks and the blueprint's commit included.
        assert_eq!(env.deployment_frequency.count, mine.len(), "{}", env.env);
        assert!((env.deployment_frequency.per_day - mine.len() as f64 / days).abs() < 1e-9);
        // Lead time: from the release's entry into dev; none in dev itself, none for
        // rollbacks or for the blueprint's own images (they never entered dev).
        let leads: Vec<i64> = if env.env == "dev" {
            Vec::new()
        } else {
            mine.iter()
                .filter(|p| !p.rollback)
                .filter_map(|p| dev_entry.get(p.tag.as_str()).map(|d| p.time - d))
                .collect()
        };
        let got: Vec<i64> = env.lead_time.samples.iter().map(|s| s.seconds).collect();
        assert_eq!(got, leads, "lead times of {}", env.env);
        match env.lead_time.summary {
            Some(s) => {
                assert_eq!(s.median, rank(&leads, 50), "{}", env.env);
                assert_eq!(s.p90, rank(&leads, 90), "{}", env.env);
            }
            None => assert!(leads.is_empty()),
        }
        // Change failure rate: failed among the deployments that are not rollbacks.
        let counted = mine.iter().filter(|p| !p.rollback).count();
        let failed: Vec<&&Planned> = mine.iter().filter(|p| p.failed).collect();
        failures_seen += failed.len();
        assert_eq!(env.change_failure_rate.deployments, counted, "{}", env.env);
        assert_eq!(env.change_failure_rate.failed, failed.len(), "{}", env.env);
        assert_eq!(
            env.change_failure_rate.rate,
            Some(failed.len() as f64 / counted as f64)
        );
        // Time to restore.
        let restores: Vec<i64> = failed
            .iter()
            .filter_map(|p| p.restored_at.map(|r| r - p.time))
            .collect();
        let got: Vec<i64> = env
            .time_to_restore
            .samples
            .iter()
            .map(|s| s.seconds)
            .collect();
        assert_eq!(got, restores, "restores of {}", env.env);
        let unrestored = failed.iter().filter(|p| p.restored_at.is_none()).count();
        assert_eq!(env.change_failure_rate.unrestored.len(), unrestored);
        if let Some(s) = env.time_to_restore.summary {
            assert_eq!(s.median, rank(&restores, 50));
            assert_eq!(s.p90, rank(&restores, 90));
        }
        // The weeks add up.
        let weekly: usize = env.weeks.iter().map(|w| w.deployments).sum();
        assert_eq!(weekly, mine.len());
        let weekly_failed: usize = env.weeks.iter().map(|w| w.failed).sum();
        assert_eq!(weekly_failed, failed.len());
    }
    assert!(
        failures_seen >= 3,
        "the schedule fails now and then: {failures_seen}"
    );
    insta::assert_snapshot!(
        "schedule_metrics_text",
        ferry_delivery::metrics_text::render(&m)
    );
    insta::assert_json_snapshot!("schedule_metrics_json", m);
}
