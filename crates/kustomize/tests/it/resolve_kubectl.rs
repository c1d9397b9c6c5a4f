//! Overlay resolution agrees with `kubectl kustomize` (kustomize v5.5) on every kustomization
//! under `fixtures/` (the real-world conformance trees have their own test,
//! `realworld_kubectl.rs`) and on generated trees: same workloads (kind, namespace, name) and the
//! same image in every container, containers in kubectl's order.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::kubectl;

use ferry_kustomize::model::parse_kustomization;
use ferry_test_support::faults::Rng;
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
        if p.ends_with("fixtures/conformance") {
            continue;
        }
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

fn from_kubectl(kubectl: &Path, dir: &Path) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for doc in kubectl::render(kubectl, dir)? {
        let c = kubectl::workload_containers(&doc);
        if c.is_empty() {
            continue;
        }
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
            let c = kubectl::ferry_containers(&w);
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

/// A small deterministic generator (a linear congruential one), so that every run checks the
/// same trees and a failure names its case.
fn write(dir: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
}

fn workload(kind: &str, api_version: &str, containers: &[&str]) -> String {
    let mut text = format!(
        "apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: web\nspec:\n  template:\n    \
         spec:\n      containers:\n"
    );
    for c in containers {
        text.push_str(&format!("        - name: {c}\n          image: {c}:1\n"));
    }
    text
}

/// Several levels of name prefixes, suffixes and namespaces, with a JSON 6902 patch and a
/// strategic-merge patch whose targets name the object by its original name, a name it had at
/// an intermediate level, its current name or no name it ever had. kustomize's selectors match
/// only the original and current name and namespace; a strategic-merge patch's own id matches
/// any id the object had.
fn renamed_tree(rng: &mut Rng) -> (Vec<(String, String)>, String) {
    let levels = 2 + rng.index(3);
    let mut files = vec![
        (
            "l0/web.yaml".to_string(),
            workload("Deployment", "apps/v1", &["a", "b"]),
        ),
        (
            "l0/kustomization.yaml".into(),
            "resources:\n- web.yaml\n".into(),
        ),
    ];
    let mut names = vec!["web".to_string()];
    let mut namespaces = vec![String::new()];
    let mut kustomizations = Vec::new();
    for level in 1..=levels {
        let mut k = format!("resources:\n- ../l{}\n", level - 1);
        let name = names.last().unwrap().clone();
        match rng.index(4) {
            0 => {
                k.push_str(&format!("nameSuffix: -s{level}\n"));
                names.push(format!("{name}-s{level}"));
            }
            1 => {
                k.push_str(&format!("namespace: ns{level}\n"));
                namespaces.push(format!("ns{level}"));
            }
            _ => {
                k.push_str(&format!("namePrefix: p{level}-\n"));
                names.push(format!("p{level}-{name}"));
            }
        }
        kustomizations.push(k);
    }
    // The patches sit in the last renaming level (whose own renames come after its patches) or
    // in a level of their own above it.
    if rng.index(2) == 0 {
        kustomizations.push(format!("resources:\n- ../l{levels}\n"));
    }
    let mut candidates = names.clone();
    candidates.push("other".into());
    let target = candidates[rng.index(candidates.len())].clone();
    let ns = &namespaces[rng.index(namespaces.len())];
    let ns_target = if ns.is_empty() || rng.index(2) == 0 {
        String::new()
    } else {
        format!(", namespace: {ns}")
    };
    let top = kustomizations.last_mut().unwrap();
    top.push_str(&format!(
        "patches:\n- target: {{kind: Deployment, name: {target}{ns_target}}}\n  patch: |\n    \
         - {{op: replace, path: /spec/template/spec/containers/0/image, value: \"a:json\"}}\n"
    ));
    if rng.index(3) > 0 {
        let smp_name = &candidates[rng.index(candidates.len())];
        top.push_str(&format!(
            "- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      \
             name: {smp_name}\n    spec:\n      template:\n        spec:\n          \
             containers:\n          - name: b\n            image: b:smp\n"
        ));
    }
    let top = kustomizations.len();
    for (i, k) in kustomizations.into_iter().enumerate() {
        files.push((format!("l{}/kustomization.yaml", i + 1), k));
    }
    (files, format!("l{top}"))
}

/// A strategic-merge patch that names some of the containers (kustomize moves them to the front
/// in patch order; a custom resource's list is replaced), then JSON 6902 patches by index.
fn reordered_tree(rng: &mut Rng) -> (Vec<(String, String)>, String) {
    let (kind, api_version) = if rng.index(4) == 0 {
        ("Rollout", "argoproj.io/v1alpha1")
    } else {
        ("Deployment", "apps/v1")
    };
    let mut base = vec!["a", "b", "c"];
    let n = 2 + rng.index(2);
    base.truncate(n);
    let mut pool = vec!["a", "b", "c", "d"];
    let mut patched = Vec::new();
    for _ in 0..1 + rng.index(3) {
        patched.push(pool.remove(rng.index(pool.len())));
    }
    let mut smp = format!(
        "apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: web\nspec:\n  template:\n    \
         spec:\n      containers:\n"
    );
    for c in &patched {
        if rng.index(5) == 0 && base.contains(c) {
            smp.push_str(&format!("      - name: {c}\n        $patch: delete\n"));
        } else {
            smp.push_str(&format!("      - name: {c}\n        image: {c}:smp\n"));
        }
    }
    let index = rng.index(3);
    let json = format!(
        "- {{op: replace, path: /spec/template/spec/containers/{index}/image, value: \"idx:{index}\"}}\n"
    );
    let (patches, legacy) = if rng.index(2) == 0 {
        (
            format!("patches:\n- path: smp.yaml\n- target: {{kind: {kind}}}\n  path: json.yaml\n"),
            "",
        )
    } else {
        (
            "patchesStrategicMerge:\n- smp.yaml\n".to_string(),
            "patchesJson6902:\n- target: {group: GROUP, version: VERSION, kind: KIND, name: web}\n  path: json.yaml\n",
        )
    };
    let (group, version) = api_version.split_once('/').unwrap();
    let legacy = legacy
        .replace("GROUP", group)
        .replace("VERSION", version)
        .replace("KIND", kind);
    let files = vec![
        (
            "base/web.yaml".to_string(),
            workload(kind, api_version, &base),
        ),
        (
            "base/kustomization.yaml".into(),
            "resources:\n- web.yaml\n".into(),
        ),
        ("ov/smp.yaml".into(), smp),
        ("ov/json.yaml".into(), json),
        (
            "ov/kustomization.yaml".into(),
            format!("resources:\n- ../base\n{patches}{legacy}"),
        ),
    ];
    (files, "ov".into())
}

#[test]
fn generated_trees_agree_with_kubectl_kustomize() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let mut rng = Rng::new(11);
    let (mut compared, mut refused) = (0, 0);
    for case in 0..48 {
        let (files, overlay) = if case % 2 == 0 {
            renamed_tree(&mut rng)
        } else {
            reordered_tree(&mut rng)
        };
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &files);
        let overlay = dir.path().join(overlay);
        let want = from_kubectl(&kubectl, &overlay);
        let got = from_ferry(dir.path(), &overlay);
        let tree = || format!("case {case}: {files:#?}");
        match (want, got) {
            (Ok(want), Ok(got)) => {
                assert_eq!(got, want, "{}", tree());
                compared += 1;
            }
            (Err(_), Err(_)) => refused += 1,
            (Err(k), Ok(_)) => panic!("kubectl fails but Ferry does not: {k}\n{}", tree()),
            (Ok(_), Err(f)) => panic!("Ferry fails but kubectl does not: {f}\n{}", tree()),
        }
    }
    eprintln!("generated trees: {compared} rendered alike, {refused} refused by both");
    assert!(compared >= 30, "only {compared} generated trees compared");
}
