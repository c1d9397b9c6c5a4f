//! `ferry metrics`: the four DORA metrics of each environment over a window, from its
//! [`History`]. Pure: the window, the clock and the application commit times are inputs.
//!
//! - **Deployment frequency**: deployments of the environment whose commit time lies in the
//!   window, per day and per week of the window.
//! - **Lead time for changes**, per deployment that brought new images (rollbacks excluded):
//!   from the origin of the images it changed to its commit time (the longest of its changed
//!   containers). The origin of an image is the commit time of the application
//!   revision it was built from when known ([`MetricsRequest::revisions`], `--app-repo`),
//!   otherwise the time it first entered the first environment in promotion order (so the first
//!   environment has lead times only with application revisions).
//! - **Change failure rate**: of the deployments in the window that are not rollbacks, those
//!   that failed: a later deployment of the environment rolled them back (its
//!   `Ferry-Rollback:` trailer names their commit), or a hold of the environment was written
//!   while they were its newest deployment running the held images.
//! - **Time to restore**, per failed deployment in the window: from its commit time to the
//!   first later deployment whose image set was verified in the environment, at that
//!   deployment or before (a rollback to a verified set restores at once; otherwise at its
//!   verification). Failures not restored yet are listed.
//!
//! Each number comes with its median and 90th percentile ([`crate::stats`]), its DORA band
//! ([`crate::bands`]) and the deployments behind it.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use crate::bands::{self, Band};
use crate::history::{DeploymentFact, EnvHistory, History};
use crate::stats::{Summary, summarize};

/// What to compute.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    /// Start of the window.
    pub since: Timestamp,
    /// End of the window (the clock).
    pub now: Timestamp,
    /// Only this environment (default: every one).
    pub only: Option<String>,
    /// Commit times of the application revisions images were built from, by image reference;
    /// `None`: not known (lead time runs from the first environment).
    pub revisions: Option<BTreeMap<String, Timestamp>>,
}

/// The metrics of the environments asked for.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Start of the window (RFC 3339).
    pub since: String,
    /// End of the window (RFC 3339).
    pub now: String,
    /// Length of the window in days.
    pub days: f64,
    /// Where lead times start: `application-commit` or `first-environment`.
    pub lead_time_from: &'static str,
    /// Environments in promotion order.
    pub environments: Vec<EnvMetrics>,
}

/// The four metrics of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct EnvMetrics {
    /// Environment name.
    pub env: String,
    /// How often it was deployed.
    pub deployment_frequency: Frequency,
    /// From change to deployment.
    pub lead_time: Durations<LeadSample>,
    /// Failed deployments among its deployments.
    pub change_failure_rate: FailureRate,
    /// From a failed deployment to a verified one.
    pub time_to_restore: Durations<RestoreSample>,
    /// The metrics per week of the window, oldest first (for charts).
    pub weeks: Vec<Week>,
}

/// Deployment frequency.
#[derive(Debug, Clone, Serialize)]
pub struct Frequency {
    /// Deployments in the window.
    pub count: usize,
    /// Per day.
    pub per_day: f64,
    /// Per week.
    pub per_week: f64,
    /// DORA band.
    pub band: Band,
    /// The deployments counted, oldest first.
    pub deployments: Vec<Counted>,
}

/// A deployment of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counted {
    /// Commit (hex).
    pub commit: String,
    /// Its time (RFC 3339).
    pub time: String,
    /// The commit it rolled back, when it is a rollback.
    pub rollback_of: Option<String>,
}

/// A metric measured as durations, one sample per deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Durations<S> {
    /// Median and 90th percentile in seconds; `None` without samples.
    pub summary: Option<Summary>,
    /// DORA band of the median.
    pub band: Option<Band>,
    /// The deployments behind the numbers.
    pub samples: Vec<S>,
}

/// One lead time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadSample {
    /// The deployment (hex).
    pub commit: String,
    /// Its time (RFC 3339).
    pub deployed_at: String,
    /// The image whose change took longest.
    pub image: String,
    /// Where its change started (RFC 3339).
    pub origin: String,
    /// Seconds from origin to deployment.
    pub seconds: i64,
}

/// One time to restore.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreSample {
    /// The failed deployment (hex).
    pub failed: String,
    /// Its time (RFC 3339).
    pub failed_at: String,
    /// The deployment that restored a verified set (hex).
    pub restored_by: String,
    /// When the environment was restored (RFC 3339).
    pub restored_at: String,
    /// Seconds from failure to restore.
    pub seconds: i64,
}

/// Change failure rate.
#[derive(Debug, Clone, Serialize)]
pub struct FailureRate {
    /// Deployments counted (in the window, rollbacks excluded).
    pub deployments: usize,
    /// Of them, failed.
    pub failed: usize,
    /// `failed / deployments`; `None` without deployments.
    pub rate: Option<f64>,
    /// DORA band.
    pub band: Option<Band>,
    /// The failed deployments and why.
    pub failures: Vec<Failure>,
    /// Failed deployments not restored yet (hex).
    pub unrestored: Vec<String>,
}

/// A failed deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The deployment (hex).
    pub commit: String,
    /// Its time (RFC 3339).
    pub deployed_at: String,
    /// `rollback` (a later deployment rolled it back) or `hold`.
    pub by: &'static str,
    /// The rollback commit, or the hold's reason.
    pub evidence: String,
}

/// One week of the window.
#[derive(Debug, Clone, Serialize)]
pub struct Week {
    /// Its start (RFC 3339).
    pub start: String,
    /// Deployments.
    pub deployments: usize,
    /// Failed deployments.
    pub failed: usize,
    /// Median lead time of its deployments (seconds).
    pub lead_time_median: Option<f64>,
    /// Median time to restore of its failures (seconds).
    pub restore_median: Option<f64>,
}

const WEEK_SECONDS: i64 = 7 * 86_400;

/// The metrics of `history` for `request`.
pub fn metrics(history: &History, request: &MetricsRequest) -> Metrics {
    let seconds = (request.now.as_second() - request.since.as_second()).max(1);
    let days = seconds as f64 / 86_400.0;
    let first_entry = first_entries(history.environments.first());
    let environments = history
        .environments
        .iter()
        .enumerate()
        .filter(|(_, e)| request.only.as_ref().is_none_or(|n| *n == e.name))
        .map(|(i, env)| {
            let origin = |image: &str| match &request.revisions {
                Some(times) => times.get(image).copied(),
                None if i == 0 => None,
                None => first_entry.get(image).copied(),
            };
            env_metrics(history, env, request, days, &origin)
        })
        .collect();
    Metrics {
        since: request.since.to_string(),
        now: request.now.to_string(),
        days,
        lead_time_from: if request.revisions.is_some() {
            "application-commit"
        } else {
            "first-environment"
        },
        environments,
    }
}

/// When each image first entered `env` (any container).
fn first_entries(env: Option<&EnvHistory>) -> BTreeMap<String, Timestamp> {
    let mut out = BTreeMap::new();
    for d in env.map(|e| e.deployments.as_slice()).unwrap_or_default() {
        for image in d.images.values() {
            out.entry(image.clone()).or_insert(d.time);
        }
    }
    out
}

fn in_window(d: &DeploymentFact, request: &MetricsRequest) -> bool {
    d.time >= request.since && d.time <= request.now
}

fn env_metrics(
    history: &History,
    env: &EnvHistory,
    request: &MetricsRequest,
    days: f64,
    origin: &dyn Fn(&str) -> Option<Timestamp>,
) -> EnvMetrics {
    let all = &env.deployments;
    let window: Vec<usize> = (0..all.len())
        .filter(|&i| in_window(&all[i], request))
        .collect();
    let per_day = window.len() as f64 / days;
    let frequency = Frequency {
        count: window.len(),
        per_day,
        per_week: per_day * 7.0,
        band: bands::deployment_frequency(per_day),
        deployments: window
            .iter()
            .map(|&i| Counted {
                commit: all[i].commit.clone(),
                time: all[i].time.to_string(),
                rollback_of: all[i].rollback_of.clone(),
            })
            .collect(),
    };

    let mut leads = Vec::new();
    for &i in &window {
        let d = &all[i];
        if d.rollback_of.is_some() {
            continue;
        }
        let longest = d
            .changed
            .iter()
            .filter_map(|c| d.images.get(c))
            .filter_map(|image| origin(image).map(|o| (image, o)))
            .min_by_key(|(_, o)| *o);
        if let Some((image, o)) = longest {
            leads.push(LeadSample {
                commit: d.commit.clone(),
                deployed_at: d.time.to_string(),
                image: image.clone(),
                origin: o.to_string(),
                seconds: (d.time.as_second() - o.as_second()).max(0),
            });
        }
    }

    let failed = failures(history, env);
    let counted: Vec<usize> = window
        .iter()
        .copied()
        .filter(|&i| all[i].rollback_of.is_none())
        .collect();
    let failures: Vec<Failure> = counted
        .iter()
        .filter_map(|&i| failed.get(&i).cloned())
        .collect();
    let mut restores = Vec::new();
    let mut unrestored = Vec::new();
    let verified = verified_sets(all);
    for &i in &counted {
        if !failed.contains_key(&i) {
            continue;
        }
        match restored(all, &verified, i, request.now) {
            Some((r, at)) => restores.push(RestoreSample {
                failed: all[i].commit.clone(),
                failed_at: all[i].time.to_string(),
                restored_by: all[r].commit.clone(),
                restored_at: at.to_string(),
                seconds: at.as_second() - all[i].time.as_second(),
            }),
            None => unrestored.push(all[i].commit.clone()),
        }
    }
    let rate = (!counted.is_empty()).then(|| failures.len() as f64 / counted.len() as f64);

    let lead_summary = summarize(&leads.iter().map(|s| s.seconds as f64).collect::<Vec<_>>());
    let restore_summary = summarize(
        &restores
            .iter()
            .map(|s| s.seconds as f64)
            .collect::<Vec<_>>(),
    );
    let weeks = weeks(all, &window, &failed, &leads, &restores, request);
    EnvMetrics {
        env: env.name.clone(),
        deployment_frequency: frequency,
        lead_time: Durations {
            band: lead_summary.map(|s| bands::lead_time(s.median)),
            summary: lead_summary,
            samples: leads,
        },
        change_failure_rate: FailureRate {
            deployments: counted.len(),
            failed: failures.len(),
            rate,
            band: rate.map(bands::change_failure_rate),
            failures,
            unrestored,
        },
        time_to_restore: Durations {
            band: restore_summary.map(|s| bands::time_to_restore(s.median)),
            summary: restore_summary,
            samples: restores,
        },
        weeks,
    }
}

/// The failed deployments of `env` (by index into its deployments), whatever their time.
fn failures(history: &History, env: &EnvHistory) -> BTreeMap<usize, Failure> {
    let all = &env.deployments;
    let mut out = BTreeMap::new();
    let failure = |i: usize, by: &'static str, evidence: String| Failure {
        commit: all[i].commit.clone(),
        deployed_at: all[i].time.to_string(),
        by,
        evidence,
    };
    let by_commit: HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, d)| (d.commit.as_str(), i))
        .collect();
    for rollback in all {
        let Some(target) = &rollback.rollback_of else {
            continue;
        };
        let target = target.to_ascii_lowercase();
        if target.len() < 7 {
            continue;
        }
        // A full commit id is looked up; an abbreviated one is searched for.
        let found = match by_commit.get(target.as_str()) {
            Some(&i) => Some(i),
            None => all.iter().position(|d| d.commit.starts_with(&target)),
        };
        if let Some(i) = found.filter(|&i| all[i].time <= rollback.time) {
            out.entry(i)
                .or_insert_with(|| failure(i, "rollback", rollback.commit.clone()));
        }
    }
    for hold in history.holds.iter().filter(|h| h.env == env.name) {
        let Some(at) = hold.created_at() else {
            continue;
        };
        let held: Vec<&String> = hold.images.values().collect();
        // The newest deployment at the hold's time that ran a held image (any, for a hold of
        // every image).
        let found = all.iter().rposition(|d| {
            d.time <= at && (held.is_empty() || d.images.values().any(|i| held.contains(&i)))
        });
        if let Some(i) = found
            && all[i].rollback_of.is_none()
        {
            out.entry(i)
                .or_insert_with(|| failure(i, "hold", hold.reason.clone()));
        }
    }
    out
}

/// For each deployment, the earliest verification of its image set at it or before it (any
/// earlier deployment with the same images counts): one pass, so that finding restores stays
/// linear in the deployments.
fn verified_sets(all: &[DeploymentFact]) -> Vec<Option<Timestamp>> {
    let mut earliest: HashMap<&BTreeMap<String, String>, Timestamp> = HashMap::new();
    all.iter()
        .map(|d| {
            if let Some(v) = d.verified_at {
                earliest
                    .entry(&d.images)
                    .and_modify(|e| *e = (*e).min(v))
                    .or_insert(v);
            }
            earliest.get(&d.images).copied()
        })
        .collect()
}

/// The deployment after `failed` that restored a verified set, and when (`verified`: what
/// [`verified_sets`] says of `all`).
fn restored(
    all: &[DeploymentFact],
    verified: &[Option<Timestamp>],
    failed: usize,
    now: Timestamp,
) -> Option<(usize, Timestamp)> {
    for r in failed + 1..all.len() {
        let candidate = &all[r];
        if candidate.time > now {
            return None;
        }
        if let Some(v) = verified[r]
            && v <= now
        {
            return Some((r, v.max(candidate.time)));
        }
    }
    None
}

fn weeks(
    all: &[DeploymentFact],
    window: &[usize],
    failed: &BTreeMap<usize, Failure>,
    leads: &[LeadSample],
    restores: &[RestoreSample],
    request: &MetricsRequest,
) -> Vec<Week> {
    let start = request.since.as_second();
    let span = (request.now.as_second() - start).max(1);
    let count = usize::try_from((span + WEEK_SECONDS - 1) / WEEK_SECONDS)
        .unwrap_or(1)
        .clamp(1, 1000);
    let index = |t: Timestamp| {
        usize::try_from((t.as_second() - start) / WEEK_SECONDS)
            .unwrap_or(0)
            .min(count - 1)
    };
    let mut out: Vec<(usize, usize, Vec<f64>, Vec<f64>)> =
        vec![(0, 0, Vec::new(), Vec::new()); count];
    let times: std::collections::HashMap<&str, Timestamp> =
        all.iter().map(|d| (d.commit.as_str(), d.time)).collect();
    let time_of = |commit: &str| times.get(commit).copied();
    for &i in window {
        let w = index(all[i].time);
        out[w].0 += 1;
        if failed.contains_key(&i) && all[i].rollback_of.is_none() {
            out[w].1 += 1;
        }
    }
    for s in leads {
        if let Some(t) = time_of(&s.commit) {
            out[index(t)].2.push(s.seconds as f64);
        }
    }
    for s in restores {
        if let Some(t) = time_of(&s.failed) {
            out[index(t)].3.push(s.seconds as f64);
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(w, (deployments, failed, leads, restores))| Week {
            start: Timestamp::from_second(start + w as i64 * WEEK_SECONDS)
                .unwrap_or(request.since)
                .to_string(),
            deployments,
            failed,
            lead_time_median: summarize(&leads).map(|s| s.median),
            restore_median: summarize(&restores).map(|s| s.median),
        })
        .collect()
}
