//! Build context from a local git repository (outside GitHub Actions), read with gix.

use std::path::Path;

use anyhow::{Context as _, Result};
use ferry_image::meta::{Context, RepoInfo};
use jiff::Timestamp;
use serde_json::json;

/// What the local repository says about the build.
#[derive(Debug)]
pub struct LocalRepo {
    /// The context for tag computation.
    pub context: Context,
    /// Repository facts for the labels.
    pub repo: RepoInfo,
    /// Tracked files differ from `HEAD` (untracked files do not count).
    pub dirty: bool,
    /// Tags pointing at `HEAD`, sorted.
    pub tags_at_head: Vec<String>,
}

/// Reads HEAD's sha, branch (or the tag at a detached HEAD), commit date, tags at HEAD, the dirty
/// state, `origin`'s URL and default branch (`refs/remotes/origin/HEAD`).
pub fn read(dir: &Path) -> Result<LocalRepo> {
    let repo = gix::discover(dir)
        .with_context(|| format!("{} is not inside a git repository", dir.display()))?;
    let head = repo
        .head_commit()
        .context("cannot read the HEAD commit (is the repository empty?)")?;
    let sha = head.id().to_string();
    let time = head.time().context("cannot read the HEAD commit time")?;
    let commit_date = Timestamp::from_second(time.seconds).context("HEAD commit time")?;

    let mut tags_at_head = Vec::new();
    for r in repo.references()?.tags()? {
        let mut r = r.map_err(|e| anyhow::anyhow!("cannot read a tag: {e}"))?;
        let name = r.name().shorten().to_string();
        if let Ok(id) = r.peel_to_id()
            && id.detach() == head.id
        {
            tags_at_head.push(name);
        }
    }
    tags_at_head.sort();

    let git_ref = match repo.head_name()? {
        Some(name) => name.as_bstr().to_string(),
        None => match pick_tag(&tags_at_head) {
            Some(tag) => format!("refs/tags/{tag}"),
            None => String::new(),
        },
    };
    let dirty = repo
        .is_dirty()
        .context("cannot compute the working tree status")?;

    let default_branch = repo
        .find_reference("refs/remotes/origin/HEAD")
        .ok()
        .and_then(|r| match r.target() {
            gix::refs::TargetRef::Symbolic(name) => name
                .as_bstr()
                .to_string()
                .strip_prefix("refs/remotes/origin/")
                .map(str::to_string),
            gix::refs::TargetRef::Object(_) => None,
        })
        .unwrap_or_default();
    let origin = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|u| u.to_string());
    let payload = if default_branch.is_empty() {
        json!({})
    } else {
        json!({ "repository": { "default_branch": default_branch } })
    };
    Ok(LocalRepo {
        context: Context {
            event_name: "push".to_string(),
            sha,
            git_ref,
            payload,
            commit_date,
        },
        repo: RepoInfo {
            default_branch,
            ..RepoInfo::of_local(origin.as_deref(), repo.workdir())
        },
        dirty,
        tags_at_head,
    })
}

/// The committer time of commit `sha` in the repository around `dir`, if it is there.
pub fn commit_time(dir: &Path, sha: &str) -> Option<Timestamp> {
    let repo = gix::discover(dir).ok()?;
    let id = gix::ObjectId::from_hex(sha.as_bytes()).ok()?;
    let time = repo.find_commit(id).ok()?.time().ok()?;
    Timestamp::from_second(time.seconds).ok()
}

/// The tag a detached HEAD builds: the highest semantic version among the tags, else the last
/// name in sort order.
fn pick_tag(tags: &[String]) -> Option<&String> {
    let semver = |t: &String| semver::Version::parse(t.trim_start_matches('v')).ok();
    tags.iter()
        .filter_map(|t| semver(t).map(|v| (v, t)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t)
        .or_else(|| tags.last())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_highest_semver_tag() {
        let tags = vec![
            "latest".to_string(),
            "v1.10.0".to_string(),
            "v1.9.0".to_string(),
        ];
        assert_eq!(pick_tag(&tags).map(String::as_str), Some("v1.10.0"));
        let plain = vec!["a".to_string(), "b".to_string()];
        assert_eq!(pick_tag(&plain).map(String::as_str), Some("b"));
    }
}
