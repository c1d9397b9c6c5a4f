//! Validation findings and the checks on a single kustomization's fields.
//!
//! Whole-overlay validation (YAML errors, unknown fields, missing files, components used as
//! resources and the reverse, cycles, patch targets) happens while resolving; see
//! [`crate::resolve::validate_overlay`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ferry_image::reference::{Reference, validate_digest, validate_tag};
use serde::Serialize;

use crate::model::{Kustomization, Spanned};
use crate::transform::ImageMatcher;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The overlay is invalid (kustomize would fail or Ferry cannot tell the images).
    Error,
    /// The overlay works but should change (deprecated fields).
    Warning,
}

/// One problem, with its position and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in.
    pub file: PathBuf,
    /// Line, 1-based (0 when the whole file is meant).
    pub line: u64,
    /// Column, 1-based (0 when the whole file is meant).
    pub column: u64,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

fn finding<T>(severity: Severity, file: &Path, at: &Spanned<T>, message: String) -> Finding {
    Finding {
        severity,
        file: file.to_path_buf(),
        line: at.referenced.line(),
        column: at.referenced.column(),
        message,
    }
}

/// Checks one kustomization's own fields: deprecated fields (warnings), duplicate and invalid
/// `images` entries (errors).
pub fn check_fields(file: &Path, k: &Kustomization, out: &mut Vec<Finding>) {
    let warn = |at_line: Option<Finding>, out: &mut Vec<Finding>| out.extend(at_line);
    warn(
        k.bases.as_ref().map(|b| {
            finding(
                Severity::Warning,
                file,
                b,
                "`bases` is deprecated: move its entries to `resources`".into(),
            )
        }),
        out,
    );
    warn(
        k.common_labels.as_ref().map(|b| {
            finding(
                Severity::Warning,
                file,
                b,
                "`commonLabels` is deprecated: use `labels` with `pairs` and \
                 `includeSelectors: true`"
                    .into(),
            )
        }),
        out,
    );
    warn(
        k.patches_strategic_merge.as_ref().map(|b| {
            finding(
                Severity::Warning,
                file,
                b,
                "`patchesStrategicMerge` is deprecated: move each entry to `patches` as \
                 `- path: FILE` (or `- patch: |` for inline patches)"
                    .into(),
            )
        }),
        out,
    );
    warn(
        k.patches_json6902.as_ref().map(|b| {
            finding(
                Severity::Warning,
                file,
                b,
                "`patchesJson6902` is deprecated: move each entry (with its `target` and \
                 `path`) to `patches`"
                    .into(),
            )
        }),
        out,
    );
    warn(
        k.vars.as_ref().map(|b| {
            finding(
                Severity::Warning,
                file,
                b,
                "`vars` is deprecated: use `replacements`".into(),
            )
        }),
        out,
    );

    let mut seen: HashMap<&str, u64> = HashMap::new();
    for entry in k.images.iter().flatten() {
        let e = &entry.value;
        let err = |message: String| finding(Severity::Error, file, entry, message);
        if let Some(first) = seen.get(e.name.as_str()) {
            out.push(err(format!(
                "duplicate `images` entry for `{}` (first at line {first}); merge the two \
                 entries into one",
                e.name
            )));
        } else {
            seen.insert(&e.name, entry.referenced.line());
        }
        out.extend(
            image_entry_findings(e)
                .into_iter()
                .map(|(severity, message)| finding(severity, file, entry, message)),
        );
    }
}

/// Problems of one `images` entry: invalid name, newName, newTag or digest (strict
/// distribution/reference grammar), or an entry that changes nothing.
pub fn check_image_entry(e: &crate::images::ImageEntry) -> Vec<String> {
    image_entry_findings(e)
        .into_iter()
        .map(|(_, message)| message)
        .collect()
}

/// [`check_image_entry`]'s problems with their severity in `ferry-validate`: only what kustomize
/// refuses (a name it cannot compile as a regular expression) is an error. Values that are not
/// valid references (`ko://…`, `gcr.io/<<PROJECT>>/app`) are rendered by kustomize as plain
/// strings, and an entry with only `name` is a no-op: warnings.
pub fn image_entry_findings(e: &crate::images::ImageEntry) -> Vec<(Severity, String)> {
    let mut problems = Vec::new();
    // A valid image name always compiles as a matcher, so the (costly) regex is built only to
    // tell why an invalid name is invalid.
    if let Err(err) = plain_name(&e.name) {
        if ImageMatcher::new(&e.name).is_err() {
            problems.push((
                Severity::Error,
                format!(
                    "`name: {}` is not usable: kustomize v5.5 reads it as a regular expression and \
                 fails; write the plain image name",
                    e.name
                ),
            ));
        } else {
            problems.push((
                Severity::Warning,
                format!(
                    "`name: {}` is not a valid image name: {err}; kustomize matches it as written, \
                 but no registry serves it: write the image name without tag or digest",
                    e.name
                ),
            ));
        }
    }
    if let Some(n) = &e.new_name
        && let Err(err) = plain_name(n)
    {
        problems.push((
            Severity::Warning,
            format!(
                "`newName: {n}` is not a valid image name: {err}; kustomize writes it as given, so \
             the image cannot be pulled: put the tag in `newTag` and the digest in `digest`"
            ),
        ));
    }
    if let Some(t) = &e.new_tag
        && let Err(err) = validate_tag(t)
    {
        problems.push((
            Severity::Warning,
            format!(
                "`newTag: {t}`: {err}; kustomize writes it as given, so the image cannot be pulled"
            ),
        ));
    }
    if let Some(d) = &e.digest
        && let Err(err) = validate_digest(d)
    {
        problems.push((Severity::Warning, format!(
            "`digest: {d}`: {err}; kustomize writes it as given, so the image cannot be pulled: \
             write `sha256:` followed by 64 lowercase hex digits"
        )));
    }
    if e.new_name.is_none() && e.new_tag.is_none() && e.digest.is_none() && e.tag_suffix.is_none() {
        problems.push((
            Severity::Warning,
            format!(
                "the `images` entry for `{}` sets none of `newName`, `newTag`, `digest`, so \
             kustomize changes nothing; add one or remove the entry",
                e.name
            ),
        ));
    }
    problems
}

fn plain_name(name: &str) -> Result<(), String> {
    let r = Reference::parse(name).map_err(|e| e.to_string())?;
    if r.tag().is_some() || r.digest().is_some() {
        return Err("it carries a tag or digest".into());
    }
    Ok(())
}
