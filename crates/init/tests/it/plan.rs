//! The plan: missing files are created, a different file is kept unless forced, the same file
//! is left alone; paths that are not regular files are refused.

use std::fs;

use ferry_init::{File, InitError, State, generate, plan};

use crate::cases;

fn file(path: &str, contents: &str) -> File {
    File {
        path: path.into(),
        contents: contents.into(),
    }
}

#[test]
fn a_different_file_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a")).unwrap();
    fs::write(dir.path().join("a/kept.txt"), "one\nmine\n").unwrap();
    fs::write(dir.path().join("same.txt"), "same\n").unwrap();
    let files = vec![
        file("a/kept.txt", "one\ntwo\n"),
        file("same.txt", "same\n"),
        file("b/c/new.txt", "new\n"),
    ];
    let planned = plan(dir.path(), files.clone()).unwrap();
    let states: Vec<State> = planned.files.iter().map(|p| p.state).collect();
    assert_eq!(
        states,
        [State::Differs { line: 2 }, State::Same, State::Missing]
    );
    let differences: Vec<&str> = planned
        .differences()
        .map(|p| p.file.path.as_str())
        .collect();
    assert_eq!(differences, ["a/kept.txt", "b/c/new.txt"]);

    let applied = planned.apply(dir.path(), false).unwrap();
    assert_eq!(applied.created, ["b/c/new.txt"]);
    assert_eq!(applied.kept, ["a/kept.txt"]);
    assert_eq!(applied.unchanged, ["same.txt"]);
    assert!(applied.overwritten.is_empty());
    assert_eq!(
        fs::read_to_string(dir.path().join("a/kept.txt")).unwrap(),
        "one\nmine\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("b/c/new.txt")).unwrap(),
        "new\n"
    );

    let applied = plan(dir.path(), files.clone())
        .unwrap()
        .apply(dir.path(), true)
        .unwrap();
    assert_eq!(applied.overwritten, ["a/kept.txt"]);
    assert_eq!(
        fs::read_to_string(dir.path().join("a/kept.txt")).unwrap(),
        "one\ntwo\n"
    );
    assert_eq!(plan(dir.path(), files).unwrap().differences().count(), 0);
    // No temporary file is left behind: a/ holds the one file.
    assert_eq!(fs::read_dir(dir.path().join("a")).expect("a/").count(), 1);
}

#[test]
fn symbolic_links_and_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("infra")).unwrap();
    let error = plan(dir.path(), generate(&cases::default())).unwrap_err();
    assert!(
        matches!(&error, InitError::NotAFile { path } if path.ends_with("infra")),
        "{error}"
    );
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);

    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("ferry.toml")).unwrap();
    let error = plan(dir.path(), generate(&cases::default())).unwrap_err();
    assert!(matches!(error, InitError::NotAFile { .. }), "{error}");

    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join("ferry.toml")).unwrap();
    let error = plan(dir.path(), generate(&cases::default())).unwrap_err();
    assert!(matches!(error, InitError::NotAFile { .. }), "{error}");
}

#[test]
fn a_written_repository_plans_no_difference() {
    for (name, options) in cases::all() {
        let dir = tempfile::tempdir().unwrap();
        let files = cases::write(dir.path(), &options);
        let again = plan(dir.path(), files).unwrap();
        assert_eq!(again.differences().count(), 0, "{name}");
    }
}
