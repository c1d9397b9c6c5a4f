//! Objects read from files, assessed offline (`ferry-monitor assess`): the rows, their text and
//! the exit code the worst of them implies.

use serde::Serialize;
use serde_json::Value;

/// A document of a file is neither an object nor a list of objects.
#[derive(Debug, thiserror::Error)]
#[error("{file}: a document is not an object")]
pub struct NotAnObject {
    /// The file.
    pub file: String,
}

/// The documents of a file are what Ferry reads: bad input (exit 2).
impl ferry_error::Classify for NotAnObject {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::BadInput
    }
}

/// One assessed object, as `assess --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessed {
    /// The object's `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: Option<String>,
    /// Its kind.
    pub kind: Option<String>,
    /// Its namespace.
    pub namespace: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// The health status; `null` when no health rule applies to the kind.
    pub status: Option<String>,
    /// Why.
    pub message: String,
    /// The file it was read from.
    #[serde(skip)]
    pub file: String,
}

/// Assesses the objects of `docs`, the documents of `file` (a `kind: List`, or any `…List` with
/// `items`, is expanded).
pub fn assess_documents(file: &str, docs: Vec<Value>) -> Result<Vec<Assessed>, NotAnObject> {
    let mut objects = Vec::new();
    for doc in docs {
        let is_list = doc
            .get("kind")
            .and_then(|k| k.as_str())
            .is_some_and(|k| k == "List" || k.ends_with("List"))
            && doc.get("items").is_some_and(Value::is_array);
        if is_list {
            objects.extend(doc["items"].as_array().into_iter().flatten().cloned());
        } else if doc.is_object() {
            objects.push(doc);
        } else {
            return Err(NotAnObject {
                file: file.to_owned(),
            });
        }
    }
    Ok(objects
        .into_iter()
        .map(|obj| {
            let text = |p: &str| obj.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
            let health = crate::assess(&obj);
            Assessed {
                api_version: text("/apiVersion"),
                kind: text("/kind"),
                namespace: text("/metadata/namespace"),
                name: text("/metadata/name"),
                status: health.as_ref().map(|h| h.status.to_string()),
                message: health
                    .map(|h| h.message)
                    .unwrap_or_else(|| "no health rule for this kind".into()),
                file: file.to_owned(),
            }
        })
        .collect())
}

impl Assessed {
    /// `FILE: KIND NAMESPACE/NAME STATUS: MESSAGE` (`-` for no status).
    pub fn text(&self) -> String {
        let name = match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name.as_deref().unwrap_or("?")),
            None => self.name.clone().unwrap_or_else(|| "?".into()),
        };
        let status = self.status.as_deref().unwrap_or("-");
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        format!(
            "{}: {} {name} {status}{message}",
            self.file,
            self.kind.as_deref().unwrap_or("?")
        )
    }
}

/// The exit code of an assessment: 1 when an object is Degraded or Missing, else 3 when one is
/// Progressing or Unknown, else 0.
pub fn exit_code(rows: &[Assessed]) -> u8 {
    let any = |s: &[&str]| {
        rows.iter()
            .any(|r| r.status.as_deref().is_some_and(|x| s.contains(&x)))
    };
    if any(&["Degraded", "Missing"]) {
        1
    } else if any(&["Progressing", "Unknown"]) {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_expand_and_the_worst_status_decides() {
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
            ]}),
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": "shop"}, "status": {"phase": "Lost"}}),
        ];
        let rows = assess_documents("a.yaml", docs).expect("objects");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].status, None);
        assert_eq!(
            rows[0].text(),
            "a.yaml: ConfigMap c -: no health rule for this kind"
        );
        assert_eq!(rows[1].status.as_deref(), Some("Degraded"));
        assert_eq!(exit_code(&rows), 1);
        assert_eq!(exit_code(&rows[..1]), 0);
        let e = assess_documents("b.yaml", vec![json!("text")]).unwrap_err();
        assert_eq!(e.to_string(), "b.yaml: a document is not an object");
    }
}
