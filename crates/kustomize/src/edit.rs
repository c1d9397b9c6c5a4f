//! Format-preserving edits of a kustomization's `images:` list.
//!
//! The text is parsed with the YAML parser of serde-saphyr (`granit_parser`), which reports the
//! byte range of every scalar and flow bracket. An edit replaces, inserts or deletes only the bytes
//! of the values, keys, lines or entries it changes; every other byte stays as it was. After each
//! edit the result is parsed again with serde-saphyr and compared with the document before the
//! edit: the only difference must be the intended change of `images`, otherwise the edit is
//! refused with an error.

use serde_json::Value;
use thiserror::Error;

use crate::images::ImageEntry;
use crate::spec::ImageSpec;

mod ops;
mod scalar;
mod tree;

use ops::{append_ops, apply_ops, entry_ops, remove_ops};
pub use scalar::needs_quotes;
use tree::{Doc, Scalar, images_of, parse_doc};

/// Kustomizations larger than this are refused without parsing.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// Collections nested deeper than this are refused.
pub const MAX_DEPTH: usize = 64;
/// Files with more YAML values (scalars, lists and mappings) than this are refused, early, so
/// that a huge file is refused within moments instead of being read several times.
pub const MAX_NODES: usize = 150_000;

/// One change to the `images:` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImageEdit {
    /// Create or replace the entry named by the SPEC (`kustomize edit set image`).
    Set(ImageSpec),
    /// Delete the entry with this `name`; nothing happens when there is none.
    Remove(String),
}

/// The result of [`set_images`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    /// The text after all edits (equal to the input when nothing changed).
    pub text: String,
    /// Whether the text differs from the input.
    pub changed: bool,
    /// The `images:` entries before the edits, in file order.
    pub before: Vec<ImageEntry>,
    /// The `images:` entries after the edits, in file order.
    pub after: Vec<ImageEntry>,
}

/// What kind of problem an [`EditError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditErrorKind {
    /// The text is not valid YAML (includes tabs used for indentation).
    Yaml,
    /// Valid YAML, but not a valid kustomization `images:` list (wrong type, unknown field, ...).
    Invalid,
    /// Valid, but a shape Ferry refuses to edit (anchors, aliases, several documents, ...).
    Unsupported,
    /// The input is larger than [`MAX_INPUT_BYTES`].
    TooLarge,
    /// Collections are nested deeper than [`MAX_DEPTH`], or the file holds more than
    /// [`MAX_NODES`] values (`TooLarge`).
    TooDeep,
    /// The edited text did not re-parse to exactly the intended change; nothing was written.
    Verification,
}

/// Why an edit was refused. `line` and `column` are 1-based positions in the input text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", self.render())]
pub struct EditError {
    /// The kind of problem.
    pub kind: EditErrorKind,
    /// The line the problem is on, when known.
    pub line: Option<usize>,
    /// The column the problem is at, when known.
    pub column: Option<usize>,
    /// The field concerned, such as `images[1].newTag`, when there is one.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl EditError {
    fn new(kind: EditErrorKind, message: impl Into<String>) -> EditError {
        EditError {
            kind,
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    pub(crate) fn too_large(size: usize) -> EditError {
        EditError::new(
            EditErrorKind::TooLarge,
            format!(
                "the file is {size} bytes; a kustomization Ferry edits may have at most {MAX_INPUT_BYTES} bytes"
            ),
        )
    }

    fn at(mut self, line: usize, column: usize) -> EditError {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    fn field(mut self, field: impl Into<String>) -> EditError {
        self.field = Some(field.into());
        self
    }

    /// The message without the position: `field: message`.
    pub fn detail(&self) -> String {
        match &self.field {
            Some(field) => format!("{field}: {}", self.message),
            None => self.message.clone(),
        }
    }

    fn render(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                format!("line {line}, column {column}: {}", self.detail())
            }
            (Some(line), None) => format!("line {line}: {}", self.detail()),
            _ => self.detail(),
        }
    }
}

fn invalid(s: &Scalar, field: &str, message: impl Into<String>) -> EditError {
    EditError::new(EditErrorKind::Invalid, message)
        .at(s.line, s.col + 1)
        .field(field)
}

/// Reads the `images:` entries of a kustomization text, in file order.
///
/// # Errors
/// [`EditError`] when the text is not valid YAML, is not a mapping, or its `images:` list is
/// invalid or has a shape Ferry does not edit.
pub fn read_images(text: &str) -> Result<Vec<ImageEntry>, EditError> {
    entries(&parse_doc(text)?)
}

fn entries(doc: &Doc) -> Result<Vec<ImageEntry>, EditError> {
    let images = images_of(doc)?;
    Ok(images.entries.into_iter().map(|e| e.entry).collect())
}

/// Byte ranges of a kustomization's `images:` list (see [`image_spans`]).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpans {
    /// From the `images` key to the end of its value; `None` when there is no `images` key.
    pub list: Option<std::ops::Range<usize>>,
    /// Each entry's `name` and byte range (from its first key, or its `{`), in file order.
    pub entries: Vec<(String, std::ops::Range<usize>)>,
}

/// Where the `images:` list and its entries are in `text`, as the editor sees them: the
/// fuzz target checks with it that an edit leaves every other byte alone.
///
/// # Errors
/// As [`read_images`].
#[doc(hidden)]
pub fn image_spans(text: &str) -> Result<ImageSpans, EditError> {
    let doc = parse_doc(text)?;
    let images = images_of(&doc)?;
    let list = images.key.zip(images.value).map(|(k, v)| k.start..v.end());
    let entries = images
        .entries
        .iter()
        .map(|e| {
            let end = match (e.map.flow, e.map.items.last()) {
                (true, _) | (false, None) => e.map.end,
                (false, Some((_, v))) => v.end(),
            };
            (e.entry.name.clone(), e.map.start..end)
        })
        .collect();
    Ok(ImageSpans { list, entries })
}

fn parse_value(text: &str, doc: &Doc) -> Result<Value, EditError> {
    if doc.root.is_none() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, crate::model::options(false)).map_err(|e| {
        let e = crate::model::YamlError::from_saphyr(&e);
        let err = EditError::new(EditErrorKind::Yaml, format!("invalid YAML: {}", e.message));
        match (e.line, e.column) {
            (0, _) => err,
            (line, column) => err.at(line as usize, column as usize),
        }
    })
}

/// Checks the whole file as kustomize and `ferry-validate` read it: unknown fields (with the
/// closest known one) and values of the wrong type anywhere, not only in `images`.
fn check_kustomization(text: &str) -> Result<(), EditError> {
    crate::model::parse_kustomization(text)
        .map(|_| ())
        .map_err(|e| {
            let err = EditError::new(
                EditErrorKind::Invalid,
                format!(
                    "{}; kustomize refuses this file, so Ferry does not edit it",
                    e.message
                ),
            );
            match (e.line, e.column) {
                (0, _) => err,
                (line, column) => err.at(line as usize, column as usize),
            }
        })
}

fn images_json(value: &Value) -> Vec<Value> {
    match value.get("images") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

fn without_nulls(mut entries: Vec<Value>) -> Vec<Value> {
    for entry in &mut entries {
        if let Value::Object(map) = entry {
            map.retain(|_, v| !v.is_null());
        }
    }
    entries
}

fn entry_json(entry: &ImageEntry) -> Value {
    serde_json::to_value(entry).unwrap_or(Value::Null)
}

/// The document `before` with the intended change applied.
fn intended(before: &Value, name: &str, want: Option<&ImageEntry>) -> Value {
    let mut after = match before {
        Value::Object(_) => before.clone(),
        _ => Value::Object(serde_json::Map::new()),
    };
    let mut images = images_json(&after);
    let index = images
        .iter()
        .position(|e| e.get("name").and_then(Value::as_str) == Some(name));
    match (index, want) {
        (Some(i), Some(entry)) => images[i] = entry_json(entry),
        (None, Some(entry)) => images.push(entry_json(entry)),
        (Some(i), None) => {
            images.remove(i);
        }
        (None, None) => return before.clone(),
    }
    if let Value::Object(map) = &mut after {
        map.insert("images".to_owned(), Value::Array(images));
    }
    after
}

fn verify_failed(message: String) -> EditError {
    EditError::new(
        EditErrorKind::Verification,
        format!("{message}; the edit was refused and nothing was changed"),
    )
}

/// A text parsed both ways: the syntax tree with byte ranges, and the document's value.
struct Parsed {
    doc: Doc,
    value: Value,
}

/// Applies one edit to `text` (parsed as `parsed`) and verifies the result: the edited text and
/// its parse, or `None` when the edit changes nothing.
fn apply_one(
    text: &str,
    parsed: &Parsed,
    edit: &ImageEdit,
) -> Result<Option<(String, Parsed)>, EditError> {
    let images = images_of(&parsed.doc)?;
    let before = &parsed.value;
    let ours: Vec<Value> = images
        .entries
        .iter()
        .map(|e| entry_json(&e.entry))
        .collect();
    if ours != without_nulls(images_json(before)) {
        let line = images.key.map_or(1, |k| k.line);
        return Err(EditError::new(
            EditErrorKind::Invalid,
            "the entries do not read as strings by every YAML parser; quote values such as yes, no, on, off",
        )
        .at(line, 1)
        .field("images"));
    }
    let name = match edit {
        ImageEdit::Set(spec) => spec.name.as_str(),
        ImageEdit::Remove(name) => name.as_str(),
    };
    let position = images.entries.iter().position(|e| e.entry.name == name);
    let mut ops = Vec::new();
    let want = match edit {
        ImageEdit::Set(spec) => {
            let want = spec.resolve(position.map(|i| &images.entries[i].entry));
            match position {
                Some(i) => entry_ops(text, images.entries[i].map, &want, &mut ops)?,
                None => append_ops(text, &images, &want, &mut ops)?,
            }
            Some(want)
        }
        ImageEdit::Remove(_) => {
            if let Some(i) = position {
                remove_ops(text, &images, i, &mut ops)?;
            }
            None
        }
    };
    if ops.is_empty() {
        return Ok(None);
    }
    let edited = apply_ops(text, ops)?;
    // Positions in the edited text would point at the wrong place in the user's file: only the
    // problem is told.
    let edited_doc = parse_doc(&edited)
        .map_err(|e| verify_failed(format!("the edited text would not parse ({})", e.detail())))?;
    let edited_images = images_of(&edited_doc).map_err(|e| {
        verify_failed(format!(
            "the edited images list would not be valid ({})",
            e.detail()
        ))
    })?;
    let after = parse_value(&edited, &edited_doc)
        .map_err(|e| verify_failed(format!("the edited text would not parse ({})", e.detail())))?;
    let expected = intended(before, name, want.as_ref());
    if after != expected {
        return Err(verify_failed(format!(
            "the edited text would change more than `images` entry `{name}`"
        )));
    }
    let expected_entry = want.as_ref();
    let got = edited_images
        .entries
        .iter()
        .find(|e| e.entry.name == name)
        .map(|e| &e.entry);
    if got != expected_entry {
        return Err(verify_failed(format!(
            "the edited entry `{name}` does not read back as intended"
        )));
    }
    drop(edited_images);
    let parsed = Parsed {
        doc: edited_doc,
        value: after,
    };
    Ok(Some((edited, parsed)))
}

/// One edit per name, in order of first mention, with the combined effect of all edits of that
/// name (so `--remove a` followed by `a:1` replaces `a` in place, and a rerun changes nothing).
fn coalesce(before: &[ImageEntry], edits: &[ImageEdit]) -> Vec<ImageEdit> {
    let mut order: Vec<&str> = Vec::new();
    let mut state: Vec<(&str, Option<ImageEntry>)> = Vec::new();
    for edit in edits {
        let name = match edit {
            ImageEdit::Set(spec) => spec.name.as_str(),
            ImageEdit::Remove(name) => name.as_str(),
        };
        if !order.contains(&name) {
            order.push(name);
            state.push((name, before.iter().find(|e| e.name == name).cloned()));
        }
        let slot = state.iter_mut().find(|(n, _)| *n == name).map(|(_, e)| e);
        if let Some(slot) = slot {
            *slot = match edit {
                ImageEdit::Set(spec) => Some(spec.resolve(slot.as_ref())),
                ImageEdit::Remove(_) => None,
            };
        }
    }
    let field = |v: &Option<String>| match v {
        Some(v) => crate::spec::FieldEdit::Set(v.clone()),
        None => crate::spec::FieldEdit::Unset,
    };
    state
        .into_iter()
        .map(|(name, entry)| match entry {
            Some(e) => ImageEdit::Set(ImageSpec {
                name: e.name.clone(),
                new_name: field(&e.new_name),
                new_tag: field(&e.new_tag),
                digest: field(&e.digest),
            }),
            None => ImageEdit::Remove(name.to_owned()),
        })
        .collect()
}

/// Applies image edits to the text of a kustomization, changing only the bytes they need.
///
/// Edits apply in order, each seeing the result of the previous one (edits of the same name are
/// combined first, so the result does not depend on how they are split). Existing entries are
/// changed in place; new entries are appended to the list (an `images:` key is added when
/// missing); nothing is re-sorted or re-formatted.
///
/// # Errors
/// [`EditError`] when the text is not valid YAML, has an invalid or unsupported `images:` list,
/// or when the edited text does not re-parse to exactly the intended change.
pub fn set_images(text: &str, edits: &[ImageEdit]) -> Result<EditOutcome, EditError> {
    // Each text is parsed once each way: the input, then the result of each edit.
    let doc = parse_doc(text)?;
    let before = entries(&doc)?;
    check_kustomization(text)?;
    let value = parse_value(text, &doc)?;
    let mut parsed = Parsed { doc, value };
    let mut current = text.to_owned();
    for edit in coalesce(&before, edits) {
        if let Some((edited, edited_parse)) = apply_one(&current, &parsed, &edit)? {
            current = edited;
            parsed = edited_parse;
        }
    }
    let after = entries(&parsed.doc)?;
    Ok(EditOutcome {
        changed: current != text,
        text: current,
        before,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_list_and_each_entry() {
        let text =
            "resources: [a]\nimages:\n- name: app\n  newTag: \"1\"\n- {name: web, newTag: x}\n";
        let spans = image_spans(text).unwrap();
        let list = spans.list.expect("an images key");
        assert_eq!(
            &text[list],
            "images:\n- name: app\n  newTag: \"1\"\n- {name: web, newTag: x}"
        );
        let entries: Vec<(&str, &str)> = spans
            .entries
            .iter()
            .map(|(n, r)| (n.as_str(), &text[r.clone()]))
            .collect();
        assert_eq!(
            entries,
            [
                ("app", "name: app\n  newTag: \"1\""),
                ("web", "{name: web, newTag: x}")
            ]
        );
        let none = image_spans("resources: [a]\n").unwrap();
        assert_eq!(none.list, None);
        assert!(none.entries.is_empty());
        assert!(image_spans("images: [a").is_err());
    }
}
