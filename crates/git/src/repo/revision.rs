//! Revisions as git spells them (`git rev-parse`), and ancestry.

use gix::ObjectId;

use super::{GitError, Repo, git_with};

impl Repo {
    /// Resolves a revision to a commit id, as `git rev-parse REV^{commit}` does: a full or
    /// unique short commit id, a branch, a tag (peeled to its commit), a full ref name, or an
    /// expression such as `HEAD~2` or `main^`. A name git does not know is then tried as
    /// `origin/<name>` (a clone without the local branch). A short id that matches several
    /// objects is [`GitError::AmbiguousRevision`].
    pub fn resolve(&self, rev: &str) -> Result<ObjectId, GitError> {
        let rev_trimmed = rev.trim();
        if rev_trimmed.is_empty() {
            return Err(GitError::UnknownRevision(rev.to_string()));
        }
        // Like `git rev-parse REV^{commit}`: a short id matching a commit and other objects
        // means the commit.
        let options = gix::revision::spec::parse::Options {
            object_kind_hint: Some(gix::revision::spec::parse::ObjectKindHint::Committish),
            ..Default::default()
        };
        let parsed = gix::revision::Spec::from_bstr(rev_trimmed, &self.repo, options);
        match parsed {
            Ok(spec) => match spec.single() {
                Some(id) => self.peel_to_commit(rev, id.detach()),
                // A range (`a..b`) is not one commit.
                None => Err(GitError::UnknownRevision(rev.to_string())),
            },
            Err(e) => {
                use gix::revision::spec::parse::Error as ParseError;
                let candidates = match e.downcast_any_ref::<ParseError>() {
                    Some(ParseError::AmbiguousPrefix { candidates, .. })
                    | Some(ParseError::AmbiguousRefAndObject { candidates, .. }) => candidates,
                    _ => {
                        if let Ok(Some(id)) =
                            self.ref_id(&format!("refs/remotes/origin/{rev_trimmed}"))
                        {
                            return self.peel_to_commit(rev, id);
                        }
                        return Err(GitError::UnknownRevision(rev.to_string()));
                    }
                };
                Err(GitError::AmbiguousRevision {
                    rev: rev.to_string(),
                    candidates: candidates
                        .iter()
                        .map(|(prefix, info)| format!("{prefix} {info}"))
                        .collect(),
                })
            }
        }
    }

    /// `id` itself when it is a commit, the commit an annotated tag points at, or
    /// [`GitError::NotACommit`].
    fn peel_to_commit(&self, rev: &str, id: ObjectId) -> Result<ObjectId, GitError> {
        let object = self
            .repo
            .find_object(id)
            .map_err(git_with(|| format!("cannot read object {id}")))?;
        let kind = object.kind;
        object
            .peel_to_kind(gix::object::Kind::Commit)
            .map(|commit| commit.id)
            .map_err(|_| GitError::NotACommit {
                rev: rev.to_string(),
                kind: kind.to_string(),
            })
    }

    /// The best common ancestor of `a` and `b` (`git merge-base a b`), `None` when their
    /// histories do not meet.
    pub fn merge_base(&self, a: ObjectId, b: ObjectId) -> Result<Option<ObjectId>, GitError> {
        if a == b {
            return Ok(Some(a));
        }
        let base = self.repo.merge_base(a, b).map_err(git_with(|| {
            format!("cannot find the merge base of {a} and {b}")
        }))?;
        Ok(base.map(|b| b.detach()))
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        let base = self
            .repo
            .merge_base(ancestor, descendant)
            .map_err(git_with(|| {
                format!("cannot find the merge base of {ancestor} and {descendant}")
            }))?;
        Ok(base.is_some_and(|b| b.detach() == ancestor))
    }
}
