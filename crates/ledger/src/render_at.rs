//! `ferry render --at REV`: an overlay rendered from a commit's tree, without a working tree
//! (the files are read from Git objects, as the ledger reads them).

use std::path::Path;
use std::sync::Arc;

use ferry_git::{EntryType, GitError, ObjectId, Repo};
use ferry_kustomize::render::{RenderError, Rendered, render_overlay_in};
use ferry_kustomize::{ParseCache, ResolveOptions};

use crate::ledger::tree::{TREE_ROOT, TreeSource};

/// Why an overlay could not be rendered at a revision.
#[derive(Debug, thiserror::Error)]
pub enum RenderAtError {
    /// The revision does not name a commit, or Git objects cannot be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The overlay does not render (not found at the revision, invalid, or unsupported).
    #[error("at {rev}: {source}")]
    Render {
        /// The revision as given.
        rev: String,
        /// Why.
        source: RenderError,
    },
}

impl ferry_error::Classify for RenderAtError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            RenderAtError::Git(e) => e.error_kind(),
            RenderAtError::Render { source, .. } => source.error_kind(),
        }
    }
}

/// Renders `overlay` (a repository-relative directory) as of `rev` (anything `git rev-parse`
/// reads: a branch, tag, `HEAD~2`, a commit id), with `options`.
pub fn render_at(
    repo: &Repo,
    rev: &str,
    overlay: &str,
    options: &ResolveOptions,
) -> Result<Rendered, RenderAtError> {
    let commit = repo.resolve(rev)?;
    let source = tree_source(repo, commit)?;
    let root = Path::new(TREE_ROOT);
    let overlay = overlay.trim_start_matches("./").trim_end_matches('/');
    let dir = if overlay.is_empty() || overlay == "." {
        root.to_path_buf()
    } else {
        root.join(overlay)
    };
    render_overlay_in(&source, &ParseCache::new(), root, &dir, options).map_err(|source| {
        RenderAtError::Render {
            rev: rev.to_string(),
            source,
        }
    })
}

/// Every file and symbolic link of `commit`'s tree, as a source for the resolver.
fn tree_source(repo: &Repo, commit: ObjectId) -> Result<TreeSource, GitError> {
    let tree = repo.commit(commit)?.tree;
    let mut source = TreeSource::new(Path::new(TREE_ROOT));
    let mut stack = vec![(tree, String::new())];
    while let Some((id, prefix)) = stack.pop() {
        for (name, entry) in repo.tree(id)?.iter() {
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            match entry.kind {
                EntryType::Tree => stack.push((entry.id, path)),
                EntryType::Submodule => {}
                kind => {
                    let bytes: Arc<[u8]> = repo.blob(entry.id)?.into();
                    source.insert(&path, kind, bytes);
                }
            }
        }
    }
    Ok(source)
}
