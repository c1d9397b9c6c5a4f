//! `ferry status`: where each environment stands, one row per environment in promotion order.
//!
//! Pure: [`status`] reads a [`History`], the open changes (when the forge was asked) and the
//! clock.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::history::{EnvHistory, History, OpenChange, differs, first_of_each, short_image};

/// The status of every environment.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The base branch commit read (hex).
    pub base: String,
    /// The time the status is computed for (RFC 3339).
    pub now: String,
    /// Whether the forge was asked for open changes (false with `--offline`).
    pub open_changes_read: bool,
    /// Environments in promotion order.
    pub environments: Vec<EnvStatus>,
}

/// Where one environment stands, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// It runs a verified image set and nothing is held.
    Verified,
    /// It runs an image set no record verifies (yet).
    Unverified,
    /// An active hold names one of its environment's images or all of them.
    Held,
    /// Its overlay does not render at its newest deployment.
    Broken,
    /// It has no deployment on the base branch.
    Empty,
}

impl State {
    /// The word as shown (`verified`, `unverified`, `held`, `broken`, `empty`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Verified => "verified",
            State::Unverified => "unverified",
            State::Held => "held",
            State::Broken => "broken",
            State::Empty => "empty",
        }
    }
}

/// One environment.
#[derive(Debug, Clone, Serialize)]
pub struct EnvStatus {
    /// Name.
    pub name: String,
    /// The environment it is promoted from.
    pub upstream: Option<String>,
    /// Where it stands.
    pub state: State,
    /// What it runs, by container.
    pub images: Vec<ImageStatus>,
    /// The deployment that brought what it runs.
    pub deployed: Option<Deployed>,
    /// Whether what it runs is verified, and when.
    pub verified: Verified,
    /// Active holds of the environment.
    pub holds: Vec<HoldStatus>,
    /// Its open changes; `None` when the forge was not asked (`--offline`).
    pub open_changes: Option<Vec<ChangeStatus>>,
    /// The environments promoted from this one: soak left, whether they are behind.
    pub next: Vec<NextStatus>,
}

/// One container's image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageStatus {
    /// `workload/container`.
    pub container: String,
    /// The full reference.
    pub image: String,
    /// Short form: logical name and tag (`backend:1.4.0`).
    pub short: String,
    /// When it entered the environment (the start of its current run), when known.
    pub since: Option<String>,
}

/// A deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    /// Commit (hex).
    pub commit: String,
    /// When it reached the base branch (RFC 3339).
    pub time: String,
    /// Seconds from then to now.
    pub age_seconds: i64,
    /// Its summary line.
    pub summary: String,
    /// The commit it rolled back, when it is a rollback.
    pub rollback_of: Option<String>,
    /// Why the overlay does not render there.
    pub error: Option<String>,
}

/// Whether an environment's image set is verified.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// The newest verification of the environment names exactly what it runs.
    pub verified: bool,
    /// When that set was verified (RFC 3339).
    pub at: Option<String>,
    /// The deployment whose record it is (hex).
    pub commit: Option<String>,
}

/// An active hold.
#[derive(Debug, Clone, Serialize)]
pub struct HoldStatus {
    /// The held images in short form (empty: every image).
    pub images: Vec<String>,
    /// Why.
    pub reason: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// The command that lifts it.
    pub release: String,
}

/// An open change.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeStatus {
    /// The forge's id.
    pub id: String,
    /// A link.
    pub url: Option<String>,
    /// The images it sets, short form.
    pub images: Vec<String>,
    /// When it was opened (RFC 3339), when known.
    pub created_at: Option<String>,
    /// Seconds since it was opened, when known.
    pub age_seconds: Option<i64>,
    /// `auto-merge` (merges by itself once its checks pass) or `review` (waits for a person).
    pub merge: &'static str,
}

/// A downstream environment of this one.
#[derive(Debug, Clone, Serialize)]
pub struct NextStatus {
    /// Its name.
    pub env: String,
    /// Its soak time: how long images must run here before they are promoted there (seconds).
    pub soak_seconds: u64,
    /// Soak left at `now` (seconds; 0 when passed); `None` when an image's start is unknown.
    pub soak_left_seconds: Option<u64>,
    /// Whether it runs another version of one of this environment's images (the same
    /// repository at another tag or digest, in a container both have), or nothing at all.
    pub behind: bool,
    /// The containers whose images differ.
    pub differs: Vec<String>,
}

/// The status of every environment of `history` at `now`; `open_changes` by environment, or
/// `None` when the forge was not asked.
pub fn status(
    history: &History,
    open_changes: Option<&BTreeMap<String, Vec<OpenChange>>>,
    now: Timestamp,
) -> Status {
    Status {
        base: history.base.clone(),
        now: now.to_string(),
        open_changes_read: open_changes.is_some(),
        environments: history
            .environments
            .iter()
            .map(|env| env_status(history, env, open_changes, now))
            .collect(),
    }
}

fn env_status(
    history: &History,
    env: &EnvHistory,
    open_changes: Option<&BTreeMap<String, Vec<OpenChange>>>,
    now: Timestamp,
) -> EnvStatus {
    let names = &history.image_names;
    let current = env.deployments.last();
    let images: Vec<ImageStatus> = current
        .map(|d| {
            d.images
                .iter()
                .map(|(container, image)| ImageStatus {
                    container: container.clone(),
                    image: image.clone(),
                    short: short_image(image, names),
                    since: env.since.get(container).map(Timestamp::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    // As the promotion gate reads it: the newest verification must name exactly what runs.
    let newest_verified = env
        .deployments
        .iter()
        .rev()
        .find(|d| d.verified_at.is_some());
    let verified = match (current, newest_verified) {
        (Some(c), Some(v)) if v.images == c.images => Verified {
            verified: true,
            at: v.verified_at.map(|t| t.to_string()),
            commit: Some(v.commit.clone()),
        },
        _ => Verified {
            verified: false,
            at: None,
            commit: None,
        },
    };
    let holds: Vec<HoldStatus> = history
        .holds
        .iter()
        .filter(|h| h.env == env.name && !h.released)
        .map(|h| {
            let held: Vec<&str> = h.images.values().map(String::as_str).collect();
            let images = first_of_each(h.images.values().map(|i| short_image(i, names)));
            HoldStatus {
                images,
                reason: h.reason.clone(),
                created_at: h.created_at.clone(),
                release: h.release_command(&held),
            }
        })
        .collect();
    let open = open_changes.map(|by_env| {
        by_env
            .get(&env.name)
            .map(|changes| {
                changes
                    .iter()
                    .map(|c| ChangeStatus {
                        id: c.id.clone(),
                        url: c.url.clone(),
                        images: first_of_each(c.images.iter().map(|i| short_image(i, names))),
                        created_at: c.created_at.map(|t| t.to_string()),
                        age_seconds: c.created_at.map(|t| now.as_second() - t.as_second()),
                        merge: if c.auto_merge { "auto-merge" } else { "review" },
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let next = history
        .environments
        .iter()
        .filter(|n| n.upstream.as_deref() == Some(env.name.as_str()))
        .map(|n| next_status(env, n, now))
        .collect();
    let state = match current {
        None => State::Empty,
        Some(d) if d.error.is_some() => State::Broken,
        Some(_) if !holds.is_empty() => State::Held,
        Some(_) if verified.verified => State::Verified,
        Some(_) => State::Unverified,
    };
    EnvStatus {
        name: env.name.clone(),
        upstream: env.upstream.clone(),
        state,
        images,
        deployed: current.map(|d| Deployed {
            commit: d.commit.clone(),
            time: d.time.to_string(),
            age_seconds: now.as_second() - d.time.as_second(),
            summary: d.summary.clone(),
            rollback_of: d.rollback_of.clone(),
            error: d.error.clone(),
        }),
        verified,
        holds,
        open_changes: open,
        next,
    }
}

fn next_status(env: &EnvHistory, next: &EnvHistory, now: Timestamp) -> NextStatus {
    let ours = env.deployments.last().map(|d| &d.images);
    let theirs = next.deployments.last().map(|d| &d.images);
    let differs: Vec<String> = match (ours, theirs) {
        (Some(ours), Some(theirs)) => ours
            .iter()
            .filter(|(c, i)| theirs.get(*c).is_some_and(|t| differs(i, t)))
            .map(|(c, _)| c.clone())
            .collect(),
        _ => Vec::new(),
    };
    let soak = next.soak.as_secs();
    let soak_left = ours.and_then(|images| {
        let mut left = 0u64;
        for container in images.keys() {
            let since = env.since.get(container)?;
            let ran = u64::try_from(now.as_second() - since.as_second()).unwrap_or(0);
            left = left.max(soak.saturating_sub(ran));
        }
        Some(left)
    });
    NextStatus {
        env: next.name.clone(),
        soak_seconds: soak,
        soak_left_seconds: soak_left,
        behind: !differs.is_empty() || (ours.is_some() && theirs.is_none()),
        differs,
    }
}
