//! Context and repository facts from the GitHub Actions environment (values passed in).

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;

use super::Context;

/// The repository facts the OCI labels use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoInfo {
    /// Repository name (`title` label).
    pub name: String,
    /// Description (`description` label).
    pub description: String,
    /// Web URL (`url` and `source` labels).
    pub html_url: String,
    /// Default branch (`type=edge` without `branch=`).
    pub default_branch: String,
    /// SPDX license id (`licenses` label).
    pub license: Option<String>,
}

impl RepoInfo {
    /// Reads a GitHub repository object (the REST API's, or an event payload's `repository`).
    pub fn from_github_json(repo: &Value) -> RepoInfo {
        let s = |k: &str| {
            repo.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        RepoInfo {
            name: s("name"),
            description: s("description"),
            html_url: s("html_url"),
            default_branch: s("default_branch"),
            license: repo
                .pointer("/license/spdx_id")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The repository of a local clone (outside GitHub Actions): its web URL from the `origin`
    /// remote's URL ([`web_url`]), its name the URL's last segment, else the name of its
    /// working tree `workdir`.
    pub fn of_local(origin: Option<&str>, workdir: Option<&Path>) -> RepoInfo {
        let html_url = origin.map(web_url).unwrap_or_default();
        let name = html_url
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                workdir
                    .and_then(|w| std::fs::canonicalize(w).ok())
                    .and_then(|w| w.file_name().map(|n| n.to_string_lossy().into_owned()))
            })
            .unwrap_or_default();
        RepoInfo {
            name,
            html_url,
            ..RepoInfo::default()
        }
    }

    /// The repository of a workflow run: the event payload's `repository`, its name and web
    /// URL taken from `GITHUB_REPOSITORY` (`owner/name`, in `env`) on the GitHub server
    /// `server_url` where the payload has none.
    pub fn of_workflow(
        payload: &Value,
        env: &BTreeMap<String, String>,
        server_url: &str,
    ) -> RepoInfo {
        let mut repo = payload
            .get("repository")
            .map(RepoInfo::from_github_json)
            .unwrap_or_default();
        if let Some(full) = env.get("GITHUB_REPOSITORY").filter(|r| !r.is_empty()) {
            if repo.name.is_empty() {
                repo.name = full.rsplit('/').next().unwrap_or(full).to_owned();
            }
            if repo.html_url.is_empty() {
                repo.html_url = format!("{server_url}/{full}");
            }
        }
        repo
    }
}

/// A remote URL (`git@host:o/r.git`, `https://user@host/o/r.git`) as a web URL, without user
/// information; empty for a local path.
pub fn web_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    if let Some(rest) = url.strip_prefix("git@")
        && let Some((host, path)) = rest.split_once(':')
    {
        return format!("https://{host}/{path}");
    }
    if let Some(rest) = url.strip_prefix("ssh://") {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        return format!("https://{rest}");
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
            return format!("{scheme}{rest}");
        }
    }
    String::new()
}

/// Builds the context the way metadata-action does in a workflow: `GITHUB_EVENT_NAME`,
/// `GITHUB_SHA` and `GITHUB_REF` from `env`, the event `payload` (`{}` when there is none).
///
/// For `pull_request_target` the ref becomes `refs/pull/<number>/merge`. With `pr_head_sha`
/// (`DOCKER_METADATA_PR_HEAD_SHA=true`) a pull request event uses the head commit's sha. The
/// commit date comes from the payload's `commits` or `head_commit` when they describe the sha,
/// otherwise from `commit_date_of(sha)` (metadata-action asks the GitHub API, then uses the
/// current time).
pub fn context_from_github(
    env: &BTreeMap<String, String>,
    payload: Value,
    pr_head_sha: bool,
    commit_date_of: impl FnOnce(&str) -> Timestamp,
) -> Context {
    let var = |k: &str| env.get(k).cloned().unwrap_or_default();
    let event_name = var("GITHUB_EVENT_NAME");
    let mut sha = var("GITHUB_SHA");
    let mut git_ref = var("GITHUB_REF");
    if event_name.contains("pull_request_target") {
        let number = match payload.get("number") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => "undefined".to_string(),
        };
        git_ref = format!("refs/pull/{number}/merge");
    }
    if pr_head_sha
        && event_name.contains("pull_request")
        && let Some(head) = payload
            .pointer("/pull_request/head/sha")
            .and_then(Value::as_str)
    {
        sha = head.to_string();
    }
    let commit_date =
        commit_date_from_payload(&payload, &sha).unwrap_or_else(|| commit_date_of(&sha));
    Context {
        event_name,
        sha,
        git_ref,
        payload,
        commit_date,
    }
}

fn commit_date_from_payload(payload: &Value, sha: &str) -> Option<Timestamp> {
    let parse = |c: &Value| {
        c.get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<Timestamp>().ok())
    };
    if let Some(commits) = payload.get("commits").and_then(Value::as_array)
        && let Some(c) = commits
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(sha))
        && let Some(t) = parse(c)
    {
        return Some(t);
    }
    let head = payload.get("head_commit")?;
    if head.get("id").and_then(Value::as_str) == Some(sha) {
        return parse(head);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_drop_user_information_up_to_the_last_at() {
        assert_eq!(web_url("git@github.com:o/r.git"), "https://github.com/o/r");
        assert_eq!(
            web_url("https://x:tok@github.com/o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(web_url("https://x:p@ss@host/o/r/"), "https://host/o/r");
        assert_eq!(web_url("ssh://git@host/o/r"), "https://host/o/r");
        assert_eq!(web_url("/local/path"), "");
        let repo = RepoInfo::of_local(Some("git@github.com:acme/shop.git"), None);
        assert_eq!(
            (repo.name.as_str(), repo.html_url.as_str()),
            ("shop", "https://github.com/acme/shop")
        );
    }
}
