//! The two sides of a diff (a commit or the working tree), chosen from the flags, the pull
//! request of GitHub Actions or the base branch, and each environment rendered on a side.

use std::path::{Path, PathBuf};

use ferry_cli::{Context as _, Error, Result};
use ferry_diff::{Naming, Object};
use ferry_git::{ObjectId, Repo};
use ferry_kustomize::ResolveOptions;
use ferry_kustomize::model::{KUSTOMIZATION_FILE_NAMES, parse_kustomization};

use crate::pull::PullRequest;

/// Where objects are rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Side {
    /// The files on disk.
    WorkingTree,
    /// A commit, read from Git without a working tree.
    Commit(ObjectId),
}

/// A side and what the output calls it.
#[derive(Debug, Clone)]
pub(crate) struct Labeled {
    pub(crate) side: Side,
    pub(crate) label: String,
}

/// The repository and what rendering needs.
pub(crate) struct Workspace {
    pub(crate) repo: Repo,
    /// The working tree's top directory.
    pub(crate) top: PathBuf,
    pub(crate) options: ResolveOptions,
}

impl Workspace {
    /// A commit with the label `NAME (1a2b3c4)`.
    fn commit(&self, rev: &str, why: &str) -> Result<Labeled> {
        let id = self
            .repo
            .resolve(rev)
            .map_err(Error::from)
            .with_context(|| format!("{why}: cannot resolve {rev:?}"))?;
        Ok(labeled_commit(id, rev))
    }

    /// The old side: `--from`, else the merge base of the base branch (its remote-tracking
    /// branch when there is one) and the new side.
    pub(crate) fn old_side(
        &self,
        from: Option<&str>,
        pull: Option<&PullRequest>,
        to: &Labeled,
        base: &str,
        remote: &str,
    ) -> Result<Labeled> {
        if let Some(rev) = from {
            return self.commit(rev, "--from");
        }
        let (tip, name) = match pull {
            Some(pull) => (
                self.commit(&pull.base_sha, "the pull request's base")?,
                pull.base_ref.clone(),
            ),
            None => {
                let tracking = format!("refs/remotes/{remote}/{base}");
                let rev = match self.repo.ref_id(&tracking) {
                    Ok(Some(_)) => format!("{remote}/{base}"),
                    _ => base.to_owned(),
                };
                (self.commit(&rev, "the base branch")?, rev)
            }
        };
        let Side::Commit(tip_id) = tip.side else {
            unreachable!("a revision is a commit");
        };
        let head = match &to.side {
            Side::Commit(id) => Some(*id),
            Side::WorkingTree => self.repo.resolve("HEAD").ok(),
        };
        let base_id = match head {
            Some(head) => self
                .repo
                .merge_base(tip_id, head)
                .map_err(Error::from)?
                .unwrap_or(tip_id),
            None => tip_id,
        };
        let label = if base_id == tip_id {
            format!("{name} ({})", short(&base_id))
        } else {
            format!("merge base of {name} ({})", short(&base_id))
        };
        Ok(Labeled {
            side: Side::Commit(base_id),
            label,
        })
    }

    /// The new side: `--to`, else the pull request's head, else the working tree.
    pub(crate) fn new_side(&self, to: Option<&str>, pull: Option<&PullRequest>) -> Result<Labeled> {
        match (to, pull) {
            (Some(rev), _) => self.commit(rev, "--to"),
            (None, Some(pull)) => {
                let head = self
                    .commit(&pull.head_sha, "the pull request's head")
                    .map_err(|e| {
                        e.context(
                            "check out the pull request with its history \
                         (actions/checkout with fetch-depth: 0)",
                        )
                    })?;
                Ok(Labeled {
                    label: format!("pull request #{} head ({})", pull.number, short_of(&head)),
                    ..head
                })
            }
            (None, None) => Ok(Labeled {
                side: Side::WorkingTree,
                label: "working tree".to_owned(),
            }),
        }
    }

    /// The objects `overlay` (a repository path) renders on `side`; none when the overlay does
    /// not exist there (an environment added or removed).
    pub(crate) fn render(&self, side: &Side, overlay: &str) -> Result<Option<Vec<Object>>> {
        let rendered = match side {
            Side::WorkingTree => {
                let dir = self.top.join(overlay);
                if !dir.is_dir() {
                    return Ok(None);
                }
                ferry_kustomize::render::render_overlay(&self.top, &dir, &self.options)
                    .map_err(Error::from)
            }
            Side::Commit(id) => {
                if self
                    .repo
                    .entry_at(*id, overlay)
                    .map_err(Error::from)?
                    .is_none()
                {
                    return Ok(None);
                }
                ferry_ledger::render_at(&self.repo, &id.to_string(), overlay, &self.options)
                    .map_err(Error::from)
            }
        };
        let rendered = rendered.with_context(|| format!("cannot render {overlay}"))?;
        Ok(Some(rendered.objects))
    }

    /// The overlay's `namespace`, `namePrefix` and `nameSuffix` on `side` (drift).
    pub(crate) fn naming(&self, side: &Side, overlay: &str) -> Result<Naming> {
        let mut found = None;
        for name in KUSTOMIZATION_FILE_NAMES {
            let path = format!("{overlay}/{name}");
            let bytes = match side {
                Side::WorkingTree => match std::fs::read(self.top.join(&path)) {
                    Ok(bytes) => Some(bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(Error::from(e).context(format!("cannot read {path}"))),
                },
                Side::Commit(id) => self.repo.read_file(*id, &path).map_err(Error::from)?,
            };
            if let Some(bytes) = bytes {
                found = Some((path, bytes));
                break;
            }
        }
        let Some((path, bytes)) = found else {
            return Err(Error::bad_input(format!(
                "no kustomization file in {overlay}"
            )));
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::bad_input(format!("{path} is not UTF-8")))?;
        let kustomization =
            parse_kustomization(&text).map_err(|e| Error::bad_input(format!("{path}:{e}")))?;
        let value = |s: Option<ferry_kustomize::model::Spanned<String>>| s.map(|s| s.value);
        Ok(Naming {
            namespace: value(kustomization.namespace).filter(|n| !n.is_empty()),
            name_prefix: value(kustomization.name_prefix).unwrap_or_default(),
            name_suffix: value(kustomization.name_suffix).unwrap_or_default(),
        })
    }
}

fn labeled_commit(id: ObjectId, rev: &str) -> Labeled {
    let short = short(&id);
    let label = if rev.starts_with(&short) {
        short
    } else {
        format!("{rev} ({short})")
    };
    Labeled {
        side: Side::Commit(id),
        label,
    }
}

fn short_of(labeled: &Labeled) -> String {
    match &labeled.side {
        Side::Commit(id) => short(id),
        Side::WorkingTree => "working tree".to_owned(),
    }
}

/// The first 7 hex digits of a commit.
pub(crate) fn short(id: &ObjectId) -> String {
    id.to_string().chars().take(7).collect()
}

/// The top directory of the working tree of `repo`.
pub(crate) fn top_of(repo: &Repo, given: &Path) -> Result<PathBuf> {
    let top = repo.workdir().ok_or_else(|| {
        Error::bad_input(format!(
            "{} is a bare repository; ferry diff needs a working tree (or --from and --to)",
            given.display()
        ))
    })?;
    top.canonicalize()
        .with_context(|| format!("cannot open {}", top.display()))
}
