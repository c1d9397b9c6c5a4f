//! The build's context from a local Git repository (outside GitHub Actions), read with gix:
//! what `ferry tag --context git` reads for its labels.

use std::path::Path;

use ferry_image::meta::{Context, RepoInfo};
use jiff::Timestamp;
use serde_json::json;

/// The context directory is not inside a readable Git repository.
#[derive(Debug, thiserror::Error)]
#[error("{} is not inside a readable git repository: {message}", dir.display())]
pub struct GitContextError {
    /// The directory.
    pub dir: std::path::PathBuf,
    /// What failed.
    pub message: String,
}

/// A context that is not a repository is bad input (exit 2).
impl ferry_error::Classify for GitContextError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::BadInput
    }
}

/// HEAD's commit, ref (the branch, or at a detached HEAD a tag pointing at it), commit date,
/// and `origin`'s web URL and name.
pub fn local_context(dir: &Path) -> Result<(Context, RepoInfo), GitContextError> {
    let fail = |message: String| GitContextError {
        dir: dir.to_path_buf(),
        message,
    };
    let repo = gix::discover(dir).map_err(|e| fail(e.to_string()))?;
    let head = repo.head_commit().map_err(|e| fail(e.to_string()))?;
    let time = head.time().map_err(|e| fail(e.to_string()))?;
    let commit_date = Timestamp::from_second(time.seconds).map_err(|e| fail(e.to_string()))?;
    let git_ref = match repo.head_name().map_err(|e| fail(e.to_string()))? {
        Some(name) => name.as_bstr().to_string(),
        None => tag_at(&repo, head.id).map_or_else(String::new, |t| format!("refs/tags/{t}")),
    };
    let html_url = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|u| web_url(&u.to_string()))
        .unwrap_or_default();
    let name = html_url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            repo.workdir()
                .and_then(|w| std::fs::canonicalize(w).ok())
                .and_then(|w| w.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_default();
    Ok((
        Context {
            event_name: "push".to_owned(),
            sha: head.id.to_string(),
            git_ref,
            payload: json!({}),
            commit_date,
        },
        RepoInfo {
            name,
            html_url,
            ..RepoInfo::default()
        },
    ))
}

/// The last tag (in name order) pointing at `commit`.
fn tag_at(repo: &gix::Repository, commit: gix::ObjectId) -> Option<String> {
    let references = repo.references().ok()?;
    let mut tags: Vec<String> = references
        .tags()
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|mut r| {
            let name = r.name().shorten().to_string();
            (r.peel_to_id().ok()?.detach() == commit).then_some(name)
        })
        .collect();
    tags.sort();
    tags.pop()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_drop_user_information() {
        assert_eq!(web_url("git@github.com:o/r.git"), "https://github.com/o/r");
        assert_eq!(
            web_url("https://x:tok@github.com/o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(web_url("ssh://git@host/o/r"), "https://host/o/r");
        assert_eq!(web_url("/local/path"), "");
    }
}
