//! Error texts say what to change in the file, in the user's terms, never how to call the YAML
//! library (issue 12: "set DuplicateKeyPolicy in Options", "use from_str_multiple").

use assert_cmd::Command;

fn findings(files: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = tmp.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let out = Command::cargo_bin("ferry-validate")
        .unwrap()
        .current_dir(tmp.path())
        .args(["ov", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8(out.stdout).unwrap()
}

fn assert_user_terms(text: &str) {
    for advice in ["DuplicateKeyPolicy", "Options", "from_str", "Option<"] {
        assert!(!text.contains(advice), "{text}");
    }
}

#[test]
fn a_duplicate_key_says_to_remove_it() {
    let kustomization = findings(&[("ov/kustomization.yaml", "namespace: a\nnamespace: b\n")]);
    assert!(
        kustomization.contains("kustomization.yaml:2:1:"),
        "{kustomization}"
    );
    assert!(
        kustomization.contains("duplicate key `namespace`"),
        "{kustomization}"
    );
    assert!(
        kustomization.contains("remove the repeated key"),
        "{kustomization}"
    );
    assert_user_terms(&kustomization);
    let resource = findings(&[
        ("ov/kustomization.yaml", "resources:\n  - a.yaml\n"),
        (
            "ov/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
        ),
    ]);
    assert!(resource.contains("duplicate key `name`"), "{resource}");
    assert_user_terms(&resource);
}

#[test]
fn several_documents_in_a_kustomization_say_to_keep_one() {
    let text = findings(&[("ov/kustomization.yaml", "namespace: a\n---\nnamespace: b\n")]);
    assert!(text.contains("keep one document"), "{text}");
    assert_user_terms(&text);
}
