//! Values kustomize shares between fields. Its label and annotation transformers create a key
//! missing from several maps of one object (`metadata/labels`, a selector, a pod template) from
//! one YAML node; a later in-place change of one of those fields (a `labels` entry without
//! selectors, a strategic merge patch) then changes them all. Ferry does not reproduce that
//! sharing: it refuses the overlay when those fields come to differ, naming the transformer's
//! field and file, rather than print other values than kustomize.

use std::path::Path;

use serde_json::Value;

use super::fieldspec::Created;
use super::resolution::Unrendered;
use super::resource::{Res, Shared};

impl Res {
    /// Notes the fields a transformer (`field` of `file`) created in this object, per entry:
    /// those created in more than one place share their value.
    pub(super) fn note_created(&mut self, created: Vec<Created>, file: &Path, field: &'static str) {
        for pointers in created.into_iter().filter(|p| p.len() > 1) {
            self.shared.push(Shared {
                pointers,
                file: file.to_path_buf(),
                field,
            });
        }
    }

    /// Why this object cannot be rendered exactly: fields kustomize shares whose values
    /// differ here (the fields removed since do not count).
    pub(super) fn diverged(&self) -> Option<Unrendered> {
        if self.shared.is_empty() {
            return None;
        }
        let doc = self.doc.value();
        let s = self.shared.iter().find(|s| {
            let mut present = s.pointers.iter().filter_map(|p| doc.pointer(p));
            let first = present.next();
            first.is_some_and(|first: &Value| present.any(|v| v != first))
        })?;
        Some(Unrendered {
            file: s.file.clone(),
            field: s.field.to_string(),
            reason: format!(
                "it creates one value shared by {} in {}, and a later step changes some of \
                 them only (kustomize then changes them all)",
                s.pointers.join(", "),
                self.describe()
            ),
        })
    }

    /// Checks the shared fields before a step that ends the sharing (a JSON 6902 patch:
    /// kustomize re-reads the object from JSON), then forgets them.
    pub(super) fn unshare(&mut self) -> Option<Unrendered> {
        let diverged = self.diverged();
        self.shared.clear();
        diverged
    }
}

/// The number of fields to track per entry, as [`set_entries`](super::fieldspec::set_entries)
/// wants them.
pub(super) fn created_for(entries: usize) -> Vec<Created> {
    vec![Vec::new(); entries]
}
