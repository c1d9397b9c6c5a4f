//! The event payload of a GitHub Actions run: the JSON file `GITHUB_EVENT_PATH` names, read
//! the one way by every binary that needs it (`ferry-tag`, `ferry-build`, `ferry-diff`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::env::GITHUB_EVENT_PATH;
use crate::{Error, ErrorKind, Result};

/// The event payload of the workflow run whose context is `vars`
/// ([`crate::env::github_workflow`]): `None` when `GITHUB_EVENT_PATH` is unset or empty, or
/// names no file. A file that cannot be read is an I/O error (exit 3), one that is not JSON
/// bad input (exit 2).
pub fn payload(vars: &BTreeMap<String, String>) -> Result<Option<Value>> {
    let Some(path) = vars
        .get(GITHUB_EVENT_PATH)
        .filter(|p| !p.is_empty() && Path::new(p).exists())
    else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(ErrorKind::Io, e).context(format!("cannot read the event payload {path}"))
    })?;
    let payload = serde_json::from_str(&text).map_err(|e| {
        Error::new(ErrorKind::BadInput, e)
            .context(format!("the event payload {path} is not valid JSON"))
    })?;
    Ok(Some(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(path: &Path) -> BTreeMap<String, String> {
        BTreeMap::from([(GITHUB_EVENT_PATH.to_owned(), path.display().to_string())])
    }

    #[test]
    fn the_payload_is_read_when_its_file_exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("event.json");
        assert!(payload(&BTreeMap::new()).expect("no variable").is_none());
        assert!(payload(&vars(&file)).expect("no file").is_none());
        std::fs::write(&file, r#"{"pull_request": {"number": 7}}"#).expect("write");
        let read = payload(&vars(&file)).expect("read").expect("a payload");
        assert_eq!(read["pull_request"]["number"], 7);
        std::fs::write(&file, "{").expect("write");
        let e = payload(&vars(&file)).expect_err("not JSON");
        assert_eq!(e.kind(), ErrorKind::BadInput);
        assert!(format!("{e}").contains("is not valid JSON"), "{e}");
    }
}
