//! The files a kustomization may depend on, found without resolving it: for tools that watch
//! which files can change an overlay's rendering (the ledger of `ferry-ledger` reads only the
//! commits where one of them changed).
//!
//! [`DependencyScan::strings`] collects the single-line strings of a kustomization file, leaving
//! out image values (`newTag`, `newName`, `digest`), which never name files; texts that differ
//! only in those values (an image bump) are parsed once. [`candidate_paths`] turns one string
//! into the repository paths it may name (a resource, a base, a patch, `key=path` generator
//! entries). A caller keeps the candidates that exist; a string naming no file costs nothing.
//!
//! ```
//! use ferry_kustomize::dependencies::{DependencyScan, candidate_paths};
//!
//! let mut scan = DependencyScan::default();
//! let text = "resources:\n- ../../base\nimages:\n- name: app\n  newTag: 1.2.3\n";
//! let strings = scan.strings(text);
//! assert_eq!(*strings, ["../../base", "app"]);
//! assert_eq!(candidate_paths("overlays/dev", &strings[0]), ["base"]);
//! // An image bump reuses the strings of the text it bumps.
//! let bumped = scan.strings(&text.replace("1.2.3", "1.2.4"));
//! assert!(std::rc::Rc::ptr_eq(&strings, &bumped));
//! ```

use std::collections::HashMap;
use std::rc::Rc;

pub use crate::model::KUSTOMIZATION_FILE_NAMES;
use crate::model::parse_documents;
use crate::source::{IMAGE_VALUE_KEYS, image_value_skeleton};

/// Collects the strings of kustomization files, remembering them by the text's skeleton (the
/// text with image values blanked), so an image bump is not parsed again.
#[derive(Debug, Default)]
pub struct DependencyScan {
    by_skeleton: HashMap<String, Rc<Vec<String>>>,
}

impl DependencyScan {
    /// Every single-line string of kustomization `text` (shorter than 4 KiB, not empty) in
    /// document order, leaving out image values. A text that does not parse has none.
    pub fn strings(&mut self, text: &str) -> Rc<Vec<String>> {
        let skeleton = image_value_skeleton(text);
        if let Some(found) = self.by_skeleton.get(&skeleton) {
            return Rc::clone(found);
        }
        let mut strings = Vec::new();
        let parsed = parse_documents(text);
        if let Ok(docs) = &parsed {
            for doc in docs {
                collect_strings(doc, &mut strings);
            }
        }
        let strings = Rc::new(strings);
        // A string holding an image line (a one-line block scalar) would change with it.
        let holds_image_line = strings.iter().any(|s| {
            IMAGE_VALUE_KEYS
                .iter()
                .any(|k| s.contains(k) && s.contains(':'))
        });
        if parsed.is_ok() && !holds_image_line {
            self.by_skeleton.insert(skeleton, Rc::clone(&strings));
        }
        strings
    }
}

/// Collects the single-line strings of `v`, leaving out the values of image fields
/// ([`IMAGE_VALUE_KEYS`]), which never name files.
fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !s.contains('\n') && !s.is_empty() && s.len() < 4096 => {
            out.push(s.clone());
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(k, _)| !IMAGE_VALUE_KEYS.contains(&k.as_str()))
            .for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

/// The repository paths a kustomization string in directory `dir` (repository-relative,
/// `/`-separated) may name: the string itself and, for `key=path` generator entries, the part
/// after `=`, each joined to `dir` and normalised. URLs, absolute paths and paths leaving the
/// repository are dropped.
pub fn candidate_paths(dir: &str, s: &str) -> Vec<String> {
    let mut raw = vec![s];
    if let Some((_, after)) = s.split_once('=') {
        raw.push(after);
    }
    raw.into_iter()
        .filter(|s| !s.contains("://") && !s.starts_with('/'))
        .filter_map(|s| join_normalized(dir, s.trim()))
        .filter(|p| !p.is_empty())
        .collect()
}

fn join_normalized(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalized_handles_parents_and_escape() {
        assert_eq!(
            join_normalized("infra/k8s/overlays/dev", "../../base").as_deref(),
            Some("infra/k8s/base")
        );
        assert_eq!(join_normalized("a", "./b/").as_deref(), Some("a/b"));
        assert_eq!(join_normalized("a", "../../x"), None);
    }

    #[test]
    fn generator_entries_yield_the_path_after_equals() {
        assert_eq!(
            candidate_paths("o", "app.properties=files/app.properties"),
            [
                "o/app.properties=files/app.properties",
                "o/files/app.properties"
            ]
        );
    }

    #[test]
    fn image_values_are_left_out_and_a_broken_text_has_no_strings() {
        let mut scan = DependencyScan::default();
        let strings = scan.strings("images:\n- name: a\n  newName: b\n  digest: sha256:00\n");
        assert_eq!(*strings, ["a"]);
        assert!(scan.strings("resources: [a\n").is_empty());
    }
}
