//! Hostile inputs finish within 10 s and 512 MB, or are refused (issue 12, bounds): special
//! files, and kustomizations with very many `images` entries. Each input is generated in a
//! temporary directory and the binary runs under `prlimit` with a kill after 10 s.

use std::path::PathBuf;
use std::process::Command;

use ferry_test_support::bounded::run_bounded;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("ferry-set-image")
}

#[test]
fn a_device_is_refused_without_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(run) = run_bounded(&bin(), &["/dev/zero", "app:v2"], tmp.path()) else {
        return;
    };
    assert_eq!(run.code(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    // The same through a symbolic link: what counts is where it leads.
    let link = tmp.path().join("kustomization.yaml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let Some(run) = run_bounded(&bin(), &[link.to_str().unwrap(), "app:v2"], tmp.path()) else {
        return;
    };
    assert_eq!(run.code(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
}

fn mkfifo(path: &std::path::Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_fifo_is_refused_and_never_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("kustomization.yaml");
    mkfifo(&fifo);
    // As the file named on the command line, and as the kustomization file of a directory.
    for target in [fifo.to_str().unwrap(), "."] {
        let Some(run) = run_bounded(&bin(), &[target, "app:v2"], tmp.path()) else {
            return;
        };
        assert_eq!(run.code(), 2, "{target}: {}", run.stderr);
    }
}

fn entries(n: usize) -> String {
    let mut text = String::from("resources:\n  - deployment.yaml\nimages:\n");
    for i in 0..n {
        text.push_str(&format!("  - name: app-{i:06}\n    newTag: v{i}\n"));
    }
    text
}

#[test]
fn many_images_entries_are_edited_in_linear_time() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("kustomization.yaml"), entries(10_000)).unwrap();
    let spec = "app-009999:2.0.0";
    let Some(run) = run_bounded(&bin(), &[".", spec], tmp.path()) else {
        return;
    };
    assert_eq!(run.code(), 0, "{}", run.stderr);
    let text = std::fs::read_to_string(tmp.path().join("kustomization.yaml")).unwrap();
    assert!(text.contains("app-009999\n    newTag: 2.0.0\n"));
}

#[test]
fn a_file_of_a_hundred_thousand_entries_finishes_or_is_refused_in_time() {
    let tmp = tempfile::tempdir().unwrap();
    let text = entries(100_000);
    assert!(text.len() < ferry_kustomize::edit::MAX_INPUT_BYTES);
    std::fs::write(tmp.path().join("kustomization.yaml"), &text).unwrap();
    let Some(run) = run_bounded(
        &bin(),
        &[".", "registry.example.com/team/new:1"],
        tmp.path(),
    ) else {
        return;
    };
    assert!(matches!(run.code(), 0 | 2), "{}", run.stderr);
    if run.code() == 2 {
        assert!(run.stderr.contains("too large"), "{}", run.stderr);
        let after = std::fs::read_to_string(tmp.path().join("kustomization.yaml")).unwrap();
        assert_eq!(after, text, "a refusal leaves the file unchanged");
    }
}
