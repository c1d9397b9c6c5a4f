//! The `images:` entries of a kustomization and the meaning of `kustomize edit set image`.

use serde::{Deserialize, Serialize};

/// One entry of a kustomization's `images:` list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageEntry {
    /// The image name to match, without tag or digest.
    pub name: String,
    /// Replacement name (registry and repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    /// Replacement tag; must be a YAML string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_tag: Option<String>,
    /// Appended to the image's current tag when the entry sets neither `newTag` nor `digest`
    /// (kustomize v5.5 semantics, see `docs/kustomize-differences.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_suffix: Option<String>,
    /// Replacement digest (`sha256:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}
