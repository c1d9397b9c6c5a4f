//! The new text of an overlay's kustomization for a set of images, through
//! [`ferry_kustomize::set_images`] (byte-exact edits, verified by re-parsing), so the caller only
//! commits files.
//!
//! An image is addressed by the repository the environment runs it under now (as the ledger or
//! ferry.toml names it). The `images:` entries whose output repository (`newName`, else `name`)
//! is that repository get the new tag and digest (and a new `newName` when the repository
//! changes); when no entry matches, one is added with `name` set to the repository, which is
//! what kustomize matches against the image the bases emit.

use ferry_image::reference::Reference;
use ferry_kustomize::{EditError, EditOutcome, FieldEdit, ImageEdit, ImageEntry, ImageSpec};
use serde::Serialize;

use crate::ledger::ImageChange;

/// Set the image of every container that runs `repository` to `image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ImageUpdate {
    /// The repository the environment runs now, without tag or digest, e.g.
    /// `registry.example.com/acme/backend`.
    pub repository: String,
    /// The new image: a reference with a tag, a digest or both.
    pub image: String,
}

impl ImageUpdate {
    /// The update for a ledger change (`from` → `to`); `None` unless it has both images.
    pub fn from_change(change: &ImageChange) -> Option<ImageUpdate> {
        let (from, to) = (change.from.as_deref()?, change.to.as_deref()?);
        Some(ImageUpdate {
            repository: split_image(from).0.to_owned(),
            image: to.to_owned(),
        })
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

/// Splits an image as written into repository, tag and digest (no normalisation).
fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// Whether two repository names are the same (literally, or after Docker Hub normalisation).
fn same_repository(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        Reference::parse_normalized(a),
        Reference::parse_normalized(b),
    ) {
        (Ok(a), Ok(b)) => a.name() == b.name(),
        _ => false,
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
            .find(|w| same_repository(&w.repository, &update.repository))
        {
            Some(w) if w.image == update.image => {}
            Some(w) => {
                return Err(OverlayError::Conflict {
                    repository: update.repository.clone(),
                    first: w.image.clone(),
                    second: update.image.clone(),
                });
            }
            None => wanted.push(update),
        }
    }
    let entries = ferry_kustomize::read_images(text)?;
    let mut edits = Vec::new();
    for update in wanted {
        Reference::parse(&update.image).map_err(|e| OverlayError::BadImage {
            image: update.image.clone(),
            reason: e.to_string(),
        })?;
        let (new_repo, tag, digest) = split_image(&update.image);
        if tag.is_none() && digest.is_none() {
            return Err(OverlayError::BadImage {
                image: update.image.clone(),
                reason: "give a tag (`:1.2.3`) or a digest (`@sha256:…`)".into(),
            });
        }
        let output = |e: &ImageEntry| e.new_name.clone().unwrap_or_else(|| e.name.clone());
        let matching: Vec<&ImageEntry> = entries
            .iter()
            .filter(|e| same_repository(&output(e), &update.repository))
            .collect();
        if matching.is_empty() {
            edits.push(ImageEdit::Set(ImageSpec {
                name: update.repository.clone(),
                new_name: if same_repository(new_repo, &update.repository) {
                    FieldEdit::Unset
                } else {
                    FieldEdit::Set(new_repo.to_owned())
                },
                new_tag: field(tag),
                digest: field(digest),
            }));
        }
        for entry in matching {
            edits.push(ImageEdit::Set(ImageSpec {
                name: entry.name.clone(),
                new_name: if same_repository(new_repo, &output(entry)) {
                    field(entry.new_name.as_deref())
                } else {
                    FieldEdit::Set(new_repo.to_owned())
                },
                new_tag: field(tag),
                digest: field(digest),
            }));
        }
    }
    Ok(ferry_kustomize::set_images(text, &edits)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_registry_ports() {
        assert_eq!(
            split_image("localhost:5000/app:1.2@sha256:ab"),
            ("localhost:5000/app", Some("1.2"), Some("sha256:ab"))
        );
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app", None, None)
        );
        assert_eq!(split_image("nginx:1.27"), ("nginx", Some("1.27"), None));
    }
}
