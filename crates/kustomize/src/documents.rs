//! Reading multi-document YAML (or JSON) into plain JSON values, for tools that inspect objects.

use std::path::{Path, PathBuf};

/// Why a file of YAML documents could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid YAML; the message names the line and column.
    #[error("{origin}: invalid YAML: {message}")]
    Yaml {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// The parser's message, with the position.
        message: String,
    },
}

/// Parses every document of a YAML stream (JSON is YAML too); empty documents are skipped.
///
/// `origin` names the text in errors (usually the file name).
pub fn parse_documents(text: &str, origin: &str) -> Result<Vec<serde_json::Value>, DocumentsError> {
    serde_saphyr::from_multiple::<serde_json::Value>(text).map_err(|e| DocumentsError::Yaml {
        origin: origin.to_string(),
        message: e.to_string(),
    })
}

/// Reads a file and parses every YAML document in it; see [`parse_documents`].
pub fn read_documents(path: &Path) -> Result<Vec<serde_json::Value>, DocumentsError> {
    let text = std::fs::read_to_string(path).map_err(|source| DocumentsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_documents(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_document_and_skips_empty_ones() {
        let text = "---\nkind: Pod\nmetadata:\n  name: a\n---\n---\nkind: Service\nports: [1, 2]\n";
        let docs = parse_documents(text, "x.yaml").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["metadata"]["name"], "a");
        assert_eq!(docs[1]["ports"], serde_json::json!([1, 2]));
    }

    #[test]
    fn reads_json() {
        let docs = parse_documents(r#"{"kind": "Pod", "spec": {"n": 1.5}}"#, "x.json").unwrap();
        assert_eq!(
            docs,
            vec![serde_json::json!({"kind": "Pod", "spec": {"n": 1.5}})]
        );
    }

    #[test]
    fn names_the_origin_on_bad_yaml() {
        let err = parse_documents("a: [1, 2\nb: c\n", "bad.yaml").unwrap_err();
        assert!(
            err.to_string().starts_with("bad.yaml: invalid YAML:"),
            "{err}"
        );
    }
}
