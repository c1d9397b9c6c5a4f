//! The new text of an overlay's kustomization for a set of images, through
//! [`ferry_kustomize::set_images`] (byte-exact edits, verified by re-parsing), so the caller only
//! commits files.
//!
//! An image is addressed by the repository the environment runs it under now (as the ledger or
//! ferry.toml names it). The `images:` entries whose output repository (`newName`, else `name`)
//! is that repository get the new tag and digest (and a new `newName` when the repository
//! changes); when no entry matches, one is added with `name` set to the repository, which is
//! what kustomize matches against the image the bases emit.

use ferry_image::reference::{Reference, Repository};
use ferry_kustomize::{EditError, EditOutcome, FieldEdit, ImageEdit, ImageEntry, ImageSpec};
use serde::Serialize;

use ferry_ledger::ledger::ImageChange;

/// Set the image of every container that runs `repository` to `image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ImageUpdate {
    /// The repository the environment runs now, without tag or digest, e.g.
    /// `registry.example.com/acme/backend`.
    pub repository: Repository,
    /// The new image: a reference with a tag, a digest or both.
    pub image: Reference,
}

impl ImageUpdate {
    /// The update for a ledger change (`from` → `to`): `Ok(None)` unless it has both images;
    /// [`OverlayError::BadImage`] when one is not an image reference.
    pub fn from_change(change: &ImageChange) -> Result<Option<ImageUpdate>, OverlayError> {
        let (Some(from), Some(to)) = (change.from.as_deref(), change.to.as_deref()) else {
            return Ok(None);
        };
        let parse = |image: &str| {
            Reference::parse(image).map_err(|e| OverlayError::BadImage {
                image: image.to_owned(),
                reason: e.to_string(),
            })
        };
        Ok(Some(ImageUpdate {
            repository: parse(from)?.repository(),
            image: parse(to)?,
        }))
    }
}

/// Why the overlay text could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverlayError {
    /// An image is not a reference with a tag or digest.
    #[error("`{image}` is not an image reference with a tag or digest: {reason}")]
    BadImage {
        /// The image.
        image: String,
        /// What is wrong.
        reason: String,
    },
    /// Two different images were asked for one repository; one overlay entry cannot hold both.
    #[error("{repository} is asked to become both {first} and {second}")]
    Conflict {
        /// The repository.
        repository: String,
        /// One image.
        first: String,
        /// The other.
        second: String,
    },
    /// The edit was refused (invalid kustomization, or verification failed).
    #[error("cannot edit the kustomization: {0}")]
    Edit(#[from] EditError),
}

/// An overlay edit that cannot be made: the images asked for conflict (usage), or the image or
/// the kustomization is wrong (bad input).
impl ferry_error::Classify for OverlayError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            OverlayError::Conflict { .. } => ErrorKind::Usage,
            _ => ErrorKind::BadInput,
        }
    }
}

fn field(value: Option<&str>) -> FieldEdit {
    value.map_or(FieldEdit::Unset, |v| FieldEdit::Set(v.to_owned()))
}

/// The kustomization `text` with `updates` applied. `EditOutcome::changed` is false when the
/// overlay already has them (nothing to commit).
pub fn overlay_update(text: &str, updates: &[ImageUpdate]) -> Result<EditOutcome, OverlayError> {
    let mut wanted: Vec<&ImageUpdate> = Vec::new();
    for update in updates {
        match wanted
            .iter()
            .find(|w| w.repository.same_as(&update.repository))
        {
            Some(w) if w.image == update.image => {}
            Some(w) => {
                return Err(OverlayError::Conflict {
                    repository: update.repository.to_string(),
                    first: w.image.to_string(),
                    second: update.image.to_string(),
                });
            }
            None => wanted.push(update),
        }
    }
    let entries = ferry_kustomize::read_images(text)?;
    let mut edits = Vec::new();
    for update in wanted {
        let (tag, digest) = (update.image.tag(), update.image.digest());
        if tag.is_none() && digest.is_none() {
            return Err(OverlayError::BadImage {
                image: update.image.to_string(),
                reason: "give a tag (`:1.2.3`) or a digest (`@sha256:…`)".into(),
            });
        }
        let new_repo = update.image.repository();
        let output = |e: &ImageEntry| e.new_name.clone().unwrap_or_else(|| e.name.clone());
        let matching: Vec<&ImageEntry> = entries
            .iter()
            .filter(|e| update.repository.is_named(&output(e)))
            .collect();
        if matching.is_empty() {
            edits.push(ImageEdit::Set(ImageSpec {
                name: update.repository.to_string(),
                new_name: if new_repo.same_as(&update.repository) {
                    FieldEdit::Unset
                } else {
                    FieldEdit::Set(new_repo.to_string())
                },
                new_tag: field(tag),
                digest: field(digest),
            }));
        }
        for entry in matching {
            edits.push(ImageEdit::Set(ImageSpec {
                name: entry.name.clone(),
                new_name: if new_repo.is_named(&output(entry)) {
                    field(entry.new_name.as_deref())
                } else {
                    FieldEdit::Set(new_repo.to_string())
                },
                new_tag: field(tag),
                digest: field(digest),
            }));
        }
    }
    Ok(ferry_kustomize::set_images(text, &edits)?)
}
