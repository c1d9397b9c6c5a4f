//! `ferry-set-image` on the inputs the field trial found (issues 11 and 12): `tagSuffix`, unknown
//! top-level fields, digests, long comment blocks, a file holding only `~`, library advice in
//! error texts, and files that must be kept as they are (read-only, owner, stale temp files).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ferry-set-image").unwrap();
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

fn overlay(content: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("kustomization.yaml");
    std::fs::write(&file, content).unwrap();
    (tmp, file)
}

fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap()
}

#[test]
fn an_entry_with_tag_suffix_is_accepted_and_kept() {
    let text = "images:\n  - name: app\n    newName: reg/app\n    tagSuffix: -fips\n  - name: other\n    newTag: v1\n";
    let (_tmp, file) = overlay(text);
    bin().arg(&file).arg("other:v2").assert().code(0);
    assert_eq!(read(&file), text.replace("newTag: v1", "newTag: v2"));
    // Setting a tag keeps the suffix, and says that kustomize then ignores it.
    bin()
        .arg(&file)
        .arg("app=*:1.0")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("tagSuffix"));
    assert_eq!(
        read(&file),
        text.replace("newTag: v1", "newTag: v2").replace(
            "    newName: reg/app\n",
            "    newName: reg/app\n    newTag: \"1.0\"\n"
        )
    );
}

#[test]
fn an_unknown_top_level_field_is_refused_with_the_closest_one() {
    let text = "resources:\n  - a.yaml\nimagez:\n  - name: app\n    newTag: v1\n";
    let (_tmp, file) = overlay(text);
    bin()
        .arg(&file)
        .arg("app:v2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(":3:1:"))
        .stderr(predicate::str::contains("did you mean `images`"));
    assert_eq!(read(&file), text, "file unchanged");
}

#[test]
fn a_digest_outside_the_reference_grammar_is_refused() {
    let text = "images:\n  - name: app\n    newTag: v1\n";
    let (_tmp, file) = overlay(text);
    for spec in ["app:v2@md5:0123", "app@sha256:abc", "app@sha256:ABCDEF"] {
        bin()
            .arg(&file)
            .arg(spec)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("not a valid digest"));
    }
    assert_eq!(read(&file), text);
}

#[test]
fn sixty_comment_lines_in_a_row_are_fine() {
    let comments: String = (0..60).map(|i| format!("#- ../optional-{i}\n")).collect();
    let text = format!(
        "resources:\n{comments}- a.yaml\n{comments}images:\n{comments}- name: app\n  newTag: v1\n"
    );
    let (_tmp, file) = overlay(&text);
    bin().arg(&file).arg("app:v2").assert().code(0);
    assert_eq!(read(&file), text.replace("newTag: v1", "newTag: v2"));
}

#[test]
fn a_file_holding_only_a_null_is_refused_at_its_own_position() {
    let (_tmp, file) = overlay("~\n");
    bin()
        .arg(&file)
        .arg("app:v2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kustomization.yaml:1:1:"))
        .stderr(predicate::str::contains("mapping"));
    assert_eq!(read(&file), "~\n");
}

#[test]
fn errors_say_what_to_change_not_how_to_call_the_parser() {
    let (_tmp, file) =
        overlay("namespace: a\nnamespace: b\nimages:\n  - name: app\n    newTag: v1\n");
    let out = bin()
        .arg(&file)
        .arg("app:v2")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("duplicate key"), "{err}");
    for advice in ["DuplicateKeyPolicy", "Options", "from_str"] {
        assert!(!err.contains(advice), "{err}");
    }
}

#[test]
fn a_read_only_file_is_refused_unless_forced_and_keeps_its_mode() {
    let text = "images:\n  - name: app\n    newTag: v1\n";
    let (_tmp, file) = overlay(text);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    bin()
        .arg(&file)
        .arg("app:v2")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("read-only"));
    assert_eq!(read(&file), text);
    bin()
        .arg(&file)
        .arg("app:v2")
        .arg("--force")
        .assert()
        .code(0);
    assert!(read(&file).contains("newTag: v2"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
}

#[test]
fn an_edit_keeps_the_owner() {
    let (_tmp, file) = overlay("images:\n  - name: app\n    newTag: v1\n");
    let me = std::fs::metadata(&file).unwrap();
    // As root, give the file to another user first; otherwise the owner is the runner.
    let (uid, gid) = if me.uid() == 0 {
        std::os::unix::fs::chown(&file, Some(4321), Some(4321)).unwrap();
        (4321, 4321)
    } else {
        (me.uid(), me.gid())
    };
    bin().arg(&file).arg("app:v2").assert().code(0);
    let after = std::fs::metadata(&file).unwrap();
    assert_eq!((after.uid(), after.gid()), (uid, gid));
    assert!(read(&file).contains("newTag: v2"));
}

#[test]
fn stale_temporary_files_are_removed_and_named_for_gitignore() {
    let (tmp, file) = overlay("images:\n  - name: app\n    newTag: v1\n");
    // What a run killed during its write leaves behind: a process id that no longer runs, in
    // the earlier and the current form.
    let dead = 999_999_999u32;
    let old = tmp
        .path()
        .join(format!(".kustomization.yaml.ferry-{dead}-0.tmp"));
    let new = tmp
        .path()
        .join(format!(".kustomization.yaml.{dead}-0.ferry-tmp"));
    let unrelated = tmp.path().join(".kustomization.yaml.swp");
    for p in [&old, &new, &unrelated] {
        std::fs::write(p, "partial").unwrap();
    }
    bin().arg(&file).arg("app:v2").assert().code(0);
    assert!(
        !old.exists() && !new.exists(),
        "stale temp files are removed"
    );
    assert!(unrelated.exists(), "other files are left alone");
    assert!(ferry_kustomize::edit_file::TEMP_SUFFIX.ends_with("ferry-tmp"));
}
