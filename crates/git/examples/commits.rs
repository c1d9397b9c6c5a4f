//! A GitOps repository written without a working tree: a commit built from edited files, the
//! branch moved by compare-and-swap (a writer that read an older tip is refused), the file and
//! the path-filtered history read back. Ferry's forges and verification records work this way.
//!
//! Run with `cargo run -p ferry-git --example commits`.

use ferry_git::{CommitRequest, FileChange, GitError, ObjectId, Repo, Signature};

/// Commits `path` = `text` on `parent` (nothing moves yet).
fn commit(
    repo: &Repo,
    parent: Option<ObjectId>,
    path: &str,
    text: &str,
    who: &Signature,
) -> Result<ObjectId, GitError> {
    repo.build_commit(&CommitRequest {
        parent,
        changes: vec![FileChange {
            path: path.to_owned(),
            content: Some(text.as_bytes().to_vec()),
        }],
        message: format!("set {path}\n"),
        author: who.clone(),
        committer: who.clone(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    gix::init_bare(dir.path())?;
    let repo = Repo::open(dir.path())?;
    let who = Signature::new(
        "Example",
        "example@example.invalid",
        jiff::Timestamp::new(1_780_000_000, 0)?,
    );
    let overlay = "overlays/dev/kustomization.yaml";

    let first = commit(&repo, None, overlay, "images: []\n", &who)?;
    // `None`: the branch must not exist yet.
    repo.update_ref("refs/heads/main", first, None, &who, "first")?;
    let second = commit(&repo, Some(first), "README.md", "# GitOps\n", &who)?;
    repo.update_ref("refs/heads/main", second, Some(first), &who, "readme")?;

    // A writer that still believes `main` is at `first` is refused, and told what it is now.
    let late = commit(&repo, Some(first), overlay, "images: [x]\n", &who)?;
    match repo.update_ref("refs/heads/main", late, Some(first), &who, "late") {
        Err(GitError::RefMoved { actual, .. }) => assert_eq!(actual, Some(second)),
        other => panic!("a stale compare-and-swap must be refused: {other:?}"),
    }
    println!("refused a writer that read an older main");

    let tip = repo.resolve("main")?;
    assert_eq!(tip, second);
    let text = repo.read_file(tip, overlay)?.expect("the overlay exists");
    assert_eq!(text, b"images: []\n");
    // Only the first commit touched the overlay.
    let history = repo.first_parent_history(tip, &["overlays/dev"])?;
    assert_eq!(history.iter().map(|c| c.id).collect::<Vec<_>>(), [first]);
    println!("{overlay} last changed by {}", &first.to_string()[..12]);
    Ok(())
}
