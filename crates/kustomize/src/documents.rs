//! Reading multi-document YAML (or JSON) into plain JSON values, for tools that inspect objects.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file [`read_documents`] reads (16 MiB), enforced while reading.
pub const MAX_DOCUMENTS_SIZE: u64 = 16 * 1024 * 1024;

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
    /// The file is not read: not a regular file (a device, a FIFO), or larger than
    /// [`MAX_DOCUMENTS_SIZE`].
    #[error("{}: refused: {reason}", path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The text is not valid YAML; the message names the line and column.
    #[error("{origin}: invalid YAML: {message}")]
    Yaml {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// The parser's message, with the position.
        message: String,
    },
    /// The document is not valid YAML, or not of the shape its reader expects (a missing or
    /// unknown field, a wrong type); the position is 1-based, 0 when unknown.
    #[error("{origin}:{line}:{column}: {message}")]
    Invalid {
        /// The file name, or the origin given by the caller.
        origin: String,
        /// The line.
        line: u64,
        /// The column.
        column: u64,
        /// What is wrong, naming the field.
        message: String,
    },
}

/// A file that cannot be read is an `io` failure (exit 3); one refused, not YAML or not of the
/// expected shape is bad input (exit 2).
impl ferry_error::Classify for DocumentsError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            DocumentsError::Io { .. } => ferry_error::ErrorKind::Io,
            _ => ferry_error::ErrorKind::BadInput,
        }
    }
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

/// Parses one YAML document into a typed value, for crates that keep small YAML files of their
/// own (`ferry-scan`'s ignore file); `None` when the text holds no document (empty or only
/// comments). Errors name the line, the column and the field
/// ([`DocumentsError::Invalid`]); texts larger than [`crate::model::MAX_YAML_BYTES`] are refused.
pub fn parse_document<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<Option<T>, DocumentsError> {
    let invalid = |e: crate::model::YamlError| DocumentsError::Invalid {
        origin: origin.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    };
    if text.len() > crate::model::MAX_YAML_BYTES {
        return Err(invalid(crate::model::YamlError {
            line: 0,
            column: 0,
            message: format!(
                "larger than the {} MiB limit",
                crate::model::MAX_YAML_BYTES / (1024 * 1024)
            ),
        }));
    }
    let blank = text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    });
    if blank {
        return Ok(None);
    }
    serde_saphyr::from_str_with_options(text, crate::model::options(false))
        .map(Some)
        .map_err(|e| invalid(crate::model::YamlError::from_saphyr(&e)))
}

/// Reads a regular file of at most [`MAX_DOCUMENTS_SIZE`] bytes and parses every YAML document
/// in it; see [`parse_documents`]. Devices and FIFOs are refused before they are opened.
pub fn read_documents(path: &Path) -> Result<Vec<serde_json::Value>, DocumentsError> {
    let io = |source| DocumentsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refuse = |reason: String| DocumentsError::Refused {
        path: path.to_path_buf(),
        reason,
    };
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_DOCUMENTS_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_DOCUMENTS_SIZE {
        return Err(refuse(format!(
            "larger than {} MiB",
            MAX_DOCUMENTS_SIZE / (1024 * 1024)
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        ))
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

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        id: String,
        #[allow(dead_code)]
        reason: String,
    }

    #[test]
    fn parses_one_typed_document_with_positions_in_errors() {
        let entry: Entry = parse_document("id: CVE-1\nreason: r\n", "i.yaml")
            .unwrap()
            .unwrap();
        assert_eq!(entry.id, "CVE-1");
        assert!(
            parse_document::<Entry>("# nothing\n\n", "i.yaml")
                .unwrap()
                .is_none()
        );
        let err = parse_document::<Entry>("id: CVE-1\nreasn: r\n", "i.yaml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("i.yaml:2:"), "{text}");
        assert!(text.contains("reasn"), "{text}");
        let err = parse_document::<Entry>("id: [1\n", "i.yaml").unwrap_err();
        assert!(err.to_string().starts_with("i.yaml:"), "{err}");
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
