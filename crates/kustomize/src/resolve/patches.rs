//! Patches: strategic-merge patches (`patchesStrategicMerge`, `patches`) and JSON 6902 patches
//! (`patches`, `patchesJson6902`), with their target selection.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::budget;
use super::builder::{Builder, Origin};
use super::resource::{Res, str_at};
use crate::model::{Kustomization, Patch, Selector, Spanned};
use crate::transform;

impl Builder<'_> {
    /// `patchesStrategicMerge:`, then `patches:`.
    pub(super) fn apply_patches(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        acc: &mut Vec<Res>,
    ) {
        if let Some(list) = &k.patches_strategic_merge {
            for entry in &list.value {
                let at = Origin::at(file, entry);
                let Some((origin, text)) = self.patch_text(dir, &at, &entry.value) else {
                    continue;
                };
                self.apply_smp_text(acc, &origin, &text, None, &at);
            }
        }
        for p in k.patches.iter().flatten() {
            self.apply_patch(dir, file, p, acc, false);
        }
    }

    /// `patchesJson6902:`, after the names and metadata.
    pub(super) fn apply_json6902_patches(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        acc: &mut Vec<Res>,
    ) {
        if let Some(list) = &k.patches_json6902 {
            for p in &list.value {
                self.apply_patch(dir, file, p, acc, true);
            }
        }
    }

    /// The text of a patch entry that is a file path or inline YAML, with the file it came from.
    fn patch_text(&mut self, dir: &Path, at: &Origin, entry: &str) -> Option<(Origin, String)> {
        if entry.contains('\n') {
            return Some((at.clone(), entry.to_string()));
        }
        let path = self.local_path(dir, at, entry, "patch file")?;
        match self.read_text(&path) {
            Ok(t) => Some((
                Origin {
                    file: path,
                    line: 0,
                    column: 0,
                },
                t,
            )),
            Err(e) => {
                self.error(at, e);
                None
            }
        }
    }

    pub(super) fn parse_patch(&mut self, origin: &Origin, text: &str) -> Option<Arc<Vec<Value>>> {
        match self.cache.resource_documents(text) {
            Ok(d) => self.charge(&d, origin).then_some(d),
            Err(e) => {
                // Inline patches: offset the position by the entry's own.
                let (line, column) = if origin.line > 0 {
                    (origin.line + e.line.saturating_sub(1), origin.column)
                } else {
                    (e.line, e.column)
                };
                self.error(
                    &Origin {
                        file: origin.file.clone(),
                        line,
                        column,
                    },
                    format!("patch is not valid YAML: {}", e.message),
                );
                None
            }
        }
    }

    /// Applies strategic-merge patch documents; `targets` overrides each patch's own id.
    fn apply_smp_text(
        &mut self,
        acc: &mut Vec<Res>,
        origin: &Origin,
        text: &str,
        targets: Option<&[usize]>,
        at: &Origin,
    ) {
        let Some(docs) = self.parse_patch(origin, text) else {
            return;
        };
        for patch in docs.iter() {
            let selected: Vec<usize> = match targets {
                Some(t) => t.to_vec(),
                None => {
                    let kind = str_at(patch, &["kind"]);
                    let name = str_at(patch, &["metadata", "name"]);
                    let ns = str_at(patch, &["metadata", "namespace"]);
                    let api_version = str_at(patch, &["apiVersion"]);
                    if kind.is_empty() || name.is_empty() {
                        self.error(
                            origin,
                            "a strategic-merge patch needs `kind` and `metadata.name` (or give \
                             the patch a `target`)"
                                .into(),
                        );
                        continue;
                    }
                    let found: Vec<usize> = acc
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.matches_id(kind, api_version, name, ns))
                        .map(|(i, _)| i)
                        .collect();
                    if found.is_empty() {
                        self.error(
                            at,
                            format!(
                                "patch target {kind}/{name} (apiVersion `{api_version}`) not \
                                 found among the resources; fix the patch's apiVersion, kind or \
                                 name, or remove the patch"
                            ),
                        );
                        continue;
                    }
                    found
                }
            };
            if patch.get("$patch").and_then(Value::as_str) == Some("delete") {
                let mut i = 0;
                acc.retain(|_| {
                    let keep = !selected.contains(&i);
                    i += 1;
                    keep
                });
                continue;
            }
            for &i in &selected {
                let mut patch = patch.clone();
                if let Some(meta) = patch.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.shift_remove("name");
                    meta.shift_remove("namespace");
                }
                let api_version = acc[i].api_version().to_string();
                transform::strategic_merge(acc[i].doc.value_mut(), &patch, &api_version);
            }
        }
    }

    pub(super) fn select(
        &mut self,
        acc: &[Res],
        sel: &Selector,
        at: &Origin,
    ) -> Option<Vec<usize>> {
        let regex = |p: &Option<String>,
                     this: &mut Self|
         -> Option<Option<crate::source::Compiled<regex::Regex>>> {
            match p {
                None => Some(None),
                Some(p) => {
                    let compiled = this.cache.whole_match_regex(p);
                    if let Err(e) = compiled.as_ref() {
                        this.error(
                            at,
                            format!("target pattern `{p}` is not a valid regular expression: {e}"),
                        );
                        return None;
                    }
                    Some(Some(compiled))
                }
            }
        };
        let name = regex(&sel.name, self)?;
        let namespace = regex(&sel.namespace, self)?;
        let name = name.as_deref().and_then(|r| r.as_ref().ok());
        let namespace = namespace.as_deref().and_then(|r| r.as_ref().ok());
        let labels = |r: &Res, key: &str, selector: &Option<String>| {
            selector.as_deref().is_none_or(|s| {
                s.split(',').filter(|c| !c.trim().is_empty()).all(|c| {
                    let meta = r.doc.view().get("metadata").and_then(|m| m.get(key));
                    match c.split_once("!=") {
                        Some((k, v)) => {
                            meta.and_then(|m| m.get(k.trim())).and_then(Value::as_str)
                                != Some(v.trim())
                        }
                        None => match c.split_once('=') {
                            Some((k, v)) => {
                                meta.and_then(|m| m.get(k.trim().trim_end_matches('=')))
                                    .and_then(Value::as_str)
                                    == Some(v.trim())
                            }
                            None => meta.and_then(|m| m.get(c.trim())).is_some(),
                        },
                    }
                })
            })
        };
        Some(
            acc.iter()
                .enumerate()
                .filter(|(_, r)| {
                    let version = r.api_version().rsplit('/').next().unwrap_or_default();
                    sel.kind.as_deref().is_none_or(|k| k == r.kind())
                        && sel.group.as_deref().is_none_or(|g| g == r.group())
                        && sel.version.as_deref().is_none_or(|v| v == version)
                        // kustomize's selection: the original or the current name and
                        // namespace, never one the resource had at a level in between.
                        && name
                            .as_ref()
                            .is_none_or(|re| re.is_match(r.name()) || re.is_match(&r.original().1))
                        && namespace.as_ref().is_none_or(|re| {
                            re.is_match(r.effective_namespace(r.namespace()))
                                || re.is_match(r.effective_namespace(&r.original().0))
                        })
                        && labels(r, "labels", &sel.label_selector)
                        && labels(r, "annotations", &sel.annotation_selector)
                })
                .map(|(i, _)| i)
                .collect(),
        )
    }

    fn apply_patch(
        &mut self,
        dir: &Path,
        file: &Path,
        p: &Spanned<Patch>,
        acc: &mut Vec<Res>,
        legacy_json6902: bool,
    ) {
        let at = Origin::at(file, p);
        let (origin, text) = match (&p.value.path, &p.value.patch) {
            (Some(_), Some(_)) => {
                self.error(&at, "a patch has both `path` and `patch`; keep one".into());
                return;
            }
            (None, None) => {
                self.error(&at, "a patch needs `path` or `patch`".into());
                return;
            }
            (Some(path), None) => {
                let Some(full) = self.local_path(dir, &at, path, "patch file") else {
                    return;
                };
                match self.read_text(&full) {
                    Ok(t) => (
                        Origin {
                            file: full,
                            line: 0,
                            column: 0,
                        },
                        t,
                    ),
                    Err(e) => {
                        self.error(&at, e);
                        return;
                    }
                }
            }
            (None, Some(inline)) => (at.clone(), inline.clone()),
        };
        let targets = match &p.value.target {
            Some(sel) => match self.select(acc, sel, &at) {
                Some(t) => Some(t),
                None => return,
            },
            None if legacy_json6902 => {
                self.error(&at, "a `patchesJson6902` entry needs a `target`".into());
                return;
            }
            None => None,
        };
        let Some(docs) = self.parse_patch(&origin, &text) else {
            return;
        };
        // A patch copied into many targets counts once per target.
        let copies = targets.as_ref().map_or(0, |t| t.len().saturating_sub(1));
        if !self.charge_bytes(budget::weight(&docs).saturating_mul(copies), &at) {
            return;
        }
        let is_json6902 = legacy_json6902 || matches!(docs.as_slice(), [Value::Array(_)]);
        if !is_json6902 {
            self.apply_smp_text(acc, &origin, &text, targets.as_deref(), &at);
            return;
        }
        let Some(targets) = targets else {
            self.error(&at, "a JSON 6902 patch needs a `target`; add one".into());
            return;
        };
        let ops = match docs.as_slice() {
            [Value::Array(ops)] => ops.clone(),
            _ => {
                self.error(
                    &origin,
                    "a JSON 6902 patch must be a list of operations".into(),
                );
                return;
            }
        };
        let mut seen = HashSet::new();
        // An operation on the whole document (path "") may leave something that is no
        // resource at all; keep the target as it was then, so later steps see an object.
        let whole = ops
            .iter()
            .any(|op| op.get("path").and_then(Value::as_str) == Some(""));
        for i in targets {
            if let Some(diverged) = acc[i].unshare() {
                self.unrendered.push(diverged);
            }
            let before = whole.then(|| acc[i].doc.value().clone());
            let mut result = transform::apply_json6902(acc[i].doc.value_mut(), &ops);
            if let Some(before) = before
                && result.is_ok()
                && !acc[i].doc.value().is_object()
            {
                acc[i].doc = super::doc::Doc::Full(before);
                let index = ops
                    .iter()
                    .rposition(|op| op.get("path").and_then(Value::as_str) == Some(""))
                    .expect("an operation on the whole document, checked above");
                let op = ops[index]
                    .get("op")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                result = Err(transform::JsonPatchError {
                    index,
                    op: op.to_string(),
                    path: String::new(),
                    reason: "the resource is no longer a mapping; it must stay one".into(),
                });
            }
            if let Err(e) = result
                && seen.insert(e.to_string())
            {
                let what = acc[i].describe();
                self.error(
                    &at,
                    format!("JSON 6902 patch on {what} fails: {e}; fix the operation's path"),
                );
            }
        }
    }
}
