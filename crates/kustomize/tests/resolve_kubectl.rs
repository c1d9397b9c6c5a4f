//! Overlay resolution agrees with `kubectl kustomize` (kustomize v5.5) on every kustomization
//! under `fixtures/`: same workloads (kind, namespace, name) and the same image in every container.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_kustomize::model::{parse_documents, parse_kustomization};
use ferry_test_support::{fixtures_dir, require_tool, run_ok};
use serde_json::Value;

/// (apiVersion, kind, namespace, name, [(container, image, init)])
type Row = (
    String,
    String,
    Option<String>,
    String,
    Vec<(String, String, bool)>,
);

fn kustomization_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            kustomization_dirs(&p, out);
        } else if p.file_name().is_some_and(|n| n == "kustomization.yaml") {
            let text = std::fs::read_to_string(&p).unwrap();
            let kind = parse_kustomization(&text)
                .ok()
                .and_then(|k| k.kind.map(|k| k.value));
            if kind.as_deref() != Some("Component") {
                out.push(dir.to_path_buf());
            }
        }
    }
}

fn containers(v: &Value, out: &mut Vec<(String, String, bool)>) {
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
                containers(child, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|i| containers(i, out)),
        _ => {}
    }
}

fn from_kubectl(kubectl: &Path, dir: &Path) -> Result<Vec<Row>, String> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = Vec::new();
    for doc in parse_documents(&text).unwrap() {
        if doc["kind"] == "CustomResourceDefinition" {
            continue;
        }
        let mut c = Vec::new();
        containers(&doc, &mut c);
        if c.is_empty() {
            continue;
        }
        // kubectl sorts map keys, so containers and initContainers come out in key order; compare
        // each group in its own order.
        c.sort_by_key(|x| x.2);
        let s = |p: &str| doc.pointer(p).and_then(Value::as_str).map(String::from);
        rows.push((
            s("/apiVersion").unwrap(),
            s("/kind").unwrap(),
            s("/metadata/namespace"),
            s("/metadata/name").unwrap(),
            c,
        ));
    }
    rows.sort();
    Ok(rows)
}

fn from_ferry(root: &Path, dir: &Path) -> Result<Vec<Row>, String> {
    let res = ferry_kustomize::resolve_overlay(root, dir).map_err(|e| e.to_string())?;
    let mut rows: Vec<Row> = res
        .workloads
        .into_iter()
        .map(|w| {
            let mut c: Vec<_> = w
                .containers
                .into_iter()
                .map(|c| (c.name, c.image, c.init))
                .collect();
            c.sort_by_key(|x| x.2);
            (w.api_version, w.kind, w.namespace, w.name, c)
        })
        .collect();
    rows.sort();
    Ok(rows)
}

#[test]
fn resolution_agrees_with_kubectl_kustomize() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    run_ok(Command::new(&kubectl).args(["version", "--client"]));
    let root = fixtures_dir();
    let mut dirs = Vec::new();
    kustomization_dirs(&root, &mut dirs);
    assert!(
        dirs.len() >= 10,
        "expected the fixture overlays, found {dirs:?}"
    );
    let mut compared = 0;
    for dir in &dirs {
        let want = from_kubectl(&kubectl, dir);
        let got = from_ferry(&root, dir);
        match (want, got) {
            (Ok(want), Ok(got)) => {
                assert_eq!(got, want, "{}", dir.display());
                compared += 1;
            }
            (Err(_), Err(_)) => {}
            (Err(k), Ok(_)) => panic!("{}: kubectl fails but Ferry does not: {k}", dir.display()),
            (Ok(_), Err(f)) => panic!("{}: Ferry fails but kubectl does not: {f}", dir.display()),
        }
    }
    assert!(compared >= 10, "only {compared} overlays compared");
}
