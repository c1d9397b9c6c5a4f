//! kustomize's shared label and annotation values: a label or annotation transformer creates a
//! key missing from several maps of one object from one YAML node, so a later in-place change
//! of one of them (a `labels` entry without selectors, a strategic merge patch) changes them
//! all in kubectl's output. Ferry refuses those overlays by name; where kustomize's sharing
//! makes no difference (a JSON 6902 patch re-reads the object, a later transformer writes every
//! field) it renders byte for byte.

use std::path::Path;

use ferry_test_support::require_tool;

use crate::kubectl;
use crate::render_kubectl::{Outcome, outcome};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      containers:
      - name: c
        image: nginx
";

const BASE_LABELS: &str =
    "labels:\n- pairs: {app: a}\n  includeSelectors: true\nresources: [d.yaml]\n";

/// `(name, files, what Ferry must do: None renders byte for byte, Some(field) refuses)`.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Option<&'static str>,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "a later labels entry of the same kustomization",
            vec![
                ("o/d.yaml", DEPLOYMENT),
                (
                    "o/kustomization.yaml",
                    "labels:\n- pairs: {app: a}\n  includeSelectors: true\n- pairs: {app: b}\nresources: [d.yaml]\n",
                ),
            ],
            Some("labels"),
        ),
        (
            "an overlay's labels without selectors",
            vec![
                ("base/d.yaml", DEPLOYMENT),
                ("base/kustomization.yaml", BASE_LABELS),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\nlabels:\n- pairs: {app: b}\n",
                ),
            ],
            Some("labels"),
        ),
        (
            "an overlay's strategic merge patch of metadata.labels",
            vec![
                ("base/d.yaml", DEPLOYMENT),
                ("base/kustomization.yaml", BASE_LABELS),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\npatches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: d\n      labels: {app: c}\n",
                ),
            ],
            Some("labels"),
        ),
        (
            "commonAnnotations, then a patch of metadata.annotations",
            vec![
                ("base/d.yaml", DEPLOYMENT),
                (
                    "base/kustomization.yaml",
                    "commonAnnotations: {note: a}\nresources: [d.yaml]\n",
                ),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\npatches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: d\n      annotations: {note: c}\n",
                ),
            ],
            Some("commonAnnotations"),
        ),
        (
            "a JSON 6902 patch ends the sharing",
            vec![
                ("base/d.yaml", DEPLOYMENT),
                ("base/kustomization.yaml", BASE_LABELS),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\npatches:\n- target: {kind: Deployment}\n  patch: |\n    - op: replace\n      path: /metadata/labels/app\n      value: z\n",
                ),
            ],
            None,
        ),
        (
            "a later transformer that writes every shared field",
            vec![
                ("base/d.yaml", DEPLOYMENT),
                ("base/kustomization.yaml", BASE_LABELS),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\ncommonLabels: {app: b}\n",
                ),
            ],
            None,
        ),
        (
            "keys that existed are not shared",
            vec![
                (
                    "base/d.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {app: x}\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n",
                ),
                ("base/kustomization.yaml", BASE_LABELS),
                (
                    "o/kustomization.yaml",
                    "resources: [../base]\nlabels:\n- pairs: {app: b}\n",
                ),
            ],
            None,
        ),
    ]
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("create directories");
        std::fs::write(full, text).expect("write a file");
    }
}

#[test]
fn shared_label_and_annotation_values_are_refused_or_rendered_exactly() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    for (name, files, refused) in cases() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        write(tmp.path(), &files);
        let overlay = tmp.path().join("o");
        let want = kubectl::text(&kubectl, &overlay);
        let text = want.clone().expect("kubectl renders every case");
        match (outcome(want, tmp.path(), &overlay), refused) {
            (Outcome::Equal, None) => {}
            (Outcome::Refused(fields), Some(field)) => {
                assert_eq!(fields, field, "{name}: the refusal names the transformer");
                // kubectl does change the shared fields together: what Ferry would not print.
                let docs = kubectl::documents(&Ok(text)).expect("kubectl's objects");
                let d = &docs[0];
                let (meta, template) = if field == "commonAnnotations" {
                    (
                        "/metadata/annotations/note",
                        "/spec/template/metadata/annotations/note",
                    )
                } else {
                    ("/metadata/labels/app", "/spec/template/metadata/labels/app")
                };
                assert_eq!(
                    d.pointer(meta),
                    d.pointer(template),
                    "{name}: kubectl shares"
                );
            }
            (Outcome::Problem(p), _) => panic!("{name}: {p}"),
            (Outcome::Equal, Some(field)) => {
                panic!("{name}: rendered, expected a refusal naming {field}")
            }
            (Outcome::Refused(fields), None) => {
                let got = ferry_kustomize::render::render_overlay(
                    tmp.path(),
                    &overlay,
                    &ferry_kustomize::ResolveOptions::default(),
                );
                panic!(
                    "{name}: refused ({fields}), expected byte equality: {:?}",
                    got.err()
                );
            }
        }
    }
    // The detail of a refusal: the transformer's file and the fields.
    let tmp = tempfile::tempdir().expect("a temporary directory");
    write(tmp.path(), &cases()[1].1);
    let err = ferry_kustomize::render::render_overlay(
        tmp.path(),
        &tmp.path().join("o"),
        &ferry_kustomize::ResolveOptions::default(),
    )
    .expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("base/kustomization.yaml"), "{message}");
    assert!(
        message.contains("/spec/selector/matchLabels/app"),
        "{message}"
    );
}
