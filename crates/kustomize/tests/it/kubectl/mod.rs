//! What `kubectl kustomize` renders, shared by the kubectl agreement tests.

use std::path::Path;
use std::process::Command;

use ferry_kustomize::documents::parse_documents;
use serde_json::Value;

/// `(container, image, init)`.
pub type Container = (String, String, bool);

/// The text `kubectl kustomize DIR` prints, or its error output.
pub fn text(kubectl: &Path, dir: &Path) -> Result<String, String> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("kubectl prints UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The objects of kubectl's text (or its error output).
pub fn documents(text: &Result<String, String>) -> Result<Vec<Value>, String> {
    let text = text.as_ref().map_err(String::clone)?;
    Ok(parse_documents(text, "kubectl output").expect("kubectl prints YAML"))
}

/// The objects `kubectl kustomize DIR` prints, or its error output.
pub fn render(kubectl: &Path, dir: &Path) -> Result<Vec<Value>, String> {
    documents(&text(kubectl, dir))
}

/// The containers of a rendered workload (none for other objects and for custom resource
/// definitions). kubectl sorts map keys, so containers come before initContainers: each group
/// keeps its own order, init containers last.
pub fn workload_containers(doc: &Value) -> Vec<Container> {
    fn walk(v: &Value, out: &mut Vec<Container>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if (k == "containers" || k == "initContainers")
                        && let Some(items) = child.as_array()
                    {
                        for c in items {
                            let s = |key: &str| c[key].as_str().unwrap_or_default().to_string();
                            out.push((s("name"), s("image"), k == "initContainers"));
                        }
                    }
                    walk(child, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if doc["kind"] != "CustomResourceDefinition" {
        walk(doc, &mut out);
    }
    out.sort_by_key(|c| c.2);
    out
}

/// Ferry's containers of a workload, ordered as [`workload_containers`] orders kubectl's.
pub fn ferry_containers(w: &ferry_kustomize::Workload) -> Vec<Container> {
    let mut out: Vec<Container> = w
        .containers
        .iter()
        .map(|c| (c.name.clone(), c.image.clone(), c.init))
        .collect();
    out.sort_by_key(|c| c.2);
    out
}
