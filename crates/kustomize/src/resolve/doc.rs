//! A resource's document: a decoded value, or a document of a skimmed file ([`crate::skim`])
//! whose head (`apiVersion`, `kind`, `metadata`) is decoded and whose body is decoded only when
//! something reads or changes more than the head.

use std::sync::Arc;

use serde_json::Value;

use super::budget;
use crate::skim::Skimmed;

/// A resource's document.
#[derive(Debug, Clone)]
pub(super) enum Doc {
    /// Decoded (read fully, generated, or changed).
    Full(Value),
    /// Document `.1` of a skimmed file, not decoded yet (or decoded in the file's cache and
    /// not changed).
    Lazy(Arc<Skimmed>, usize),
}

impl Doc {
    /// What reads of `apiVersion`, `kind` and `metadata` see: the same values as
    /// [`Self::value`] for those keys, without decoding the rest.
    pub(super) fn view(&self) -> &Value {
        match self {
            Doc::Full(v) => v,
            Doc::Lazy(file, i) => &file.docs()[*i].head,
        }
    }

    /// The whole document (decoded on first use).
    pub(super) fn value(&self) -> &Value {
        match self {
            Doc::Full(v) => v,
            Doc::Lazy(file, i) => file.decoded(*i),
        }
    }

    /// The whole document, to change.
    pub(super) fn value_mut(&mut self) -> &mut Value {
        if let Doc::Lazy(file, i) = self {
            *self = Doc::Full(file.decoded(*i).clone());
        }
        match self {
            Doc::Full(v) => v,
            Doc::Lazy(..) => unreachable!("decoded just above"),
        }
    }

    /// The whole document, owned.
    pub(super) fn into_value(self) -> Value {
        match self {
            Doc::Full(v) => v,
            Doc::Lazy(file, i) => file.decoded(i).clone(),
        }
    }

    /// Whether the document is not decoded (its weight is an upper bound).
    pub(super) fn is_lazy(&self) -> bool {
        matches!(self, Doc::Lazy(..))
    }

    /// Whether the document may hold `containers` or `initContainers` keys (false: it holds
    /// none, at any depth).
    pub(super) fn maybe_containers(&self) -> bool {
        match self {
            Doc::Full(_) => true,
            Doc::Lazy(file, i) => file.docs()[*i].maybe_containers,
        }
    }

    /// Whether the document may hold a field at `path` (kustomize field-spec segments, `[]`
    /// for sequences): false when the text of a document not decoded lacks one of the names
    /// (the first pass accepts keys only as written, without escapes).
    pub(super) fn may_hold(&self, path: &[String]) -> bool {
        match self {
            Doc::Full(_) => true,
            Doc::Lazy(file, i) => {
                let text = file.text(*i);
                path.iter()
                    .all(|segment| text.contains(segment.trim_end_matches("[]")))
            }
        }
    }

    /// Whether the document is not a mapping with at least one key.
    pub(super) fn is_empty_map(&self) -> bool {
        match self {
            Doc::Full(v) => v.as_object().is_none_or(serde_json::Map::is_empty),
            // The first pass accepts only documents whose root is a mapping with keys.
            Doc::Lazy(..) => false,
        }
    }

    /// [`budget::weight`] of the document; for one not decoded, an upper bound of it.
    pub(super) fn weight(&self) -> usize {
        match self {
            Doc::Full(v) => budget::weight(std::slice::from_ref(v)),
            Doc::Lazy(file, i) => file.docs()[*i].weight,
        }
    }
}

#[cfg(test)]
#[path = "doc_tests.rs"]
mod tests;
