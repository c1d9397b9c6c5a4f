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
    let origin = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|u| u.to_string());
    Ok((
        Context {
            event_name: "push".to_owned(),
            sha: head.id.to_string(),
            git_ref,
            payload: json!({}),
            commit_date,
        },
        RepoInfo::of_local(origin.as_deref(), repo.workdir()),
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
