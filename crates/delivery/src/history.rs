//! The facts `ferry status` and `ferry metrics` are computed from, as plain data.
//!
//! [`crate::gather`](mod@crate::gather) fills them from a repository; tests and the example build them by hand.

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_gitops::gates::Hold;
use jiff::Timestamp;

/// Everything known about the environments, in promotion order.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The base branch tip the ledger was read at (hex).
    pub base: String,
    /// Environments in promotion order (as `ferry.toml` lists them).
    pub environments: Vec<EnvHistory>,
    /// Logical image names by repository (`registry.example.com/acme/backend` → `backend`).
    pub image_names: BTreeMap<String, String>,
    /// Every hold (of every environment, released ones included).
    pub holds: Vec<Hold>,
}

/// One environment.
#[derive(Debug, Clone, Default)]
pub struct EnvHistory {
    /// Name.
    pub name: String,
    /// The environment it is promoted from (`None`: a first environment).
    pub upstream: Option<String>,
    /// How long images must run in the upstream before they are promoted here.
    pub soak: Duration,
    /// Whether its changes merge without a person (`auto-merge`).
    pub auto_merge: bool,
    /// Deployments, oldest first.
    pub deployments: Vec<DeploymentFact>,
    /// Whether older deployments exist that were not read.
    pub truncated: bool,
    /// By `workload/container`: when the image it runs now entered (the start of its current
    /// uninterrupted run); missing when older than what was read.
    pub since: BTreeMap<String, Timestamp>,
}

/// One deployment: a commit of the base branch after which the overlay renders differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentFact {
    /// Commit id (hex).
    pub commit: String,
    /// When it reached the base branch (committer time).
    pub time: Timestamp,
    /// First line of the commit message.
    pub summary: String,
    /// Image of every workload container, by `workload/container`.
    pub images: BTreeMap<String, String>,
    /// Containers whose image this deployment changed (new ones included).
    pub changed: Vec<String>,
    /// Why the overlay does not render at this commit, if it does not.
    pub error: Option<String>,
    /// The commit this deployment rolled back (its `Ferry-Rollback:` trailer).
    pub rollback_of: Option<String>,
    /// When a verification record of the environment named exactly these images on this
    /// deployment (the earliest such record); `None` when never verified.
    pub verified_at: Option<Timestamp>,
}

impl DeploymentFact {
    /// The first 12 digits of the commit.
    pub fn short(&self) -> &str {
        short(&self.commit)
    }
}

/// An open change of an environment on the forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChange {
    /// The forge's id (pull request number, change record name).
    pub id: String,
    /// A link, when the forge has one.
    pub url: Option<String>,
    /// The images it sets (full references, from the change's image table).
    pub images: Vec<String>,
    /// When it was opened, when known.
    pub created_at: Option<Timestamp>,
    /// Whether it merges by itself (auto-merge) or waits for a person.
    pub auto_merge: bool,
}

/// The first 12 characters of a commit id.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// An image reference split into repository, tag and digest (`repo:tag@digest`), as written.
pub fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    // A tag follows the last `:` after the last `/` (a registry port is before a `/`).
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => (
            &name[..last_slash + i],
            Some(&name[last_slash + i + 1..]),
            digest,
        ),
        None => (name, None, digest),
    }
}

/// Whether `next` runs an older or other version of what `ours` runs: the same repository at
/// another tag, or at another digest. Images an environment names its own way (a mirror, a
/// digest pinned where the other has a tag) are not compared.
pub fn differs(ours: &str, next: &str) -> bool {
    let (repo_a, tag_a, digest_a) = split_image(ours);
    let (repo_b, tag_b, digest_b) = split_image(next);
    repo_a == repo_b
        && match (tag_a, tag_b, digest_a, digest_b) {
            (_, _, Some(a), Some(b)) => a != b,
            (Some(a), Some(b), _, _) => a != b,
            _ => false,
        }
}

/// An image in short form: its logical name (or the last component of its repository) and
/// its tag, or the first 12 digits of its digest (`backend:1.4.0`, `api@sha256:1a2b3c4d5e6f`).
pub fn short_image(image: &str, names: &BTreeMap<String, String>) -> String {
    let (repository, tag, digest) = split_image(image);
    let logical = names.get(repository).cloned().unwrap_or_else(|| {
        repository
            .rsplit('/')
            .next()
            .unwrap_or(repository)
            .to_owned()
    });
    match (tag, digest) {
        (Some(tag), _) => format!("{logical}:{tag}"),
        (None, Some(digest)) => {
            let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
            format!(
                "{logical}@{}",
                &digest[..digest.len() - hex.len() + hex.len().min(12)]
            )
        }
        (None, None) => logical,
    }
}

/// `items` with each value once, where it first appears (containers that share an image
/// need not be next to each other).
pub fn first_of_each(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_once_in_first_order() {
        let items = ["backend:1", "frontend:1", "backend:1", "db:2", "frontend:1"];
        assert_eq!(
            first_of_each(items.map(str::to_owned)),
            ["backend:1", "frontend:1", "db:2"]
        );
    }

    #[test]
    fn short_images_use_logical_names() {
        let names = BTreeMap::from([(
            "registry.example.com/acme/backend".to_owned(),
            "backend".to_owned(),
        )]);
        assert_eq!(
            short_image("registry.example.com/acme/backend:1.4.0", &names),
            "backend:1.4.0"
        );
        assert_eq!(short_image("localhost:5000/other/web:2", &names), "web:2");
        assert_eq!(
            short_image(
                "registry.example.com/acme/backend@sha256:0123456789abcdef0123",
                &names
            ),
            "backend@sha256:0123456789ab"
        );
        assert_eq!(short_image("localhost:5000/web", &names), "web");
    }

    #[test]
    fn only_the_same_repository_at_another_version_differs() {
        assert!(differs("r.io/a/api:1.1", "r.io/a/api:1.0"));
        assert!(!differs("r.io/a/api:1.1", "r.io/a/api:1.1"));
        assert!(!differs("postgres:16.4", "r.io/mirror/postgres:16.4"));
        assert!(!differs("r.io/m/pg:16.4", "r.io/m/pg@sha256:00"));
        assert!(differs("r.io/m/pg@sha256:01", "r.io/m/pg@sha256:00"));
    }
}
