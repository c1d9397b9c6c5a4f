//! Hostile overlays finish within 10 s and 512 MB, or are refused (issue 12): reads outside the
//! root through symbolic links, nested bases that grow exponentially, alias amplification across
//! files, special files. Each input is generated in a temporary directory and the binary runs
//! under `prlimit` with a kill after 10 s.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_test_support::bounded::{Bounded, run_bounded};
use serde_json::Value;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ferry-validate")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: NAME\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:1.0\n";

fn deployment(name: &str) -> String {
    DEPLOYMENT.replace("NAME", name)
}

/// `ferry-validate OVERLAY --root ROOT --format json` under the bounds.
fn validate(root: &Path, overlay: &str) -> Option<(Bounded, Value)> {
    let run = run_bounded(&bin(), &[overlay, "--root", ".", "--format", "json"], root)?;
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {} {}", run.stdout, run.stderr));
    Some((run, report))
}

fn errors(report: &Value) -> String {
    report["overlays"][0]["errors"].to_string()
}

#[test]
fn a_symlinked_kustomization_file_may_not_leave_the_root() {
    let outside = tempfile::tempdir().unwrap();
    write(
        &outside.path().join("k.yaml"),
        "namespace: stolen\nresources:\n  - deployment.yaml\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    write(&repo.join("ov/deployment.yaml"), &deployment("web"));
    std::os::unix::fs::symlink(
        outside.path().join("k.yaml"),
        repo.join("ov/kustomization.yaml"),
    )
    .unwrap();
    // The same through a nested base.
    write(
        &repo.join("top/kustomization.yaml"),
        "resources:\n  - ../ov\n",
    );
    for overlay in ["ov", "top"] {
        let Some((run, report)) = validate(&repo, overlay) else {
            return;
        };
        assert_eq!(run.code(), 1, "{overlay}: {}", run.stdout);
        assert!(
            errors(&report).contains("outside the repository root"),
            "{report}"
        );
        assert!(!run.stdout.contains("stolen"), "{}", run.stdout);
    }
}

#[test]
fn nested_bases_listed_twice_at_every_level_are_resolved_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let levels = 20;
    let list = |level: usize| format!("resources:\n  - ../l{level}a\n  - ../l{level}b\n");
    write(&root.join("ov/kustomization.yaml"), &list(1));
    for level in 1..levels {
        for side in ["a", "b"] {
            write(
                &root.join(format!("l{level}{side}/kustomization.yaml")),
                &list(level + 1),
            );
        }
    }
    for side in ["a", "b"] {
        let dir = root.join(format!("l{levels}{side}"));
        write(
            &dir.join("kustomization.yaml"),
            "resources:\n  - app.yaml\n",
        );
        write(&dir.join("app.yaml"), &deployment(&format!("app-{side}")));
    }
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(errors(&report).contains("included twice"), "{report}");
}

#[test]
fn aliases_repeated_across_many_files_are_capped_per_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let big = "x".repeat(1024 * 1024);
    let aliases: String = (0..60).map(|i| format!("  k{i}: *big\n")).collect();
    let mut resources = String::from("resources:\n");
    for i in 0..20 {
        let file = format!("cm-{i}.yaml");
        write(
            &root.join("ov").join(&file),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  a: &big {big}\n{aliases}"
            ),
        );
        resources.push_str(&format!("  - {file}\n"));
    }
    write(&root.join("ov/kustomization.yaml"), &resources);
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(errors(&report).contains("too large to resolve"), "{report}");
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn fifos_as_resource_patch_or_kustomization_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // A FIFO as a resource.
    write(
        &root.join("res/kustomization.yaml"),
        "resources:\n  - pipe.yaml\n",
    );
    mkfifo(&root.join("res/pipe.yaml"));
    // A FIFO as a patch.
    write(
        &root.join("patch/kustomization.yaml"),
        "resources:\n  - app.yaml\npatches:\n  - path: pipe.yaml\n",
    );
    write(&root.join("patch/app.yaml"), &deployment("web"));
    mkfifo(&root.join("patch/pipe.yaml"));
    // A FIFO as the kustomization file itself.
    mkfifo(&root.join("kust/kustomization.yaml"));
    // A FIFO as a generator file.
    write(
        &root.join("gen/kustomization.yaml"),
        "configMapGenerator:\n  - name: cfg\n    files:\n      - pipe.txt\n",
    );
    mkfifo(&root.join("gen/pipe.txt"));
    for overlay in ["res", "patch", "kust", "gen"] {
        let Some((run, report)) = validate(root, overlay) else {
            return;
        };
        assert_eq!(run.code(), 1, "{overlay}: {report}");
        assert!(
            errors(&report).contains("regular file"),
            "{overlay}: {report}"
        );
    }
}

#[test]
fn sixty_comment_lines_in_a_row_are_fine() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let comments: String = (0..60).map(|i| format!("#- ../optional-{i}\n")).collect();
    write(
        &root.join("ov/kustomization.yaml"),
        &format!("resources:\n{comments}- app.yaml\n{comments}"),
    );
    write(
        &root.join("ov/app.yaml"),
        &format!("{comments}{}", deployment("web")),
    );
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 0, "{report}");
}

#[test]
fn an_openapi_schema_outside_the_root_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        &root.join("ov/kustomization.yaml"),
        "resources:\n  - app.yaml\nopenapi:\n  path: /etc/passwd\n",
    );
    write(&root.join("ov/app.yaml"), &deployment("web"));
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 1, "{report}");
    assert!(
        errors(&report).contains("outside the repository root"),
        "{report}"
    );
}

#[test]
fn ten_thousand_images_entries_resolve_in_time() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut text = String::from("resources:\n  - app.yaml\nimages:\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "  - name: registry.example.com/app-{i:05}\n    newTag: v{i}\n"
        ));
    }
    write(&root.join("ov/kustomization.yaml"), &text);
    write(
        &root.join("ov/app.yaml"),
        &deployment("web").replace(
            "registry.example.com/app:1.0",
            "registry.example.com/app-09999:1.0",
        ),
    );
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 0, "{}", errors(&report));
    let image = &report["overlays"][0]["workloads"][0]["containers"][0]["image"];
    assert_eq!(image, "registry.example.com/app-09999:v9999");
}

#[test]
fn fifteen_thousand_objects_resolve_in_linear_time() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut resources = String::from("resources:\n");
    for f in 0..5 {
        let docs: String = (0..3000)
            .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{f}-{i}\n"))
            .collect();
        write(&root.join(format!("ov/r{f}.yaml")), &docs);
        resources.push_str(&format!("  - r{f}.yaml\n"));
    }
    write(&root.join("ov/kustomization.yaml"), &resources);
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 0, "{}", errors(&report));
}

#[test]
fn a_chain_of_two_thousand_bases_is_refused_not_a_stack_overflow() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let levels = 2_000;
    for i in 0..levels - 1 {
        write(
            &root.join(format!("l{i}/kustomization.yaml")),
            &format!("resources:\n  - ../l{}\n", i + 1),
        );
    }
    let last = root.join(format!("l{}", levels - 1));
    write(
        &last.join("kustomization.yaml"),
        "resources:\n  - app.yaml\n",
    );
    write(&last.join("app.yaml"), &deployment("web"));
    let Some((run, report)) = validate(root, "l0") else {
        return;
    };
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(errors(&report).contains("nested more than"), "{report}");
    // A chain of ordinary depth resolves.
    let Some((run, report)) = validate(root, &format!("l{}", levels - 50)) else {
        return;
    };
    assert_eq!(run.code(), 0, "{report}");
}

#[test]
fn a_large_annotation_copied_into_many_objects_is_capped_per_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let docs: String = (0..8_000)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"))
        .collect();
    write(&root.join("ov/objects.yaml"), &docs);
    let big = "x".repeat(2 * 1024 * 1024);
    write(
        &root.join("ov/kustomization.yaml"),
        &format!("resources:\n  - objects.yaml\ncommonAnnotations:\n  note: {big}\n"),
    );
    let Some((run, report)) = validate(root, "ov") else {
        return;
    };
    assert_eq!(run.code(), 1, "{}", run.stderr);
    assert!(errors(&report).contains("too large to resolve"), "{report}");
}
